//! The markdown the pass-root documents are written in, read through pulldown-cmark
//! (CommonMark plus GitHub's pipe tables), with every element at its 1-based line and column.
//!
//! The closure documents are edited by people, so the gates read them the way GitHub renders
//! them: headings delimit sections, pipe tables carry findings and manifests, list items
//! carry blockers and paths, code spans carry tokens. Code blocks (fenced or indented) and
//! HTML comments are blanked out of the lines the gates read, so an example inside a code
//! block or a commented-out row never counts, while a `<!--` inside a code span is text.
//! The parser hands out byte offsets; [`Doc`] maps them to lines and columns.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// One line of the document as the gates read it: code blocks and HTML comments blanked
/// (same length, so columns stay true). `hidden` when nothing but blanked text was on it.
#[derive(Clone, Debug)]
pub struct MdLine {
    /// 1-based.
    pub no: u32,
    pub text: String,
    pub hidden: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    pub level: usize,
    /// The rendered title: code spans as their content, emphasis dropped.
    pub title: String,
    /// 1-based line of the heading.
    pub line: u32,
    /// Index in `Doc::lines` of its first line.
    pub index: usize,
    /// Index in `Doc::lines` of its last line (a setext heading has two).
    pub last: usize,
}

/// A table cell: its source text (trimmed, `\|` unescaped) and the 1-based column where
/// that text starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub col: u32,
}

#[derive(Clone, Debug)]
pub struct Row {
    pub line: u32,
    pub cells: Vec<Cell>,
}

#[derive(Clone, Debug)]
pub struct Table {
    pub header_line: u32,
    pub header: Vec<Cell>,
    pub rows: Vec<Row>,
}

impl Table {
    /// The index of the column whose normalised header equals `name` (case, spaces, `_`
    /// and `-` ignored).
    pub fn column(&self, name: &str) -> Option<usize> {
        let want = normalise_key(name);
        self.header
            .iter()
            .position(|c| normalise_key(&strip_emphasis(&c.text)) == want)
    }

    /// The first column whose normalised header contains one of `words`.
    pub fn column_containing(&self, words: &[&str]) -> Option<usize> {
        self.header.iter().position(|c| {
            let k = normalise_key(&strip_emphasis(&c.text));
            words.iter().any(|w| k.contains(&normalise_key(w)))
        })
    }
}

/// A list item: where it starts, how deeply it is nested (0 for a top-level item), the
/// index of its parent item, and the rendered text of its own first paragraph.
#[derive(Clone, Debug)]
pub struct Item {
    pub line: u32,
    pub col: u32,
    pub depth: usize,
    pub parent: Option<usize>,
    pub text: String,
    /// Index in `Doc::lines` of its first line.
    pub index: usize,
    /// Byte offsets of its own content: from its marker to its first nested list or
    /// blockquote, or its end.
    pub own: Range<usize>,
}

/// Lower-cases and drops spaces, `_` and `-`, so `Target slice`, `target_slice` and
/// `target-slice` name the same column.
pub fn normalise_key(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '\t'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether one of `words` is a word of `text` (a heading's title, a key), ignoring case:
/// `## Ordered Opening Sequence` has `sequence`.
pub fn has_word(text: &str, words: &[&str]) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| words.iter().any(|x| w.eq_ignore_ascii_case(x)))
}

/// Removes surrounding `**`, `*`, `_` and backticks: `**approve**` → `approve`.
pub fn strip_emphasis(s: &str) -> String {
    let mut t = s.trim();
    loop {
        let before = t;
        for m in ["**", "__", "`", "*", "_"] {
            if t.len() >= 2 * m.len() && t.starts_with(m) && t.ends_with(m) {
                t = t[m.len()..t.len() - m.len()].trim();
            }
        }
        if t == before {
            return t.to_string();
        }
    }
}

/// True for cell values that mean "nothing here": empty, `-`, `—`, `n/a`, `none`, `tbd`.
pub fn is_blank_value(s: &str) -> bool {
    let t = strip_emphasis(s);
    let t = t.trim().trim_end_matches('.').to_ascii_lowercase();
    matches!(
        t.as_str(),
        "" | "-" | "--" | "—" | "–" | "n/a" | "na" | "none" | "tbd" | "todo" | "?"
    )
}

/// What an inline element is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InlineKind {
    Code,
    LinkTarget,
    /// Strong emphasis (`**resolved**`): its rendered text.
    Strong,
}

/// An inline code span, link target or strong run, with the 1-based column where its
/// content starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inline {
    pub kind: InlineKind,
    pub text: String,
    pub col: u32,
}

/// The longest text kept of a strong run, in bytes.
const MAX_STRONG: usize = 256;

/// At most `max` bytes of `t`, cut at a character boundary.
fn prefix(t: &str, max: usize) -> &str {
    if t.len() <= max {
        return t;
    }
    let mut end = max;
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    &t[..end]
}

fn options() -> Options {
    Options::ENABLE_TABLES
}

/// 0-based line index and 1-based column (in characters) of byte `off` of `text`.
fn locate(loc: &gates_core::text::LineIndex, text: &str, off: usize) -> (usize, u32) {
    let (line, col) = loc.line_col(text, off);
    (line as usize - 1, col)
}

#[derive(Debug)]
pub struct Doc {
    pub lines: Vec<MdLine>,
    headings: Vec<Heading>,
    tables: Vec<Table>,
    /// Inline elements with their 0-based line index and byte offset, in document order.
    inlines: Vec<(usize, usize, Inline)>,
    items: Vec<Item>,
    /// Byte offsets of line starts.
    starts: Vec<usize>,
    len: usize,
}

impl Doc {
    pub fn parse(text: &str) -> Doc {
        let loc = gates_core::text::LineIndex::new(text);
        let starts = loc.starts();
        let mut masked: Vec<u8> = text.as_bytes().to_vec();
        let mut blank = |r: Range<usize>| {
            for b in &mut masked[r] {
                if *b != b'\n' && *b != b'\r' {
                    *b = b' ';
                }
            }
        };
        let mut code_lines: Vec<Range<usize>> = Vec::new();
        let mut headings = Vec::new();
        let mut tables: Vec<Table> = Vec::new();
        let mut inlines: Vec<(usize, usize, Inline)> = Vec::new();
        let mut items: Vec<Item> = Vec::new();
        // Open containers while walking the events.
        let mut heading: Option<(usize, Range<usize>, String)> = None;
        let mut in_table_head = false;
        let mut row: Option<Row> = None;
        let mut item_stack: Vec<usize> = Vec::new();
        // The item whose first paragraph is being collected.
        let mut item_text: Option<usize> = None;
        // Open strong runs: where each starts, and where its text starts in `strong_log`
        // (the text of every open run is logged once, not once per open run).
        let mut strong: Vec<(usize, usize)> = Vec::new();
        let mut strong_log = String::new();
        let mut html_block: Option<(usize, bool)> = None;

        let cell_of = |r: &Range<usize>| -> Cell {
            let raw = &text[r.clone()];
            let lead = raw.len() - raw.trim_start().len();
            let t = raw.trim();
            let t = t.strip_prefix('|').unwrap_or(t);
            let t2 = t
                .strip_suffix('|')
                .filter(|x| !x.ends_with('\\'))
                .unwrap_or(t);
            let lead = lead + (raw.trim().len() - t.len()) + (t.len() - t.trim_start().len());
            let (_, col) = locate(&loc, text, r.start + lead);
            Cell {
                text: t2.trim().replace("\\|", "|"),
                col,
            }
        };

        for (ev, r) in Parser::new_ext(text, options()).into_offset_iter() {
            let push_text =
                |s: &str,
                 heading: &mut Option<(usize, Range<usize>, String)>,
                 items: &mut Vec<Item>,
                 item_text: Option<usize>,
                 strong: &mut (&Vec<(usize, usize)>, &mut String)| {
                    if let Some((_, _, t)) = heading {
                        t.push_str(s);
                    }
                    if let Some(i) = item_text {
                        items[i].text.push_str(s);
                    }
                    if !strong.0.is_empty() {
                        strong.1.push_str(s);
                    }
                };
            match ev {
                Event::Start(Tag::CodeBlock(_)) => {
                    code_lines.push(r.clone());
                    blank(r.clone());
                }
                Event::Start(Tag::HtmlBlock) => html_block = Some((r.start, false)),
                Event::Html(h) => {
                    if let Some((start, comment)) = &mut html_block
                        && (*start == r.start && h.trim_start().starts_with("<!--"))
                    {
                        *comment = true;
                    }
                    if html_block.is_some_and(|(_, c)| c) {
                        blank(r.clone());
                    }
                }
                Event::End(TagEnd::HtmlBlock) => html_block = None,
                Event::InlineHtml(h) if h.starts_with("<!--") => blank(r.clone()),
                Event::Start(Tag::Heading { level, .. }) => {
                    heading = Some((level as usize, r.clone(), String::new()));
                }
                Event::End(TagEnd::Heading(_)) => {
                    if let Some((level, hr, title)) = heading.take() {
                        let (index, _) = locate(&loc, text, hr.start);
                        let (last, _) = locate(&loc, text, hr.end.saturating_sub(1).max(hr.start));
                        headings.push(Heading {
                            level,
                            title: title.trim().to_string(),
                            line: index as u32 + 1,
                            index,
                            last,
                        });
                    }
                }
                Event::Start(Tag::Table(_)) => {
                    item_text = None;
                    let (idx, _) = locate(&loc, text, r.start);
                    tables.push(Table {
                        header_line: idx as u32 + 1,
                        header: Vec::new(),
                        rows: Vec::new(),
                    });
                }
                Event::Start(Tag::TableHead) => in_table_head = true,
                Event::End(TagEnd::TableHead) => in_table_head = false,
                Event::Start(Tag::TableRow) => {
                    let (idx, _) = locate(&loc, text, r.start);
                    row = Some(Row {
                        line: idx as u32 + 1,
                        cells: Vec::new(),
                    });
                }
                Event::End(TagEnd::TableRow) => {
                    if let (Some(rw), Some(t)) = (row.take(), tables.last_mut()) {
                        t.rows.push(rw);
                    }
                }
                Event::Start(Tag::TableCell) => {
                    let c = cell_of(&r);
                    if in_table_head {
                        if let Some(t) = tables.last_mut() {
                            t.header.push(c);
                        }
                    } else if let Some(rw) = &mut row {
                        rw.cells.push(c);
                    }
                }
                Event::Start(Tag::Item) => {
                    let (index, col) = locate(&loc, text, r.start);
                    items.push(Item {
                        line: index as u32 + 1,
                        col,
                        depth: item_stack.len(),
                        parent: item_stack.last().copied(),
                        text: String::new(),
                        index,
                        own: r.clone(),
                    });
                    item_stack.push(items.len() - 1);
                    item_text = Some(items.len() - 1);
                }
                Event::End(TagEnd::Item) => {
                    item_stack.pop();
                    item_text = None;
                }
                // A nested block ends the item's own text.
                Event::Start(Tag::List(_) | Tag::BlockQuote(_)) => {
                    item_text = None;
                    if let Some(&i) = item_stack.last() {
                        let own = &mut items[i].own;
                        own.end = own.end.min(r.start).max(own.start);
                    }
                }
                Event::End(TagEnd::Paragraph) => item_text = None,
                Event::Start(Tag::Strong) => strong.push((r.start, strong_log.len())),
                Event::End(TagEnd::Strong) => {
                    if let Some((start, from)) = strong.pop() {
                        let (idx, col) = locate(&loc, text, start + 2);
                        inlines.push((
                            idx,
                            start + 2,
                            Inline {
                                kind: InlineKind::Strong,
                                // A token is a word or two: a run nested a thousand deep
                                // keeps only the start of its text (else the texts of
                                // nested runs grow with the square of the depth).
                                text: prefix(&strong_log[from..], MAX_STRONG).trim().to_string(),
                                col,
                            },
                        ));
                        if strong.is_empty() {
                            strong_log.clear();
                        }
                    }
                }
                Event::Start(Tag::Link { dest_url, .. }) => {
                    // The destination's position: after `](` when written inline.
                    let src = &text[r.clone()];
                    let (off, shown) = match src.rfind("](") {
                        Some(p) => {
                            let after = &src[p + 2..];
                            let lead = after.len() - after.trim_start().len();
                            let lead = lead + usize::from(after.trim_start().starts_with('<'));
                            (r.start + p + 2 + lead, dest_url.to_string())
                        }
                        None => (r.start, dest_url.to_string()),
                    };
                    let (idx, col) = locate(&loc, text, off);
                    inlines.push((
                        idx,
                        off,
                        Inline {
                            kind: InlineKind::LinkTarget,
                            text: shown,
                            col,
                        },
                    ));
                }
                Event::Code(c) => {
                    let src = &text[r.clone()];
                    let ticks = src.chars().take_while(|c| *c == '`').count();
                    let inner = &src[ticks..];
                    let lead = inner.len() - inner.trim_start_matches([' ', '\n']).len();
                    let (idx, col) = locate(&loc, text, r.start + ticks + lead);
                    inlines.push((
                        idx,
                        r.start + ticks + lead,
                        Inline {
                            kind: InlineKind::Code,
                            text: c.trim().to_string(),
                            col,
                        },
                    ));
                    push_text(
                        &c,
                        &mut heading,
                        &mut items,
                        item_text,
                        &mut (&strong, &mut strong_log),
                    );
                }
                Event::Text(t) => push_text(
                    &t,
                    &mut heading,
                    &mut items,
                    item_text,
                    &mut (&strong, &mut strong_log),
                ),
                Event::SoftBreak | Event::HardBreak => push_text(
                    " ",
                    &mut heading,
                    &mut items,
                    item_text,
                    &mut (&strong, &mut strong_log),
                ),
                _ => {}
            }
        }

        let masked = String::from_utf8(masked).unwrap_or_default();
        let mut lines = Vec::with_capacity(starts.len());
        // Code blocks come in document order and do not overlap: one pass over both.
        let mut code = code_lines.iter().peekable();
        for (i, &s) in starts.iter().enumerate() {
            let e = starts.get(i + 1).map_or(masked.len(), |n| n - 1);
            let m = masked[s..e].strip_suffix('\r').unwrap_or(&masked[s..e]);
            let orig = &text[s..e];
            while code.peek().is_some_and(|r| r.end <= s) {
                code.next();
            }
            let in_code = code.peek().is_some_and(|r| r.start <= s && s < r.end);
            lines.push(MdLine {
                no: i as u32 + 1,
                text: m.to_string(),
                hidden: in_code || (m.trim().is_empty() && !orig.trim().is_empty()),
            });
        }
        items
            .iter_mut()
            .for_each(|i| i.text = i.text.trim().to_string());
        // In document order (a strong run is pushed at its end), for range look-ups.
        inlines.sort_by_key(|(_, off, _)| *off);
        let starts = loc.starts().to_vec();
        Doc {
            lines,
            headings,
            tables,
            inlines,
            items,
            starts,
            len: text.len(),
        }
    }

    /// Headings outside code and comments, in document order.
    pub fn headings(&self) -> Vec<Heading> {
        self.headings.clone()
    }

    fn section_range(&self, pos: usize) -> Range<usize> {
        let h = &self.headings[pos];
        let end = self.headings[pos + 1..]
            .iter()
            .find(|n| n.level <= h.level)
            .map(|n| n.index)
            .unwrap_or(self.lines.len());
        (h.last + 1).min(end)..end
    }

    /// The section under the first heading whose title matches `pred`: the heading and the
    /// range of line indexes up to (not including) the next heading of the same or a higher
    /// level.
    pub fn section(&self, pred: impl Fn(&str) -> bool) -> Option<(Heading, Range<usize>)> {
        let pos = self.headings.iter().position(|h| pred(&h.title))?;
        Some((self.headings[pos].clone(), self.section_range(pos)))
    }

    /// Every section whose heading title matches `pred`, in document order.
    pub fn sections(&self, pred: impl Fn(&str) -> bool) -> Vec<(Heading, Range<usize>)> {
        self.sections_where(|h| pred(&h.title))
    }

    /// Like [`Doc::sections`], with the whole heading (its level too) given to `pred`.
    pub fn sections_where(&self, pred: impl Fn(&Heading) -> bool) -> Vec<(Heading, Range<usize>)> {
        (0..self.headings.len())
            .filter(|&p| pred(&self.headings[p]))
            .map(|p| (self.headings[p].clone(), self.section_range(p)))
            .collect()
    }

    /// The visible lines in `range`.
    pub fn visible(&self, range: Range<usize>) -> impl Iterator<Item = &MdLine> {
        self.lines[range].iter().filter(|l| !l.hidden)
    }

    /// Tables that start in `range`.
    pub fn tables(&self, range: Range<usize>) -> Vec<Table> {
        self.tables
            .iter()
            .filter(|t| range.contains(&(t.header_line as usize - 1)))
            .cloned()
            .collect()
    }

    /// List items that start in `range`, in document order.
    pub fn items(&self, range: Range<usize>) -> Vec<Item> {
        self.items
            .iter()
            .filter(|i| range.contains(&i.index))
            .cloned()
            .collect()
    }

    /// Code spans, link targets and strong runs on the lines of `range`, with their 1-based
    /// line.
    pub fn inlines_in(&self, range: Range<usize>) -> Vec<(u32, Inline)> {
        if range.start >= range.end {
            return Vec::new();
        }
        let from = self.starts.get(range.start).copied().unwrap_or(self.len);
        let to = self.starts.get(range.end).copied().unwrap_or(self.len + 1);
        self.inlines_at(from..to)
    }

    /// Code spans, link targets and strong runs located in the byte range `bytes` (an
    /// [`Item::own`]), with their 1-based line.
    pub fn inlines_at(&self, bytes: Range<usize>) -> Vec<(u32, Inline)> {
        let lo = self.inlines.partition_point(|(_, o, _)| *o < bytes.start);
        let hi = self.inlines.partition_point(|(_, o, _)| *o < bytes.end);
        let mut v: Vec<(u32, Inline)> = self.inlines[lo..hi.max(lo)]
            .iter()
            .map(|(l, _, i)| (*l as u32 + 1, i.clone()))
            .collect();
        v.sort_by_key(|(l, i)| (*l, i.col));
        v
    }

    /// The whole document as one range.
    pub fn all(&self) -> Range<usize> {
        0..self.lines.len()
    }
}

/// Inline code spans and link targets of one piece of text (a line or a table cell), as
/// the renderer sees them, with 1-based columns in that text.
pub fn inlines(line: &str) -> Vec<Inline> {
    // Leading spaces would make an indented code block of the fragment.
    let lead = line.len() - line.trim_start().len();
    let doc = Doc::parse(&line[lead..]);
    let shift = line[..lead].chars().count() as u32;
    doc.inlines_in(0..1)
        .into_iter()
        .filter(|(_, i)| i.kind != InlineKind::Strong)
        .map(|(_, mut i)| {
            i.col += shift;
            i
        })
        .collect()
}

/// A relative link target as a path: drops `#fragment` and `?query`; `None` for URLs
/// (`scheme:`), pure fragments and absolute paths.
pub fn local_link_path(target: &str) -> Option<&str> {
    let t = target.split(['#', '?']).next().unwrap_or("");
    if t.is_empty() || t.starts_with('/') {
        return None;
    }
    if let Some(colon) = t.find(':') {
        let scheme = &t[..colon];
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return None;
        }
    }
    Some(t)
}

/// Whether the visible text of the lines has any content.
pub fn has_content<'a>(mut lines: impl Iterator<Item = &'a MdLine>) -> bool {
    lines.any(|l| !strip_inline_comments(&l.text).trim().is_empty())
}

/// Removes `<!-- ... -->` spans that open and close on the text, and an unclosed trailing
/// one. (Lines of a [`Doc`] have their comments blanked already; this is for fragments.)
pub fn strip_inline_comments(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find("<!--") {
        out.push_str(&rest[..open]);
        match rest[open + 4..].find("-->") {
            Some(close) => rest = &rest[open + 4 + close + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// Drops the leading markdown block markers of a line, nested in any order: blockquote
/// `>`s, an ATX heading's `#`s, list markers (`- `, `* `, `+ `, `1. `, `1) `).
pub fn strip_line_markers(mut t: &str) -> &str {
    loop {
        let before = t;
        if let Some(rest) = t.strip_prefix('>') {
            t = rest.trim_start();
        }
        let hashes = t.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) && t[hashes..].starts_with([' ', '\t']) {
            t = t[hashes..].trim_start();
        }
        if let Some(rest) = t
            .strip_prefix("- ")
            .or_else(|| t.strip_prefix("* "))
            .or_else(|| t.strip_prefix("+ "))
        {
            t = rest.trim_start();
        }
        let digits = t.chars().take_while(char::is_ascii_digit).count();
        if (1..=9).contains(&digits)
            && let Some(rest) = t[digits..]
                .strip_prefix(". ")
                .or_else(|| t[digits..].strip_prefix(") "))
        {
            t = rest.trim_start();
        }
        if t == before {
            return t;
        }
    }
}

/// "Key: value" lines such as `Decision: approve` or `**Posture:** ready`, outside code and
/// comments, in `range`: (line, value, 1-based column of the value) for every line whose key
/// normalises to one of `keys`, in order.
pub fn key_value_lines_in(
    doc: &Doc,
    range: Range<usize>,
    keys: &[&str],
) -> Vec<(u32, String, u32)> {
    let want: Vec<String> = keys.iter().map(|k| normalise_key(k)).collect();
    let mut out = Vec::new();
    for l in doc.visible(range) {
        let text = &l.text;
        // Allow what a renderer shows as the same statement: a blockquote (`> Decision:
        // reject`), a heading (`## Decision: reject`), a list marker (`-`, `*`, `+`, `1.`,
        // `1)`). Missing any of these would let a visible second decision go unseen next to
        // an `approve`.
        let t = strip_line_markers(text.trim_start());
        let Some(colon) = t.find(':') else { continue };
        let (k, v) = (&t[..colon], &t[colon + 1..]);
        // `**Decision:** approve` puts the colon inside the emphasis.
        let (k, v) = match v.strip_prefix("**") {
            Some(v2) if k.starts_with("**") => (k, v2),
            _ => (k, v),
        };
        if !want.contains(&normalise_key(k.trim_matches(['*', '_', '`', ' ']))) {
            continue;
        }
        let value = strip_emphasis(v.trim());
        let value_start_byte = text.len() - v.trim_start().len();
        let col = text[..value_start_byte].chars().count() as u32 + 1;
        out.push((l.no, value, col));
    }
    out
}

/// [`key_value_lines_in`] over the whole document, for one key.
pub fn key_value_lines(doc: &Doc, key: &str) -> Vec<(u32, String, u32)> {
    key_value_lines_in(doc, doc.all(), &[key])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_skip_code_fences_and_keep_columns() {
        let text = "# T\n\n```\n| a | b |\n| - | - |\n| x | y |\n```\n\n| id | sev |\n| --- | :-: |\n| R-1 | `a\\|b` |\n| R-2 | high |\n\nafter\n";
        let doc = Doc::parse(text);
        let tables = doc.tables(doc.all());
        assert_eq!(tables.len(), 1);
        let t = &tables[0];
        assert_eq!(t.header_line, 9);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(
            t.rows[0].cells[1],
            Cell {
                text: "`a|b`".into(),
                col: 9
            }
        );
        assert_eq!(t.rows[1].line, 12);
        assert_eq!(t.column("SEV"), Some(1));
    }

    /// GitHub splits a row at a `|` even inside a code span (only `\|` stays in the cell);
    /// the hand-written reader kept such a pipe as text and read a different row.
    #[test]
    fn a_pipe_inside_a_code_span_splits_the_cell_as_on_github() {
        let doc = Doc::parse("| id | ev |\n| --- | --- |\n| R-1 | `a|b` |\n");
        let t = &doc.tables(doc.all())[0];
        let cells: Vec<&str> = t.rows[0].cells.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(cells, vec!["R-1", "`a"]);
    }

    /// A `<!--` inside a code span is text: it hides nothing after it.
    #[test]
    fn a_comment_opener_inside_a_code_span_hides_nothing() {
        let doc = Doc::parse("Write `<!--` to open a comment.\n\n## Decision\n`approve`\n");
        let titles: Vec<String> = doc.headings().into_iter().map(|h| h.title).collect();
        assert_eq!(titles, vec!["Decision"]);
        assert!(doc.lines.iter().all(|l| !l.hidden));
        let codes: Vec<(u32, String)> = doc
            .inlines_in(doc.all())
            .into_iter()
            .map(|(l, i)| (l, i.text))
            .collect();
        assert_eq!(codes, vec![(1, "<!--".into()), (4, "approve".into())]);
    }

    /// A table row without a leading pipe is a row (GFM); the hand-written reader
    /// required the pipe on the delimiter logic but split such rows one cell short.
    #[test]
    fn a_row_without_a_leading_pipe_is_a_row() {
        let doc = Doc::parse("id | severity\n--- | ---\nR-1 | high\n");
        let t = &doc.tables(doc.all())[0];
        assert_eq!(t.header.len(), 2);
        assert_eq!(
            t.rows[0].cells,
            vec![
                Cell {
                    text: "R-1".into(),
                    col: 1
                },
                Cell {
                    text: "high".into(),
                    col: 7
                }
            ]
        );
    }

    /// An indented code block is code: its table and decision line do not count.
    #[test]
    fn indented_code_blocks_are_hidden() {
        let doc = Doc::parse(
            "Example:\n\n    | id | severity |\n    | --- | --- |\n    Decision: reject\n\nDecision: approve\n",
        );
        assert!(doc.tables(doc.all()).is_empty());
        let kv = key_value_lines(&doc, "decision");
        assert_eq!(kv, vec![(7, "approve".into(), 11)]);
    }

    #[test]
    fn sections_end_at_the_next_heading_of_same_level() {
        let text = "# A\n## One\ntext\n### Sub\nmore\n## Two\n";
        let doc = Doc::parse(text);
        let (h, r) = doc.section(|t| t == "One").unwrap();
        assert_eq!(h.line, 2);
        assert_eq!(r, 2..5);
    }

    #[test]
    fn inlines_find_code_and_links() {
        let v = inlines("see `a.ts:3` and [x](docs/b.md#top) or [y](https://e.com)");
        assert_eq!(
            v[0],
            Inline {
                kind: InlineKind::Code,
                text: "a.ts:3".into(),
                col: 6
            }
        );
        assert_eq!(v[1].text, "docs/b.md#top");
        assert_eq!(v[1].col, 22);
        assert_eq!(local_link_path(&v[1].text), Some("docs/b.md"));
        assert_eq!(local_link_path(&v[2].text), None);
    }

    #[test]
    fn key_values_accept_emphasis() {
        let doc = Doc::parse(
            "x\n\n**Decision:** `approve`\n<!-- Decision: reject -->\n- Decision: reject\n",
        );
        let kv = key_value_lines(&doc, "decision");
        assert_eq!(
            kv,
            vec![(3, "approve".into(), 15), (5, "reject".into(), 13)]
        );
    }

    #[test]
    fn key_values_behind_blockquotes_headings_and_list_markers() {
        let doc = Doc::parse(
            "Decision: approve\n> Decision: reject\n## Decision: reject\n1. Decision: reject\n+ > **Decision:** reject\n#Decision: x\n",
        );
        let kv = key_value_lines(&doc, "decision");
        let got: Vec<(u32, &str, u32)> = kv.iter().map(|(l, v, c)| (*l, v.as_str(), *c)).collect();
        assert_eq!(
            got,
            vec![
                (1, "approve", 11),
                (2, "reject", 13),
                (3, "reject", 14),
                (4, "reject", 14),
                (5, "reject", 19),
            ]
        );
    }

    #[test]
    fn a_comment_block_hides_its_lines() {
        let text = "x\n\n<!--\n## Hidden\n-->\n## Shown\n";
        let doc = Doc::parse(text);
        let hidden: Vec<bool> = doc.lines.iter().map(|l| l.hidden).collect();
        assert_eq!(hidden, vec![false, false, true, true, true, false, false]);
        let titles: Vec<String> = doc.headings().into_iter().map(|h| h.title).collect();
        assert_eq!(titles, vec!["Shown"]);
    }

    #[test]
    fn items_know_their_nesting_and_text() {
        let doc = Doc::parse("1. Kept these:\n   - `A.md`\n2. **Removed** `B.md`.\n");
        let items = doc.items(doc.all());
        let got: Vec<(u32, usize, Option<usize>, &str)> = items
            .iter()
            .map(|i| (i.line, i.depth, i.parent, i.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 0, None, "Kept these:"),
                (2, 1, Some(0), "A.md"),
                (3, 0, None, "Removed B.md.")
            ]
        );
    }

    #[test]
    fn blank_values() {
        for v in ["", " - ", "—", "N/A", "none.", "**TBD**"] {
            assert!(is_blank_value(v), "{v:?}");
        }
        assert!(!is_blank_value("agent-1"));
    }
}
