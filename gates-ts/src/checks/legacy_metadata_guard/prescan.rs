//! The guard prefilter's scanner: tells, without parsing, whether a byte of a TypeScript
//! (not TSX) text lies inside a comment, and whether it lies in plain code at the top level of
//! the module (outside every brace, string and template).
//!
//! It follows comments, string literals, template literals (with their `${ … }`
//! substitutions) and braces, and nothing else. It gives up, and the caller parses the whole
//! file, as soon as it meets something it does not follow exactly: a `/` that does not open a
//! comment (division or a regular expression), a line break in a string, an unterminated
//! comment, or a `}` with no opening brace. The scan is incremental: it goes only as far into
//! the text as the positions asked about, and whatever follows a position (an unsure `/`, an
//! unterminated template) cannot change what it said about the bytes before.

/// Bytes that end a run of plain code: comment starts, quotes, template starts and braces.
static CODE_SPECIAL: [bool; 256] = table(b"/'\"`{}");

const fn table(bytes: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        t[bytes[i] as usize] = true;
        i += 1;
    }
    t
}

enum Ctx {
    /// Code, with the braces opened in it (a `}` with none open ends a template
    /// substitution).
    Code { braces: usize },
    /// Inside a template literal's text.
    Template,
}

/// Where a byte lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Where {
    Comment,
    /// Plain code (not a string, template, comment or brace) outside every brace and template.
    TopLevel,
    /// Anywhere else: nested code, a string, a template's text, a brace.
    Other,
}

/// An incremental scanner over one text.
pub(super) struct Prescan<'t> {
    text: &'t [u8],
    /// The first byte not yet scanned.
    i: usize,
    stack: Vec<Ctx>,
    /// The last span scanned, and where its bytes lie.
    last: (usize, usize, Where),
    /// The last code byte other than ASCII whitespace before the last span (comments are not
    /// code); 0 at the start of the text.
    sig_before_last: u8,
    /// The same, up to the end of the last span.
    sig: u8,
    unsure: bool,
}

impl<'t> Prescan<'t> {
    pub(super) fn new(text: &'t [u8]) -> Self {
        let mut scan = Prescan {
            text,
            i: 0,
            stack: vec![Ctx::Code { braces: 0 }],
            last: (0, 0, Where::Other),
            sig_before_last: 0,
            sig: 0,
            unsure: false,
        };
        if text.starts_with(b"#!") {
            let end = memchr::memchr(b'\n', text).unwrap_or(text.len());
            scan.last = (0, end, Where::Comment);
            scan.i = end;
        }
        scan
    }

    /// Where byte `at` lies, or `None` when the scan gave up before reaching it. Successive
    /// calls must ask about non-decreasing positions.
    pub(super) fn at(&mut self, at: usize) -> Option<Where> {
        while !self.unsure && self.i <= at && self.i < self.text.len() {
            if self.step().is_none() {
                self.unsure = true;
            }
        }
        if self.unsure {
            return None;
        }
        let (start, end, w) = self.last;
        Some(if start <= at && at < end {
            w
        } else {
            Where::Other
        })
    }

    /// Whether byte `at` starts a top-level statement that no token before it can continue:
    /// it lies in top-level code and the last code byte before it (other than whitespace and
    /// comments) is not a `.` (`x.\nexport` names a property) or outside ASCII. `None` when
    /// the scan gave up before reaching it. Same ordering rule as [`Prescan::at`].
    pub(super) fn starts_statement(&mut self, at: usize) -> Option<bool> {
        if self.at(at)? != Where::TopLevel {
            return Some(false);
        }
        let before = self.text[self.last.0..at]
            .iter()
            .rev()
            .find(|b| !b.is_ascii_whitespace())
            .copied()
            .unwrap_or(self.sig_before_last);
        Some(before != b'.' && before < 0x80)
    }

    /// Whether byte `at` lies inside a comment (see [`Prescan::at`]).
    #[cfg(test)]
    pub(super) fn in_comment(&mut self, at: usize) -> Option<bool> {
        self.at(at).map(|w| w == Where::Comment)
    }

    /// Scans one token (or one run of plain code) from `self.i`; `None` when unsure.
    fn step(&mut self) -> Option<()> {
        let text = self.text;
        let len = text.len();
        let i = self.i;
        let top = self.stack.len() == 1;
        let (end, w) = match self
            .stack
            .last_mut()
            .expect("the bottom frame is never popped")
        {
            Ctx::Code { braces } => match text[i] {
                b'/' => match text.get(i + 1) {
                    Some(b'/') => {
                        let end = memchr::memchr(b'\n', &text[i..]).map_or(len, |e| i + e);
                        (end, Where::Comment)
                    }
                    Some(b'*') => {
                        let close = memchr::memmem::find(&text[i + 2..], b"*/")?;
                        (i + 2 + close + 2, Where::Comment)
                    }
                    _ => return None,
                },
                q @ (b'\'' | b'"') => {
                    let mut j = i + 1;
                    loop {
                        match *text.get(j)? {
                            b'\\' => j += 2,
                            b'\n' | b'\r' => return None,
                            c if c == q => break,
                            _ => j += 1,
                        }
                    }
                    (j + 1, Where::Other)
                }
                b'`' => {
                    self.stack.push(Ctx::Template);
                    (i + 1, Where::Other)
                }
                b'{' => {
                    *braces += 1;
                    (i + 1, Where::Other)
                }
                b'}' => {
                    if *braces > 0 {
                        *braces -= 1;
                    } else if self.stack.len() > 1 {
                        // The end of a `${ … }` substitution: back into the template.
                        self.stack.pop();
                    } else {
                        return None;
                    }
                    (i + 1, Where::Other)
                }
                _ => {
                    let run = text[i..]
                        .iter()
                        .position(|b| CODE_SPECIAL[*b as usize])
                        .unwrap_or(len - i);
                    let w = if top && *braces == 0 {
                        Where::TopLevel
                    } else {
                        Where::Other
                    };
                    (i + run, w)
                }
            },
            Ctx::Template => match memchr::memchr3(b'\\', b'`', b'$', &text[i..]) {
                // An unterminated template: everything after is template text.
                None => (len, Where::Other),
                Some(d) => {
                    let j = i + d;
                    let end = match text[j] {
                        b'\\' => j + 2,
                        b'`' => {
                            self.stack.pop();
                            j + 1
                        }
                        _ if text.get(j + 1) == Some(&b'{') => {
                            self.stack.push(Ctx::Code { braces: 0 });
                            j + 2
                        }
                        _ => j + 1,
                    };
                    (end, Where::Other)
                }
            },
        };
        let end = end.min(len);
        self.last = (i, end, w);
        self.sig_before_last = self.sig;
        if w != Where::Comment
            && let Some(b) = text[i..end].iter().rev().find(|b| !b.is_ascii_whitespace())
        {
            self.sig = *b;
        }
        self.i = end;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every comment of `src`, found by asking about each byte in turn, or `None` when the
    /// scanner gives up anywhere.
    fn comments(src: &str) -> Option<Vec<&str>> {
        let mut scan = Prescan::new(src.as_bytes());
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for at in 0..src.len() {
            if scan.in_comment(at)? && ranges.last() != Some(&(scan.last.0, scan.last.1)) {
                ranges.push((scan.last.0, scan.last.1));
            }
        }
        Some(ranges.iter().map(|(s, e)| &src[*s..*e]).collect())
    }

    #[test]
    fn finds_comments_outside_strings_and_templates() {
        let src = "#!/usr/bin/env bun\nconst a = \"// not\"; // one\nconst b = `x ${ { k: '/* no */' }.k } // no`; /* two */\n";
        assert_eq!(
            comments(src),
            Some(vec!["#!/usr/bin/env bun", "// one", "/* two */"])
        );
        assert_eq!(
            comments("/* a *//* b */ x // c"),
            Some(vec!["/* a */", "/* b */", "// c"])
        );
    }

    #[test]
    fn gives_up_when_unsure() {
        // Division or a regular expression: the scanner does not guess.
        assert_eq!(comments("const r = /channel/; // x"), None);
        assert_eq!(comments("const h = w / 2;"), None);
        assert_eq!(comments("const s = 'open\n';"), None);
        assert_eq!(comments("/* open"), None);
        assert_eq!(comments("}"), None);
    }

    #[test]
    fn what_follows_a_position_does_not_change_the_answer() {
        // An unsure `/` after the comment: the comment is still certain.
        let src = "// channel\nconst h = w / 2;";
        let mut scan = Prescan::new(src.as_bytes());
        assert_eq!(scan.in_comment(3), Some(true));
        assert_eq!(scan.in_comment(src.find("w /").unwrap()), Some(false));
        assert_eq!(scan.in_comment(src.len() - 1), None);
        // After giving up, the scanner stays unsure.
        assert_eq!(scan.in_comment(src.len() - 1), None);
        // An unterminated template: the text after its start is not a comment.
        let src = "const t = `open // channel";
        let mut scan = Prescan::new(src.as_bytes());
        assert_eq!(scan.in_comment(src.find("channel").unwrap()), Some(false));
        // Positions inside a string are not comments.
        let src = "const a = \"// channel\"; // channel";
        let mut scan = Prescan::new(src.as_bytes());
        assert_eq!(scan.in_comment(src.find("channel").unwrap()), Some(false));
        assert_eq!(scan.in_comment(src.rfind("channel").unwrap()), Some(true));
    }

    /// Whenever the scanner puts every key mention in a comment, the parser agrees there is
    /// nothing to report: the shortcut never hides a finding.
    #[test]
    fn the_shortcut_agrees_with_the_parser() {
        use oxc_allocator::Allocator;
        use oxc_parser::Parser;
        use oxc_span::SourceType;
        let keys: Vec<String> = ["templateRole", "channel", "publishTier", "published"]
            .map(String::from)
            .to_vec();
        let cases = [
            ("// channel\nconst a = 1;\n", true),
            ("/* x.channel */ const a = `${b}`; // publishTier\n", true),
            ("const a = `// ${x.channel}`;\n", false),
            ("const a = \"// channel\";\n", false),
            ("const a = `\n// rawr.channel\n`;\n", false),
            (
                "const a = { b: `${ { channel: 1 }.channel }` }; // channel\n",
                false,
            ),
            ("// channel\nconst a = b / c.channel;\n", false),
        ];
        for (src, skippable) in cases {
            let mut at: Vec<usize> = src
                .match_indices("channel")
                .chain(src.match_indices("publishTier"))
                .map(|(at, _)| at)
                .collect();
            at.sort();
            let mut scan = Prescan::new(src.as_bytes());
            let all_in_comments = at.iter().all(|a| scan.in_comment(*a) == Some(true));
            assert_eq!(all_in_comments, skippable, "{src}");
            let alloc = Allocator::default();
            let ret = Parser::new(&alloc, src, SourceType::ts()).parse();
            let hits =
                crate::checks::legacy_metadata_guard::ts_keys::scan(&ret.program, src, &keys);
            if skippable {
                assert!(hits.is_empty(), "{src}: {hits:?}");
            }
        }
    }
}
