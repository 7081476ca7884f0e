//! Resolving the spec's operations: path template and parameters, body and response, errors,
//! and the derived constructs (pagination, batch lookups, bulk methods, response checks).

use super::Resolver;
use super::syntax::{PathPart, is_field_name, path_parts};
use crate::ir::{
    Batch, BatchAnswer, BatchSource, Bulk, ErrorDoc, Field, Method, Operation, Pagination,
    ResponseCheck, Rules, Segment, Ty, TypeRef,
};
use crate::spec::{self, FieldSpec, OperationSpec, PaginationStyle, ParamLocation};
use std::collections::BTreeMap;

/// The list a batch's keys go in, resolved.
struct BatchKeys {
    source: BatchSource,
    wire: String,
    item: Ty,
    item_rules: Option<Rules>,
    chunk: u32,
}

/// What an operation's parts resolved to, before they become an [`Operation`].
struct Parts {
    segments: Vec<Segment>,
    path_params: Vec<Field>,
    query_params: Vec<Field>,
    body: Option<TypeRef>,
    response: Ty,
}

impl<'a> Resolver<'a> {
    /// Every operation of every file, in order; a duplicate id is reported and skipped.
    pub(super) fn resolve_operations(&mut self) -> Option<Vec<Operation>> {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        let mut resolved = Vec::new();
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
                resolved.push(self.resolve_operation(file, id, op));
            }
        }
        self.check_shared_routes();
        resolved.into_iter().collect()
    }

    /// Operations on the same method and path (parameter names aside) need a
    /// `dispatch_on_body_key` each, but one (the server's default for that method and path),
    /// unless another serves them (`served_by`, which must name such an operation).
    fn check_shared_routes(&mut self) {
        let mut undispatched: Vec<((spec::HttpMethod, String), &str)> = Vec::new();
        let mut clashes = Vec::new();
        let mut served = Vec::new();
        for (file, loaded) in self.files.iter().enumerate() {
            for (id, op) in loaded.spec.operations.iter() {
                if let Some(server) = &op.served_by {
                    served.push((
                        file,
                        id.clone(),
                        server.clone(),
                        (op.method, route_shape(&op.path)),
                    ));
                    continue;
                }
                if op.dispatch_on_body_key.is_some() {
                    continue;
                }
                let route = (op.method, route_shape(&op.path));
                match undispatched.iter().find(|(r, _)| *r == route) {
                    Some((_, first)) => clashes.push((file, id.clone(), first.to_string())),
                    None => undispatched.push((route, id)),
                }
            }
        }
        for (file, id, first) in clashes {
            let message = format!(
                "`{id}` has the method and path of `{first}`: give one of them `dispatch_on_body_key` (or `served_by`)"
            );
            self.report(file, &["operations", &id], message);
        }
        for (file, id, server, route) in served {
            if !undispatched
                .iter()
                .any(|(r, other)| *r == route && *other == server)
            {
                let message = format!(
                    "`served_by: {server}` must name an operation with the same method and path"
                );
                self.report(file, &["operations", &id, "served_by"], message);
            }
        }
    }

    fn resolve_operation(
        &mut self,
        file: usize,
        id: &str,
        op: &OperationSpec,
    ) -> Option<Operation> {
        self.unless_reported(|r| r.resolve_operation_unchecked(file, id, op))
    }

    fn resolve_operation_unchecked(
        &mut self,
        file: usize,
        id: &str,
        op: &OperationSpec,
    ) -> Option<Operation> {
        let at = ["operations", id];
        if !is_field_name(id) {
            self.report(file, &at, format!("operation id `{id}` must be snake_case"));
        }
        self.check_doc(file, &at, &op.doc);
        let parts = self.resolve_parts(file, id, op);
        if op.rate_limit_per_sec == 0 {
            self.report(
                file,
                &[&at[..], &["rate_limit_per_sec"]].concat(),
                "`rate_limit_per_sec` must be at least 1",
            );
        }
        let errors = self.resolve_errors(file, id, op);
        let pagination = self.resolve_pagination(file, id, op);
        let parts = parts?;
        let batch = self.resolve_batch(file, id, op, &parts);
        let bulk = self.resolve_bulk(file, id, op, &parts);
        let check = self.resolve_check(file, id, op);
        let observes_done = self.resolve_observes_done(file, id, op);
        self.check_item_results(file, id, op, &parts.response);
        let one_item_as_object = self.resolve_one_item_as_object(file, id, op, &parts);
        self.check_dispatch_key(file, id, op);
        Some(Operation {
            module: file,
            id: id.to_owned(),
            doc: op.doc.clone(),
            source: op.source.clone(),
            method: method(op.method),
            path: op.path.clone(),
            segments: parts.segments,
            path_params: parts.path_params,
            query_params: parts.query_params,
            body: parts.body,
            response: parts.response,
            pagination: pagination?,
            batch: batch?,
            bulk: bulk?,
            check: check?,
            item_results: op.item_results,
            one_item_as_object: one_item_as_object?,
            dispatch_on_body_key: op.dispatch_on_body_key.clone(),
            served_by: op.served_by.clone(),
            rate_limit_per_sec: op.rate_limit_per_sec,
            retry_safe: op.retry_safe,
            retry_observes_done: observes_done?,
            errors,
        })
    }

    /// The path, the parameters, the body and the response; `None` when one did not resolve.
    fn resolve_parts(&mut self, file: usize, id: &str, op: &OperationSpec) -> Option<Parts> {
        let at = ["operations", id];
        let path_names: Vec<&str> = op
            .params
            .iter()
            .filter(|(_, p)| p.location == Some(ParamLocation::Path))
            .map(|(name, _)| name.as_str())
            .collect();
        let segments = self.resolve_path(file, id, op, &path_names);
        let mut path_params = Vec::new();
        let mut query_params = Vec::new();
        let mut params_ok = true;
        for (name, param) in op.params.iter() {
            let param_at = ["operations", id, "params", name.as_str()];
            match (
                self.resolve_param(file, &param_at, name, param),
                param.location,
            ) {
                (Some(field), Some(ParamLocation::Path)) => path_params.push(field),
                (Some(field), Some(ParamLocation::Query)) => query_params.push(field),
                _ => params_ok = false,
            }
        }
        let body = match &op.body {
            Some(body) if self.struct_fields(body).is_some() => self.type_ref(body).map(Some),
            Some(body) => {
                self.report(
                    file,
                    &[&at[..], &["body"]].concat(),
                    format!("body `{body}` is not a declared struct type"),
                );
                None
            }
            None => Some(None),
        };
        let response =
            self.resolve_type_expr(file, &[&at[..], &["response"]].concat(), &op.response);
        Some(Parts {
            segments: segments?,
            path_params: params_ok.then_some(path_params)?,
            query_params,
            body: body?,
            response: response?,
        })
    }

    /// The path template as segments; every `{name}` is a declared path parameter and every
    /// path parameter appears in the template.
    fn resolve_path(
        &mut self,
        file: usize,
        id: &str,
        op: &OperationSpec,
        path_names: &[&str],
    ) -> Option<Vec<Segment>> {
        let at = ["operations", id, "path"];
        if !op.path.starts_with('/') {
            self.report(file, &at, format!("path `{}` must start with `/`", op.path));
        }
        let parts = match path_parts(&op.path) {
            Ok(parts) => parts,
            Err(message) => {
                self.report(file, &at, message);
                return None;
            }
        };
        let mut segments = Vec::new();
        let mut in_template = Vec::new();
        for part in &parts {
            match part {
                PathPart::Literal(text) => segments.push(Segment::Literal((*text).to_owned())),
                PathPart::Param(name) => {
                    in_template.push(*name);
                    match path_names.iter().position(|n| n == name) {
                        Some(index) => segments.push(Segment::Param(index)),
                        None => self.report(
                            file,
                            &at,
                            format!(
                                "path parameter `{{{name}}}` is not declared in `params` with `in: path`"
                            ),
                        ),
                    }
                }
            }
        }
        for name in path_names {
            if !in_template.contains(name) {
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
        Some(segments)
    }

    fn resolve_param(
        &mut self,
        file: usize,
        at: &[&str],
        name: &str,
        param: &FieldSpec,
    ) -> Option<Field> {
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
        let field = self.resolve_field(file, at, name, param)?;
        let ty = &field.ty;
        let is_list = ty.list_item().is_some_and(Ty::is_stringlike);
        let fits = match param.location {
            Some(ParamLocation::Path) if is_list != param.join.is_some() => {
                Err("a list path parameter needs `join`, and only a list takes it")
            }
            Some(ParamLocation::Path) if !is_list && !ty.is_stringlike() => {
                Err("a path parameter must be a string or a list of strings")
            }
            Some(ParamLocation::Query)
                if param.join.is_some()
                    || !(ty.is_stringlike() || matches!(ty, Ty::Int(_) | Ty::Bool)) =>
            {
                Err("a query parameter must be a string, an integer or a bool, without `join`")
            }
            None => return None,
            _ => Ok(()),
        };
        match fits {
            Ok(()) => Some(field),
            Err(message) => {
                self.report(file, at, message);
                None
            }
        }
    }

    fn resolve_errors(&mut self, file: usize, id: &str, op: &OperationSpec) -> Vec<ErrorDoc> {
        let table = self.error_table();
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
            let variant = table.and_then(|t| t.get(&error.code));
            if let Some(status) = variant
                .and_then(|v| v.status)
                .filter(|s| *s != error.status)
            {
                self.report(
                    file,
                    &at,
                    format!(
                        "errors[{index}]: status {} differs from the error table's status {status} for `{}`",
                        error.status, error.code
                    ),
                );
            }
            if table.is_some() && variant.is_none() {
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
        op.errors
            .iter()
            .map(|e| ErrorDoc {
                status: e.status,
                code: e.code.clone(),
                doc: e.doc.clone(),
            })
            .collect()
    }

    /// A pagination style, with the query parameters it pages by (named by the spec;
    /// optional, of the style's types, the page size with a `max`); the response is a list.
    fn resolve_pagination(
        &mut self,
        file: usize,
        id: &str,
        op: &OperationSpec,
    ) -> Option<Option<Pagination>> {
        let Some(spec) = &op.pagination else {
            return Some(None);
        };
        let at = ["operations", id, "pagination"];
        let (style_key, other_key, style_param, other) = match spec.style {
            PaginationStyle::Cursor => ("cursor", "number", &spec.cursor, &spec.number),
            PaginationStyle::PageNumber => ("number", "cursor", &spec.number, &spec.cursor),
        };
        if other.is_some() {
            self.report(
                file,
                &at,
                format!("`{other_key}` does not apply to this pagination style"),
            );
        }
        let Some(style_param) = style_param else {
            self.report(
                file,
                &at,
                format!(
                    "this pagination style needs `{style_key}`: the name of its query parameter"
                ),
            );
            return None;
        };
        // (parameter, its type, whether it is the page size: it needs a `max`), in the order
        // the service's documents list them.
        let needed = match spec.style {
            PaginationStyle::Cursor => [(&spec.size, "u32", true), (style_param, "string", false)],
            PaginationStyle::PageNumber => [(style_param, "u32", false), (&spec.size, "u32", true)],
        };
        let mut sizes = None;
        for (name, ty, is_size) in needed {
            let param = op
                .params
                .get(name)
                .filter(|p| p.location == Some(ParamLocation::Query) && p.ty == ty && !p.required);
            let size = param.filter(|_| is_size).and_then(page_size);
            if param.is_none() || (is_size && size.is_none()) {
                let max = if is_size { " with a `max`" } else { "" };
                self.report(
                    file,
                    &at,
                    format!("this pagination style needs the optional query parameter `{name}: {ty}`{max}"),
                );
            }
            if is_size {
                sizes = size;
            }
        }
        if !op.response.starts_with('[') {
            self.report(file, &at, "a paginated operation must respond with a list");
        }
        let (max_size, default_size) = sizes?;
        Some(Some(match spec.style {
            PaginationStyle::Cursor => Pagination::Cursor {
                size: spec.size.clone(),
                cursor: style_param.clone(),
                max_size,
            },
            PaginationStyle::PageNumber => Pagination::PageNumber {
                number: style_param.clone(),
                size: spec.size.clone(),
                max_size,
                default_size,
            },
        }))
    }

    /// `batch`: a list parameter with `max_items` (of the path, or the body's one field) and
    /// how the answer names each key: a lookup (`key`, `none_found`), a write answered per
    /// item (`item_results` and `key`), or a write listing the keys it applied (`applied`).
    fn resolve_batch(
        &mut self,
        file: usize,
        id: &str,
        op: &OperationSpec,
        parts: &Parts,
    ) -> Option<Option<Batch>> {
        let Some(batch) = &op.batch else {
            return Some(None);
        };
        let at = ["operations", id, "batch"];
        let Some(keys) = self.batch_keys(op, batch, parts) else {
            let message = format!(
                "`batch.param: {}` must be a list path parameter with `max_items`, or a required list field of the body with `max_items`",
                batch.param
            );
            self.report(file, &at, message);
            return None;
        };
        let answer = self.batch_answer(file, id, op, batch, parts, &keys)?;
        Some(Some(Batch {
            source: keys.source,
            wire: keys.wire,
            item: keys.item,
            item_rules: keys.item_rules,
            chunk: keys.chunk,
            answer,
        }))
    }

    /// The list that carries a batch's keys: a path parameter, else the body's only field.
    fn batch_keys(
        &self,
        op: &OperationSpec,
        batch: &spec::BatchSpec,
        parts: &Parts,
    ) -> Option<BatchKeys> {
        if let Some(index) = parts.path_params.iter().position(|p| p.name == batch.param) {
            let p = &parts.path_params[index];
            return Some(BatchKeys {
                source: BatchSource::Path(index),
                wire: p.wire.clone(),
                item: p.ty.list_item()?.clone(),
                item_rules: p.rules.items.as_deref().cloned(),
                chunk: p.rules.max_items?,
            });
        }
        let body = op.body.as_deref()?;
        let fields = self.struct_fields(body)?;
        let field = fields.get(&batch.param).filter(|f| f.required)?;
        let item = self.peek_type(&field.ty)?.list_item()?.clone();
        let rules = super::types::rules(field);
        Some(BatchKeys {
            source: BatchSource::Body {
                body: parts.body.clone()?,
                field: batch.param.clone(),
                alone: fields.0.len() == 1,
            },
            wire: field.wire.clone().unwrap_or_else(|| batch.param.clone()),
            item,
            item_rules: rules.items.as_deref().cloned(),
            chunk: rules.max_items?,
        })
    }

    /// How a batch's answer is matched to its keys; every combination that does not fit is
    /// reported.
    fn batch_answer(
        &mut self,
        file: usize,
        id: &str,
        op: &OperationSpec,
        batch: &spec::BatchSpec,
        parts: &Parts,
        keys: &BatchKeys,
    ) -> Option<BatchAnswer> {
        let at = ["operations", id, "batch"];
        if let Some(applied) = &batch.applied {
            if batch.key.is_some() || batch.none_found.is_some() || op.item_results {
                self.report(
                    file,
                    &at,
                    "`batch.applied` goes without `key`, `none_found` and `item_results`",
                );
                return None;
            }
            if !self.lists_keys(&op.response, applied, &keys.item) {
                let message = format!(
                    "`batch.applied: {applied}` must be a required field of the response struct listing the keys' type"
                );
                self.report(file, &at, message);
                return None;
            }
            return Some(BatchAnswer::AppliedList {
                field: applied.clone(),
            });
        }
        let Some(key) = &batch.key else {
            self.report(
                file,
                &at,
                "`batch` needs `key` (the field naming each answered item) or `applied`",
            );
            return None;
        };
        if !self.is_item_key(&parts.response, key, Some(&keys.item)) {
            let message = format!(
                "`batch.key: {key}` must be a required field of the response items, of the list's item type"
            );
            self.report(file, &at, message);
        }
        if op.item_results {
            if batch.none_found.is_some() {
                self.report(
                    file,
                    &at,
                    "`batch.none_found` applies to lookups, not to `item_results` writes",
                );
                return None;
            }
            return Some(BatchAnswer::ItemResults { key: key.clone() });
        }
        if !matches!(keys.source, BatchSource::Path(_)) {
            self.report(
                file,
                &at,
                "a lookup `batch` takes its keys from a path parameter",
            );
            return None;
        }
        let none_found = match &batch.none_found {
            Some(code) => Some(self.error_code_ref(file, &at, "none_found", code)?),
            None => None,
        };
        Some(BatchAnswer::Lookup {
            key: key.clone(),
            none_found,
        })
    }

    /// Whether the response is a struct with a required field `field` listing `item`s.
    fn lists_keys(&self, response: &str, field: &str, item: &Ty) -> bool {
        let field = self.struct_fields(response).and_then(|f| f.get(field));
        field.is_some_and(|f| {
            f.required && self.peek_type(&f.ty).as_ref().and_then(Ty::list_item) == Some(item)
        })
    }

    /// Whether `key` is a required field, of type `item`, of the struct the response lists.
    fn is_item_key(&self, response: &Ty, key: &str, item: Option<&Ty>) -> bool {
        let Some(Ty::Named(listed)) = response.list_item() else {
            return false;
        };
        let field = self.struct_fields(&listed.name).and_then(|f| f.get(key));
        field.is_some_and(|f| f.required && self.peek_type(&f.ty).as_ref() == item)
    }

    /// A code of the error code enum, checked; `key` names the spec key in the report.
    fn error_code_ref(
        &mut self,
        file: usize,
        at: &[&str],
        key: &str,
        code: &str,
    ) -> Option<String> {
        match self.error_table().and_then(|t| t.get(code)) {
            Some(_) => Some(code.to_owned()),
            None => {
                self.report(
                    file,
                    at,
                    format!("`{key}: {code}` is not a variant of the error code enum"),
                );
                None
            }
        }
    }

    /// `retry_observes_done`: the error code with which a retry finds the call's own earlier
    /// effect (a known code of the error code enum).
    fn resolve_observes_done(
        &mut self,
        file: usize,
        id: &str,
        op: &OperationSpec,
    ) -> Option<Option<String>> {
        let Some(code) = &op.retry_observes_done else {
            return Some(None);
        };
        let at = ["operations", id, "retry_observes_done"];
        self.error_code_ref(file, &at, "retry_observes_done", code)
            .map(Some)
    }

    /// `bulk`: a path parameter holding one string; the other parameters (path, query and
    /// body) stay fixed arguments; a paginated operation collects each value's pages.
    fn resolve_bulk(
        &mut self,
        file: usize,
        id: &str,
        op: &OperationSpec,
        parts: &Parts,
    ) -> Option<Option<Bulk>> {
        let Some(name) = &op.bulk else {
            return Some(None);
        };
        let param = parts
            .path_params
            .iter()
            .position(|p| p.name == *name && p.ty.is_stringlike());
        let Some(param) = param else {
            let message = format!("`bulk: {name}` must name a path parameter holding one string");
            self.report(file, &["operations", id, "bulk"], message);
            return None;
        };
        Some(Some(Bulk { param }))
    }

    /// `item_results`: the response lists a struct whose fields leave `result` and `reason` to
    /// the runtime's per-item wrapper.
    fn check_item_results(&mut self, file: usize, id: &str, op: &OperationSpec, response: &Ty) {
        if !op.item_results {
            return;
        }
        let fields = match response.list_item() {
            Some(Ty::Named(item)) => self.struct_fields(&item.name),
            _ => None,
        };
        let fits = fields.is_some_and(|f| f.get("result").is_none() && f.get("reason").is_none());
        if !fits {
            self.report(
                file,
                &["operations", id, "item_results"],
                "`item_results` needs a response listing a struct without `result` and `reason` fields (the runtime decodes those)",
            );
        }
    }

    /// `one_item_as_object`: a list response and exactly one list path parameter.
    fn resolve_one_item_as_object(
        &mut self,
        file: usize,
        id: &str,
        op: &OperationSpec,
        parts: &Parts,
    ) -> Option<Option<usize>> {
        if !op.one_item_as_object {
            return Some(None);
        }
        let lists: Vec<usize> = (0..parts.path_params.len())
            .filter(|&i| parts.path_params[i].join.is_some())
            .collect();
        match (lists.as_slice(), parts.response.list_item()) {
            ([index], Some(_)) => Some(Some(*index)),
            _ => {
                self.report(
                    file,
                    &["operations", id, "one_item_as_object"],
                    "`one_item_as_object` needs a list response and exactly one list path parameter",
                );
                None
            }
        }
    }

    /// `dispatch_on_body_key`: a body that has that key.
    fn check_dispatch_key(&mut self, file: usize, id: &str, op: &OperationSpec) {
        let Some(key) = &op.dispatch_on_body_key else {
            return;
        };
        let fields = op.body.as_deref().and_then(|b| self.struct_fields(b));
        let has_key = fields.is_some_and(|f| {
            f.iter()
                .any(|(name, field)| field.wire.as_deref().unwrap_or(name) == key && field.required)
        });
        if !has_key {
            let message = format!(
                "`dispatch_on_body_key: {key}` must be a required field (as on the wire) of the body"
            );
            self.report(file, &["operations", id, "dispatch_on_body_key"], message);
        }
    }

    /// `check: applied_flags`: the response is a struct with a success flag, or an
    /// applied-flags struct whose every flag reports on a field of the body.
    fn resolve_check(
        &mut self,
        file: usize,
        id: &str,
        op: &OperationSpec,
    ) -> Option<Option<ResponseCheck>> {
        let Some(spec::ResponseCheck::AppliedFlags) = op.check else {
            return Some(None);
        };
        let at = ["operations", id, "check"];
        let response = self.declared.get(op.response.as_str());
        if response.is_some_and(|d| d.spec.fields.is_some() && d.spec.success_flag.is_some()) {
            return Some(Some(ResponseCheck::AppliedFlags));
        }
        let flags = response
            .filter(|d| d.spec.applied_flags)
            .and_then(|d| d.spec.fields.as_ref());
        let Some(flags) = flags else {
            self.report(
                file,
                &at,
                "`check: applied_flags` needs a response struct with `applied_flags: true` or a `success_flag`",
            );
            return None;
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
        Some(Some(ResponseCheck::AppliedFlags))
    }
}

/// A path with every parameter written `{}`: the shape the server routes by.
fn route_shape(path: &str) -> String {
    path.split('/')
        .map(
            |segment| match segment.starts_with('{') && segment.ends_with('}') {
                true => "{}",
                false => segment,
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// A page-size parameter's (largest, default) sizes; `None` when it has no `max` (or a
/// default) that fits a `u32`.
fn page_size(param: &FieldSpec) -> Option<(u32, u32)> {
    let max = u32::try_from(param.max?).ok().filter(|max| *max > 0)?;
    let default = match param.default {
        Some(default) => u32::try_from(default).ok()?,
        None => max,
    };
    Some((max, default))
}

fn method(method: spec::HttpMethod) -> Method {
    match method {
        spec::HttpMethod::Get => Method::Get,
        spec::HttpMethod::Post => Method::Post,
        spec::HttpMethod::Put => Method::Put,
        spec::HttpMethod::Delete => Method::Delete,
    }
}
