//! Test sources read structurally: which `describe`/`it`/`test` calls declare which titles,
//! how many tests each suite holds, and where an ID is merely mentioned (a string constant,
//! a comment) without naming any test.
//!
//! The harness matrix uses this only to explain an ID the runner's report does not carry:
//! "declared-only" (named in the source but carried by no executed test), "zero tests" (a
//! suite that declares no test), "skipped"/"todo" (a declaration the runner never ran).
//! Whether an ID passed is decided from the report alone.

use oxc_allocator::Allocator;
use oxc_ast::ast::{Argument, CallExpression, Expression, StringLiteral, TemplateLiteral};
use oxc_ast_visit::{Visit, walk};

use super::ts;
use crate::finding::Finding;
use crate::fs::source::SourceFile;

/// What a test-API call declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclKind {
    /// `describe`/`suite`/`context` (a group).
    Suite,
    /// `it`/`test`/`specify` (a test case).
    Test,
}

/// One `describe(...)`/`it(...)` call with a literal title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declaration {
    pub kind: DeclKind,
    pub title: String,
    /// Chained modifiers in call order, e.g. `["skip"]`, `["each"]`, `["skipIf"]`.
    pub modifiers: Vec<String>,
    /// Byte offset of the title argument.
    pub offset: usize,
    /// For suites: test calls nested anywhere inside its arguments (callback).
    pub tests_inside: usize,
}

impl Declaration {
    pub fn is_skip(&self) -> bool {
        self.modifiers
            .iter()
            .any(|m| m == "skip" || m == "skipIf" || m == "runIf")
    }

    pub fn is_todo(&self) -> bool {
        self.modifiers.iter().any(|m| m == "todo")
    }
}

/// A string literal, template text or comment, with the offset of its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub offset: usize,
    pub text: String,
    pub comment: bool,
}

/// A scanned test file.
pub struct TestSource {
    pub file: SourceFile,
    pub declarations: Vec<Declaration>,
    /// Every literal and comment (titles of declarations included).
    pub texts: Vec<Text>,
    pub errors: Vec<Finding>,
}

/// The test-API names vitest (and Jest/Mocha) understand, with implied modifiers.
fn base_kind(name: &str) -> Option<(DeclKind, Option<&'static str>)> {
    Some(match name {
        "describe" | "suite" | "context" => (DeclKind::Suite, None),
        "xdescribe" => (DeclKind::Suite, Some("skip")),
        "fdescribe" => (DeclKind::Suite, Some("only")),
        "it" | "test" | "specify" => (DeclKind::Test, None),
        "xit" | "xtest" => (DeclKind::Test, Some("skip")),
        "fit" => (DeclKind::Test, Some("only")),
        _ => return None,
    })
}

const MODIFIERS: &[&str] = &[
    "skip",
    "only",
    "todo",
    "each",
    "for",
    "skipIf",
    "runIf",
    "concurrent",
    "sequential",
    "fails",
    "shuffle",
];

/// `describe`, `describe.skip`, `test.skipIf(c)`, `describe.each(t)`, `it.concurrent.only`…
pub fn classify(callee: &Expression) -> Option<(DeclKind, Vec<String>)> {
    match callee.get_inner_expression() {
        Expression::Identifier(id) => {
            let (kind, implied) = base_kind(id.name.as_str())?;
            Some((
                kind,
                implied.map(|m| vec![m.to_string()]).unwrap_or_default(),
            ))
        }
        Expression::StaticMemberExpression(m) => {
            let prop = m.property.name.as_str();
            if !MODIFIERS.contains(&prop) {
                return None;
            }
            let (kind, mut mods) = classify(&m.object)?;
            mods.push(prop.to_string());
            Some((kind, mods))
        }
        // `test.skipIf(cond)("title", fn)`, `describe.each(table)("title %s", fn)`.
        Expression::CallExpression(c) => {
            let (kind, mods) = classify(&c.callee)?;
            let last = mods.last().map(String::as_str);
            matches!(last, Some("skipIf" | "runIf" | "each" | "for")).then_some((kind, mods))
        }
        // `describe.each\`a | b ...\`("title $a", fn)`: a template table.
        Expression::TaggedTemplateExpression(t) => {
            let (kind, mods) = classify(&t.tag)?;
            let last = mods.last().map(String::as_str);
            matches!(last, Some("each" | "for")).then_some((kind, mods))
        }
        _ => None,
    }
}

/// The literal text of a title argument, if it is one.
fn title_of(arg: &Argument) -> Option<(String, usize)> {
    match arg.as_expression()?.get_inner_expression() {
        Expression::StringLiteral(s) => Some((s.value.to_string(), s.span.start as usize + 1)),
        Expression::TemplateLiteral(t) if t.expressions.is_empty() => {
            let q = t.quasis.first()?;
            let text = q.value.cooked.as_ref().unwrap_or(&q.value.raw).to_string();
            Some((text, q.span.start as usize))
        }
        _ => None,
    }
}

struct Scanner {
    declarations: Vec<Declaration>,
    texts: Vec<Text>,
    /// Indices into `declarations` of the suites whose callback is being walked.
    open_suites: Vec<usize>,
}

impl<'a> Visit<'a> for Scanner {
    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        let decl = classify(&it.callee).and_then(|(kind, modifiers)| {
            let (title, offset) = title_of(it.arguments.first()?)?;
            Some(Declaration {
                kind,
                title,
                modifiers,
                offset,
                tests_inside: 0,
            })
        });
        match decl {
            Some(d) => {
                let kind = d.kind;
                if kind == DeclKind::Test {
                    for &s in &self.open_suites {
                        self.declarations[s].tests_inside += 1;
                    }
                }
                self.declarations.push(d);
                let idx = self.declarations.len() - 1;
                if kind == DeclKind::Suite {
                    self.open_suites.push(idx);
                }
                walk::walk_call_expression(self, it);
                if kind == DeclKind::Suite {
                    self.open_suites.pop();
                }
            }
            None => walk::walk_call_expression(self, it),
        }
    }

    fn visit_string_literal(&mut self, it: &StringLiteral<'a>) {
        self.texts.push(Text {
            offset: it.span.start as usize + 1,
            text: it.value.to_string(),
            comment: false,
        });
    }

    fn visit_template_literal(&mut self, it: &TemplateLiteral<'a>) {
        for q in &it.quasis {
            self.texts.push(Text {
                offset: q.span.start as usize,
                text: q.value.cooked.as_ref().unwrap_or(&q.value.raw).to_string(),
                comment: false,
            });
        }
        walk::walk_template_literal(self, it);
    }
}

/// Parses `file` and collects its test declarations, literals and comments.
pub fn scan(file: SourceFile) -> TestSource {
    let alloc = Allocator::default();
    let parsed = ts::parse(&alloc, &file);
    let mut s = Scanner {
        declarations: Vec::new(),
        texts: Vec::new(),
        open_suites: Vec::new(),
    };
    if !parsed.panicked {
        s.visit_program(&parsed.program);
    }
    for c in &parsed.program.comments {
        let span = c.content_span();
        if let Some(text) = file.text.get(span.start as usize..span.end as usize) {
            s.texts.push(Text {
                offset: span.start as usize,
                text: text.to_string(),
                comment: true,
            });
        }
    }
    s.texts.sort_by_key(|t| t.offset);
    TestSource {
        declarations: s.declarations,
        texts: s.texts,
        errors: parsed.errors,
        file,
    }
}

/// Characters an ID is made of; an ID is carried by a text when it appears there as a whole
/// token, i.e. not preceded or followed by one of these.
fn is_id_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_' || c == ':'
}

/// The byte offset of the first whole-token occurrence of `id` in `text`.
pub fn find_token(text: &str, id: &str) -> Option<usize> {
    if id.is_empty() {
        return None;
    }
    let mut from = 0;
    while let Some(i) = text[from..].find(id) {
        let at = from + i;
        let before = text[..at].chars().next_back();
        let mut rest = text[at + id.len()..].chars();
        let after = rest.next();
        // A colon closing the ID, as in `it("assertion:x: does y")`, is punctuation, not
        // part of a longer ID, when no ID character follows it.
        let after_ok = match after {
            None => true,
            Some(':') => !rest.next().is_some_and(is_id_char),
            Some(c) => !is_id_char(c),
        };
        if !before.is_some_and(is_id_char) && after_ok {
            return Some(at);
        }
        from = at + id.len().max(1);
        while !text.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("t.test.ts".into(), "t.test.ts".into(), text.into(), false)
    }

    #[test]
    fn tokens_are_whole() {
        assert_eq!(find_token("suite:a-b works", "suite:a-b"), Some(0));
        assert_eq!(find_token("x suite:a-b.", "suite:a-b"), Some(2));
        assert_eq!(find_token("suite:a-bc", "suite:a-b"), None);
        assert_eq!(find_token("my-suite:a-b", "suite:a-b"), None);
        assert_eq!(find_token("é suite:a-b", "suite:a-b"), Some(3));
        assert_eq!(find_token("assertion:x: does y", "assertion:x"), Some(0));
        assert_eq!(find_token("assertion:x:", "assertion:x"), Some(0));
        assert_eq!(find_token("assertion:x:y does", "assertion:x"), None);
    }

    #[test]
    fn finds_declarations_modifiers_and_nesting() {
        let src = r#"
// suite:in-comment
const IDS = ["suite:const"];
describe("suite:a", () => {
  it("assertion:x rejects", () => {});
  describe.skip(`suite:b`, () => { test.todo("later"); });
});
describe("suite:empty", () => {});
test.skipIf(process.env.CI)("cond", () => {});
describe.each([1, 2])("suite:each %s", () => { it("t", () => {}); });
foo("suite:not-a-test", () => {});
"#;
        let s = scan(file(src));
        let got: Vec<_> = s
            .declarations
            .iter()
            .map(|d| {
                (
                    d.kind,
                    d.title.as_str(),
                    d.modifiers.join("."),
                    d.tests_inside,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (DeclKind::Suite, "suite:a", String::new(), 2),
                (DeclKind::Test, "assertion:x rejects", String::new(), 0),
                (DeclKind::Suite, "suite:b", "skip".into(), 1),
                (DeclKind::Test, "later", "todo".into(), 0),
                (DeclKind::Suite, "suite:empty", String::new(), 0),
                (DeclKind::Test, "cond", "skipIf".into(), 0),
                (DeclKind::Suite, "suite:each %s", "each".into(), 1),
                (DeclKind::Test, "t", String::new(), 0),
            ]
        );
        let d = &s.declarations[0];
        assert_eq!(s.file.line_col(d.offset), (4, 11));
        let comment = s.texts.iter().find(|t| t.comment).unwrap();
        assert_eq!(comment.text.trim(), "suite:in-comment");
        assert_eq!(s.file.line_col(comment.offset), (2, 3));
        assert!(
            s.texts
                .iter()
                .any(|t| t.text == "suite:const" && !t.comment)
        );
    }
}
