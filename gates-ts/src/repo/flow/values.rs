//! The values the evaluation works with: the *set* of strings an expression can take
//! ([`Strs`]), with "any string", "unresolved" and the holes a caller in another module
//! fills ([`Hole`]), and the navigation steps from a value to a part of it ([`Step`]).

use super::*;

/// A navigation step from a value to a part of it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// Property `.name` / `["name"]`.
    Prop(String),
    /// Array element `[i]`.
    Index(usize),
    /// Any element of a collection (what `for … of` or a `.map` callback sees).
    Elems,
    /// The keys of an object (`Object.keys`).
    Keys,
    /// The values of an object (`Object.values`).
    Values,
}

/// The strings an expression can evaluate to.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Strs {
    pub values: BTreeSet<String>,
    /// Any string at all (e.g. each entry of a directory listing).
    pub any: bool,
    /// Some of the possible values could not be determined.
    pub unresolved: bool,
    /// Values that come from a parameter of an exported function no caller in its own
    /// module supplies: the callers in other modules decide (see [`Modules::call_args`]).
    pub holes: BTreeSet<Hole>,
}

/// A parameter whose value the callers of an exported function supply.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hole {
    pub func: String,
    pub index: usize,
    /// Navigation from the argument to the value.
    pub path: Vec<Step>,
    /// What the parameter's default gives when a caller leaves it out.
    pub default: Option<Box<Strs>>,
}

impl Strs {
    pub(super) fn one(s: &str) -> Strs {
        Strs {
            values: [s.to_string()].into(),
            ..Strs::default()
        }
    }
    pub(super) fn unresolved() -> Strs {
        Strs {
            unresolved: true,
            ..Strs::default()
        }
    }
    pub(super) fn any() -> Strs {
        Strs {
            any: true,
            ..Strs::default()
        }
    }
    pub fn union(mut self, o: Strs) -> Strs {
        self.values.extend(o.values);
        self.any |= o.any;
        self.unresolved |= o.unresolved;
        self.holes.extend(o.holes);
        self
    }
    /// The single known value, if there is exactly one and nothing else.
    pub(super) fn single(&self) -> Option<&str> {
        (self.values.len() == 1 && !self.any && !self.unresolved && self.holes.is_empty())
            .then(|| self.values.iter().next().map(String::as_str))
            .flatten()
    }
}

/// The last segment of the plugins directory, as it appears in scan paths.
pub const PLUGINS_SEGMENT: &str = "plugins";

/// Roots matched by a glob segment such as `*` or `{cli,web}`: kept as the glob itself,
/// matched against the configured roots by the caller (see [`Strs::covers`]).
pub(super) fn glob_roots(g: &str) -> Strs {
    Strs {
        values: [format!("glob:{g}")].into(),
        ..Strs::default()
    }
}

impl Strs {
    /// Which of `roots` these values cover (globs are matched; `any` covers all).
    pub fn covers(&self, roots: &[String]) -> BTreeSet<String> {
        if self.any {
            return roots.iter().cloned().collect();
        }
        let mut out = BTreeSet::new();
        for v in &self.values {
            if let Some(g) = v.strip_prefix("glob:") {
                if let Ok(glob) = globset::GlobBuilder::new(g).literal_separator(true).build() {
                    let m = glob.compile_matcher();
                    out.extend(roots.iter().filter(|r| m.is_match(r.as_str())).cloned());
                }
            } else if roots.contains(v) {
                out.insert(v.clone());
            }
        }
        out
    }
}
