//! Emits the spec's error table on the error code enum: `status`, `exception` and
//! `retry_class` accessors and the `ERROR_CODES` table, so that the runtime, the emulator and
//! the tests read one table instead of naming codes by hand.

use super::ident;
use crate::ir::{ErrorSemantics, RetryClass, Variant};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

/// The accessors (an `impl` of the enum) and the `ERROR_CODES` table.
pub fn emit_error_table(name: &Ident, variants: &[Variant], unknown: Option<&str>) -> TokenStream {
    let entries = variants.iter().map(emit_entry);
    let arms = variants.iter().enumerate().map(|(index, v)| {
        let variant = ident(&v.name);
        let index = Literal::usize_unsuffixed(index);
        quote!(Self::#variant => Some(&ERROR_CODES[#index]),)
    });
    let unknown_arm = unknown.map(|u| {
        let variant = ident(u);
        quote!(Self::#variant(_) => None,)
    });
    quote! {
        /// Every error code of the spec with its HTTP status, the service's exception class and
        /// its retry class, in spec order.
        pub const ERROR_CODES: &[crate::error_code::ErrorCodeInfo] = &[#(#entries),*];

        impl #name {
            /// This code's entry in [`ERROR_CODES`]; `None` for a code this client does not know.
            pub fn info(&self) -> Option<&'static crate::error_code::ErrorCodeInfo> {
                match self {
                    #(#arms)*
                    #unknown_arm
                }
            }

            /// The HTTP status the service answers with this code; `None` when it varies or
            /// the code is unknown.
            pub fn status(&self) -> Option<u16> {
                self.info().and_then(|info| info.status)
            }

            /// The service's exception class for this code; `None` when unknown.
            pub fn exception(&self) -> Option<&'static str> {
                self.info().and_then(|info| info.exception)
            }

            /// What this code means for retrying; `None` when it depends on the status or the
            /// code is unknown.
            pub fn retry_class(&self) -> Option<crate::error_code::RetryClass> {
                self.info().and_then(|info| info.retry)
            }
        }
    }
}

fn emit_entry(variant: &Variant) -> TokenStream {
    let code = &variant.wire;
    let ErrorSemantics {
        status,
        exception,
        retry,
    } = &variant.error;
    let status = match status {
        Some(status) => {
            let status = Literal::u16_unsuffixed(*status);
            quote!(Some(#status))
        }
        None => quote!(None),
    };
    let exception = match exception {
        Some(exception) => quote!(Some(#exception)),
        None => quote!(None),
    };
    let retry = match retry {
        Some(class) => {
            let class = ident(retry_variant(*class));
            quote!(Some(crate::error_code::RetryClass::#class))
        }
        None => quote!(None),
    };
    quote! {
        crate::error_code::ErrorCodeInfo { code: #code, status: #status, exception: #exception, retry: #retry }
    }
}

fn retry_variant(class: RetryClass) -> &'static str {
    match class {
        RetryClass::Throttled => "Throttled",
        RetryClass::Transient => "Transient",
        RetryClass::Final => "Final",
        RetryClass::TokenExpired => "TokenExpired",
        RetryClass::TokenInvalid => "TokenInvalid",
    }
}

/// The table entry in words, appended to the variant's doc.
pub fn describe(error: &ErrorSemantics) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(status) = error.status {
        parts.push(format!("HTTP {status}"));
    }
    if let Some(class) = error.retry {
        parts.push(format!("retry class `{}`", retry_variant(class)));
    }
    if let Some(exception) = &error.exception {
        parts.push(format!("exception `{exception}`"));
    }
    let text = parts.join("; ");
    let mut chars = text.chars();
    let first = chars.next()?;
    Some(format!("{}{}.", first.to_ascii_uppercase(), chars.as_str()))
}
