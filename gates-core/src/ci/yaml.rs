//! A small, deterministic YAML writer for the generated workflow.
//!
//! The workflow is written by hand rather than through a serializer so its layout is stable
//! and readable (comments, key order, block scripts) and so a diff against the committed file
//! shows only what changed in the pipeline. Strings are written plain only when YAML cannot
//! read them as anything else; otherwise they are double-quoted with JSON escapes, which YAML
//! reads back identically.

/// A YAML scalar for `s`: plain when unambiguous, double-quoted otherwise.
pub fn scalar(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// `s` double-quoted (JSON string syntax is valid YAML double-quoted syntax).
pub fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let words = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ];
    (first.is_ascii_alphanumeric() || first == '_' || s.starts_with("./"))
        && !s.ends_with(' ')
        && !s.contains("  ")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " -_./@()".contains(c))
        && !words.iter().any(|w| s.eq_ignore_ascii_case(w))
        && s.parse::<f64>().is_err()
        && !(first.is_ascii_digit()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'))
}

/// Writes `key: value` lines and nested blocks at a given indentation.
#[derive(Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    pub fn finish(self) -> String {
        self.out
    }

    /// A raw line (a comment, a key opening a block, a list item prefix).
    pub fn line(&mut self, indent: usize, text: &str) {
        if text.is_empty() {
            self.out.push('\n');
            return;
        }
        self.out.push_str(&" ".repeat(indent));
        self.out.push_str(text);
        self.out.push('\n');
    }

    pub fn blank(&mut self) {
        self.out.push('\n');
    }

    /// `key: value`, with `value` written as a scalar or, when it spans lines, as a literal
    /// block scalar.
    pub fn kv(&mut self, indent: usize, key: &str, value: &str) {
        self.kv_prefixed(indent, "", key, value);
    }

    /// Like [`Writer::kv`] but the line starts with `prefix` (e.g. `- ` for the first key of
    /// a list item); nested lines are indented past the prefix.
    pub fn kv_prefixed(&mut self, indent: usize, prefix: &str, key: &str, value: &str) {
        let key = scalar(key);
        let pad = " ".repeat(indent);
        if let Some(block) = block_literal(value, indent + prefix.len() + 2) {
            self.out.push_str(&format!("{pad}{prefix}{key}: {block}"));
        } else {
            self.out
                .push_str(&format!("{pad}{prefix}{key}: {}\n", scalar(value)));
        }
    }

    /// `key:` opening a nested mapping or sequence.
    pub fn open(&mut self, indent: usize, key: &str) {
        self.line(indent, &format!("{}:", scalar(key)));
    }

    /// `- value`
    pub fn item(&mut self, indent: usize, value: &str) {
        self.line(indent, &format!("- {}", scalar(value)));
    }
}

/// A literal block scalar (`|`, `|-`, `|+`, with an indentation indicator when the first
/// line starts with a space) for multi-line text, including its lines; `None` when `s` is a
/// single line or holds characters a block scalar cannot carry.
fn block_literal(s: &str, indent: usize) -> Option<String> {
    if !s.contains('\n') || s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return None;
    }
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let indicator = if body.starts_with(' ') { "2" } else { "" };
    // `indent` is the key's column plus two, so an indicator of 2 points at the same column.
    let pad = " ".repeat(indent);
    let mut out = format!("|{indicator}{chomp}\n");
    for l in body.split('\n') {
        if l.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&pad);
            out.push_str(l);
            out.push('\n');
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_only_when_unambiguous() {
        assert_eq!(scalar("ubuntu-latest"), "ubuntu-latest");
        assert_eq!(scalar("actions/checkout@v4"), "actions/checkout@v4");
        assert_eq!(scalar("Stage 0: prep"), "\"Stage 0: prep\"");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("On"), "\"On\"");
        assert_eq!(scalar("20"), "\"20\"");
        assert_eq!(scalar("1.89"), "\"1.89\"");
        assert_eq!(scalar("1e3"), "\"1e3\"");
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(scalar("-x"), "\"-x\"");
        assert_eq!(scalar("a # b"), "\"a # b\"");
        assert_eq!(scalar("${{ runner.temp }}"), "\"${{ runner.temp }}\"");
        assert_eq!(scalar("always()"), "always()");
    }

    #[test]
    fn block_scalars_keep_text_exactly() {
        let mut w = Writer::new();
        w.kv(2, "run", "a\nb\n");
        w.kv(2, "x", "a\n\nb");
        w.kv(2, "lead", " lead\nz\n\n");
        let out = w.finish();
        assert_eq!(
            out,
            "  run: |\n    a\n    b\n  x: |-\n    a\n\n    b\n  lead: |2+\n     lead\n    z\n\n"
        );
        // And a YAML parser reads back exactly the text that went in.
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&format!("m:\n{out}")).unwrap();
        assert_eq!(doc["m"]["run"].as_str(), Some("a\nb\n"));
        assert_eq!(doc["m"]["x"].as_str(), Some("a\n\nb"));
        assert_eq!(doc["m"]["lead"].as_str(), Some(" lead\nz\n\n"));
    }

    #[test]
    fn scalars_read_back_as_the_same_strings() {
        for s in [
            "true",
            "On",
            "20",
            "1.89",
            "",
            "-x",
            "a # b",
            "${{ x }}",
            "a: b",
            "'q'",
            "\"d\"",
            "tab\there",
            "é",
        ] {
            let doc: serde_yaml_ng::Value =
                serde_yaml_ng::from_str(&format!("k: {}\n", scalar(s))).unwrap();
            assert_eq!(doc["k"].as_str(), Some(s), "{s:?}");
        }
    }
}
