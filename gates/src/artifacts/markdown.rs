//! A small, position-keeping reader for the markdown the pass-root documents are written in.
//!
//! The closure documents are edited by people, so the gates read them the way a markdown
//! renderer would: ATX headings delimit sections, pipe tables carry the findings and
//! manifests, list items carry blockers. Fenced code blocks and HTML comments are skipped,
//! so an example table inside a code fence or a commented-out row never counts. Every
//! element keeps its 1-based line and column so findings can point at it.

/// One line of the document and whether it is hidden from content (inside a fenced code block
/// or an HTML comment, or a fence delimiter).
#[derive(Clone, Debug)]
pub struct MdLine<'a> {
    /// 1-based.
    pub no: u32,
    pub text: &'a str,
    pub hidden: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    pub level: usize,
    pub title: String,
    /// 1-based line of the heading.
    pub line: u32,
    /// Index in `Doc::lines`.
    pub index: usize,
}

/// A table cell: its text (trimmed) and the 1-based column where that text starts.
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
}

/// Lower-cases and drops spaces, `_` and `-`, so `Target slice`, `target_slice` and
/// `target-slice` name the same column.
pub fn normalise_key(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '\t'))
        .flat_map(char::to_lowercase)
        .collect()
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

#[derive(Debug)]
pub struct Doc<'a> {
    pub lines: Vec<MdLine<'a>>,
}

impl<'a> Doc<'a> {
    pub fn parse(text: &'a str) -> Doc<'a> {
        let mut lines = Vec::new();
        let mut fence: Option<(char, usize)> = None;
        let mut in_comment = false;
        for (i, raw) in text.split('\n').enumerate() {
            let t = raw.strip_suffix('\r').unwrap_or(raw);
            let no = i as u32 + 1;
            let trimmed = t.trim_start();
            let indent = t.len() - trimmed.len();
            if let Some((ch, n)) = fence {
                let closing = indent < 4
                    && trimmed.chars().take_while(|c| *c == ch).count() >= n
                    && trimmed.trim_start_matches(ch).trim().is_empty();
                if closing {
                    fence = None;
                }
                lines.push(MdLine {
                    no,
                    text: t,
                    hidden: true,
                });
                continue;
            }
            if in_comment {
                if let Some(close) = t.find("-->") {
                    // `--> text <!--` closes one comment and opens the next.
                    in_comment = unclosed_comment(&t[close + 3..]).is_some();
                }
                lines.push(MdLine {
                    no,
                    text: t,
                    hidden: true,
                });
                continue;
            }
            if indent < 4 {
                for ch in ['`', '~'] {
                    let n = trimmed.chars().take_while(|c| *c == ch).count();
                    if n >= 3 {
                        fence = Some((ch, n));
                    }
                }
                if fence.is_some() {
                    lines.push(MdLine {
                        no,
                        text: t,
                        hidden: true,
                    });
                    continue;
                }
            }
            // A comment that opens on this line and does not close on it hides the lines
            // up to its end. A line that is only a comment is hidden too.
            // Not just the first `<!--`: `<!-- a --> text <!--` leaves a comment open.
            if let Some(open) = unclosed_comment(t) {
                in_comment = true;
                let before = &t[..open];
                lines.push(MdLine {
                    no,
                    text: t,
                    hidden: before.trim().is_empty(),
                });
                continue;
            }
            lines.push(MdLine {
                no,
                text: t,
                hidden: false,
            });
        }
        Doc { lines }
    }

    /// ATX headings (`# Title` .. `###### Title`) outside code and comments.
    pub fn headings(&self) -> Vec<Heading> {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.hidden)
            .filter_map(|(i, l)| {
                let t = l.text.trim_start();
                if l.text.len() - t.len() >= 4 {
                    return None;
                }
                let level = t.chars().take_while(|c| *c == '#').count();
                if level == 0 || level > 6 {
                    return None;
                }
                let rest = &t[level..];
                if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t')) {
                    return None;
                }
                let title = rest.trim().trim_end_matches('#').trim();
                Some(Heading {
                    level,
                    title: strip_emphasis(title),
                    line: l.no,
                    index: i,
                })
            })
            .collect()
    }

    /// The section under the first heading whose title matches `pred`: the heading and the
    /// range of line indexes up to (not including) the next heading of the same or a higher
    /// level.
    pub fn section(
        &self,
        pred: impl Fn(&str) -> bool,
    ) -> Option<(Heading, std::ops::Range<usize>)> {
        let hs = self.headings();
        let pos = hs.iter().position(|h| pred(&h.title))?;
        let h = hs[pos].clone();
        let end = hs[pos + 1..]
            .iter()
            .find(|n| n.level <= h.level)
            .map(|n| n.index)
            .unwrap_or(self.lines.len());
        Some((h.clone(), h.index + 1..end))
    }

    /// Every section whose heading title matches `pred`, in document order.
    pub fn sections(&self, pred: impl Fn(&str) -> bool) -> Vec<(Heading, std::ops::Range<usize>)> {
        let hs = self.headings();
        hs.iter()
            .enumerate()
            .filter(|(_, h)| pred(&h.title))
            .map(|(pos, h)| {
                let end = hs[pos + 1..]
                    .iter()
                    .find(|n| n.level <= h.level)
                    .map(|n| n.index)
                    .unwrap_or(self.lines.len());
                (h.clone(), h.index + 1..end)
            })
            .collect()
    }

    /// The visible lines in `range`.
    pub fn visible(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = &MdLine<'a>> {
        self.lines[range].iter().filter(|l| !l.hidden)
    }

    /// Pipe tables in `range` (header row, delimiter row, body rows).
    pub fn tables(&self, range: std::ops::Range<usize>) -> Vec<Table> {
        let mut out = Vec::new();
        let mut i = range.start;
        while i + 1 < range.end {
            let (h, d) = (&self.lines[i], &self.lines[i + 1]);
            if !h.hidden && !d.hidden && h.text.contains('|') && is_delimiter_row(d.text) {
                let header = split_row(h.text);
                let mut rows = Vec::new();
                let mut j = i + 2;
                while j < range.end {
                    let l = &self.lines[j];
                    if l.hidden {
                        // A commented-out row does not end the table.
                        if l.text.trim().is_empty() {
                            break;
                        }
                        j += 1;
                        continue;
                    }
                    if l.text.trim().is_empty() || !l.text.contains('|') {
                        break;
                    }
                    rows.push(Row {
                        line: l.no,
                        cells: split_row(l.text),
                    });
                    j += 1;
                }
                out.push(Table {
                    header_line: h.no,
                    header,
                    rows,
                });
                i = j;
            } else {
                i += 1;
            }
        }
        out
    }

    /// The whole document as one range.
    pub fn all(&self) -> std::ops::Range<usize> {
        0..self.lines.len()
    }
}

/// The byte offset of a `<!--` in `s` that no `-->` after it closes, if any.
fn unclosed_comment(s: &str) -> Option<usize> {
    let mut pos = 0;
    while let Some(o) = s[pos..].find("<!--") {
        let open = pos + o;
        match s[open + 4..].find("-->") {
            Some(c) => pos = open + 4 + c + 3,
            None => return Some(open),
        }
    }
    None
}

fn is_delimiter_row(s: &str) -> bool {
    let t = s.trim();
    if !t.contains('-') {
        return false;
    }
    let inner = t.strip_prefix('|').unwrap_or(t);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    inner.split('|').all(|c| {
        let c = c.trim();
        let c = c.strip_prefix(':').unwrap_or(c);
        let c = c.strip_suffix(':').unwrap_or(c);
        !c.is_empty() && c.chars().all(|x| x == '-')
    })
}

/// Splits a table row on `|`, except escaped `\|` and pipes inside code spans.
pub fn split_row(line: &str) -> Vec<Cell> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut cells = Vec::new();
    let mut start = 0usize; // index into chars
    let mut in_code = false;
    let mut k = 0;
    let mut bounds = Vec::new();
    while k < chars.len() {
        let c = chars[k].1;
        if c == '\\' {
            k += 2;
            continue;
        }
        if c == '`' {
            in_code = !in_code;
        } else if c == '|' && !in_code {
            bounds.push((start, k));
            start = k + 1;
        }
        k += 1;
    }
    bounds.push((start, chars.len()));
    // A leading pipe makes an empty first segment, a trailing pipe an empty last one.
    let first_is_pipe = line.trim_start().starts_with('|');
    let last_is_pipe = line.trim_end().ends_with('|') && !line.trim_end().ends_with("\\|");
    let n = bounds.len();
    for (idx, (a, b)) in bounds.into_iter().enumerate() {
        if (idx == 0 && first_is_pipe) || (idx == n - 1 && last_is_pipe && n > 1) {
            continue;
        }
        let seg: String = chars[a..b].iter().map(|(_, c)| *c).collect();
        let lead = seg.chars().take_while(|c| c.is_whitespace()).count();
        let text = seg.trim().replace("\\|", "|");
        cells.push(Cell {
            text,
            col: (a + lead) as u32 + 1,
        });
    }
    cells
}

/// What an inline element is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InlineKind {
    Code,
    LinkTarget,
}

/// An inline code span or a link target, with the 1-based column where its content starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inline {
    pub kind: InlineKind,
    pub text: String,
    pub col: u32,
}

/// Inline code spans and link targets (`[text](target)`, `<target>` excluded) of one line.
pub fn inlines(line: &str) -> Vec<Inline> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '`' => {
                let ticks = chars[i..].iter().take_while(|c| **c == '`').count();
                let open_end = i + ticks;
                let mut j = open_end;
                let mut close = None;
                while j < chars.len() {
                    if chars[j] == '`' {
                        let n = chars[j..].iter().take_while(|c| **c == '`').count();
                        if n == ticks {
                            close = Some(j);
                            break;
                        }
                        j += n;
                    } else {
                        j += 1;
                    }
                }
                match close {
                    Some(c) => {
                        let content: String = chars[open_end..c].iter().collect();
                        let lead = content.chars().take_while(|c| *c == ' ').count();
                        out.push(Inline {
                            kind: InlineKind::Code,
                            text: content.trim().to_string(),
                            col: (open_end + lead) as u32 + 1,
                        });
                        i = c + ticks;
                    }
                    None => i = open_end,
                }
            }
            ']' if chars.get(i + 1) == Some(&'(') => {
                let start = i + 2;
                let mut depth = 1;
                let mut j = start;
                while j < chars.len() {
                    match chars[j] {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if j < chars.len() {
                    let raw: String = chars[start..j].iter().collect();
                    // `[t](path "title")`: the target is the first word.
                    let target = raw
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .trim_matches(['<', '>'])
                        .to_string();
                    let lead = raw.chars().take_while(|c| c.is_whitespace()).count();
                    out.push(Inline {
                        kind: InlineKind::LinkTarget,
                        text: target,
                        col: (start + lead) as u32 + 1,
                    });
                    i = j + 1;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
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

/// Whether the visible text of the lines (HTML comments removed) has any content.
pub fn has_content<'a>(mut lines: impl Iterator<Item = &'a MdLine<'a>>) -> bool {
    lines.any(|l| !strip_inline_comments(l.text).trim().is_empty())
}

/// Removes `<!-- ... -->` spans that open and close on the line, and an unclosed trailing one.
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
fn strip_line_markers(mut t: &str) -> &str {
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

/// A "key: value" line such as `Decision: approve` or `**Posture:** ready`, outside code
/// and comments: returns the value and its 1-based column for the first line whose key
/// normalises to `key`. All such lines are returned, in order.
pub fn key_value_lines(doc: &Doc<'_>, key: &str) -> Vec<(u32, String, u32)> {
    let want = normalise_key(key);
    let mut out = Vec::new();
    for l in doc.lines.iter().filter(|l| !l.hidden) {
        let text = strip_inline_comments(l.text);
        let t = text.trim_start();
        // Allow what a renderer shows as the same statement: a blockquote (`> Decision:
        // reject`), a heading (`## Decision: reject`), a list marker (`-`, `*`, `+`, `1.`,
        // `1)`). Missing any of these would let a visible second decision go unseen next to
        // an `approve`.
        let t = strip_line_markers(t);
        let Some(colon) = t.find(':') else { continue };
        let (k, v) = (&t[..colon], &t[colon + 1..]);
        // `**Decision:** approve` puts the colon inside the emphasis.
        let (k, v) = match v.strip_prefix("**") {
            Some(v2) if k.starts_with("**") => (k, v2),
            _ => (k, v),
        };
        if normalise_key(k.trim_matches(['*', '_', '`', ' '])) != want {
            continue;
        }
        let value = strip_emphasis(v.trim());
        let value_start_byte = text.len() - v.trim_start().len();
        let col = text[..value_start_byte].chars().count() as u32 + 1;
        out.push((l.no, value, col));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_skip_code_fences_and_keep_columns() {
        let text = "# T\n\n```\n| a | b |\n| - | - |\n| x | y |\n```\n\n| id | sev |\n| --- | :-: |\n| R-1 | `a|b` |\n| R-2 | high |\n\nafter\n";
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
        assert_eq!(local_link_path(&v[1].text), Some("docs/b.md"));
        assert_eq!(local_link_path(&v[2].text), None);
    }

    #[test]
    fn key_values_accept_emphasis() {
        let doc = Doc::parse(
            "x\n**Decision:** `approve`\n<!-- Decision: reject -->\n- Decision: reject\n",
        );
        let kv = key_value_lines(&doc, "decision");
        assert_eq!(
            kv,
            vec![(2, "approve".into(), 15), (4, "reject".into(), 13)]
        );
    }

    #[test]
    fn key_values_behind_blockquotes_headings_and_list_markers() {
        let doc = Doc::parse(
            "Decision: approve\n> Decision: reject\n## Decision: reject\n1. Decision: reject\n+ > **Decision:** reject\n#Decision: x\n",
        );
        let kv = key_value_lines(&doc, "decision");
        let got: Vec<(u32, &str, u32)> = kv.iter().map(|(l, v, c)| (*l, v.as_str(), *c)).collect();
        // `#Decision` is not a heading (no space after `#`); markers nest (`+ >`).
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
    fn a_comment_opened_after_a_closed_one_hides_the_lines_up_to_its_end() {
        let text =
            "x <!-- a --> y <!--\n## Hidden\n--> <!-- again\n## Also hidden\n-->\n## Shown\n";
        let doc = Doc::parse(text);
        let hidden: Vec<bool> = doc.lines.iter().map(|l| l.hidden).collect();
        assert_eq!(hidden, vec![false, true, true, true, true, false, false]);
        let titles: Vec<String> = doc.headings().into_iter().map(|h| h.title).collect();
        assert_eq!(titles, vec!["Shown"]);
    }

    #[test]
    fn blank_values() {
        for v in ["", " - ", "—", "N/A", "none.", "**TBD**"] {
            assert!(is_blank_value(v), "{v:?}");
        }
        assert!(!is_blank_value("agent-1"));
    }
}
