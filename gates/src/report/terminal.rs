//! Text from the target made safe for a terminal: control characters escaped.
//!
//! Why: findings quote the target (manifest values, paths, messages, a command's output).
//! An ESC there could recolour, move the cursor or retitle the user's terminal, a CR could
//! overwrite what was printed before it, a bidirectional override could make a line read
//! differently from what it says. The human renderers escape every such character
//! (`\x1b`, `\r`, `\u{202e}`) in every text field before they add their own styling; the
//! machine formats (JSON, JUnit, SARIF) keep the text as it is, their own encodings make it
//! safe. Line feeds and tabs stay: multi-line help and output tails are laid out with them.

use std::borrow::Cow;

use crate::finding::Finding;
use crate::run::{GateResult, RunRecord, SliceResult};

/// Whether `c` is escaped: C0 controls but line feed and tab, DEL, C1 controls, and the
/// bidirectional embedding, override and isolate characters.
fn escaped(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every terminal-unsafe character written as an escape (`\r`, `\x1b`, `\u{9b}`).
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(escaped) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !escaped(c) {
            out.push(c);
            continue;
        }
        match c {
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// `s` without ANSI SGR sequences (`ESC [ 32 m`, `ESC [ 1 ; 31 m`, `ESC [ m`): the colours a
/// test runner writes into its captured output, which escaped would show as walls of
/// `\x1b[32m`. Any other escape sequence or control character is left to [`escape`].
pub fn strip_sgr(s: &str) -> Cow<'_, str> {
    if !s.contains("\x1b[") {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let params = after
            .bytes()
            .take_while(|b| b.is_ascii_digit() || matches!(b, b';' | b':'))
            .count();
        if after.as_bytes().get(params) == Some(&b'm') {
            rest = &after[params + 1..];
        } else {
            out.push('\x1b');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn esc(s: &mut String) {
    if let Cow::Owned(e) = escape(s) {
        *s = e;
    }
}

fn finding(f: &Finding) -> Finding {
    let mut f = f.clone();
    esc(&mut f.rule);
    esc(&mut f.message);
    if let Some(p) = &mut f.path {
        esc(p);
    }
    if let Some(h) = &mut f.help {
        esc(h);
    }
    f
}

/// A copy of `g` with every text field escaped.
pub fn gate(g: &GateResult) -> GateResult {
    let mut g = g.clone();
    esc(&mut g.id);
    g.slices.iter_mut().for_each(esc);
    if let Some(r) = &mut g.reason {
        esc(r);
    }
    g.findings = g.findings.iter().map(finding).collect();
    g.notes.iter_mut().for_each(esc);
    if let Cow::Owned(o) = strip_sgr(&g.output) {
        g.output = o;
    }
    esc(&mut g.output);
    g
}

fn slice(s: &SliceResult) -> SliceResult {
    let mut s = s.clone();
    esc(&mut s.id);
    esc(&mut s.title);
    if let Some(r) = &mut s.reason {
        esc(r);
    }
    if let Some(c) = &mut s.cause {
        esc(c);
    }
    s
}

/// A copy of `r` with every text field escaped.
pub fn record(r: &RunRecord) -> RunRecord {
    let mut r = r.clone();
    esc(&mut r.pipeline);
    esc(&mut r.selection);
    esc(&mut r.repo);
    r.gates = r.gates.iter().map(gate).collect();
    r.slices = r.slices.iter().map(slice).collect();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A runner's colours are dropped; other control characters are still escaped.
    #[test]
    fn runner_colours_are_stripped_and_other_controls_escaped() {
        let out =
            "\x1b[32m✓\x1b[39m test \x1b[2m(3ms)\x1b[22m\x1b[1;31m\x1b[m\r\x1b]0;title\x07 \x1b[2K";
        assert_eq!(
            escape(&strip_sgr(out)),
            "✓ test (3ms)\\r\\x1b]0;title\\x07 \\x1b[2K"
        );
        assert!(matches!(strip_sgr("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn controls_are_escaped_and_layout_kept() {
        assert!(matches!(escape("plain text"), Cow::Borrowed(_)));
        assert_eq!(
            escape("a\x1b[2Jb\rc\nd\te\u{7f}\u{9b}\u{202e}f\0"),
            "a\\x1b[2Jb\\rc\nd\te\\x7f\\u{9b}\\u{202e}f\\0"
        );
    }
}
