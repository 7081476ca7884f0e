//! Resolving the spec's types: structs and their fields with rules, enums (and the error
//! table on the error code enum), one-key objects and newtypes.

use super::Resolver;
use super::syntax::{is_field_name, is_type_name};
use crate::ir::{
    ErrorSemantics, Field, Lenient, MillisOf, RetryClass, Rules, SiblingBound, Struct, Ty, TypeDef,
    TypeKind, Variant, pascal_case,
};
use crate::spec::{self, FieldSpec, Format, ItemRuleSpec, OrderedMap, TypeSpec, VariantSpec};

impl<'a> Resolver<'a> {
    pub(super) fn resolve_type(
        &mut self,
        file: usize,
        name: &'a str,
        spec: &'a TypeSpec,
    ) -> Option<TypeDef> {
        self.unless_reported(|r| {
            let kind = r.resolve_type_kind(file, name, spec);
            kind.map(|kind| TypeDef {
                module: file,
                name: name.to_owned(),
                doc: spec.doc.clone(),
                kind,
            })
        })
    }

    fn resolve_type_kind(
        &mut self,
        file: usize,
        name: &'a str,
        spec: &'a TypeSpec,
    ) -> Option<TypeKind> {
        let at = ["types", name];
        if !is_type_name(name) {
            self.report(
                file,
                &at,
                format!("type name `{name}` must be PascalCase and not `Self`"),
            );
        }
        let kinds = [
            spec.fields.is_some(),
            spec.variants.is_some(),
            spec.one_key.is_some(),
            spec.newtype.is_some(),
            spec.millis.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            self.report(
                file,
                &at,
                format!(
                    "type `{name}` must have exactly one of `struct`, `enum`, `one_key`, `newtype`, `millis`"
                ),
            );
        }
        self.check_doc(file, &at, &spec.doc);
        let mut kind = None;
        if let Some(fields) = &spec.fields {
            kind = self
                .resolve_struct(file, name, spec, fields)
                .map(TypeKind::Struct);
        } else if spec.min_fields.is_some() || spec.applied_flags {
            self.report(
                file,
                &at,
                "`min_fields` and `applied_flags` apply to structs only",
            );
        }
        if spec.fields.is_none()
            && (spec.success_flag.is_some() || spec.tolerant || spec.transparent)
        {
            self.report(
                file,
                &at,
                "`success_flag`, `tolerant` and `transparent` apply to structs only",
            );
        }
        if let Some(variants) = &spec.variants {
            kind = Some(self.resolve_enum(file, name, spec, variants));
        }
        if let Some(keys) = &spec.one_key {
            kind = Some(self.resolve_one_key(file, name, spec, keys));
        }
        if spec.unknown.is_some() && spec.variants.is_none() && spec.one_key.is_none() {
            self.report(
                file,
                &[&at[..], &["unknown"]].concat(),
                "`unknown` applies to `enum` and `one_key` only",
            );
        }
        if let Some(inner) = &spec.newtype {
            if inner != "string" {
                let message =
                    format!("`newtype: {inner}` is not supported: a newtype wraps a `string`");
                self.report(file, &[&at[..], &["newtype"]].concat(), message);
            }
            kind = Some(TypeKind::Newtype);
        }
        if let Some(millis) = &spec.millis {
            kind = Some(self.resolve_millis(file, name, millis));
        }
        kind
    }

    /// `millis`: the "forever" values must be distinct.
    fn resolve_millis(&mut self, file: usize, name: &str, millis: &spec::MillisSpec) -> TypeKind {
        let mut seen = std::collections::BTreeSet::new();
        if !millis.forever.iter().all(|value| seen.insert(*value)) {
            let at = ["types", name, "millis", "forever"];
            self.report(file, &at, "the `forever` values must be distinct");
        }
        let of = match millis.of {
            spec::MillisOf::Duration => MillisOf::Duration,
            spec::MillisOf::Timestamp => MillisOf::Timestamp,
        };
        TypeKind::Millis {
            of,
            forever: millis.forever.clone(),
        }
    }

    fn resolve_enum(
        &mut self,
        file: usize,
        name: &str,
        spec: &TypeSpec,
        variants: &OrderedMap<VariantSpec>,
    ) -> TypeKind {
        self.check_error_table(file, name, variants);
        let resolved: Vec<Variant> = variants
            .iter()
            .map(|(wire, v)| Variant {
                wire: wire.clone(),
                name: v.variant.clone().unwrap_or_else(|| pascal_case(wire)),
                doc: v.doc.clone(),
                error: ErrorSemantics {
                    status: v.status,
                    exception: v.exception.clone(),
                    retry: v.retry.map(retry_class),
                },
            })
            .collect();
        let names = resolved.iter().map(|v| v.name.clone()).collect();
        self.check_variants(file, name, "enum", names, spec.unknown.as_deref());
        TypeKind::Enum {
            variants: resolved,
            unknown: spec.unknown.clone(),
        }
    }

    fn resolve_one_key(
        &mut self,
        file: usize,
        name: &str,
        spec: &TypeSpec,
        keys: &OrderedMap<spec::OneKeySpec>,
    ) -> TypeKind {
        // One-key objects always keep unknown keys, in `Other` unless named.
        let unknown = spec.unknown.clone().unwrap_or_else(|| "Other".to_owned());
        let resolved: Vec<Variant> = keys
            .iter()
            .map(|(wire, v)| Variant {
                wire: wire.clone(),
                name: v.variant.clone(),
                doc: v.doc.clone(),
                error: ErrorSemantics::default(),
            })
            .collect();
        let names = resolved.iter().map(|v| v.name.clone()).collect();
        self.check_variants(file, name, "one_key", names, Some(&unknown));
        TypeKind::OneKey {
            variants: resolved,
            unknown,
        }
    }

    /// `status`, `exception` and `retry` belong to the error code enum only, with an error
    /// status and a non-empty exception class.
    fn check_error_table(&mut self, file: usize, name: &str, variants: &OrderedMap<VariantSpec>) {
        let is_error_code = self.error_code == Some(name);
        for (wire, variant) in variants.iter() {
            let at = ["types", name, "enum", wire.as_str()];
            let has_table =
                variant.status.is_some() || variant.exception.is_some() || variant.retry.is_some();
            if has_table && !is_error_code {
                self.report(
                    file,
                    &at,
                    "`status`, `exception` and `retry` apply to the variants of the error code enum only",
                );
            }
            if variant.status.is_some_and(|s| !(400..=599).contains(&s)) {
                self.report(file, &at, "`status` must be an error status (400 to 599)");
            }
            if variant
                .exception
                .as_deref()
                .is_some_and(|e| e.trim().is_empty())
            {
                self.report(file, &at, "`exception` must not be empty");
            }
        }
    }

    fn check_variants(
        &mut self,
        file: usize,
        name: &str,
        key: &str,
        variants: Vec<String>,
        unknown: Option<&str>,
    ) {
        let at = ["types", name, key];
        if variants.is_empty() {
            self.report(file, &at, format!("`{name}` has no variants"));
        }
        for variant in variants.iter().map(String::as_str).chain(unknown) {
            if !is_type_name(variant) {
                self.report(file, &at, format!("variant `{variant}` must be PascalCase"));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for variant in variants.iter().map(String::as_str).chain(unknown) {
            if !seen.insert(variant) {
                let message = format!(
                    "two variants of `{name}` are named `{variant}` (the unknown-value variant counts too)"
                );
                self.report(file, &at, message);
            }
        }
    }

    fn resolve_struct(
        &mut self,
        file: usize,
        name: &str,
        spec: &TypeSpec,
        fields: &'a OrderedMap<FieldSpec>,
    ) -> Option<Struct> {
        if fields.is_empty() {
            self.report(
                file,
                &["types", name, "struct"],
                format!("struct `{name}` has no fields"),
            );
        }
        let resolved: Vec<Option<Field>> = fields
            .iter()
            .map(|(field_name, field)| {
                self.resolve_struct_field(file, name, spec, fields, field_name, field)
            })
            .collect();
        let success_flag = self.resolve_success_flag(file, name, spec, fields);
        let one_required = fields.0.len() == 1 && fields.iter().all(|(_, f)| f.required);
        if spec.transparent && !one_required {
            self.report(
                file,
                &["types", name, "transparent"],
                "`transparent` needs a struct of exactly one required field",
            );
        }
        Some(Struct {
            fields: resolved.into_iter().collect::<Option<_>>()?,
            min_fields: spec.min_fields,
            applied_flags: spec.applied_flags,
            success_flag: success_flag?,
            tolerant: spec.tolerant,
            transparent: spec.transparent,
        })
    }

    /// `success_flag`: a required `bool` field of the struct, whose `false` fails the call.
    fn resolve_success_flag(
        &mut self,
        file: usize,
        name: &str,
        spec: &TypeSpec,
        fields: &OrderedMap<FieldSpec>,
    ) -> Option<Option<String>> {
        let Some(flag) = &spec.success_flag else {
            return Some(None);
        };
        let at = ["types", name, "success_flag"];
        if spec.applied_flags {
            self.report(
                file,
                &at,
                "`success_flag` and `applied_flags` exclude each other: each decides `NotApplied`",
            );
            return None;
        }
        let fits = fields
            .get(flag)
            .is_some_and(|f| f.required && self.peek_type(&f.ty) == Some(Ty::Bool));
        if !fits {
            self.report(
                file,
                &at,
                format!("`success_flag: {flag}` must name a required bool field"),
            );
            return None;
        }
        Some(Some(flag.clone()))
    }

    fn resolve_struct_field(
        &mut self,
        file: usize,
        name: &str,
        spec: &TypeSpec,
        fields: &'a OrderedMap<FieldSpec>,
        field_name: &str,
        field: &FieldSpec,
    ) -> Option<Field> {
        let at = ["types", name, "struct", field_name];
        if field.location.is_some() || field.join.is_some() {
            self.report(
                file,
                &at,
                "`in` and `join` apply to operation parameters only",
            );
        }
        if field.flag_for.is_some() && !spec.applied_flags {
            self.report(
                file,
                &at,
                "`flag_for` needs `applied_flags: true` on the struct",
            );
        }
        if spec.applied_flags && (field.ty != "bool" || field.required) {
            self.report(
                file,
                &at,
                "every field of an `applied_flags` struct must be an optional bool (not `required`)",
            );
        }
        let bound = field
            .max_items_from
            .as_ref()
            .map(|sibling| self.sibling_bound(file, &at, name, fields, sibling));
        let reports_on = spec.applied_flags.then(|| {
            field
                .flag_for
                .clone()
                .unwrap_or_else(|| field_name.to_owned())
        });
        let mut resolved = self.resolve_field(file, &at, field_name, field)?;
        resolved.rules.max_items_from = match bound {
            Some(bound) => Some(bound?),
            None => None,
        };
        resolved.reports_on = reports_on;
        Some(resolved)
    }

    /// `max_items_from`: a sibling integer field of the same struct.
    fn sibling_bound(
        &mut self,
        file: usize,
        at: &[&str],
        name: &str,
        fields: &OrderedMap<FieldSpec>,
        sibling: &str,
    ) -> Option<SiblingBound> {
        let found = fields
            .get(sibling)
            .filter(|f| matches!(self.peek_type(&f.ty), Some(Ty::Int(_))));
        let Some(found) = found else {
            self.report(
                file,
                at,
                format!("`max_items_from: {sibling}` must name an integer field of `{name}`"),
            );
            return None;
        };
        Some(SiblingBound {
            name: sibling.to_owned(),
            wire: found.wire.clone().unwrap_or_else(|| sibling.to_owned()),
            required: found.required,
            default: found.default,
        })
    }

    /// A struct field or a parameter: its name, doc, type and the rules that fit its type.
    pub(super) fn resolve_field(
        &mut self,
        file: usize,
        at: &[&str],
        name: &str,
        field: &FieldSpec,
    ) -> Option<Field> {
        self.unless_reported(|r| r.resolve_field_unchecked(file, at, name, field))
    }

    fn resolve_field_unchecked(
        &mut self,
        file: usize,
        at: &[&str],
        name: &str,
        field: &FieldSpec,
    ) -> Option<Field> {
        if !is_field_name(name) {
            self.report(
                file,
                at,
                format!("`{name}` must be a snake_case name that is not a Rust keyword"),
            );
        }
        self.check_doc(file, at, &field.doc);
        let ty = self.resolve_type_expr(file, at, &field.ty)?;
        self.check_rules_fit(file, at, field, &ty);
        let nested = self.lists_checked_structs(&ty);
        Some(Field {
            name: name.to_owned(),
            wire: field.wire.clone().unwrap_or_else(|| name.to_owned()),
            // A path parameter is always required.
            required: field.required || field.location == Some(spec::ParamLocation::Path),
            doc: field.doc.clone(),
            default: field.default,
            lenient: field.lenient.map(|lenient| match lenient {
                spec::Lenient::BoolOrString => Lenient::BoolOrString,
                spec::Lenient::SuccessString => Lenient::SuccessString,
            }),
            reports_on: None,
            join: field.join.clone(),
            rules: Rules {
                nested,
                ..rules(field)
            },
            ty,
        })
    }

    /// Whether `ty` lists structs that have rules of their own (so each item is checked).
    pub(super) fn lists_checked_structs(&self, ty: &Ty) -> bool {
        let Some(Ty::Named(item)) = ty.list_item() else {
            return false;
        };
        let fields = self.struct_fields(&item.name);
        fields.is_some_and(|fields| fields.iter().any(|(_, f)| has_rules(f)))
    }

    fn check_rules_fit(&mut self, file: usize, at: &[&str], field: &FieldSpec, ty: &Ty) {
        let string_rules = field.min_chars.is_some()
            || field.max_chars.is_some()
            || field.forbid_chars.is_some()
            || field.format.is_some();
        if string_rules && !ty.is_stringlike() {
            self.report(
                file,
                at,
                "`min_chars`, `max_chars`, `forbid_chars` and `format` apply to strings only",
            );
        }
        let int_rules = field.min.is_some() || field.max.is_some();
        match ty {
            // A millis value's finite milliseconds; its "forever" is never out of range.
            Ty::Millis(_) => {}
            Ty::Int(int) => {
                let (low, high) = int.range();
                let min = field.min.map_or(low, i128::from);
                let max = field.max.map_or(high, i128::from);
                if min > max || min < low || max > high {
                    self.report(
                        file,
                        at,
                        format!("`min`/`max` must fit `{}` with min <= max", int.name()),
                    );
                }
            }
            _ if int_rules => self.report(
                file,
                at,
                "`min` and `max` apply to integers and `millis` types only",
            ),
            _ => {}
        }
        let list_rules = field.min_items.is_some()
            || field.max_items.is_some()
            || field.items.is_some()
            || field.max_items_from.is_some();
        match ty {
            Ty::List(item) | Ty::Map(item) if field.items.is_some() && !item.is_stringlike() => {
                self.report(
                    file,
                    at,
                    "`items` rules apply to lists and maps of strings only",
                );
            }
            Ty::List(_) | Ty::Map(_) => {}
            _ if list_rules => self.report(
                file,
                at,
                "`min_items`, `max_items`, `max_items_from` and `items` apply to lists and maps only",
            ),
            _ => {}
        }
        if field.keys.is_some() && !matches!(ty, Ty::Map(_)) {
            self.report(file, at, "`keys` rules apply to maps only");
        }
        if field.max_items_from.is_some() && matches!(ty, Ty::Map(_)) {
            self.report(file, at, "`max_items_from` applies to lists only");
        }
        if field
            .min_chars
            .zip(field.max_chars)
            .is_some_and(|(min, max)| min > max)
            || field
                .min_items
                .zip(field.max_items)
                .is_some_and(|(min, max)| min > max)
        {
            self.report(file, at, "a minimum is greater than its maximum");
        }
        if field.lenient == Some(spec::Lenient::BoolOrString) && *ty != Ty::Bool {
            self.report(file, at, "`lenient: bool_or_string` applies to bools only");
        }
        if field.lenient == Some(spec::Lenient::SuccessString)
            && (*ty != Ty::Bool || !field.required)
        {
            self.report(
                file,
                at,
                "`lenient: success_string` applies to required bools only",
            );
        }
    }
}

/// Whether the spec gives the field any validation rule.
fn has_rules(field: &FieldSpec) -> bool {
    !rules(field).is_empty() || field.max_items_from.is_some()
}

/// The validation rules of a field (`max_items_from` is resolved by the struct).
pub(super) fn rules(field: &FieldSpec) -> Rules {
    Rules {
        min_chars: field.min_chars,
        max_chars: field.max_chars,
        forbid_chars: field.forbid_chars.clone(),
        username: field.format == Some(Format::Username),
        key_chars: field.format == Some(Format::Key),
        min: field.min,
        max: field.max,
        min_items: field.min_items,
        max_items: field.max_items,
        max_items_from: None,
        nested: false,
        items: field
            .items
            .as_ref()
            .map(|items| Box::new(item_rules(items))),
        keys: field.keys.as_ref().map(|keys| Box::new(item_rules(keys))),
    }
}

fn item_rules(spec: &ItemRuleSpec) -> Rules {
    Rules {
        min_chars: spec.min_chars,
        max_chars: spec.max_chars,
        forbid_chars: spec.forbid_chars.clone(),
        username: spec.format == Some(Format::Username),
        key_chars: spec.format == Some(Format::Key),
        ..Rules::default()
    }
}

fn retry_class(class: spec::RetryClass) -> RetryClass {
    match class {
        spec::RetryClass::Throttled => RetryClass::Throttled,
        spec::RetryClass::Transient => RetryClass::Transient,
        spec::RetryClass::Final => RetryClass::Final,
        spec::RetryClass::TokenExpired => RetryClass::TokenExpired,
        spec::RetryClass::TokenInvalid => RetryClass::TokenInvalid,
    }
}
