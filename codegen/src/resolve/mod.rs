//! One pass from the parsed spec to the closed [`Ir`]: every rule of the spec is checked
//! where its part is lowered, so the result is either the whole IR or every problem found,
//! each with the spec file and line it comes from.
//!
//! Types are declared first (names are global across files), then the `api` section, the
//! types and the operations are resolved in spec order.

mod operations;
mod syntax;
mod types;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ir::{Envelope, Ir, Module, Ty, TypeId, TypeKind, TypeRef};
use crate::load::LoadedSpec;
use crate::locate::locate;
use crate::spec::{OrderedMap, TypeSpec, VariantSpec};
use std::collections::BTreeMap;
use syntax::{TypeExpr, parse_type};

pub use syntax::{PathPart, path_parts};

/// Resolves all files together into the IR, or reports every problem.
pub fn resolve(files: &[LoadedSpec]) -> Result<Ir, Diagnostics> {
    let mut resolver = Resolver::new(files);
    resolver.declare_types();
    let modules = resolver.resolve_modules();
    let api = resolver.resolve_api();
    let types = resolver.resolve_types();
    let operations = resolver.resolve_operations();
    let (Some(api), Some(types), Some(operations)) = (api, types, operations) else {
        resolver.ensure_reported();
        return Err(resolver.problems);
    };
    if !resolver.problems.0.is_empty() {
        return Err(resolver.problems);
    }
    let Some(TypeKind::Struct(envelope)) = types.get(api.envelope.id.0).map(|t| &t.kind) else {
        resolver.ensure_reported();
        return Err(resolver.problems);
    };
    let envelope = Envelope {
        name: api.envelope.name,
        fields: envelope.fields.clone(),
        tolerant: envelope.tolerant,
    };
    Ok(Ir {
        title: api.title,
        doc: api.doc,
        base_path: api.base_path,
        envelope,
        error_code: api.error_code,
        modules,
        types,
        operations,
    })
}

/// The `api` section, resolved.
struct Api {
    title: String,
    doc: String,
    base_path: String,
    envelope: TypeRef,
    error_code: Option<TypeId>,
}

/// A declared type: its file, its id in the IR and its spec (the first declaration wins).
#[derive(Clone, Copy)]
struct Declared<'a> {
    file: usize,
    id: TypeId,
    spec: &'a TypeSpec,
}

struct Resolver<'a> {
    files: &'a [LoadedSpec],
    declared: BTreeMap<&'a str, Declared<'a>>,
    /// The declared names in declaration order (the order of the IR's types).
    order: Vec<&'a str>,
    /// The enum of the error body's `error` field, if it is a declared enum.
    error_code: Option<&'a str>,
    problems: Diagnostics,
}

impl<'a> Resolver<'a> {
    fn new(files: &'a [LoadedSpec]) -> Self {
        Self {
            files,
            declared: BTreeMap::new(),
            order: Vec::new(),
            error_code: None,
            problems: Diagnostics::default(),
        }
    }

    fn report(&mut self, file: usize, path: &[&str], message: impl Into<String>) {
        let source = &self.files[file].source;
        let line = locate(&source.text, path);
        self.problems
            .0
            .push(Diagnostic::new(&source.path, line, message));
    }

    /// A part failed to resolve without saying why: a generator bug, reported as such
    /// instead of generating from a partial model.
    fn ensure_reported(&mut self) {
        if self.problems.0.is_empty() {
            let file = self
                .files
                .first()
                .map_or("spec", |f| f.source.path.as_str());
            self.problems.0.push(Diagnostic::new(
                file,
                None,
                "internal error: a part of the spec did not resolve and no problem was reported",
            ));
        }
    }

    /// Runs `resolve` and keeps its result only if it reported no problem.
    fn unless_reported<T>(&mut self, resolve: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let before = self.problems.0.len();
        let resolved = resolve(self);
        resolved.filter(|_| self.problems.0.len() == before)
    }

    fn declare_types(&mut self) {
        for (file, loaded) in self.files.iter().enumerate() {
            for (name, spec) in loaded.spec.types.iter() {
                if let Some(first) = self.declared.get(name.as_str()) {
                    let first = self.files[first.file].source.path.clone();
                    self.report(
                        file,
                        &["types", name],
                        format!("type `{name}` is already declared in {first}"),
                    );
                } else {
                    let id = TypeId(self.order.len());
                    self.declared.insert(name, Declared { file, id, spec });
                    self.order.push(name);
                }
            }
        }
        self.error_code = self.find_error_code();
    }

    /// The enum of the error body's `error` field.
    fn find_error_code(&self) -> Option<&'a str> {
        let api = self.files.iter().find_map(|f| f.spec.api.as_ref())?;
        let field = self.struct_fields(&api.error_body)?.get("error")?;
        let (name, declared) = self.declared.get_key_value(field.ty.as_str())?;
        declared.spec.variants.as_ref().map(|_| *name)
    }

    fn struct_fields(&self, name: &str) -> Option<&'a OrderedMap<crate::spec::FieldSpec>> {
        self.declared.get(name).and_then(|d| d.spec.fields.as_ref())
    }

    /// The error code enum's variants by wire value, if there is one.
    fn error_table(&self) -> Option<&'a OrderedMap<VariantSpec>> {
        let declared = self.declared.get(self.error_code?)?;
        declared.spec.variants.as_ref()
    }

    fn type_ref(&self, name: &str) -> Option<TypeRef> {
        self.declared.get(name).map(|d| TypeRef {
            id: d.id,
            name: name.to_owned(),
        })
    }

    /// One module per spec file, named by the file's stem; the names `types` and
    /// `operations` are the API-wide modules.
    fn resolve_modules(&mut self) -> Vec<Module> {
        let mut modules = Vec::new();
        for (file, loaded) in self.files.iter().enumerate() {
            let path = loaded.source.path.as_str();
            let name = module_name(path);
            let reserved = ["types", "operations", "validate"].contains(&name);
            if !syntax::is_field_name(name) || reserved {
                self.report(
                    file,
                    &[],
                    format!("the file name `{name}` must be a snake_case module name other than `types`, `operations` and `validate`"),
                );
            }
            modules.push(Module {
                name: name.to_owned(),
                spec_file: path.to_owned(),
            });
        }
        modules
    }

    fn resolve_api(&mut self) -> Option<Api> {
        let apis: Vec<usize> = (0..self.files.len())
            .filter(|&i| self.files[i].spec.api.is_some())
            .collect();
        let Some(&file) = apis.first() else {
            if !self.files.is_empty() {
                self.report(0, &[], "no spec file has the `api` section");
            }
            return None;
        };
        for &other in &apis[1..] {
            self.report(
                other,
                &["api"],
                "the `api` section appears in more than one file",
            );
        }
        let api = self.files[file].spec.api.as_ref()?;
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
        let envelope = self.type_ref(&api.envelope)?;
        Some(Api {
            title: api.title.clone(),
            doc: api.doc.clone(),
            base_path: api.base_path.clone(),
            envelope,
            error_code: self
                .error_code
                .and_then(|name| self.type_ref(name))
                .map(|r| r.id),
        })
    }

    /// Every type of every file, in order; duplicates are checked but not kept.
    fn resolve_types(&mut self) -> Option<Vec<crate::ir::TypeDef>> {
        let mut resolved = BTreeMap::new();
        for (file, loaded) in self.files.iter().enumerate() {
            for (name, spec) in loaded.spec.types.iter() {
                let def = self.resolve_type(file, name, spec);
                let first = self
                    .declared
                    .get(name.as_str())
                    .is_some_and(|d| d.file == file && std::ptr::eq(d.spec, spec));
                if first {
                    resolved.insert(name.as_str(), def);
                }
            }
        }
        let order = self.order.clone();
        order
            .into_iter()
            .map(|name| resolved.remove(name).flatten())
            .collect()
    }

    /// Parses a type expression and resolves every name in it.
    fn resolve_type_expr(&mut self, file: usize, at: &[&str], expr: &str) -> Option<Ty> {
        match parse_type(expr) {
            Ok(parsed) => match self.lower_type_expr(&parsed) {
                Ok(ty) => Some(ty),
                Err(missing) => {
                    self.report(file, at, format!("unknown type `{missing}`"));
                    None
                }
            },
            Err(message) => {
                self.report(file, at, message);
                None
            }
        }
    }

    /// `Err` names the first type that is not declared.
    fn lower_type_expr(&self, expr: &TypeExpr) -> Result<Ty, String> {
        Ok(match expr {
            TypeExpr::String => Ty::String,
            TypeExpr::Bool => Ty::Bool,
            TypeExpr::Int(int) => Ty::Int(*int),
            TypeExpr::Json => Ty::Json,
            TypeExpr::Secret => Ty::Secret,
            TypeExpr::List(item) => Ty::List(Box::new(self.lower_type_expr(item)?)),
            TypeExpr::Map(value) => Ty::Map(Box::new(self.lower_type_expr(value)?)),
            TypeExpr::Named(name) => {
                let declared = self
                    .declared
                    .get(name.as_str())
                    .ok_or_else(|| name.clone())?;
                let reference = TypeRef {
                    id: declared.id,
                    name: name.clone(),
                };
                if declared.spec.newtype.as_deref() == Some("string") {
                    Ty::Newtype(reference)
                } else if declared.spec.millis.is_some() {
                    Ty::Millis(reference)
                } else {
                    Ty::Named(reference)
                }
            }
        })
    }

    /// The resolved type of an expression, without reporting (for checks of other parts).
    fn peek_type(&self, expr: &str) -> Option<Ty> {
        parse_type(expr)
            .ok()
            .and_then(|parsed| self.lower_type_expr(&parsed).ok())
    }

    fn check_doc(&mut self, file: usize, at: &[&str], doc: &str) {
        if doc.trim().is_empty() {
            self.report(file, at, "`doc` must not be empty");
        }
    }
}

/// `spec/chatrooms.yaml` -> `chatrooms`.
fn module_name(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.split('.').next().unwrap_or(file)
}
