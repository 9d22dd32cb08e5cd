//! The TypeScript/JavaScript half of the legacy-key guard: walks an oxc AST and reports every
//! place where a forbidden key is used *as a key or a name* — never a word in a comment, never
//! a substring of a longer name, never prose in a string.
//!
//! Each hit carries a byte offset, the key, and its syntactic role. Roles are grouped into
//! families, and each family has a stable rule id (see [`Family`]), so a user can tell a
//! member access from a type member at a glance and in SARIF.

use std::collections::HashSet;

use oxc_ast::ast::*;
use oxc_ast_visit::{Visit, walk};
use oxc_span::GetSpan;
use oxc_syntax::scope::ScopeFlags;

/// A family of syntactic roles; one rule id per family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// A key declared on an object literal, class, interface/type literal, enum or JSX element.
    Property,
    /// A key read or written through a member access, an indexed-access type, `in`, or a
    /// reflective key argument (`Object.hasOwn(x, "channel")`, `Pick<T, "channel">`).
    Access,
    /// A key pulled out by destructuring (binding or assignment).
    Destructuring,
    /// A binding or reference named like a key: variable, parameter, function, import.
    Identifier,
    /// A string or template literal whose text mentions `rawr.<key>`.
    StringMention,
}

impl Family {
    /// The stable rule id of this family.
    pub fn rule(self) -> &'static str {
        match self {
            Family::Property => "legacy-key-property",
            Family::Access => "legacy-key-access",
            Family::Destructuring => "legacy-key-destructuring",
            Family::Identifier => "legacy-key-identifier",
            Family::StringMention => "legacy-key-string-mention",
        }
    }
}

/// One use of a forbidden key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Byte offset into the source text.
    pub offset: usize,
    pub key: String,
    pub family: Family,
    /// Human words for the syntactic role, e.g. `member access (dot)`.
    pub role: &'static str,
}

/// Collects the hits of `program` (whose source is `text`) for `keys`.
pub fn scan(program: &Program<'_>, text: &str, keys: &[String]) -> Vec<Hit> {
    let mut v = KeyVisitor {
        text,
        keys,
        hits: Vec::new(),
        seen: HashSet::new(),
        binding_role: "binding",
    };
    v.visit_program(program);
    v.hits.sort_by_key(|h| h.offset);
    v.hits
}

struct KeyVisitor<'t> {
    text: &'t str,
    keys: &'t [String],
    hits: Vec<Hit>,
    /// Offsets already reported: a parent reports its key first (e.g. the key of a shorthand
    /// property), so the child node at the same place (its value identifier) is not reported
    /// twice under a vaguer role.
    seen: HashSet<usize>,
    /// The role a plain binding identifier has in the current context.
    binding_role: &'static str,
}

impl KeyVisitor<'_> {
    fn key_of(&self, name: &str) -> Option<String> {
        self.keys.iter().find(|k| k.as_str() == name).cloned()
    }

    fn hit(&mut self, offset: u32, name: &str, family: Family, role: &'static str) {
        let offset = offset as usize;
        if let Some(key) = self.key_of(name)
            && self.seen.insert(offset)
        {
            self.hits.push(Hit {
                offset,
                key,
                family,
                role,
            });
        }
    }

    fn property_key(&mut self, key: &PropertyKey<'_>, family: Family, role: &'static str) {
        if let Some(name) = key.static_name() {
            self.hit(key.span().start, &name, family, role);
        } else if let PropertyKey::PrivateIdentifier(p) = key {
            // `#channel` declares the key on the class as surely as `channel` does.
            self.hit(p.span.start, &p.name, family, role);
        } else if let Some(e) = key.as_expression()
            && let Some((start, name)) = literal_key(e)
        {
            // A computed key wrapped in parentheses or a cast (`["channel" as const]`,
            // `[("channel")]`) is still that literal key; `static_name` only sees bare literals.
            self.hit(start, name, family, role);
        }
    }

    /// A string used as a key in expression position: `"channel"` or `` `channel` ``.
    fn key_expression(&mut self, e: &Expression<'_>, role: &'static str) {
        if let Some((start, value)) = literal_key(e) {
            self.hit(start, value, Family::Access, role);
        }
    }

    /// A literal type used as a key: `"channel"`, and each member of a union of them.
    fn key_type(&mut self, t: &TSType<'_>, role: &'static str) {
        match t {
            TSType::TSLiteralType(lit) => match &lit.literal {
                TSLiteral::StringLiteral(s) => {
                    let (start, value) = (s.span.start, s.value.as_str());
                    self.hit(start, value, Family::Access, role);
                }
                TSLiteral::TemplateLiteral(tl) => {
                    if let Some(value) = tl.single_quasi() {
                        self.hit(tl.span.start, value.as_str(), Family::Access, role);
                    }
                }
                _ => {}
            },
            TSType::TSUnionType(u) => {
                for t in &u.types {
                    self.key_type(t, role);
                }
            }
            TSType::TSParenthesizedType(p) => self.key_type(&p.type_annotation, role),
            _ => {}
        }
    }

    /// Text of a string or template literal that mentions `rawr.<key>` as a whole word.
    /// `raw` is the literal's source text starting at byte `base`.
    fn mentions(&mut self, base: usize, raw: &str, what: &'static str) {
        for (at, key) in rawr_mentions(raw, self.keys) {
            let offset = base + at;
            if self.seen.insert(offset) {
                self.hits.push(Hit {
                    offset,
                    key,
                    family: Family::StringMention,
                    role: what,
                });
            }
        }
    }

    fn with_binding_role(&mut self, role: &'static str, f: impl FnOnce(&mut Self)) {
        let saved = std::mem::replace(&mut self.binding_role, role);
        f(self);
        self.binding_role = saved;
    }
}

/// The text and start of a string or expression-free template literal, seen through
/// parentheses and TypeScript casts (`("channel")`, `"channel" as const`, `` `channel`! ``).
fn literal_key<'e>(e: &'e Expression<'_>) -> Option<(u32, &'e str)> {
    match e.get_inner_expression() {
        Expression::StringLiteral(s) => Some((s.span.start, s.value.as_str())),
        Expression::TemplateLiteral(t) => t.single_quasi().map(|v| (t.span.start, v.as_str())),
        _ => None,
    }
}

/// Whether `b` can be part of an identifier (non-ASCII bytes count: they may be).
pub(super) fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Byte offsets (into `text`) and keys of every `rawr.<key>` in `text` where neither
/// `rawr` nor `<key>` is part of a longer name (`rawr.publishedAt` is not `rawr.published`).
pub fn rawr_mentions(text: &str, keys: &[String]) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"rawr."));
    for at in FINDER.find_iter(bytes) {
        if at > 0 && is_ident_byte(bytes[at - 1]) {
            continue;
        }
        let rest = &bytes[at + 5..];
        let len = rest.iter().take_while(|b| is_ident_byte(**b)).count();
        let word = &text[at + 5..at + 5 + len];
        if let Some(k) = keys.iter().find(|k| k.as_str() == word) {
            out.push((at, k.clone()));
        }
    }
    out
}

/// Object/Reflect calls whose argument at the given index is a property key.
fn reflective_key_arg(callee: &Expression<'_>) -> Option<(usize, &'static str)> {
    let Expression::StaticMemberExpression(m) = callee.get_inner_expression() else {
        return None;
    };
    let method = m.property.name.as_str();
    let object = match m.object.get_inner_expression() {
        Expression::Identifier(id) => Some(id.name.as_str()),
        _ => None,
    };
    match (object, method) {
        (Some("Object"), "hasOwn") => Some((1, "key argument of Object.hasOwn")),
        (Some("Object"), "defineProperty") => Some((1, "key argument of Object.defineProperty")),
        (Some("Object"), "getOwnPropertyDescriptor") => {
            Some((1, "key argument of Object.getOwnPropertyDescriptor"))
        }
        (
            Some("Reflect"),
            "has"
            | "get"
            | "set"
            | "deleteProperty"
            | "defineProperty"
            | "getOwnPropertyDescriptor",
        ) => Some((1, "key argument of Reflect")),
        (_, "hasOwnProperty" | "propertyIsEnumerable") => {
            Some((0, "key argument of hasOwnProperty"))
        }
        // `Object.prototype.hasOwnProperty.call(obj, "channel")`
        (_, "call") => match m.object.get_inner_expression() {
            Expression::StaticMemberExpression(inner)
                if matches!(
                    inner.property.name.as_str(),
                    "hasOwnProperty" | "propertyIsEnumerable"
                ) =>
            {
                Some((1, "key argument of hasOwnProperty.call"))
            }
            _ => None,
        },
        _ => None,
    }
}

impl<'a> Visit<'a> for KeyVisitor<'_> {
    // ---- declared keys -------------------------------------------------------------------

    fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
        let role = if it.shorthand {
            "object property key (shorthand)"
        } else if it.method {
            "object method key"
        } else if matches!(it.kind, PropertyKind::Get | PropertyKind::Set) {
            "object accessor key"
        } else {
            "object property key"
        };
        self.property_key(&it.key, Family::Property, role);
        walk::walk_object_property(self, it);
    }

    fn visit_property_definition(&mut self, it: &PropertyDefinition<'a>) {
        self.property_key(&it.key, Family::Property, "class property");
        walk::walk_property_definition(self, it);
    }

    fn visit_method_definition(&mut self, it: &MethodDefinition<'a>) {
        self.property_key(&it.key, Family::Property, "class method");
        walk::walk_method_definition(self, it);
    }

    fn visit_accessor_property(&mut self, it: &AccessorProperty<'a>) {
        self.property_key(&it.key, Family::Property, "class accessor");
        walk::walk_accessor_property(self, it);
    }

    fn visit_ts_property_signature(&mut self, it: &TSPropertySignature<'a>) {
        self.property_key(&it.key, Family::Property, "type member");
        walk::walk_ts_property_signature(self, it);
    }

    fn visit_ts_method_signature(&mut self, it: &TSMethodSignature<'a>) {
        self.property_key(&it.key, Family::Property, "type method member");
        walk::walk_ts_method_signature(self, it);
    }

    fn visit_ts_enum_member(&mut self, it: &TSEnumMember<'a>) {
        match &it.id {
            TSEnumMemberName::Identifier(id) => {
                self.hit(id.span.start, &id.name, Family::Property, "enum member")
            }
            TSEnumMemberName::String(s) | TSEnumMemberName::ComputedString(s) => {
                self.hit(s.span.start, &s.value, Family::Property, "enum member")
            }
            TSEnumMemberName::ComputedTemplateString(t) => {
                if let Some(v) = t.single_quasi() {
                    self.hit(t.span.start, v.as_str(), Family::Property, "enum member")
                }
            }
        }
        walk::walk_ts_enum_member(self, it);
    }

    fn visit_jsx_attribute(&mut self, it: &JSXAttribute<'a>) {
        if let JSXAttributeName::Identifier(id) = &it.name {
            self.hit(id.span.start, &id.name, Family::Property, "JSX attribute");
        }
        walk::walk_jsx_attribute(self, it);
    }

    // ---- key reads and writes -------------------------------------------------------------

    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        self.hit(
            it.property.span.start,
            &it.property.name,
            Family::Access,
            "member access (dot)",
        );
        walk::walk_static_member_expression(self, it);
    }

    fn visit_private_field_expression(&mut self, it: &PrivateFieldExpression<'a>) {
        self.hit(
            it.field.span.start,
            &it.field.name,
            Family::Access,
            "member access (private field)",
        );
        walk::walk_private_field_expression(self, it);
    }

    fn visit_computed_member_expression(&mut self, it: &ComputedMemberExpression<'a>) {
        self.key_expression(&it.expression, "member access (bracket)");
        walk::walk_computed_member_expression(self, it);
    }

    fn visit_ts_indexed_access_type(&mut self, it: &TSIndexedAccessType<'a>) {
        self.key_type(&it.index_type, "indexed-access type key");
        walk::walk_ts_indexed_access_type(self, it);
    }

    fn visit_ts_type_reference(&mut self, it: &TSTypeReference<'a>) {
        // `Pick<T, "channel">` / `Omit<T, "channel">` name keys of T; `Record<"channel", V>`
        // declares them.
        if let (TSTypeName::IdentifierReference(name), Some(args)) =
            (&it.type_name, &it.type_arguments)
        {
            match name.name.as_str() {
                "Pick" | "Omit" => {
                    if let Some(keys) = args.params.get(1) {
                        self.key_type(keys, "key of a Pick/Omit type");
                    }
                }
                "Record" => {
                    if let Some(keys) = args.params.first() {
                        self.key_type(keys, "key of a Record type");
                    }
                }
                _ => {}
            }
        }
        walk::walk_ts_type_reference(self, it);
    }

    fn visit_ts_mapped_type(&mut self, it: &TSMappedType<'a>) {
        // `{ [K in "channel"]: V }` declares the key `channel`.
        self.key_type(&it.constraint, "key of a mapped type");
        walk::walk_ts_mapped_type(self, it);
    }

    fn visit_binary_expression(&mut self, it: &BinaryExpression<'a>) {
        if it.operator == BinaryOperator::In {
            self.key_expression(&it.left, "key of an `in` check");
        }
        walk::walk_binary_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if let Some((index, role)) = reflective_key_arg(&it.callee)
            && let Some(arg) = it.arguments.get(index).and_then(|a| a.as_expression())
        {
            self.key_expression(arg, role);
        }
        walk::walk_call_expression(self, it);
    }

    // ---- destructuring --------------------------------------------------------------------

    fn visit_binding_property(&mut self, it: &BindingProperty<'a>) {
        self.property_key(&it.key, Family::Destructuring, "destructuring binding");
        walk::walk_binding_property(self, it);
    }

    fn visit_assignment_target_property_identifier(
        &mut self,
        it: &AssignmentTargetPropertyIdentifier<'a>,
    ) {
        self.hit(
            it.binding.span.start,
            &it.binding.name,
            Family::Destructuring,
            "destructuring assignment",
        );
        walk::walk_assignment_target_property_identifier(self, it);
    }

    fn visit_assignment_target_property_property(
        &mut self,
        it: &AssignmentTargetPropertyProperty<'a>,
    ) {
        self.property_key(&it.name, Family::Destructuring, "destructuring assignment");
        walk::walk_assignment_target_property_property(self, it);
    }

    // ---- names ----------------------------------------------------------------------------

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        self.with_binding_role("variable", |v| {
            v.visit_binding_pattern(&it.id);
        });
        if let Some(t) = &it.type_annotation {
            self.visit_ts_type_annotation(t);
        }
        if let Some(init) = &it.init {
            self.visit_expression(init);
        }
    }

    fn visit_formal_parameter(&mut self, it: &FormalParameter<'a>) {
        self.with_binding_role("parameter", |v| walk::walk_formal_parameter(v, it));
    }

    fn visit_formal_parameter_rest(&mut self, it: &FormalParameterRest<'a>) {
        self.with_binding_role("parameter", |v| walk::walk_formal_parameter_rest(v, it));
    }

    fn visit_catch_parameter(&mut self, it: &CatchParameter<'a>) {
        self.with_binding_role("parameter", |v| walk::walk_catch_parameter(v, it));
    }

    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        if let Some(id) = &it.id {
            self.hit(id.span.start, &id.name, Family::Identifier, "function name");
        }
        self.with_binding_role("binding", |v| walk::walk_function(v, it, flags));
    }

    fn visit_class(&mut self, it: &Class<'a>) {
        if let Some(id) = &it.id {
            self.hit(id.span.start, &id.name, Family::Identifier, "class name");
        }
        walk::walk_class(self, it);
    }

    fn visit_import_specifier(&mut self, it: &ImportSpecifier<'a>) {
        if let ModuleExportName::IdentifierName(n) = &it.imported {
            self.hit(n.span.start, &n.name, Family::Identifier, "imported name");
        }
        self.with_binding_role("import binding", |v| walk::walk_import_specifier(v, it));
    }

    fn visit_export_specifier(&mut self, it: &ExportSpecifier<'a>) {
        for name in [&it.local, &it.exported] {
            match name {
                ModuleExportName::IdentifierName(n) => {
                    self.hit(n.span.start, &n.name, Family::Identifier, "exported name")
                }
                ModuleExportName::IdentifierReference(n) => {
                    self.hit(n.span.start, &n.name, Family::Identifier, "exported name")
                }
                ModuleExportName::StringLiteral(_) => {}
            }
        }
        walk::walk_export_specifier(self, it);
    }

    fn visit_binding_identifier(&mut self, it: &BindingIdentifier<'a>) {
        let role = self.binding_role;
        self.hit(it.span.start, &it.name, Family::Identifier, role);
    }

    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        self.hit(
            it.span.start,
            &it.name,
            Family::Identifier,
            "identifier reference",
        );
    }

    // ---- text that names `rawr.<key>` -----------------------------------------------------

    fn visit_string_literal(&mut self, it: &StringLiteral<'a>) {
        let (start, end) = (it.span.start as usize, it.span.end as usize);
        if let Some(raw) = self.text.get(start..end) {
            self.mentions(start, raw, "string literal mentions rawr.<key>");
        }
    }

    fn visit_template_element(&mut self, it: &TemplateElement<'a>) {
        let (start, end) = (it.span.start as usize, it.span.end as usize);
        if let Some(raw) = self.text.get(start..end) {
            self.mentions(start, raw, "template literal mentions rawr.<key>");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxc_allocator::Allocator;
    use oxc_parser::Parser;
    use oxc_span::SourceType;

    fn keys() -> Vec<String> {
        ["templateRole", "channel", "publishTier", "published"]
            .map(String::from)
            .to_vec()
    }

    fn hits(src: &str) -> Vec<(String, &'static str, &'static str)> {
        let alloc = Allocator::default();
        let ret = Parser::new(&alloc, src, SourceType::tsx()).parse();
        assert!(ret.diagnostics.is_empty(), "{:?}", ret.diagnostics);
        scan(&ret.program, src, &keys())
            .into_iter()
            .map(|h| (format!("{}@{}", h.key, h.offset), h.family.rule(), h.role))
            .collect()
    }

    #[test]
    fn comments_prose_and_near_misses_are_not_hits() {
        let src = "// the channel and publishTier are gone\n/* templateRole */\nconst channelId = 1;\nconst publishedAt = \"published channel\";\nconst s = 'suite:web:published-openapi';\nconst t = `rawr.publishedAt ${channelId}`;\n";
        assert_eq!(hits(src), vec![]);
    }

    #[test]
    fn variable_type_annotations_are_visited() {
        let got = hits("const r: M[\"channel\"] = 1;\n");
        assert_eq!(
            got,
            vec![(
                "channel@11".to_string(),
                "legacy-key-access",
                "indexed-access type key"
            )]
        );
    }

    #[test]
    fn cast_or_parenthesized_computed_keys_private_fields_and_key_types_are_hits() {
        let src = "const o = { [\"channel\" as const]: 1, [(`published`)]: 2 };\nconst { [\"publishTier\" satisfies string]: p } = o;\nclass C { #channel = 1; m() { return this.#channel; } }\ntype R = Record<\"templateRole\", 1>; type S = { [K in \"channel\"]: 1 };\n";
        let got = hits(src);
        let roles: Vec<_> = got.iter().map(|h| (h.0.as_str(), h.1, h.2)).collect();
        assert_eq!(
            roles,
            vec![
                ("channel@13", "legacy-key-property", "object property key"),
                ("published@39", "legacy-key-property", "object property key"),
                (
                    "publishTier@68",
                    "legacy-key-destructuring",
                    "destructuring binding"
                ),
                ("channel@120", "legacy-key-property", "class property"),
                (
                    "channel@152",
                    "legacy-key-access",
                    "member access (private field)"
                ),
                (
                    "templateRole@182",
                    "legacy-key-access",
                    "key of a Record type"
                ),
                ("channel@219", "legacy-key-access", "key of a mapped type"),
            ]
        );
    }

    #[test]
    fn every_role_is_found_once() {
        let src = "x.channel; x?.[\"published\"]; const { publishTier } = m; ({ channel: c } = m);\nconst o = { templateRole: 1, channel }; type T = M[\"channel\"]; interface I { published: boolean }\nfunction f(channel) {} 'rawr.channel';\n";
        let got = hits(src);
        let roles: Vec<_> = got.iter().map(|h| (h.0.as_str(), h.2)).collect();
        assert_eq!(
            roles,
            vec![
                ("channel@2", "member access (dot)"),
                ("published@15", "member access (bracket)"),
                ("publishTier@37", "destructuring binding"),
                ("channel@59", "destructuring assignment"),
                ("templateRole@90", "object property key"),
                ("channel@107", "object property key (shorthand)"),
                ("channel@129", "indexed-access type key"),
                ("published@155", "type member"),
                ("channel@187", "parameter"),
                ("channel@200", "string literal mentions rawr.<key>"),
            ]
        );
    }
}
