//! Strict JSON (RFC 8259) with the byte span of every key and value.
//!
//! The manifest gates must point at the exact `line:col` of an offending key, tell a
//! duplicated key apart from its first occurrence, and report a syntax error where it is.
//! `serde_json` keeps none of that (it drops spans and silently lets the last duplicate
//! win), so manifests are read with this small parser instead.
//!
//! What it accepts is exactly what `JSON.parse` accepts (no comments, no trailing commas,
//! no single quotes), so a manifest that passes here is one the target's runtime can load.
//! Differences that matter to the gates are made visible instead of hidden:
//! - duplicate keys are kept (every member stays in [`Value::Object`], in source order) and
//!   listed in [`Document::duplicates`]; [`Node::get`] returns the *last* one, as
//!   `JSON.parse` does;
//! - a lone UTF-16 surrogate escape (`"\ud800"`) decodes to U+FFFD (Rust strings cannot hold
//!   it);
//! - nesting deeper than [`MAX_DEPTH`] is a syntax error rather than a stack overflow.
//!
//! Offsets are byte offsets into the text given to [`parse`]; turn them into line and column
//! with [`crate::text::LineIndex`] (or `SourceFile::line_col`). A leading BOM is a syntax
//! error here (`JSON.parse` rejects it too); callers that read files through
//! [`crate::fs::source::read`] get the BOM stripped and flagged in `had_bom` and decide.

/// Arrays and objects nested deeper than this are refused.
pub const MAX_DEPTH: usize = 256;

/// A byte range `start..end` in the parsed text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// A JSON value with its span (for strings, the span includes the quotes).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number as written (validated against the JSON grammar).
    Number(String),
    /// The decoded string.
    String(String),
    Array(Vec<Node>),
    /// Members in source order, duplicates included.
    Object(Vec<Member>),
}

/// One `"key": value` member of an object.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// The decoded key.
    pub key: String,
    /// Span of the key, quotes included.
    pub key_span: Span,
    pub value: Node,
}

/// A key that occurs more than once in the same object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateKey {
    pub key: String,
    /// The first occurrence's key span.
    pub first: Span,
    /// This (later) occurrence's key span.
    pub duplicate: Span,
}

/// A parsed document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub root: Node,
    /// Every repeated key, in source order of the repetition.
    pub duplicates: Vec<DuplicateKey>,
}

/// Why the text is not JSON, and where (a byte offset into the text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for SyntaxError {}

impl Value {
    /// `"null"`, `"boolean"`, `"number"`, `"string"`, `"array"` or `"object"`, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

impl Node {
    /// The members if this is an object.
    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.value {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The member named `key` of an object: the last one if the key is repeated (the one
    /// `JSON.parse` keeps). `None` for non-objects.
    pub fn member(&self, key: &str) -> Option<&Member> {
        self.as_object()?.iter().rev().find(|m| m.key == key)
    }

    /// The value of member `key` (see [`Node::member`]).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.member(key).map(|m| &m.value)
    }
}

/// Parses `text` as one JSON value (surrounding whitespace allowed).
pub fn parse(text: &str) -> Result<Document, SyntaxError> {
    parse_with(text, None)
}

/// Like [`parse`], but keeps only the members of the root object named in `keep`. The
/// others are checked just as thoroughly (syntax errors and repeated keys at any depth are
/// reported the same) but not built, which saves their allocations.
pub fn parse_keeping(text: &str, keep: &[&str]) -> Result<Document, SyntaxError> {
    parse_with(text, Some(keep))
}

fn parse_with(text: &str, keep: Option<&[&str]>) -> Result<Document, SyntaxError> {
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        pos: 0,
        duplicates: Vec::new(),
        keep,
        discard: 0,
    };
    p.skip_ws();
    if p.pos == p.src.len() {
        return Err(p.err_at(p.pos, "empty document: expected a JSON value"));
    }
    if text.starts_with('\u{feff}') {
        return Err(p.err_at(0, "byte order mark (U+FEFF) before the JSON value"));
    }
    let root = p.value(0)?;
    p.skip_ws();
    if p.pos != p.src.len() {
        return Err(p.err_at(p.pos, "unexpected content after the JSON value"));
    }
    Ok(Document {
        root,
        duplicates: p.duplicates,
    })
}

struct Parser<'t> {
    src: &'t [u8],
    text: &'t str,
    pos: usize,
    duplicates: Vec<DuplicateKey>,
    /// The root members to build (`None`: all).
    keep: Option<&'t [&'t str]>,
    /// Above zero inside a value that is checked but not built.
    discard: usize,
}

impl<'t> Parser<'t> {
    fn err_at(&self, offset: usize, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            offset,
            message: message.into(),
        }
    }

    /// "unexpected X" at the current position.
    fn unexpected(&self, expected: &str) -> SyntaxError {
        match self.text[self.pos..].chars().next() {
            None => self.err_at(
                self.pos,
                format!("unexpected end of input: expected {expected}"),
            ),
            Some(c) => self.err_at(
                self.pos,
                format!("unexpected {}: expected {expected}", describe_char(c)),
            ),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let start = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') if self.discard > 0 => {
                self.string_cow()?;
                Value::String(String::new())
            }
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.unexpected("a JSON value")),
        };
        Ok(Node {
            value,
            span: Span {
                start,
                end: self.pos,
            },
        })
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, SyntaxError> {
        if self.src[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.unexpected("a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.unexpected("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit after the decimal point"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit in the exponent"));
            }
            self.digits();
        }
        if self.discard > 0 {
            return Ok(Value::Number(String::new()));
        }
        Ok(Value::Number(self.text[start..self.pos].to_string()))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// A string borrowed from the text when it has no escapes (the common case for keys),
    /// decoded otherwise.
    fn string_cow(&mut self) -> Result<std::borrow::Cow<'t, str>, SyntaxError> {
        let open = self.pos;
        let text = self.text;
        let rest = &self.src[open + 1..];
        let run = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(rest.len());
        if rest.get(run) == Some(&b'"') {
            self.pos = open + 1 + run + 1;
            return Ok(std::borrow::Cow::Borrowed(&text[open + 1..open + 1 + run]));
        }
        self.string().map(std::borrow::Cow::Owned)
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        let open = self.pos;
        self.pos += 1; // the opening quote
        let mut out = String::new();
        loop {
            // Copy the run of plain characters in one go.
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                None => return Err(self.err_at(open, "unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let esc = self.pos;
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4(esc)?;
                            let c = if (0xD800..0xDC00).contains(&hi)
                                && self.src[self.pos..].starts_with(b"\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4(save)?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                    char::from_u32(cp).unwrap_or('\u{fffd}')
                                } else {
                                    // A high surrogate followed by something else: both decode
                                    // on their own.
                                    out.push('\u{fffd}');
                                    char::from_u32(lo).unwrap_or('\u{fffd}')
                                }
                            } else {
                                char::from_u32(hi).unwrap_or('\u{fffd}')
                            };
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.err_at(esc, "invalid escape sequence in string")),
                    };
                    self.pos += 1;
                    out.push(c);
                }
                Some(_) => {
                    return Err(
                        self.err_at(self.pos, "control character in string (must be escaped)")
                    );
                }
            }
        }
    }

    /// Four hex digits of a `\u` escape starting at `esc`.
    fn hex4(&mut self, esc: usize) -> Result<u32, SyntaxError> {
        let digits = self.src.get(self.pos..self.pos + 4);
        let v = digits
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .and_then(|d| u32::from_str_radix(std::str::from_utf8(d).ok()?, 16).ok());
        match v {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => Err(self.err_at(esc, "invalid \\u escape: expected four hex digits")),
        }
    }

    fn enter(&self, depth: usize) -> Result<(), SyntaxError> {
        if depth >= MAX_DEPTH {
            Err(self.err_at(self.pos, format!("nesting deeper than {MAX_DEPTH} levels")))
        } else {
            Ok(())
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        self.enter(depth)?;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            let item = self.value(depth + 1)?;
            if self.discard == 0 {
                items.push(item);
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        return Err(self.err_at(self.pos - 1, "trailing comma in array"));
                    }
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.unexpected("`,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        self.enter(depth)?;
        self.pos += 1;
        let mut members: Vec<Member> = Vec::new();
        // Keys of the members that are checked but not built (inside a discarded value, or
        // root members not kept), for the repeated-key check.
        let mut dropped: Vec<(std::borrow::Cow<'t, str>, Span)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a string key"));
            }
            let key_start = self.pos;
            let key = self.string_cow()?;
            let key_span = Span {
                start: key_start,
                end: self.pos,
            };
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.unexpected("`:` after the key"));
            }
            self.pos += 1;
            self.skip_ws();
            let build = self.discard == 0
                && (depth > 0 || self.keep.is_none_or(|k| k.contains(&key.as_ref())));
            if !build {
                self.discard += 1;
            }
            let value = self.value(depth + 1);
            if !build {
                self.discard -= 1;
            }
            let value = value?;
            let first = if build {
                members.iter().find(|m| m.key == key).map(|m| m.key_span)
            } else {
                dropped.iter().find(|(k, _)| *k == key).map(|(_, s)| *s)
            };
            if let Some(first) = first {
                self.duplicates.push(DuplicateKey {
                    key: key.to_string(),
                    first,
                    duplicate: key_span,
                });
            }
            if build {
                members.push(Member {
                    key: key.into_owned(),
                    key_span,
                    value,
                });
            } else {
                dropped.push((key, key_span));
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        return Err(self.err_at(self.pos - 1, "trailing comma in object"));
                    }
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.unexpected("`,` or `}`")),
            }
        }
    }
}

fn describe_char(c: char) -> String {
    match c {
        '\u{feff}' => "byte order mark (U+FEFF)".into(),
        c if c.is_control() => format!("control character U+{:04X}", c as u32),
        c => format!("`{c}`"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeping_some_root_members_checks_the_others_just_as_thoroughly() {
        let docs = [
            r#"{"name": "a", "rawr": {"kind": "web", "kind": "api"}, "scripts": {"x": 1, "x": [1, {"y": 2, "y": 3}]}}"#,
            r#"{"a\u0062": 1, "ab": 2, "rawr": {}, "rawr": {"kind": "cli"}}"#,
            r#"{"deps": {"x": [1, 2,]}, "rawr": {}}"#,
            r#"{"deps": {"x": "\q"}, "rawr": {}}"#,
            r#"{"deps": {"x": 01}, "rawr": {}}"#,
            r#"{"deps": [[[{"x": "tab	here"}]]], "rawr": {"capability": "c"}}"#,
            r#"{"deps": {"x": 1e5, "s": "\ud83d\ude00"}, "rawr": {"kind": 1.5}}"#,
            "[1, 2]",
            r#"{"rawr": "#,
        ];
        for text in docs {
            let full = parse(text);
            let kept = parse_keeping(text, &["rawr"]);
            match (full, kept) {
                (Ok(full), Ok(kept)) => {
                    assert_eq!(kept.duplicates, full.duplicates, "{text}");
                    match (full.root.as_object(), kept.root.as_object()) {
                        (Some(all), Some(some)) => {
                            let want: Vec<&Member> =
                                all.iter().filter(|m| m.key == "rawr").collect();
                            let got: Vec<&Member> = some.iter().collect();
                            assert_eq!(got, want, "{text}");
                        }
                        _ => assert_eq!(kept.root, full.root, "{text}"),
                    }
                }
                (Err(full), Err(kept)) => assert_eq!(kept, full, "{text}"),
                (full, kept) => panic!("{text}: {full:?} vs {kept:?}"),
            }
        }
    }

    use super::*;

    fn err(text: &str) -> (usize, String) {
        let e = parse(text).unwrap_err();
        (e.offset, e.message)
    }

    #[test]
    fn keeps_spans_of_keys_and_values() {
        let t = r#"{ "name": "x", "rawr": { "kind": "web", "n": [1, -2.5e3, true, null] } }"#;
        let d = parse(t).unwrap();
        let rawr = d.root.member("rawr").unwrap();
        assert_eq!(&t[rawr.key_span.start..rawr.key_span.end], "\"rawr\"");
        let kind = rawr.value.member("kind").unwrap();
        assert_eq!(&t[kind.key_span.start..kind.key_span.end], "\"kind\"");
        assert_eq!(kind.value.as_str(), Some("web"));
        assert_eq!(&t[kind.value.span.start..kind.value.span.end], "\"web\"");
        let n = rawr.value.get("n").unwrap().as_array().unwrap();
        assert_eq!(n[1].value, Value::Number("-2.5e3".into()));
        assert_eq!(n[2].value, Value::Bool(true));
        assert_eq!(n[3].value, Value::Null);
        assert!(d.duplicates.is_empty());
    }

    #[test]
    fn decodes_escapes_and_non_ascii() {
        let d = parse(r#"{"k\u00e9y": "a\"b\\c\n\ud83d\ude00é\ud800x"}"#).unwrap();
        let m = &d.root.as_object().unwrap()[0];
        assert_eq!(m.key, "kéy");
        assert_eq!(m.value.as_str(), Some("a\"b\\c\n😀é\u{fffd}x"));
    }

    #[test]
    fn reports_duplicate_keys_and_get_returns_the_last() {
        let t = "{\"a\": 1, \"b\": {\"c\": 1, \"c\": 2}, \"a\": 3}";
        let d = parse(t).unwrap();
        assert_eq!(d.duplicates.len(), 2);
        assert_eq!(d.duplicates[0].key, "c");
        assert_eq!(d.duplicates[1].key, "a");
        assert_eq!(d.duplicates[1].first.start, 1);
        assert_eq!(d.duplicates[1].duplicate.start, t.rfind("\"a\"").unwrap());
        assert_eq!(d.root.get("a").unwrap().value, Value::Number("3".into()));
        assert_eq!(d.root.as_object().unwrap().len(), 3);
    }

    #[test]
    fn syntax_errors_carry_their_offset() {
        assert_eq!(err(""), (0, "empty document: expected a JSON value".into()));
        assert_eq!(
            err("  \n "),
            (4, "empty document: expected a JSON value".into())
        );
        assert_eq!(
            err("\u{feff}{}"),
            (0, "byte order mark (U+FEFF) before the JSON value".into())
        );
        assert_eq!(err("{\"a\": 1,}"), (7, "trailing comma in object".into()));
        assert_eq!(err("[1,]"), (2, "trailing comma in array".into()));
        assert_eq!(
            err("{\"a\" 1}"),
            (5, "unexpected `1`: expected `:` after the key".into())
        );
        assert_eq!(
            err("{'a': 1}"),
            (1, "unexpected `'`: expected a string key".into())
        );
        assert_eq!(
            err("{\"a\": 1 // c\n}"),
            (8, "unexpected `/`: expected `,` or `}`".into())
        );
        assert_eq!(err("{\"a\": \"x"), (6, "unterminated string".into()));
        assert_eq!(
            err("{\"a\": \"x\ny\"}"),
            (8, "control character in string (must be escaped)".into())
        );
        assert_eq!(
            err("[01]"),
            (2, "unexpected `1`: expected `,` or `]`".into())
        );
        assert_eq!(
            err("[1.]"),
            (
                3,
                "unexpected `]`: expected a digit after the decimal point".into()
            )
        );
        assert_eq!(
            err("{} x"),
            (3, "unexpected content after the JSON value".into())
        );
        assert_eq!(
            err("{\"a\": tru}"),
            (6, "unexpected `t`: expected a JSON value".into())
        );
        assert_eq!(
            err("\"\\x\""),
            (1, "invalid escape sequence in string".into())
        );
        assert_eq!(
            err("\"\\u12g4\""),
            (1, "invalid \\u escape: expected four hex digits".into())
        );
        assert_eq!(
            err("{\"a\":"),
            (5, "unexpected end of input: expected a JSON value".into())
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        let e = parse(&deep).unwrap_err();
        assert_eq!(e.offset, MAX_DEPTH);
        assert!(e.message.contains("nesting"));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }
}
