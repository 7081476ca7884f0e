//! Emits the types: one Rust type per spec type in its spec file's module, and the API-wide
//! `types.rs` that re-exports them all beside the generic success envelope.

use super::docs::{doc_attrs, field_doc, inner_doc_attrs};
use super::{ident, rust_type};
use crate::ir::{Envelope, Field, Ir, Lenient, Struct, Ty, TypeDef, TypeKind, Variant};
use proc_macro2::TokenStream;
use quote::quote;

/// `<module>/types.rs`: the types of one spec file. It imports the API-wide `types` module
/// only when it names a type of another spec file.
pub fn emit_module_types(ir: &Ir, module: usize) -> TokenStream {
    let uses_others = ir
        .types_of(module)
        .any(|(_, def)| names_other_module(ir, def));
    let import = uses_others.then(|| {
        quote!(
            use super::super::types::*;
        )
    });
    let types = ir
        .types_of(module)
        .map(|(id, def)| emit_type(def, ir.error_code == Some(id)));
    let doc = inner_doc_attrs(&format!(
        "Types declared in `{}`.",
        ir.modules[module].spec_file
    ));
    quote! {
        #doc
        #import
        #(#types)*
    }
}

/// `types.rs`: every type of the API (re-exported from the modules) and the envelope.
pub fn emit_api_types(ir: &Ir, modules: &[usize]) -> TokenStream {
    let reexports = modules.iter().map(|&m| {
        let module = ident(&ir.modules[m].name);
        quote!(pub use super::#module::types::*;)
    });
    let envelope = emit_envelope(&ir.envelope);
    quote! {
        //! Types of the API: request bodies, response payloads, and the envelope.
        #(#reexports)*
        #envelope
    }
}

/// Whether a struct's fields name a type declared in another module.
fn names_other_module(ir: &Ir, def: &TypeDef) -> bool {
    let TypeKind::Struct(st) = &def.kind else {
        return false;
    };
    st.fields
        .iter()
        .any(|f| referenced(&f.ty).any(|r| ir.type_def(r.id).module != def.module))
}

/// The declared types a type expression names.
fn referenced(ty: &Ty) -> Box<dyn Iterator<Item = &crate::ir::TypeRef> + '_> {
    match ty {
        Ty::Newtype(r) | Ty::Named(r) | Ty::Millis(r) => Box::new(std::iter::once(r)),
        Ty::List(inner) | Ty::Map(inner) => referenced(inner),
        Ty::String | Ty::Bool | Ty::Int(_) | Ty::Json | Ty::Secret => Box::new(std::iter::empty()),
    }
}

/// One type; `is_error_code` marks the enum of the error body's `error` field.
fn emit_type(def: &TypeDef, is_error_code: bool) -> TokenStream {
    match &def.kind {
        TypeKind::Struct(st) => emit_struct(&def.name, &def.doc, st),
        TypeKind::Enum { variants, unknown } => {
            let definition = emit_enum(def, variants, unknown.as_deref());
            let table = is_error_code.then(|| {
                super::error_codes::emit_error_table(
                    &ident(&def.name),
                    variants,
                    unknown.as_deref(),
                )
            });
            quote!(#definition #table)
        }
        TypeKind::OneKey { variants, unknown } => emit_one_key(def, variants, unknown),
        TypeKind::Newtype => emit_newtype(def),
        TypeKind::Millis { of, forever } => super::millis::emit_millis(def, *of, forever),
    }
}

/// A struct; `#[non_exhaustive]` so the service may grow, built with `new` and setters.
pub(crate) fn emit_struct(type_name: &str, type_doc: &str, st: &Struct) -> TokenStream {
    let doc = doc_attrs(type_doc);
    let name = ident(type_name);
    let fields = st.fields.iter().map(|f| emit_field(f, st.tolerant));
    let has_required = st.fields.iter().any(|f| f.required);
    let default = (!has_required).then(|| quote!(Default,));
    let constructor = has_required.then(|| emit_constructor(type_name, &st.fields));
    let setters = st.fields.iter().filter(|f| !f.required).map(emit_setter);
    let flags = st
        .applied_flags
        .then(|| emit_applied_flags(&name, &st.fields));
    let success = st
        .success_flag
        .as_deref()
        .map(|f| emit_success_flag(&name, f));
    let limits = super::constants::field_consts(&st.fields);
    let transparent = st.transparent.then(|| quote!(#[serde(transparent)]));
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, #default serde::Serialize, serde::Deserialize)]
        #transparent
        #[non_exhaustive]
        pub struct #name { #(#fields)* }

        impl #name {
            #limits
            #constructor
            #(#setters)*
        }
        #flags
        #success
    }
}

/// A field of a `tolerant` struct that does not fit is dropped, not fatal to the body.
fn emit_field(field: &Field, tolerant: bool) -> TokenStream {
    let doc = doc_attrs(&field_doc(field));
    let name = ident(&field.name);
    let ty = field_type(field);
    let rename = (field.wire != field.name).then(|| {
        let wire = &field.wire;
        quote!(#[serde(rename = #wire)])
    });
    let optional = (!field.required)
        .then(|| quote!(#[serde(default, skip_serializing_if = "Option::is_none")]));
    let lenient = field.lenient.map(|lenient| match lenient {
        Lenient::BoolOrString => {
            let path = if field.required {
                "crate::response::lenient::bool_or_string"
            } else {
                "crate::response::lenient::option_bool_or_string"
            };
            quote!(#[serde(deserialize_with = #path)])
        }
        Lenient::SuccessString => quote! {
            #[serde(
                deserialize_with = "crate::response::lenient::success_or_bool",
                serialize_with = "crate::response::lenient::serialize_success"
            )]
        },
    });
    let tolerant = (tolerant && !field.required && field.lenient.is_none())
        .then(|| quote!(#[serde(deserialize_with = "crate::response::tolerant")]));
    quote! {
        #doc
        #rename
        #optional
        #lenient
        #tolerant
        pub #name: #ty,
    }
}

pub(crate) fn field_type(field: &Field) -> TokenStream {
    let ty = rust_type(&field.ty);
    if field.required {
        ty
    } else {
        quote!(Option<#ty>)
    }
}

fn emit_constructor(type_name: &str, fields: &[Field]) -> TokenStream {
    let doc = format!(
        " Creates a `{type_name}` from its required fields; the optional ones start unset."
    );
    let params = fields.iter().filter(|f| f.required).map(|f| {
        let name = ident(&f.name);
        let ty = value_param_type(&f.ty);
        quote!(#name: #ty)
    });
    let inits = fields.iter().map(|f| {
        let name = ident(&f.name);
        match (f.required, takes_plain_value(&f.ty)) {
            (true, true) => quote!(#name),
            (true, false) => quote!(#name: #name.into()),
            (false, _) => quote!(#name: None),
        }
    });
    quote! {
        #[doc = #doc]
        pub fn new(#(#params),*) -> Self {
            Self { #(#inits),* }
        }
    }
}

/// Integers and booleans are taken as themselves: `impl Into<u32>` would reject a plain
/// literal such as `500` (it infers as `i32`), so callers would have to write `500u32`.
fn takes_plain_value(ty: &Ty) -> bool {
    matches!(ty, Ty::Int(_) | Ty::Bool)
}

/// The type of a constructor or setter argument for a value of type `ty`.
fn value_param_type(ty: &Ty) -> TokenStream {
    let rust = rust_type(ty);
    if takes_plain_value(ty) {
        rust
    } else {
        quote!(impl Into<#rust>)
    }
}

fn emit_setter(field: &Field) -> TokenStream {
    let name = ident(&field.name);
    // The field's own doc (with its rules and default), so a setter reads on its own.
    let doc = doc_attrs(&format!("Sets `{}`: {}", field.name, field_doc(field)));
    match &field.ty {
        Ty::List(item) if takes_plain_value(item) => {
            let item = rust_type(item);
            quote! {
                #doc
                pub fn #name(mut self, values: impl IntoIterator<Item = #item>) -> Self {
                    self.#name = Some(values.into_iter().collect());
                    self
                }
            }
        }
        Ty::List(item) => {
            let item = rust_type(item);
            quote! {
                #doc
                pub fn #name(mut self, values: impl IntoIterator<Item = impl Into<#item>>) -> Self {
                    self.#name = Some(values.into_iter().map(Into::into).collect());
                    self
                }
            }
        }
        ty if takes_plain_value(ty) => {
            let ty = rust_type(ty);
            quote! {
                #doc
                pub fn #name(mut self, value: #ty) -> Self {
                    self.#name = Some(value);
                    self
                }
            }
        }
        ty => {
            let ty = rust_type(ty);
            quote! {
                #doc
                pub fn #name(mut self, value: impl Into<#ty>) -> Self {
                    self.#name = Some(value.into());
                    self
                }
            }
        }
    }
}

/// A `false` success flag fails the call as a false applied flag does.
fn emit_success_flag(name: &proc_macro2::Ident, flag: &str) -> TokenStream {
    let field = ident(flag);
    quote! {
        impl crate::response::AppliedFlags for #name {
            fn not_applied(&self) -> Vec<&'static str> {
                if self.#field { Vec::new() } else { vec![#flag] }
            }
        }
    }
}

/// Lets the runtime find the fields the service reports as not applied.
fn emit_applied_flags(name: &proc_macro2::Ident, fields: &[Field]) -> TokenStream {
    let checks = fields.iter().filter_map(|f| {
        let field = ident(&f.name);
        let target = f.reports_on.as_ref()?;
        Some(quote! {
            if self.#field == Some(false) {
                fields.push(#target);
            }
        })
    });
    quote! {
        impl crate::response::AppliedFlags for #name {
            fn not_applied(&self) -> Vec<&'static str> {
                let mut fields = Vec::new();
                #(#checks)*
                fields
            }
        }
    }
}

fn emit_enum(def: &TypeDef, variants: &[Variant], unknown: Option<&str>) -> TokenStream {
    let doc = doc_attrs(&def.doc);
    let name = ident(&def.name);
    let decls = variants.iter().map(|v| {
        let doc = match super::error_codes::describe(&v.error) {
            Some(table) => doc_attrs(&format!("{}\n\n{table}", v.doc.trim_end())),
            None => doc_attrs(&v.doc),
        };
        let variant = ident(&v.name);
        let wire = &v.wire;
        // Open enums have hand-written serde impls (below), closed ones derive them.
        let rename = unknown.is_none().then(|| quote!(#[serde(rename = #wire)]));
        quote!(#doc #rename #variant,)
    });
    let unknown_decl = unknown.map(|u| {
        let variant = ident(u);
        quote! {
            /// A value this client does not know yet, kept as sent.
            #variant(String),
        }
    });
    let serde_impls = unknown.map(|_| emit_open_enum_serde(&name));
    let derive_serde = unknown
        .is_none()
        .then(|| quote!(#[derive(serde::Serialize, serde::Deserialize)]));
    let arms = variants.iter().map(|v| {
        let variant = ident(&v.name);
        let wire = &v.wire;
        (
            quote!(Self::#variant => #wire),
            quote!(#wire => Self::#variant),
        )
    });
    let (to_wire, from_wire): (Vec<_>, Vec<_>) = arms.unzip();
    let unknown_to = unknown.map(|u| {
        let variant = ident(u);
        quote!(Self::#variant(value) => value,)
    });
    let from_wire_fn = unknown.map(|u| {
        let variant = ident(u);
        quote! {
            /// Decodes a wire value; a value this client does not know is kept, not refused.
            pub fn from_wire(value: &str) -> Self {
                match value {
                    #(#from_wire,)*
                    other => Self::#variant(other.to_owned()),
                }
            }
        }
    });
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #derive_serde
        #[non_exhaustive]
        pub enum #name { #(#decls)* #unknown_decl }

        impl #name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_wire,)*
                    #unknown_to
                }
            }
            #from_wire_fn
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        #serde_impls
    }
}

fn emit_open_enum_serde(name: &proc_macro2::Ident) -> TokenStream {
    quote! {
        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok(Self::from_wire(&value))
            }
        }
    }
}

fn emit_one_key(def: &TypeDef, variants: &[Variant], unknown: &str) -> TokenStream {
    let doc = doc_attrs(&def.doc);
    let name = ident(&def.name);
    let decls = variants.iter().map(|v| {
        let doc = doc_attrs(&format!("`{{\"{}\": value}}`: {}", v.wire, v.doc));
        let variant = ident(&v.name);
        quote!(#doc #variant(String),)
    });
    let unknown_variant = ident(unknown);
    let key_arms = variants.iter().map(|v| {
        let variant = ident(&v.name);
        let wire = &v.wire;
        quote!(Self::#variant(_) => #wire)
    });
    let value_arms = variants.iter().map(|v| {
        let variant = ident(&v.name);
        quote!(Self::#variant(value))
    });
    let variant_arms = variants.iter().map(|v| {
        let variant = ident(&v.name);
        let wire = &v.wire;
        quote!(#wire => Some(Self::#variant))
    });
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(#decls)*
            /// A key this client does not know yet, kept as sent.
            #unknown_variant {
                /// The object's key.
                key: String,
                /// The object's value.
                value: String,
            },
        }

        impl #name {
            /// The object's key, e.g. `owner`.
            pub fn key(&self) -> &str {
                match self {
                    #(#key_arms,)*
                    Self::#unknown_variant { key, .. } => key,
                }
            }

            /// The object's value, e.g. a username.
            pub fn value(&self) -> &str {
                match self {
                    #(#value_arms)|* | Self::#unknown_variant { value, .. } => value,
                }
            }

            /// Builds the variant for a key and value as they appear on the wire.
            pub fn from_entry(key: &str, value: String) -> Self {
                match Self::variant(key) {
                    Some(variant) => variant(value),
                    None => Self::#unknown_variant { key: key.to_owned(), value },
                }
            }

            /// The variant of a known key; `None` for a key this client does not know.
            fn variant(key: &str) -> Option<fn(String) -> Self> {
                match key {
                    #(#variant_arms,)*
                    _ => None,
                }
            }
        }

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                crate::response::one_key::serialize(self.key(), self.value(), serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::response::one_key::deserialize(
                    deserializer,
                    Self::variant,
                    |key, value| Self::#unknown_variant { key, value },
                )
            }
        }
    }
}

/// A string newtype: typed in signatures, transparent on the wire.
fn emit_newtype(def: &TypeDef) -> TokenStream {
    let doc = doc_attrs(&def.doc);
    let name = ident(&def.name);
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct #name(String);

        impl #name {
            /// Wraps a value as sent by or to the service.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value as an owned string.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for #name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for #name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl PartialEq<str> for #name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for #name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    }
}

/// `Envelope<T>`: `data` beside the fields of the envelope metadata struct, decoded in one
/// pass (no `#[serde(flatten)]`, which buffers the whole body).
fn emit_envelope(meta: &Envelope) -> TokenStream {
    let st = meta;
    let meta_name = ident(&meta.name);
    let fields: Vec<_> = st
        .fields
        .iter()
        .map(|f| emit_field(f, st.tolerant))
        .collect();
    let names: Vec<_> = st.fields.iter().map(|f| ident(&f.name)).collect();
    let doc = format!(
        " A success body: `data` beside the metadata of [`{}`].",
        meta.name
    );
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[non_exhaustive]
        pub struct Envelope<T> {
            /// The payload.
            pub data: T,
            #(#fields)*
        }

        impl<T> Envelope<T> {
            /// Puts a payload and its metadata together.
            pub fn from_parts(data: T, meta: #meta_name) -> Self {
                Self { data, #(#names: meta.#names),* }
            }

            /// Splits the payload from its metadata.
            pub fn into_parts(self) -> (T, #meta_name) {
                (self.data, #meta_name { #(#names: self.#names),* })
            }
        }
    }
}
