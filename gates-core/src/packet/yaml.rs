//! A YAML document as a tree of nodes that keep their line and column, for the phase
//! packet's `PHASE_<X>_WORKBREAKDOWN.yaml`.
//!
//! The parsing is `yaml-rust2`'s event parser (YAML 1.2); this module only assembles its
//! events into [`Node`]s with positions, so that a finding can point at the very entry of a
//! `depends_on` list and a syntax error at its line and column. Anchors and aliases are
//! resolved to a copy of the anchored node; tags are ignored (every scalar is its text).

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A place in the document, 1-based.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    fn of(m: &Marker) -> Pos {
        Pos {
            line: u32::try_from(m.line()).unwrap_or(u32::MAX),
            // yaml-rust2 counts columns from 0.
            col: u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A scalar as written (quotes removed, escapes resolved); `null`, numbers and booleans
    /// stay text.
    Scalar(String),
    Seq(Vec<Node>),
    /// Keys in document order.
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

impl Node {
    /// The value of `key` when this node is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// What the node is, for messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Scalar(_) => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A syntax error: its place and what the parser said.
#[derive(Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// Parses the first document of `text`. An empty document is `None`.
pub fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| SyntaxError {
        pos: Pos::of(e.marker()),
        message: e.info().to_string(),
    })?;
    if let Some(e) = builder.error {
        return Err(e);
    }
    Ok(builder.root)
}

/// An open collection: its node so far, and for a mapping the key waiting for its value.
enum Open {
    Seq(Node),
    Map(Node, Option<Node>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<(Open, usize)>,
    root: Option<Node>,
    anchors: Vec<(usize, Node)>,
    error: Option<SyntaxError>,
}

impl Builder {
    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some((Open::Seq(seq), _)) => {
                if let Value::Seq(items) = &mut seq.value {
                    items.push(node);
                }
            }
            Some((Open::Map(map, pending), _)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => {
                    if let Value::Map(entries) = &mut map.value {
                        entries.push((key, node));
                    }
                }
            },
        }
    }

    fn anchor(&mut self, id: usize, node: &Node) {
        if id > 0 {
            self.anchors.push((id, node.clone()));
        }
    }

    fn close(&mut self) {
        if let Some((open, anchor)) = self.stack.pop() {
            let node = match open {
                Open::Seq(n) => n,
                Open::Map(n, _) => n,
            };
            self.anchor(anchor, &node);
            self.push_value(node);
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let pos = Pos::of(&mark);
        match ev {
            Event::Scalar(text, _, anchor, _) => {
                let node = Node {
                    value: Value::Scalar(text),
                    pos,
                };
                self.anchor(anchor, &node);
                self.push_value(node);
            }
            Event::SequenceStart(anchor, _) => self.stack.push((
                Open::Seq(Node {
                    value: Value::Seq(Vec::new()),
                    pos,
                }),
                anchor,
            )),
            Event::MappingStart(anchor, _) => self.stack.push((
                Open::Map(
                    Node {
                        value: Value::Map(Vec::new()),
                        pos,
                    },
                    None,
                ),
                anchor,
            )),
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            Event::Alias(id) => match self.anchors.iter().rev().find(|(a, _)| *a == id) {
                Some((_, node)) => {
                    let mut node = node.clone();
                    node.pos = pos;
                    self.push_value(node);
                }
                None => {
                    self.error = Some(SyntaxError {
                        pos,
                        message: "an alias to an unknown anchor".into(),
                    })
                }
            },
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_keep_their_line_and_column() {
        let doc = parse("phase: Q\nslices:\n  - id: Q1\n    depends_on: [Q0, 'Q2']\n")
            .unwrap()
            .unwrap();
        assert_eq!(doc.get("phase").unwrap().as_str(), Some("Q"));
        assert_eq!(doc.get("phase").unwrap().pos, Pos { line: 1, col: 8 });
        let slice = &doc.get("slices").unwrap().as_seq().unwrap()[0];
        let deps = slice.get("depends_on").unwrap().as_seq().unwrap();
        assert_eq!(deps[0].as_str(), Some("Q0"));
        assert_eq!(deps[0].pos, Pos { line: 4, col: 18 });
        assert_eq!(deps[1].as_str(), Some("Q2"));
        assert_eq!(deps[1].pos, Pos { line: 4, col: 22 });
    }

    #[test]
    fn aliases_copy_their_anchor() {
        let doc = parse("a: &x [P1, P2]\nb: *x\n").unwrap().unwrap();
        let b = doc.get("b").unwrap().as_seq().unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[1].as_str(), Some("P2"));
    }

    #[test]
    fn a_syntax_error_has_its_place() {
        let e = parse("slices:\n  - id: Q1\n   title: [unclosed\n").unwrap_err();
        assert!(e.pos.line >= 3, "{e:?}");
        assert!(!e.message.is_empty());
        assert_eq!(parse("").unwrap(), None);
    }
}
