//! Semantic checks of the parsed spec. Every problem is collected, each with the spec file and
//! line it comes from, before generation stops.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ir::{PathPart, Ty, parse_type, path_parts};
use crate::load::LoadedSpec;
use crate::locate::locate;
use crate::spec::{
    FieldSpec, Lenient, OperationSpec, PaginationStyle, ParamLocation, ResponseCheck, TypeSpec,
};
use std::collections::BTreeMap;

/// Checks all files together (names are global across files).
pub fn check(files: &[LoadedSpec]) -> Result<(), Diagnostics> {
    let mut checker = Checker {
        files,
        types: BTreeMap::new(),
        problems: Diagnostics::default(),
    };
    checker.collect_types();
    checker.check_api();
    for (file, loaded) in files.iter().enumerate() {
        for (name, spec) in loaded.spec.types.iter() {
            checker.check_type(file, name, spec);
        }
    }
    checker.check_operations();
    checker.problems.into_result()
}

struct Checker<'a> {
    files: &'a [LoadedSpec],
    /// Every declared type with the file that declares it.
    types: BTreeMap<&'a str, (usize, &'a TypeSpec)>,
    problems: Diagnostics,
}

impl<'a> Checker<'a> {
    fn report(&mut self, file: usize, path: &[&str], message: impl Into<String>) {
        let source = &self.files[file].source;
        let line = locate(&source.text, path);
        self.problems
            .0
            .push(Diagnostic::new(&source.path, line, message));
    }

    fn collect_types(&mut self) {
        for (file, loaded) in self.files.iter().enumerate() {
            for (name, spec) in loaded.spec.types.iter() {
                if let Some((first, _)) = self.types.get(name.as_str()) {
                    let first = self.files[*first].source.path.clone();
                    self.report(
                        file,
                        &["types", name],
                        format!("type `{name}` is already declared in {first}"),
                    );
                } else {
                    self.types.insert(name, (file, spec));
                }
            }
        }
    }

    fn struct_fields(&self, name: &str) -> Option<&'a crate::spec::OrderedMap<FieldSpec>> {
        self.types
            .get(name)
            .and_then(|(_, spec)| spec.fields.as_ref())
    }

    fn check_api(&mut self) {
        let apis: Vec<usize> = (0..self.files.len())
            .filter(|&i| self.files[i].spec.api.is_some())
            .collect();
        let Some(&file) = apis.first() else {
            if !self.files.is_empty() {
                self.report(0, &[], "no spec file has the `api` section");
            }
            return;
        };
        for &other in &apis[1..] {
            self.report(
                other,
                &["api"],
                "the `api` section appears in more than one file",
            );
        }
        let Some(api) = self.files[file].spec.api.as_ref() else {
            return;
        };
        for (key, name) in [("envelope", &api.envelope), ("error_body", &api.error_body)] {
            if self.struct_fields(name).is_none() {
                self.report(
                    file,
                    &["api", key],
                    format!("`{name}` is not a declared struct type"),
                );
            }
        }
        if let Err(message) = path_parts(&api.base_path) {
            self.report(file, &["api", "base_path"], message);
        }
    }

    fn check_type(&mut self, file: usize, name: &'a str, spec: &'a TypeSpec) {
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
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            self.report(
                file,
                &at,
                format!(
                    "type `{name}` must have exactly one of `struct`, `enum`, `one_key`, `newtype`"
                ),
            );
        }
        self.check_doc(file, &at, &spec.doc);
        if let Some(fields) = &spec.fields {
            self.check_struct(file, name, spec, fields);
        } else if spec.min_fields.is_some() || spec.applied_flags {
            self.report(
                file,
                &at,
                "`min_fields` and `applied_flags` apply to structs only",
            );
        }
        if let Some(variants) = &spec.variants {
            self.check_error_table(file, name, variants);
            self.check_variants(
                file,
                name,
                "enum",
                variants
                    .iter()
                    .map(|(k, _)| crate::ir::pascal_case(k))
                    .collect(),
                spec.unknown.as_deref(),
            );
        }
        if let Some(keys) = &spec.one_key {
            self.check_variants(
                file,
                name,
                "one_key",
                keys.iter().map(|(_, v)| v.variant.clone()).collect(),
                // One-key objects always keep unknown keys, in `Other` unless named.
                Some(spec.unknown.as_deref().unwrap_or("Other")),
            );
        }
        if spec.unknown.is_some() && spec.variants.is_none() && spec.one_key.is_none() {
            self.report(
                file,
                &[&at[..], &["unknown"]].concat(),
                "`unknown` applies to `enum` and `one_key` only",
            );
        }
        if let Some(inner) = spec.newtype.as_deref().filter(|inner| *inner != "string") {
            let message =
                format!("`newtype: {inner}` is not supported: a newtype wraps a `string`");
            self.report(file, &[&at[..], &["newtype"]].concat(), message);
        }
    }

    /// `status`, `exception` and `retry` belong to the error code enum only, with an error
    /// status and a non-empty exception class.
    fn check_error_table(
        &mut self,
        file: usize,
        name: &str,
        variants: &crate::spec::OrderedMap<crate::spec::VariantSpec>,
    ) {
        let is_error_code = self.error_code_type() == Some(name);
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

    fn check_struct(
        &mut self,
        file: usize,
        name: &str,
        spec: &TypeSpec,
        fields: &'a crate::spec::OrderedMap<FieldSpec>,
    ) {
        if fields.is_empty() {
            self.report(
                file,
                &["types", name, "struct"],
                format!("struct `{name}` has no fields"),
            );
        }
        for (field_name, field) in fields.iter() {
            let at = ["types", name, "struct", field_name.as_str()];
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
            if let Some(sibling) = &field.max_items_from {
                let is_int = fields
                    .get(sibling)
                    .is_some_and(|f| matches!(parse_type(&f.ty), Ok(Ty::Int(_))));
                if !is_int {
                    self.report(
                        file,
                        &at,
                        format!(
                            "`max_items_from: {sibling}` must name an integer field of `{name}`"
                        ),
                    );
                }
            }
            self.check_field(file, &at, field_name, field);
        }
    }

    fn check_field(&mut self, file: usize, at: &[&str], name: &str, field: &FieldSpec) {
        if !is_field_name(name) {
            self.report(
                file,
                at,
                format!("`{name}` must be a snake_case name that is not a Rust keyword"),
            );
        }
        self.check_doc(file, at, &field.doc);
        let Some(ty) = self.check_type_expr(file, at, &field.ty) else {
            return;
        };
        let stringlike = self.is_stringlike(&ty);
        let string_rules = field.min_chars.is_some()
            || field.max_chars.is_some()
            || field.forbid_chars.is_some()
            || field.format.is_some();
        if string_rules && !stringlike {
            self.report(
                file,
                at,
                "`min_chars`, `max_chars`, `forbid_chars` and `format` apply to strings only",
            );
        }
        let int_rules = field.min.is_some() || field.max.is_some();
        match ty {
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
            _ if int_rules => self.report(file, at, "`min` and `max` apply to integers only"),
            _ => {}
        }
        let list_rules = field.min_items.is_some()
            || field.max_items.is_some()
            || field.items.is_some()
            || field.max_items_from.is_some();
        if let Ty::List(item) = &ty {
            if field.items.is_some() && !self.is_stringlike(item) {
                self.report(file, at, "`items` rules apply to lists of strings only");
            }
        } else if list_rules {
            self.report(
                file,
                at,
                "`min_items`, `max_items`, `max_items_from` and `items` apply to lists only",
            );
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
        if field.lenient == Some(Lenient::BoolOrString) && ty != Ty::Bool {
            self.report(file, at, "`lenient: bool_or_string` applies to bools only");
        }
    }

    fn check_doc(&mut self, file: usize, at: &[&str], doc: &str) {
        if doc.trim().is_empty() {
            self.report(file, at, "`doc` must not be empty");
        }
    }

    /// Parses a type expression and checks that every name in it is declared.
    fn check_type_expr(&mut self, file: usize, at: &[&str], expr: &str) -> Option<Ty> {
        match parse_type(expr) {
            Ok(ty) => {
                let missing = named_types(&ty)
                    .into_iter()
                    .find(|n| !self.types.contains_key(n.as_str()));
                if let Some(missing) = missing {
                    self.report(file, at, format!("unknown type `{missing}`"));
                    return None;
                }
                Some(ty)
            }
            Err(message) => {
                self.report(file, at, message);
                None
            }
        }
    }

    fn is_stringlike(&self, ty: &Ty) -> bool {
        match ty {
            Ty::String => true,
            Ty::Named(name) => self
                .types
                .get(name.as_str())
                .and_then(|(_, spec)| spec.newtype.as_deref())
                .is_some_and(|inner| inner == "string"),
            _ => false,
        }
    }

    fn check_operations(&mut self) {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (file, loaded) in self.files.iter().enumerate() {
            for (id, op) in loaded.spec.operations.iter() {
                if let Some(first) = seen.get(id.as_str()) {
                    let first = self.files[*first].source.path.clone();
                    self.report(
                        file,
                        &["operations", id],
                        format!("operation `{id}` is already declared in {first}"),
                    );
                    continue;
                }
                seen.insert(id, file);
                self.check_operation(file, id, op);
            }
        }
    }

    fn check_operation(&mut self, file: usize, id: &str, op: &OperationSpec) {
        let at = ["operations", id];
        if !is_field_name(id) {
            self.report(file, &at, format!("operation id `{id}` must be snake_case"));
        }
        self.check_doc(file, &at, &op.doc);
        self.check_path(file, id, op);
        for (name, param) in op.params.iter() {
            let param_at = ["operations", id, "params", name.as_str()];
            self.check_param(file, &param_at, name, param);
        }
        if let Some(body) = &op.body
            && self.struct_fields(body).is_none()
        {
            self.report(
                file,
                &[&at[..], &["body"]].concat(),
                format!("body `{body}` is not a declared struct type"),
            );
        }
        self.check_type_expr(file, &[&at[..], &["response"]].concat(), &op.response);
        if op.rate_limit_per_sec == 0 {
            self.report(
                file,
                &[&at[..], &["rate_limit_per_sec"]].concat(),
                "`rate_limit_per_sec` must be at least 1",
            );
        }
        self.check_errors(file, id, op);
        self.check_pagination(file, id, op);
        self.check_batch(file, id, op);
        self.check_bulk(file, id, op);
        self.check_applied_flags(file, id, op);
    }

    fn check_path(&mut self, file: usize, id: &str, op: &OperationSpec) {
        let at = ["operations", id, "path"];
        if !op.path.starts_with('/') {
            self.report(file, &at, format!("path `{}` must start with `/`", op.path));
        }
        let parts = match path_parts(&op.path) {
            Ok(parts) => parts,
            Err(message) => return self.report(file, &at, message),
        };
        let in_template: Vec<&str> = parts
            .iter()
            .filter_map(|p| match p {
                PathPart::Param(n) => Some(*n),
                PathPart::Literal(_) => None,
            })
            .collect();
        for name in &in_template {
            let declared = op
                .params
                .get(name)
                .is_some_and(|p| p.location == Some(ParamLocation::Path));
            if !declared {
                self.report(
                    file,
                    &at,
                    format!(
                        "path parameter `{{{name}}}` is not declared in `params` with `in: path`"
                    ),
                );
            }
        }
        for (name, param) in op.params.iter() {
            if param.location == Some(ParamLocation::Path) && !in_template.contains(&name.as_str())
            {
                self.report(
                    file,
                    &["operations", id, "params", name],
                    format!(
                        "path parameter `{name}` does not appear in path `{}`",
                        op.path
                    ),
                );
            }
        }
    }

    fn check_param(&mut self, file: usize, at: &[&str], name: &str, param: &FieldSpec) {
        if param.location.is_none() {
            self.report(file, at, "a parameter needs `in: path` or `in: query`");
        }
        if param.flag_for.is_some() || param.lenient.is_some() || param.max_items_from.is_some() {
            self.report(
                file,
                at,
                "`flag_for`, `lenient` and `max_items_from` apply to struct fields only",
            );
        }
        self.check_field(file, at, name, param);
        let Ok(ty) = parse_type(&param.ty) else {
            return;
        };
        let is_list = matches!(&ty, Ty::List(item) if self.is_stringlike(item));
        match param.location {
            Some(ParamLocation::Path) if is_list != param.join.is_some() => {
                self.report(
                    file,
                    at,
                    "a list path parameter needs `join`, and only a list takes it",
                );
            }
            Some(ParamLocation::Path) if !is_list && !self.is_stringlike(&ty) => {
                self.report(
                    file,
                    at,
                    "a path parameter must be a string or a list of strings",
                );
            }
            Some(ParamLocation::Query)
                if param.join.is_some()
                    || !(self.is_stringlike(&ty) || matches!(ty, Ty::Int(_) | Ty::Bool)) =>
            {
                self.report(
                    file,
                    at,
                    "a query parameter must be a string, an integer or a bool, without `join`",
                );
            }
            _ => {}
        }
    }

    fn check_errors(&mut self, file: usize, id: &str, op: &OperationSpec) {
        let codes = self.error_codes();
        for (index, error) in op.errors.iter().enumerate() {
            let at = ["operations", id, "errors"];
            if !(400..=599).contains(&error.status) {
                self.report(
                    file,
                    &at,
                    format!(
                        "errors[{index}]: status {} is not an error status",
                        error.status
                    ),
                );
            }
            let table_status = self
                .error_table()
                .and_then(|t| t.get(&error.code))
                .and_then(|v| v.status);
            if let Some(status) = table_status.filter(|s| *s != error.status) {
                self.report(
                    file,
                    &at,
                    format!(
                        "errors[{index}]: status {} differs from the error table's status {status} for `{}`",
                        error.status, error.code
                    ),
                );
            }
            if let Some(codes) = &codes
                && !codes.contains(&error.code.as_str())
            {
                self.report(
                    file,
                    &at,
                    format!(
                        "errors[{index}]: `{}` is not a variant of the error code enum",
                        error.code
                    ),
                );
            }
        }
    }

    /// The name of the enum used as the error body's `error` field, if there is one.
    fn error_code_type(&self) -> Option<&'a str> {
        let api = self.files.iter().find_map(|f| f.spec.api.as_ref())?;
        let field = self.struct_fields(&api.error_body)?.get("error")?;
        let (name, _) = self.types.get_key_value(field.ty.as_str())?;
        Some(name)
    }

    /// The error code enum's variants by wire value, if there is one.
    fn error_table(&self) -> Option<&'a crate::spec::OrderedMap<crate::spec::VariantSpec>> {
        let (_, spec) = self.types.get(self.error_code_type()?)?;
        spec.variants.as_ref()
    }

    /// The wire values of the enum used as the error body's `error` field, if there is one.
    fn error_codes(&self) -> Option<Vec<&'a str>> {
        Some(
            self.error_table()?
                .iter()
                .map(|(k, _)| k.as_str())
                .collect(),
        )
    }

    fn check_pagination(&mut self, file: usize, id: &str, op: &OperationSpec) {
        // (parameter, its type, whether it needs a `max`: the largest page size)
        let needed: &[(&str, &str, bool)] = match op.pagination {
            Some(PaginationStyle::Cursor) => &[("limit", "u32", true), ("cursor", "string", false)],
            Some(PaginationStyle::PageNumber) => {
                &[("pagenum", "u32", false), ("pagesize", "u32", true)]
            }
            None => return,
        };
        for (name, ty, needs_max) in needed {
            let fits = op.params.get(name).is_some_and(|p| {
                p.location == Some(ParamLocation::Query)
                    && p.ty == *ty
                    && !p.required
                    && (!needs_max || p.max.is_some())
            });
            if !fits {
                let max = if *needs_max { " with a `max`" } else { "" };
                self.report(
                    file,
                    &["operations", id, "pagination"],
                    format!("this pagination style needs the optional query parameter `{name}: {ty}`{max}"),
                );
            }
        }
        if !op.response.starts_with('[') {
            self.report(
                file,
                &["operations", id, "pagination"],
                "a paginated operation must respond with a list",
            );
        }
    }

    /// `batch`: a list path parameter with `max_items`, a key field of the item type, and an
    /// error code for "none found".
    fn check_batch(&mut self, file: usize, id: &str, op: &OperationSpec) {
        let Some(batch) = &op.batch else { return };
        let at = ["operations", id, "batch"];
        let param = op
            .params
            .get(&batch.param)
            .filter(|p| p.location == Some(ParamLocation::Path));
        let item = param.and_then(|p| match parse_type(&p.ty) {
            Ok(Ty::List(item)) if p.max_items.is_some() => Some(*item),
            _ => None,
        });
        let Some(item) = item else {
            let message = format!(
                "`batch.param: {}` must be a list path parameter with `max_items`",
                batch.param
            );
            return self.report(file, &at, message);
        };
        let key_type = match parse_type(&op.response) {
            Ok(Ty::List(inner)) => match *inner {
                Ty::Named(name) => self
                    .struct_fields(&name)
                    .and_then(|f| f.get(&batch.key))
                    .map(|f| f.ty.clone()),
                _ => None,
            },
            _ => None,
        };
        if key_type.is_none_or(|ty| {
            parse_type(&ty).ok() != Some(item.clone()) || !self.is_required(op, &batch.key)
        }) {
            let message = format!(
                "`batch.key: {}` must be a required field of the response items, of the list's item type",
                batch.key
            );
            self.report(file, &at, message);
        }
        if let Some(code) = &batch.none_found
            && self
                .error_codes()
                .is_some_and(|codes| !codes.contains(&code.as_str()))
        {
            self.report(
                file,
                &at,
                format!("`none_found: {code}` is not a variant of the error code enum"),
            );
        }
    }

    fn is_required(&self, op: &OperationSpec, field: &str) -> bool {
        let item = op.response.trim_start_matches('[').trim_end_matches(']');
        self.struct_fields(item)
            .and_then(|f| f.get(field))
            .is_some_and(|f| f.required)
    }

    /// `bulk`: the operation's only path parameter, a string; no body; query parameters only
    /// when the operation is paginated (each value's pages are collected).
    fn check_bulk(&mut self, file: usize, id: &str, op: &OperationSpec) {
        let Some(param) = &op.bulk else { return };
        let path_params: Vec<&String> = op
            .params
            .iter()
            .filter(|(_, p)| p.location == Some(ParamLocation::Path))
            .map(|(n, _)| n)
            .collect();
        let only_string_param = path_params == [param]
            && op
                .params
                .get(param)
                .is_some_and(|p| matches!(parse_type(&p.ty), Ok(ty) if self.is_stringlike(&ty)));
        let has_query = op
            .params
            .iter()
            .any(|(_, p)| p.location == Some(ParamLocation::Query));
        if !only_string_param || op.body.is_some() || (has_query && op.pagination.is_none()) {
            let message = format!(
                "`bulk: {param}` needs `{param}` to be the only path parameter (a string), no body, and no query unless paginated"
            );
            self.report(file, &["operations", id, "bulk"], message);
        }
    }

    fn check_applied_flags(&mut self, file: usize, id: &str, op: &OperationSpec) {
        if op.check != Some(ResponseCheck::AppliedFlags) {
            return;
        }
        let at = ["operations", id, "check"];
        let flags = self
            .types
            .get(op.response.as_str())
            .filter(|(_, t)| t.applied_flags)
            .and_then(|(_, t)| t.fields.as_ref());
        let Some(flags) = flags else {
            return self.report(
                file,
                &at,
                "`check: applied_flags` needs a response struct with `applied_flags: true`",
            );
        };
        let body = op.body.as_deref().and_then(|b| self.struct_fields(b));
        for (flag, field) in flags.iter() {
            let target = field.flag_for.as_deref().unwrap_or(flag);
            if body.is_none_or(|b| b.get(target).is_none()) {
                self.report(
                    file,
                    &at,
                    format!("flag `{flag}` reports on `{target}`, which the body does not have"),
                );
            }
        }
    }
}

fn named_types(ty: &Ty) -> Vec<String> {
    match ty {
        Ty::Named(name) => vec![name.clone()],
        Ty::List(inner) | Ty::Map(inner) => named_types(inner),
        _ => Vec::new(),
    }
}

/// A type name the spec may declare: `Self` parses as a name but cannot be one.
fn is_type_name(name: &str) -> bool {
    crate::ir::is_type_name(name) && name != "Self"
}

fn is_field_name(name: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod",
        "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait",
        "true", "type", "unsafe", "use", "where", "while", "yield",
        // Reserved for future use: also refused by the compiler.
        "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try", "typeof",
        "unsized", "virtual",
    ];
    name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !KEYWORDS.contains(&name)
}
