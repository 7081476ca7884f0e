//! The TLS stack of the HTTP client, chosen by cargo features: `native-tls`, else
//! `aws-lc-rs` (reqwest's rustls default), else `rustls-ring` (the default feature: rustls
//! with ring, whose build needs only a C compiler for a few files), else none (plain HTTP
//! only, for local servers).

/// Whether this build can speak HTTPS at all.
pub(crate) const HAS_TLS: bool = cfg!(any(
    feature = "native-tls",
    feature = "aws-lc-rs",
    feature = "rustls-ring"
));

/// Installs ring as rustls's process-wide crypto provider when the application has not chosen
/// one. Needed only by a program that builds its own `reqwest::Client` (for
/// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client), or for anything else)
/// *before* calling [`Client::builder`](crate::Client::builder), which does this itself: with
/// the default `rustls-ring` feature alone, reqwest has no provider of its own and panics
/// building a client without one. Never replaces a provider already installed; does nothing
/// with the `aws-lc-rs` or `native-tls` features.
///
/// ```
/// agora_chat::install_default_tls_provider();
/// let http = reqwest::Client::builder().build();
/// assert!(http.is_ok());
/// ```
pub fn install_default_tls_provider() {
    #[cfg(all(
        feature = "rustls-ring",
        not(any(feature = "native-tls", feature = "aws-lc-rs"))
    ))]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Err only when another thread installed one first: that one stays, as wanted.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Selects the TLS stack the features ask for on a reqwest client builder.
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
) -> Result<reqwest::ClientBuilder, TlsSetupError> {
    #[cfg(feature = "native-tls")]
    return Ok(builder.tls_backend_native());
    #[cfg(all(feature = "aws-lc-rs", not(feature = "native-tls")))]
    return Ok(builder.tls_backend_rustls());
    #[cfg(all(
        feature = "rustls-ring",
        not(any(feature = "native-tls", feature = "aws-lc-rs"))
    ))]
    return Ok(builder.tls_backend_preconfigured(ring::client_config()?));
    #[cfg(not(any(feature = "native-tls", feature = "aws-lc-rs", feature = "rustls-ring")))]
    Ok(builder)
}

/// The TLS configuration could not be built (e.g. the platform's certificate store is
/// unusable).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up TLS: {message}")]
pub struct TlsSetupError {
    message: String,
}

#[cfg(all(
    feature = "rustls-ring",
    not(any(feature = "native-tls", feature = "aws-lc-rs"))
))]
mod ring {
    use super::TlsSetupError;
    use rustls_platform_verifier::BuilderVerifierExt;
    use std::sync::Arc;

    /// rustls with the ring provider (reqwest would otherwise ask for aws-lc-rs or a
    /// process-wide default), the platform's verifier, and ALPN for HTTP/2 and HTTP/1.1,
    /// which reqwest sets only on configurations it builds itself.
    pub(super) fn client_config() -> Result<rustls::ClientConfig, TlsSetupError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(BuilderVerifierExt::with_platform_verifier)
            .map_err(|err| TlsSetupError {
                message: err.to_string(),
            })?
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}
