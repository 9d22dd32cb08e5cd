//! Small text helpers shared by loaders and checks: byte offsets to line and column, and
//! text made fit for XML.

/// Maps byte offsets of one text to 1-based line and column numbers. Columns count
/// characters (Unicode scalar values), which is what editors and GitHub annotations expect.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset at which each line starts.
    starts: Vec<usize>,
    /// UTF-8 continuation bytes before each block of [`BLOCK`] bytes: a column (in
    /// characters) costs at most one block's scan whatever the line's length (counting the
    /// characters from the line's start each time made a long line quadratic: a line of
    /// 20,000 nested `- ` items took seconds).
    cont: Vec<u32>,
}

const BLOCK: usize = 64;

fn is_cont(b: u8) -> bool {
    b & 0xC0 == 0x80
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text.as_bytes()));
        let mut cont = Vec::with_capacity(text.len() / BLOCK + 2);
        let mut n = 0u32;
        for chunk in text.as_bytes().chunks(BLOCK) {
            cont.push(n);
            n += chunk.iter().filter(|b| is_cont(**b)).count() as u32;
        }
        cont.push(n);
        LineIndex { starts, cont }
    }

    /// Byte offset at which each line starts (the first is 0).
    pub fn starts(&self) -> &[usize] {
        &self.starts
    }

    /// Continuation bytes of `text` before byte `off`.
    fn cont_before(&self, text: &str, off: usize) -> usize {
        let b = off / BLOCK;
        self.cont[b] as usize
            + text.as_bytes()[b * BLOCK..off]
                .iter()
                .filter(|b| is_cont(**b))
                .count()
    }

    /// 1-based `(line, col)` of byte `offset` in `text` (the same text given to `new`); the
    /// column counts characters.
    pub fn line_col(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let mut end = offset;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let chars = (end - start) - (self.cont_before(text, end) - self.cont_before(text, start));
        (line as u32 + 1, chars as u32 + 1)
    }

    /// The text of 1-based line `line`, without its line ending.
    pub fn line_text<'t>(&self, text: &'t str, line: u32) -> &'t str {
        let i = (line as usize).saturating_sub(1);
        let Some(&start) = self.starts.get(i) else {
            return "";
        };
        let end = self.starts.get(i + 1).copied().unwrap_or(text.len());
        text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// `s` without terminal escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ST`, and
/// two-byte `ESC x`) and without the control characters XML 1.0 cannot carry (all below
/// U+0020 but tab, line feed and carriage return). Test runners colour their messages; a
/// report keeps the words.
pub fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => {
                    // Parameters and intermediates, then one final byte in @..~.
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\x07' {
                            break;
                        }
                        if c == '\x1b' {
                            if chars.peek() == Some(&'\\') {
                                chars.next();
                            }
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' => {}
            c => out.push(c),
        }
    }
    out
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let text = "ab\nçd\n\nx";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), (1, 1));
        assert_eq!(idx.line_col(text, 3), (2, 1));
        // 'd' sits after the two-byte 'ç'.
        assert_eq!(idx.line_col(text, 5), (2, 2));
        assert_eq!(idx.line_col(text, 8), (4, 1));
        assert_eq!(idx.line_text(text, 2), "çd");
        assert_eq!(idx.line_text(text, 3), "");
    }

    #[test]
    fn columns_across_blocks_are_the_characters_from_the_lines_start() {
        // Lines longer than a block, multi-byte characters across block edges, offsets
        // inside a character: each column is what counting from the line's start gives.
        let text = format!(
            "{}\n{}é\n{}\r\n→x",
            "ü".repeat(70),
            "a".repeat(63),
            "日本".repeat(50)
        );
        let idx = LineIndex::new(&text);
        for off in 0..=text.len() + 2 {
            let o = off.min(text.len());
            let before = &text.as_bytes()[..o];
            let line = before.iter().filter(|b| **b == b'\n').count();
            let start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
            let mut end = o;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let col = text[start..end].chars().count() + 1;
            assert_eq!(
                idx.line_col(&text, off),
                (line as u32 + 1, col as u32),
                "at {off}"
            );
        }
    }

    #[test]
    fn xml_text_drops_escapes_and_controls_but_keeps_layout() {
        assert_eq!(
            xml_text(
                "\x1b[31mAssertionError\x1b[39m: expected\t1\r\n\x00\x08got 2\x1b]8;;u\x07link\x1b]8;;\x1b\\\x1bc"
            ),
            "AssertionError: expected\t1\r\ngot 2link"
        );
        assert_eq!(xml_text("plain ünïcode"), "plain ünïcode");
        assert_eq!(xml_text("cut \x1b["), "cut ");
    }
}
