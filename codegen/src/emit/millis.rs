//! Emits a `millis` type: integer milliseconds on the wire, a `Duration` or a `SystemTime` in
//! Rust, with a `Forever` variant for the wire values that mean "forever" (no magic number in
//! user code). The conversions themselves live in the runtime's `time` module.

use super::docs::doc_attrs;
use super::ident;
use crate::ir::{MillisOf, TypeDef};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// The enum, its conversions and its serde impls.
pub fn emit_millis(def: &TypeDef, of: MillisOf, forever: &[i64]) -> TokenStream {
    let doc = doc_attrs(&def.doc);
    let name = ident(&def.name);
    let (variant, inner, variant_doc) = match of {
        MillisOf::Duration => (
            ident("For"),
            quote!(std::time::Duration),
            "For this long (sent as whole milliseconds).",
        ),
        MillisOf::Timestamp => (
            ident("At"),
            quote!(std::time::SystemTime),
            "At this time (sent as Unix milliseconds).",
        ),
    };
    let (to_wire, from_wire) = match of {
        MillisOf::Duration => (
            quote!(crate::time::duration_to_millis),
            quote!(crate::time::duration_from_millis),
        ),
        MillisOf::Timestamp => (
            quote!(crate::time::timestamp_to_millis),
            quote!(crate::time::timestamp_from_millis),
        ),
    };
    let forever_variant = forever.first().map(|sent| {
        let doc = doc_attrs(&format!("Forever (sent as `{sent}`)."));
        quote!(#doc Forever,)
    });
    let forever_values: Vec<Literal> = forever.iter().map(|v| Literal::i64_suffixed(*v)).collect();
    let forever_to_wire = forever.first().map(|sent| {
        let sent = Literal::i64_suffixed(*sent);
        quote!(Self::Forever => #sent,)
    });
    let forever_finite = forever.first().map(|_| quote!(Self::Forever => None,));
    let forever_from_wire = (!forever.is_empty()).then(|| {
        quote! {
            if Self::FOREVER_WIRE.contains(&millis) {
                return Some(Self::Forever);
            }
        }
    });
    let variant_doc = doc_attrs(variant_doc);
    let expecting = format!("integer milliseconds for `{}`", def.name);
    quote! {
        #doc
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name {
            #variant_doc
            #variant(#inner),
            #forever_variant
        }

        impl #name {
            /// The wire values that mean "forever" (the first is the one sent).
            pub const FOREVER_WIRE: &'static [i64] = &[#(#forever_values),*];

            /// The value on the wire, in milliseconds (saturating).
            pub fn to_millis(&self) -> i64 {
                match self {
                    Self::#variant(value) => #to_wire(*value),
                    #forever_to_wire
                }
            }

            /// The finite milliseconds, `None` for "forever" (what range rules check).
            pub fn finite_millis(&self) -> Option<i64> {
                match self {
                    Self::#variant(value) => Some(#to_wire(*value)),
                    #forever_finite
                }
            }

            /// The value for wire milliseconds; `None` when they cannot be one.
            pub fn from_millis(millis: i64) -> Option<Self> {
                #forever_from_wire
                #from_wire(millis).map(Self::#variant)
            }
        }

        impl From<#inner> for #name {
            fn from(value: #inner) -> Self {
                Self::#variant(value)
            }
        }

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.to_millis())
            }
        }

        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let millis = <i64 as serde::Deserialize>::deserialize(deserializer)?;
                Self::from_millis(millis).ok_or_else(|| {
                    serde::de::Error::custom(format_args!("{millis} is not {}", #expecting))
                })
            }
        }
    }
}
