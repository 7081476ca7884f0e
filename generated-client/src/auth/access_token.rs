//! Agora "AccessToken2" (version `007`) tokens for Agora Chat: minting, parsing and
//! verification.
//!
//! # Wire format
//!
//! All integers are little-endian. `string` is a `u16` byte length followed by the
//! bytes; `map` is a `u16` count followed by `(u16 key, u32 value)` pairs sorted by key.
//!
//! ```text
//! token     = "007" + base64_standard_padded(zlib(string(signature) + info))
//! info      = string(app_id) + u32(issue_ts) + u32(expire) + u32(salt)
//!             + u16(service count) + services sorted by type
//! service   = u16(type) + map(privilege -> expire) + type-specific fields
//! k1        = HMAC-SHA256(key = u32(issue_ts), msg = certificate as ASCII text)
//! signing   = HMAC-SHA256(key = u32(salt), msg = k1)
//! signature = HMAC-SHA256(key = signing, msg = info)
//! ```
//!
//! Chat (type 5) carries `string(user_id)`. An app token holds privilege
//! [`ChatPrivilege::App`] with an empty user id; a user token holds
//! [`ChatPrivilege::User`] with the user id. Privilege expiries, like `expire`, are
//! seconds relative to `issue_ts`.
//!
//! Compressed output differs between zlib implementations, so two correct minters
//! may print different strings for the same token; [`AccessToken2::parse`] accepts
//! any valid zlib stream and [`AccessToken2::verify`] checks the signed bytes.
//!
//! Parsing never panics and refuses bodies larger than [`MAX_BODY_LEN`] after
//! decompression. Services whose trailing fields are unknown cannot be skipped, so
//! they fail with [`TokenError::UnsupportedService`].
//!
//! No error message or `Debug` output contains a certificate or a token.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::write::ZlibEncoder;
use flate2::{Compression, Decompress, FlushDecompress, Status};
use ring::hmac;

use crate::secret::Secret;

/// The version prefix of every AccessToken2 string.
pub const VERSION: &str = "007";
/// Longest accepted token validity, in seconds (24 hours).
pub const MAX_EXPIRE_SECS: u32 = 86_400;
/// Largest accepted salt; salts are drawn from `1..=MAX_SALT`.
pub const MAX_SALT: u32 = 99_999_999;
/// Largest accepted decompressed token body, in bytes (guards against zip bombs).
pub const MAX_BODY_LEN: usize = 64 * 1024;
/// Longest accepted token string, in bytes; checked before base64 decoding.
pub const MAX_TOKEN_LEN: usize = 128 * 1024;

/// Service type of Agora RTC.
pub const SERVICE_RTC: u16 = 1;
/// Service type of Agora RTM.
pub const SERVICE_RTM: u16 = 2;
/// Service type of Agora FPA.
pub const SERVICE_FPA: u16 = 4;
/// Service type of Agora Chat.
pub const SERVICE_CHAT: u16 = 5;
/// Service type of Agora APaaS (Flexible Classroom).
pub const SERVICE_APAAS: u16 = 7;

/// Length of an HMAC-SHA256 signature.
const SIGNATURE_LEN: usize = 32;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Everything that can go wrong minting, parsing or verifying a token.
///
/// Messages name the failing field but never include a certificate or token text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token does not start with `007`.
    #[error("token does not start with version prefix \"007\"")]
    BadVersion,
    /// The token is longer than [`MAX_TOKEN_LEN`].
    #[error("token is longer than {limit} bytes")]
    TokenTooLong {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The text after the prefix is not standard padded base64.
    #[error("token body is not valid standard base64")]
    BadBase64,
    /// The decoded bytes are not one complete zlib stream.
    #[error("token body is not a valid zlib stream")]
    BadZlib,
    /// The decompressed body is larger than [`MAX_BODY_LEN`].
    #[error("decompressed token body exceeds {limit} bytes")]
    BodyTooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The body ended while a field was being read.
    #[error("token truncated while reading {0}")]
    Truncated(&'static str),
    /// Bytes were left over after the named part.
    #[error("{count} unexpected bytes after the {after}")]
    TrailingBytes {
        /// What the extra bytes followed.
        after: &'static str,
        /// How many bytes were left over.
        count: usize,
    },
    /// A string field is not UTF-8.
    #[error("{0} is not valid UTF-8")]
    InvalidUtf8(&'static str),
    /// A service type whose trailing fields are unknown, so parsing cannot continue.
    #[error("unsupported service type {0}")]
    UnsupportedService(u16),
    /// The same service type appears twice.
    #[error("service type {0} appears more than once")]
    DuplicateService(u16),
    /// The same privilege appears twice in one service.
    #[error("privilege {privilege} appears more than once in service type {service_type}")]
    DuplicatePrivilege {
        /// The service holding the privilege map.
        service_type: u16,
        /// The repeated privilege.
        privilege: u16,
    },
    /// The signature field is not 32 bytes long.
    #[error("signature must be 32 bytes, got {0}")]
    BadSignatureLength(usize),
    /// The signature does not match the certificate.
    #[error("token signature does not match the certificate")]
    BadSignature,
    /// The app id is not 32 hex characters.
    #[error("invalid app id: {0}")]
    InvalidAppId(HexIdError),
    /// The app certificate is not 32 hex characters.
    #[error("invalid app certificate: {0}")]
    InvalidCertificate(HexIdError),
    /// `expire` is outside `1..=MAX_EXPIRE_SECS`.
    #[error("expire must be 1..=86400 seconds, got {0}")]
    ExpireOutOfRange(u32),
    /// `salt` is outside `1..=MAX_SALT`.
    #[error("salt must be 1..=99999999, got {0}")]
    SaltOutOfRange(u32),
    /// A user token was requested with an empty user id.
    #[error("user token needs a non-empty user id")]
    EmptyUserId,
    /// A field is too long for its `u16` length prefix.
    #[error("{0} is longer than 65535 bytes")]
    FieldTooLong(&'static str),
    /// The clock is outside the token's `u32` timestamp range.
    #[error("clock time {0} does not fit the token's u32 timestamp")]
    ClockOutOfRange(u64),
    /// zlib compression failed while minting.
    #[error("failed to compress token body")]
    Compression,
}

/// Why an app id or certificate is malformed. Never echoes the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HexIdError {
    /// The value is not 32 bytes long.
    #[error("must be exactly 32 hex characters, got {0} bytes")]
    WrongLength(usize),
    /// The byte at this position is not `0-9a-fA-F`.
    #[error("byte at position {0} is not a hex digit")]
    NotHex(usize),
}

fn check_hex32(value: &str) -> Result<(), HexIdError> {
    if value.len() != 32 {
        return Err(HexIdError::WrongLength(value.len()));
    }
    match value.bytes().position(|b| !b.is_ascii_hexdigit()) {
        Some(position) => Err(HexIdError::NotHex(position)),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

/// A validated Agora app id: exactly 32 hex characters, case preserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppId(String);

impl AppId {
    /// Validates `value` as an app id.
    pub fn new(value: &str) -> Result<Self, TokenError> {
        check_hex32(value).map_err(TokenError::InvalidAppId)?;
        Ok(Self(value.to_owned()))
    }

    /// The app id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks that a certificate is exactly 32 hex characters. Case is preserved when
/// signing because the certificate is signed as ASCII text, not decoded.
pub fn validate_certificate(certificate: &Secret) -> Result<(), TokenError> {
    check_hex32(certificate.expose()).map_err(TokenError::InvalidCertificate)
}

fn check_expire(expire_secs: u32) -> Result<(), TokenError> {
    match expire_secs {
        1..=MAX_EXPIRE_SECS => Ok(()),
        other => Err(TokenError::ExpireOutOfRange(other)),
    }
}

fn check_salt(salt: u32) -> Result<(), TokenError> {
    match salt {
        1..=MAX_SALT => Ok(()),
        other => Err(TokenError::SaltOutOfRange(other)),
    }
}

/// Privileges of the chat service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum ChatPrivilege {
    /// A chat user's own token (carries the user id).
    User = 1,
    /// An app token for REST calls (empty user id).
    App = 2,
}

impl ChatPrivilege {
    /// The privilege's key in the token's privilege map.
    pub fn code(self) -> u16 {
        self as u16
    }
}

// ---------------------------------------------------------------------------
// Services
// ---------------------------------------------------------------------------

/// One service entry of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Privilege code -> expiry in seconds relative to the token's `issue_ts`.
    pub privileges: BTreeMap<u16, u32>,
    /// The service type and its type-specific fields.
    pub kind: ServiceKind,
}

/// The type-specific part of a [`Service`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceKind {
    /// Type 1: RTC channel access.
    Rtc {
        /// Channel name.
        channel_name: String,
        /// User id or account, as text.
        uid: String,
    },
    /// Type 2: RTM login.
    Rtm {
        /// RTM user id.
        user_id: String,
    },
    /// Type 4: FPA (no extra fields).
    Fpa,
    /// Type 5: Agora Chat.
    Chat {
        /// Chat user id; empty for app tokens.
        user_id: String,
    },
    /// Type 7: APaaS (Flexible Classroom).
    Apaas {
        /// Room UUID.
        room_uuid: String,
        /// User UUID.
        user_uuid: String,
        /// Role in the room.
        role: i16,
    },
}

impl ServiceKind {
    /// The wire type code of this service.
    pub fn service_type(&self) -> u16 {
        match self {
            Self::Rtc { .. } => SERVICE_RTC,
            Self::Rtm { .. } => SERVICE_RTM,
            Self::Fpa => SERVICE_FPA,
            Self::Chat { .. } => SERVICE_CHAT,
            Self::Apaas { .. } => SERVICE_APAAS,
        }
    }
}

impl Service {
    /// A chat service granting `privilege` for `expire_secs` to `user_id`.
    pub fn chat(privilege: ChatPrivilege, expire_secs: u32, user_id: &str) -> Self {
        Self {
            privileges: BTreeMap::from([(privilege.code(), expire_secs)]),
            kind: ServiceKind::Chat {
                user_id: user_id.to_owned(),
            },
        }
    }

    /// The wire type code of this service.
    pub fn service_type(&self) -> u16 {
        self.kind.service_type()
    }

    fn write(&self, w: &mut Writer) -> Result<(), TokenError> {
        w.u16(self.service_type());
        w.privileges(&self.privileges)?;
        match &self.kind {
            ServiceKind::Rtc { channel_name, uid } => {
                w.string(channel_name, "channel name")?;
                w.string(uid, "uid")
            }
            ServiceKind::Rtm { user_id } | ServiceKind::Chat { user_id } => {
                w.string(user_id, "user id")
            }
            ServiceKind::Fpa => Ok(()),
            ServiceKind::Apaas {
                room_uuid,
                user_uuid,
                role,
            } => {
                w.string(room_uuid, "room uuid")?;
                w.string(user_uuid, "user uuid")?;
                w.i16(*role);
                Ok(())
            }
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, TokenError> {
        let service_type = r.u16("service type")?;
        // Unknown types end parsing: their trailing fields cannot be skipped.
        if !matches!(
            service_type,
            SERVICE_RTC | SERVICE_RTM | SERVICE_FPA | SERVICE_CHAT | SERVICE_APAAS
        ) {
            return Err(TokenError::UnsupportedService(service_type));
        }
        let privileges = r.privileges(service_type)?;
        let kind = read_kind(service_type, r)?;
        Ok(Self { privileges, kind })
    }
}

fn read_kind(service_type: u16, r: &mut Reader<'_>) -> Result<ServiceKind, TokenError> {
    Ok(match service_type {
        SERVICE_RTC => ServiceKind::Rtc {
            channel_name: r.string("channel name")?,
            uid: r.string("uid")?,
        },
        SERVICE_RTM => ServiceKind::Rtm {
            user_id: r.string("user id")?,
        },
        SERVICE_FPA => ServiceKind::Fpa,
        SERVICE_CHAT => ServiceKind::Chat {
            user_id: r.string("user id")?,
        },
        SERVICE_APAAS => ServiceKind::Apaas {
            room_uuid: r.string("room uuid")?,
            user_uuid: r.string("user uuid")?,
            role: r.i16("role")?,
        },
        other => return Err(TokenError::UnsupportedService(other)),
    })
}

// ---------------------------------------------------------------------------
// Minting
// ---------------------------------------------------------------------------

/// Mints a chat app token (privilege [`ChatPrivilege::App`], empty user id), as
/// used for `Bearer` auth on the REST API.
///
/// `expire_secs` must be in `1..=86400` and `salt` in `1..=99_999_999`.
pub fn mint_chat_app_token(
    app_id: &str,
    certificate: &Secret,
    issue_ts: u32,
    expire_secs: u32,
    salt: u32,
) -> Result<Secret, TokenError> {
    let service = Service::chat(ChatPrivilege::App, expire_secs, "");
    mint(app_id, certificate, issue_ts, expire_secs, salt, service)
}

/// Mints a chat user token (privilege [`ChatPrivilege::User`]) for `user_id`.
///
/// Same ranges as [`mint_chat_app_token`]; `user_id` must not be empty.
pub fn mint_chat_user_token(
    app_id: &str,
    certificate: &Secret,
    issue_ts: u32,
    expire_secs: u32,
    salt: u32,
    user_id: &str,
) -> Result<Secret, TokenError> {
    if user_id.is_empty() {
        return Err(TokenError::EmptyUserId);
    }
    let service = Service::chat(ChatPrivilege::User, expire_secs, user_id);
    mint(app_id, certificate, issue_ts, expire_secs, salt, service)
}

fn mint(
    app_id: &str,
    certificate: &Secret,
    issue_ts: u32,
    expire_secs: u32,
    salt: u32,
    service: Service,
) -> Result<Secret, TokenError> {
    AppId::new(app_id)?;
    validate_certificate(certificate)?;
    check_expire(expire_secs)?;
    check_salt(salt)?;
    let header = Header {
        app_id,
        issue_ts,
        expire: expire_secs,
        salt,
    };
    let info = encode_info(&header, &[service])?;
    let signature = sign(certificate, issue_ts, salt, &info);
    encode_token(&signature, &info)
}

/// The fixed fields at the start of `info`.
struct Header<'a> {
    app_id: &'a str,
    issue_ts: u32,
    expire: u32,
    salt: u32,
}

fn encode_info(header: &Header<'_>, services: &[Service]) -> Result<Vec<u8>, TokenError> {
    let mut sorted: Vec<&Service> = services.iter().collect();
    sorted.sort_by_key(|s| s.service_type());
    let mut w = Writer::default();
    w.string(header.app_id, "app id")?;
    w.u32(header.issue_ts);
    w.u32(header.expire);
    w.u32(header.salt);
    let count = u16::try_from(sorted.len()).map_err(|_| TokenError::FieldTooLong("services"))?;
    w.u16(count);
    for service in sorted {
        service.write(&mut w)?;
    }
    Ok(w.buf)
}

fn encode_token(signature: &[u8; SIGNATURE_LEN], info: &[u8]) -> Result<Secret, TokenError> {
    let mut w = Writer::default();
    w.bytes(signature, "signature")?;
    w.buf.extend_from_slice(info);
    let compressed = deflate(&w.buf)?;
    Ok(Secret::from(format!(
        "{VERSION}{}",
        STANDARD.encode(compressed)
    )))
}

// ---------------------------------------------------------------------------
// Clock, salt and the minter
// ---------------------------------------------------------------------------

/// A source of the current time, injectable for tests.
pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> u64;
}

/// The system clock. Reports 0 if the system time is before 1970.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// A clock stuck at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub u64);

impl Clock for FixedClock {
    fn now_unix(&self) -> u64 {
        self.0
    }
}

/// A source of token salts, injectable for tests.
pub trait SaltSource: Send + Sync {
    /// A salt; minting fails unless it is in `1..=MAX_SALT`.
    fn salt(&self) -> u32;
}

/// Random salts in `1..=MAX_SALT` from the operating system.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomSalt;

impl SaltSource for RandomSalt {
    fn salt(&self) -> u32 {
        // The salt travels in clear inside the token and only has to vary between
        // tokens, so a time-based fallback is acceptable if the OS source fails.
        let raw = getrandom::u32().unwrap_or_else(|_| fallback_salt());
        raw % MAX_SALT + 1
    }
}

fn fallback_salt() -> u32 {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    nanos
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9)
}

/// Always the same salt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedSalt(pub u32);

impl SaltSource for FixedSalt {
    fn salt(&self) -> u32 {
        self.0
    }
}

/// A minted token and the window it is valid for.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MintedToken {
    /// The token string (`007...`); redacted in `Debug`.
    pub token: Secret,
    /// Unix seconds at which it was issued.
    pub issued_at: u64,
    /// Unix seconds at which it expires.
    pub expires_at: u64,
}

/// Mints chat tokens for one app, reading time and salt from injectable sources.
#[derive(Clone)]
pub struct TokenMinter {
    app_id: AppId,
    certificate: Secret,
    clock: Arc<dyn Clock>,
    salts: Arc<dyn SaltSource>,
}

impl fmt::Debug for TokenMinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenMinter")
            .field("app_id", &self.app_id.as_str())
            .field("certificate", &self.certificate)
            .finish_non_exhaustive()
    }
}

impl TokenMinter {
    /// Validates both credentials; uses [`SystemClock`] and [`RandomSalt`].
    pub fn new(app_id: &str, certificate: Secret) -> Result<Self, TokenError> {
        let app_id = AppId::new(app_id)?;
        validate_certificate(&certificate)?;
        Ok(Self {
            app_id,
            certificate,
            clock: Arc::new(SystemClock),
            salts: Arc::new(RandomSalt),
        })
    }

    /// Replaces the clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the salt source.
    pub fn with_salt_source(mut self, salts: Arc<dyn SaltSource>) -> Self {
        self.salts = salts;
        self
    }

    /// The app id tokens are minted for.
    pub fn app_id(&self) -> &AppId {
        &self.app_id
    }

    /// Mints an app token valid for `expire_secs` (1..=86400) from now.
    pub fn mint_app_token(&self, expire_secs: u32) -> Result<MintedToken, TokenError> {
        self.mint_with(expire_secs, |issue_ts, salt| {
            mint_chat_app_token(
                self.app_id.as_str(),
                &self.certificate,
                issue_ts,
                expire_secs,
                salt,
            )
        })
    }

    /// Mints a user token for `user_id` valid for `expire_secs` (1..=86400) from now.
    pub fn mint_user_token(
        &self,
        user_id: &str,
        expire_secs: u32,
    ) -> Result<MintedToken, TokenError> {
        self.mint_with(expire_secs, |issue_ts, salt| {
            mint_chat_user_token(
                self.app_id.as_str(),
                &self.certificate,
                issue_ts,
                expire_secs,
                salt,
                user_id,
            )
        })
    }

    fn mint_with(
        &self,
        expire_secs: u32,
        mint: impl FnOnce(u32, u32) -> Result<Secret, TokenError>,
    ) -> Result<MintedToken, TokenError> {
        let now = self.clock.now_unix();
        let issue_ts = u32::try_from(now).map_err(|_| TokenError::ClockOutOfRange(now))?;
        let token = mint(issue_ts, self.salts.salt())?;
        Ok(MintedToken {
            token,
            issued_at: u64::from(issue_ts),
            expires_at: u64::from(issue_ts) + u64::from(expire_secs),
        })
    }
}

// ---------------------------------------------------------------------------
// Parsing and verification
// ---------------------------------------------------------------------------

/// A parsed AccessToken2.
///
/// Fields are read-only so they always match the signed bytes that
/// [`verify`](Self::verify) checks. `Debug` omits the signature and raw bytes,
/// which together would reconstruct the token.
#[derive(Clone)]
pub struct AccessToken2 {
    app_id: String,
    issue_ts: u32,
    expire: u32,
    salt: u32,
    services: Vec<Service>,
    signature: [u8; SIGNATURE_LEN],
    info: Vec<u8>,
}

impl fmt::Debug for AccessToken2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken2")
            .field("app_id", &self.app_id)
            .field("issue_ts", &self.issue_ts)
            .field("expire", &self.expire)
            .field("salt", &self.salt)
            .field("services", &self.services)
            .finish_non_exhaustive()
    }
}

impl AccessToken2 {
    /// Parses a `007` token. Does not check the signature; call
    /// [`verify`](Self::verify) for that.
    pub fn parse(token: &str) -> Result<Self, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::TokenTooLong {
                limit: MAX_TOKEN_LEN,
            });
        }
        let encoded = token.strip_prefix(VERSION).ok_or(TokenError::BadVersion)?;
        let compressed = STANDARD
            .decode(encoded)
            .map_err(|_| TokenError::BadBase64)?;
        Self::from_body(&inflate_bounded(&compressed)?)
    }

    /// Parses a decompressed body: `string(signature) + info`.
    fn from_body(body: &[u8]) -> Result<Self, TokenError> {
        let mut r = Reader::new(body);
        let raw_signature = r.bytes("signature")?;
        let signature = <[u8; SIGNATURE_LEN]>::try_from(raw_signature)
            .map_err(|_| TokenError::BadSignatureLength(raw_signature.len()))?;
        let info = r.rest();
        let mut r = Reader::new(info);
        let app_id = r.string("app id")?;
        let issue_ts = r.u32("issue timestamp")?;
        let expire = r.u32("expire")?;
        let salt = r.u32("salt")?;
        let services = read_services(&mut r)?;
        r.finish("token body")?;
        Ok(Self {
            app_id,
            issue_ts,
            expire,
            salt,
            services,
            signature,
            info: info.to_vec(),
        })
    }

    /// Checks the signature against `certificate`, over the exact bytes that were
    /// parsed, in constant time. Does not check expiry or the app id.
    pub fn verify(&self, certificate: &Secret) -> Result<(), TokenError> {
        validate_certificate(certificate)?;
        let key = signing_key(certificate, self.issue_ts, self.salt);
        let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
        hmac::verify(&key, &self.info, &self.signature).map_err(|_| TokenError::BadSignature)
    }

    /// The app id the token was issued for.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// Issue time, Unix seconds.
    pub fn issue_ts(&self) -> u32 {
        self.issue_ts
    }

    /// Validity in seconds after [`issue_ts`](Self::issue_ts).
    pub fn expire(&self) -> u32 {
        self.expire
    }

    /// The salt the signing key was derived with.
    pub fn salt(&self) -> u32 {
        self.salt
    }

    /// Services in token order.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// The HMAC-SHA256 signature.
    pub fn signature(&self) -> &[u8; SIGNATURE_LEN] {
        &self.signature
    }

    /// The signed `info` bytes exactly as received.
    pub fn info_bytes(&self) -> &[u8] {
        &self.info
    }

    /// Expiry time, Unix seconds (`issue_ts + expire`).
    pub fn expires_at(&self) -> u64 {
        u64::from(self.issue_ts) + u64::from(self.expire)
    }

    /// Whether the token has expired at `now_unix` (expiry instant included).
    pub fn is_expired_at(&self, now_unix: u64) -> bool {
        now_unix >= self.expires_at()
    }

    /// The chat user id, if the token has a chat service (empty for app tokens).
    pub fn chat_user_id(&self) -> Option<&str> {
        self.chat().map(|(_, user_id)| user_id)
    }

    /// The expiry of a chat privilege, in seconds relative to `issue_ts`.
    pub fn chat_privilege_expiry(&self, privilege: ChatPrivilege) -> Option<u32> {
        let (service, _) = self.chat()?;
        service.privileges.get(&privilege.code()).copied()
    }

    /// True for a chat app token: the App privilege with an empty user id.
    pub fn is_app_token(&self) -> bool {
        self.chat_privilege_expiry(ChatPrivilege::App).is_some() && self.chat_user_id() == Some("")
    }

    fn chat(&self) -> Option<(&Service, &str)> {
        self.services.iter().find_map(|s| match &s.kind {
            ServiceKind::Chat { user_id } => Some((s, user_id.as_str())),
            _ => None,
        })
    }
}

fn read_services(r: &mut Reader<'_>) -> Result<Vec<Service>, TokenError> {
    let count = r.u16("service count")?;
    let mut services: Vec<Service> = Vec::new();
    for _ in 0..count {
        let service = Service::read(r)?;
        let service_type = service.service_type();
        if services.iter().any(|s| s.service_type() == service_type) {
            return Err(TokenError::DuplicateService(service_type));
        }
        services.push(service);
    }
    Ok(services)
}

// ---------------------------------------------------------------------------
// Crypto
// ---------------------------------------------------------------------------

/// `HMAC-SHA256(u32(salt), HMAC-SHA256(u32(issue_ts), certificate))`.
fn signing_key(certificate: &Secret, issue_ts: u32, salt: u32) -> [u8; 32] {
    let k1 = hmac_sha256(&issue_ts.to_le_bytes(), certificate.expose().as_bytes());
    hmac_sha256(&salt.to_le_bytes(), &k1)
}

fn sign(certificate: &Secret, issue_ts: u32, salt: u32, info: &[u8]) -> [u8; SIGNATURE_LEN] {
    hmac_sha256(&signing_key(certificate, issue_ts, salt), info)
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; SIGNATURE_LEN] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), msg);
    // An HMAC-SHA256 tag is always 32 bytes.
    let mut out = [0u8; SIGNATURE_LEN];
    out.iter_mut()
        .zip(tag.as_ref())
        .for_each(|(dst, src)| *dst = *src);
    out
}

// ---------------------------------------------------------------------------
// Wire encoding
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn u16(&mut self, value: u16) {
        self.buf.extend_from_slice(&value.to_le_bytes());
    }

    fn i16(&mut self, value: i16) {
        self.buf.extend_from_slice(&value.to_le_bytes());
    }

    fn u32(&mut self, value: u32) {
        self.buf.extend_from_slice(&value.to_le_bytes());
    }

    fn bytes(&mut self, value: &[u8], what: &'static str) -> Result<(), TokenError> {
        let len = u16::try_from(value.len()).map_err(|_| TokenError::FieldTooLong(what))?;
        self.u16(len);
        self.buf.extend_from_slice(value);
        Ok(())
    }

    fn string(&mut self, value: &str, what: &'static str) -> Result<(), TokenError> {
        self.bytes(value.as_bytes(), what)
    }

    /// `BTreeMap` iterates in key order, which is the order the format requires.
    fn privileges(&mut self, map: &BTreeMap<u16, u32>) -> Result<(), TokenError> {
        let len = u16::try_from(map.len()).map_err(|_| TokenError::FieldTooLong("privileges"))?;
        self.u16(len);
        for (&key, &value) in map {
            self.u16(key);
            self.u32(value);
        }
        Ok(())
    }
}

/// A cursor over untrusted bytes; every read is bounds-checked.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], TokenError> {
        let (head, rest) = self
            .buf
            .split_at_checked(len)
            .ok_or(TokenError::Truncated(what))?;
        self.buf = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], TokenError> {
        let bytes = self.take(N, what)?;
        <[u8; N]>::try_from(bytes).map_err(|_| TokenError::Truncated(what))
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, TokenError> {
        self.array(what).map(u16::from_le_bytes)
    }

    fn i16(&mut self, what: &'static str) -> Result<i16, TokenError> {
        self.array(what).map(i16::from_le_bytes)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, TokenError> {
        self.array(what).map(u32::from_le_bytes)
    }

    fn bytes(&mut self, what: &'static str) -> Result<&'a [u8], TokenError> {
        let len = self.u16(what)?;
        self.take(usize::from(len), what)
    }

    fn string(&mut self, what: &'static str) -> Result<String, TokenError> {
        let bytes = self.bytes(what)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| TokenError::InvalidUtf8(what))
    }

    fn privileges(&mut self, service_type: u16) -> Result<BTreeMap<u16, u32>, TokenError> {
        let count = self.u16("privilege count")?;
        let mut map = BTreeMap::new();
        for _ in 0..count {
            let privilege = self.u16("privilege")?;
            let expire = self.u32("privilege expire")?;
            if map.insert(privilege, expire).is_some() {
                return Err(TokenError::DuplicatePrivilege {
                    service_type,
                    privilege,
                });
            }
        }
        Ok(map)
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    fn finish(self, after: &'static str) -> Result<(), TokenError> {
        match self.buf.len() {
            0 => Ok(()),
            count => Err(TokenError::TrailingBytes { after, count }),
        }
    }
}

fn deflate(body: &[u8]) -> Result<Vec<u8>, TokenError> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(body)
        .map_err(|_| TokenError::Compression)?;
    encoder.finish().map_err(|_| TokenError::Compression)
}

/// Inflates exactly one complete zlib stream of at most [`MAX_BODY_LEN`] bytes.
fn inflate_bounded(input: &[u8]) -> Result<Vec<u8>, TokenError> {
    let mut inflater = Decompress::new(true);
    // One spare byte of capacity tells "exactly at the limit" from "over it".
    let mut out = Vec::with_capacity(MAX_BODY_LEN + 1);
    loop {
        let before = (inflater.total_in(), inflater.total_out());
        let rest = remaining(input, inflater.total_in())?;
        let status = inflater
            .decompress_vec(rest, &mut out, FlushDecompress::Finish)
            .map_err(|_| TokenError::BadZlib)?;
        if out.len() > MAX_BODY_LEN {
            return Err(TokenError::BodyTooLarge {
                limit: MAX_BODY_LEN,
            });
        }
        if status == Status::StreamEnd {
            break;
        }
        // No progress with all input supplied means the stream is truncated.
        if (inflater.total_in(), inflater.total_out()) == before {
            return Err(TokenError::BadZlib);
        }
    }
    match remaining(input, inflater.total_in())?.len() {
        0 => Ok(out),
        count => Err(TokenError::TrailingBytes {
            after: "zlib stream",
            count,
        }),
    }
}

fn remaining(input: &[u8], consumed: u64) -> Result<&[u8], TokenError> {
    usize::try_from(consumed)
        .ok()
        .and_then(|n| input.get(n..))
        .ok_or(TokenError::BadZlib)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
    const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";
    const OTHER_CERT: &str = "0123456789abcdef0123456789abcdef";
    const ISSUE_TS: u32 = 1_111_111;
    const SALT: u32 = 1;
    const EXPIRE: u32 = 600;
    const K1: &str = "e0f6141e54329d72102500478ec18e0020a5eeef53bbcccc442c6c2f7f178251";
    const SIGNING_KEY: &str = "cee2fa8dcbe868c30ca8c959d97fad4a5049c634da48449f1b8f59c14fa61073";
    const SIGNATURE: &str = "2d6e85c3436f1811bc2c43173bf34eaa047d5e896abd4ef54c654110c0fade50";
    const BODY: &str = concat!(
        "20002d6e85c3436f1811bc2c43173bf34eaa047d5e896abd4ef54c654110c0fade50",
        "2000393730434133356465363063343436343562626165386132313530363162333347f41000",
        "58020000010000000100050001000200580200000000",
    );
    const REFERENCE_TOKEN: &str = "007eJxTYNDNaz3snC8huEfHWdz6s98qltq4zqy9fl99Uh0FDvy6F6DAYGlu4OxobJqSamaQbGJiZmKalJSYapFoZGhqYGaYZGzs/kWAIYKJgYGRAYRZgZgJzGdgAACt8hhr";
    const USER_ID: &str = "2882341273";
    const USER_SIGNATURE: &str = "28523b422bbfe03ceee4d0caef59d686fe2518eb70077dda27cdfcd448ff64ae";

    fn cert() -> Secret {
        Secret::from(CERT)
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The decompressed body of a token string.
    fn body_of(token: &str) -> Vec<u8> {
        let compressed = STANDARD
            .decode(token.strip_prefix(VERSION).unwrap())
            .unwrap();
        inflate_bounded(&compressed).unwrap()
    }

    fn token_with_level(body: &[u8], level: Compression) -> String {
        let mut encoder = ZlibEncoder::new(Vec::new(), level);
        encoder.write_all(body).unwrap();
        format!("{VERSION}{}", STANDARD.encode(encoder.finish().unwrap()))
    }

    fn token_from_body(body: &[u8]) -> String {
        token_with_level(body, Compression::default())
    }

    /// A signed body over `info`, as a minter would produce.
    fn signed_body(info: &[u8], certificate: &Secret, issue_ts: u32, salt: u32) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(&sign(certificate, issue_ts, salt, info), "signature")
            .unwrap();
        w.buf.extend_from_slice(info);
        w.buf
    }

    fn header() -> Header<'static> {
        Header {
            app_id: APP_ID,
            issue_ts: ISSUE_TS,
            expire: EXPIRE,
            salt: SALT,
        }
    }

    fn reference_app_token() -> Secret {
        mint_chat_app_token(APP_ID, &cert(), ISSUE_TS, EXPIRE, SALT).unwrap()
    }

    // --- Reference vector -------------------------------------------------

    #[test]
    fn reference_key_derivation() {
        let k1 = hmac_sha256(&ISSUE_TS.to_le_bytes(), CERT.as_bytes());
        assert_eq!(hex(&k1), K1);
        assert_eq!(hex(&signing_key(&cert(), ISSUE_TS, SALT)), SIGNING_KEY);
    }

    #[test]
    fn reference_body_and_signature() {
        let token = reference_app_token();
        let body = body_of(token.expose());
        assert_eq!(body.len(), 94);
        assert_eq!(hex(&body), BODY);
        let parsed = AccessToken2::parse(token.expose()).unwrap();
        assert_eq!(hex(parsed.signature()), SIGNATURE);
        parsed.verify(&cert()).unwrap();
    }

    #[test]
    fn reference_token_string_parses_and_verifies() {
        let token = AccessToken2::parse(REFERENCE_TOKEN).unwrap();
        assert_eq!(token.app_id(), APP_ID);
        assert_eq!(token.issue_ts(), ISSUE_TS);
        assert_eq!(token.expire(), EXPIRE);
        assert_eq!(token.salt(), SALT);
        assert_eq!(
            token.services(),
            [Service::chat(ChatPrivilege::App, EXPIRE, "")]
        );
        assert_eq!(token.services()[0].service_type(), SERVICE_CHAT);
        assert_eq!(hex(token.signature()), SIGNATURE);
        assert_eq!(token.info_bytes(), &unhex(BODY)[34..]);
        assert_eq!(token.expires_at(), 1_111_711);
        assert!(token.is_app_token());
        assert_eq!(token.chat_user_id(), Some(""));
        assert_eq!(
            token.chat_privilege_expiry(ChatPrivilege::App),
            Some(EXPIRE)
        );
        assert_eq!(token.chat_privilege_expiry(ChatPrivilege::User), None);
        assert_eq!(body_of(REFERENCE_TOKEN), unhex(BODY));
        token.verify(&cert()).unwrap();
    }

    #[test]
    fn reference_user_token_signature() {
        let token = mint_chat_user_token(APP_ID, &cert(), ISSUE_TS, EXPIRE, SALT, USER_ID).unwrap();
        let parsed = AccessToken2::parse(token.expose()).unwrap();
        assert_eq!(hex(parsed.signature()), USER_SIGNATURE);
        assert_eq!(parsed.chat_user_id(), Some(USER_ID));
        assert_eq!(
            parsed.chat_privilege_expiry(ChatPrivilege::User),
            Some(EXPIRE)
        );
        assert!(!parsed.is_app_token());
        parsed.verify(&cert()).unwrap();
    }

    // --- Round trips and tampering -----------------------------------------

    #[test]
    fn minted_token_round_trips() {
        let token =
            mint_chat_user_token(APP_ID, &cert(), 1_700_000_000, 86_400, 99_999_999, "alice")
                .unwrap();
        let parsed = AccessToken2::parse(token.expose()).unwrap();
        assert_eq!(parsed.issue_ts(), 1_700_000_000);
        assert_eq!(parsed.expire(), 86_400);
        assert_eq!(parsed.salt(), 99_999_999);
        assert_eq!(parsed.expires_at(), 1_700_086_400);
        assert!(!parsed.is_expired_at(1_700_086_399));
        assert!(parsed.is_expired_at(1_700_086_400));
        parsed.verify(&cert()).unwrap();
    }

    #[test]
    fn any_zlib_level_is_accepted() {
        for level in [
            Compression::none(),
            Compression::fast(),
            Compression::best(),
        ] {
            let token = token_with_level(&unhex(BODY), level);
            AccessToken2::parse(&token)
                .unwrap()
                .verify(&cert())
                .unwrap();
        }
    }

    #[test]
    fn other_certificate_fails_verification() {
        let parsed = AccessToken2::parse(REFERENCE_TOKEN).unwrap();
        let other = Secret::from(OTHER_CERT);
        assert_eq!(parsed.verify(&other), Err(TokenError::BadSignature));
        // Case matters: the certificate is signed as text.
        let lower = Secret::from(CERT.to_ascii_lowercase());
        assert_eq!(parsed.verify(&lower), Err(TokenError::BadSignature));
        let malformed = Secret::from("short");
        assert_eq!(
            parsed.verify(&malformed),
            Err(TokenError::InvalidCertificate(HexIdError::WrongLength(5)))
        );
    }

    #[test]
    fn flipping_any_body_byte_fails_parse_or_verify() {
        let body = unhex(BODY);
        for index in 0..body.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut flipped = body.clone();
                flipped[index] ^= mask;
                let outcome =
                    AccessToken2::parse(&token_from_body(&flipped)).and_then(|t| t.verify(&cert()));
                assert!(
                    outcome.is_err(),
                    "byte {index} mask {mask:#x} still verifies"
                );
            }
        }
    }

    #[test]
    fn flipping_any_base64_char_never_forges() {
        let original = body_of(REFERENCE_TOKEN);
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ .";
        for index in 0..REFERENCE_TOKEN.len() {
            for replacement in alphabet.chars() {
                let mut chars: Vec<char> = REFERENCE_TOKEN.chars().collect();
                if chars[index] == replacement {
                    continue;
                }
                chars[index] = replacement;
                let token: String = chars.into_iter().collect();
                let Ok(parsed) = AccessToken2::parse(&token) else {
                    continue;
                };
                if parsed.verify(&cert()).is_ok() {
                    assert_eq!(body_of(&token), original, "forged at {index}");
                }
            }
        }
    }

    #[test]
    fn every_truncated_body_fails() {
        let body = unhex(BODY);
        for len in 0..body.len() {
            let result = AccessToken2::parse(&token_from_body(&body[..len]));
            assert!(
                matches!(
                    result,
                    Err(TokenError::Truncated(_) | TokenError::BadSignatureLength(_))
                ),
                "len {len}: {result:?}"
            );
        }
    }

    // --- Malformed input ---------------------------------------------------

    #[test]
    fn rejects_bad_envelopes() {
        let encoded = &REFERENCE_TOKEN[3..];
        assert_eq!(AccessToken2::parse("").unwrap_err(), TokenError::BadVersion);
        assert_eq!(
            AccessToken2::parse(&format!("006{encoded}")).unwrap_err(),
            TokenError::BadVersion
        );
        assert_eq!(AccessToken2::parse("007").unwrap_err(), TokenError::BadZlib);
        assert_eq!(
            AccessToken2::parse("007!!!!").unwrap_err(),
            TokenError::BadBase64
        );
        // Length not a multiple of 4, and missing padding, are both refused.
        let short = &REFERENCE_TOKEN[..REFERENCE_TOKEN.len() - 1];
        assert_eq!(
            AccessToken2::parse(short).unwrap_err(),
            TokenError::BadBase64
        );
        assert_eq!(
            AccessToken2::parse("007AA").unwrap_err(),
            TokenError::BadBase64
        );
        assert_eq!(
            AccessToken2::parse("007AA==").unwrap_err(),
            TokenError::BadZlib
        );
        let huge = format!("007{}", "A".repeat(MAX_TOKEN_LEN));
        assert_eq!(
            AccessToken2::parse(&huge).unwrap_err(),
            TokenError::TokenTooLong {
                limit: MAX_TOKEN_LEN
            }
        );
    }

    #[test]
    fn rejects_bad_zlib_streams() {
        let compressed = STANDARD.decode(&REFERENCE_TOKEN[3..]).unwrap();
        let encode = |bytes: &[u8]| format!("007{}", STANDARD.encode(bytes));
        // Truncated stream, including one missing only its checksum.
        for cut in [1, 4, compressed.len() / 2] {
            let short = &compressed[..compressed.len() - cut];
            assert_eq!(
                AccessToken2::parse(&encode(short)).unwrap_err(),
                TokenError::BadZlib
            );
        }
        // Corrupted adler32 checksum.
        let mut bad_sum = compressed.clone();
        *bad_sum.last_mut().unwrap() ^= 1;
        assert_eq!(
            AccessToken2::parse(&encode(&bad_sum)).unwrap_err(),
            TokenError::BadZlib
        );
        // Bytes after the end of the stream.
        let mut extra = compressed.clone();
        extra.push(0);
        assert_eq!(
            AccessToken2::parse(&encode(&extra)).unwrap_err(),
            TokenError::TrailingBytes {
                after: "zlib stream",
                count: 1
            }
        );
        // Raw deflate without the zlib header.
        assert_eq!(
            AccessToken2::parse(&encode(&compressed[2..])).unwrap_err(),
            TokenError::BadZlib
        );
    }

    #[test]
    fn refuses_oversized_bodies() {
        let bomb = token_from_body(&vec![0u8; MAX_BODY_LEN + 1]);
        assert!(bomb.len() < 1_000);
        assert_eq!(
            AccessToken2::parse(&bomb).unwrap_err(),
            TokenError::BodyTooLarge {
                limit: MAX_BODY_LEN
            }
        );
        // Exactly at the limit inflates, then fails on content.
        let at_limit = token_from_body(&vec![0u8; MAX_BODY_LEN]);
        assert_eq!(
            AccessToken2::parse(&at_limit).unwrap_err(),
            TokenError::BadSignatureLength(0)
        );
    }

    #[test]
    fn rejects_trailing_body_bytes() {
        let mut info =
            encode_info(&header(), &[Service::chat(ChatPrivilege::App, EXPIRE, "")]).unwrap();
        info.push(0);
        let token = token_from_body(&signed_body(&info, &cert(), ISSUE_TS, SALT));
        assert_eq!(
            AccessToken2::parse(&token).unwrap_err(),
            TokenError::TrailingBytes {
                after: "token body",
                count: 1
            }
        );
    }

    #[test]
    fn rejects_bad_signature_length() {
        let mut body = unhex(BODY);
        body[0] = 31; // length prefix says 31 bytes
        assert_eq!(
            AccessToken2::parse(&token_from_body(&body)).unwrap_err(),
            TokenError::BadSignatureLength(31)
        );
    }

    #[test]
    fn rejects_invalid_utf8_user_id() {
        let mut body = unhex(BODY);
        let len = body.len();
        body[len - 2] = 1; // user id length 1
        body.push(0xff);
        assert_eq!(
            AccessToken2::parse(&token_from_body(&body)).unwrap_err(),
            TokenError::InvalidUtf8("user id")
        );
    }

    /// An info block with a hand-written service list.
    fn info_with_services(count: u16, services: &[u8]) -> Vec<u8> {
        let mut info = encode_info(&header(), &[]).unwrap();
        let len = info.len();
        info[len - 2..].copy_from_slice(&count.to_le_bytes());
        info.extend_from_slice(services);
        info
    }

    #[test]
    fn rejects_unknown_service_types() {
        for service_type in [0u16, 3, 6, 8, u16::MAX] {
            let mut service = service_type.to_le_bytes().to_vec();
            service.extend_from_slice(&[0, 0]);
            let info = info_with_services(1, &service);
            let token = token_from_body(&signed_body(&info, &cert(), ISSUE_TS, SALT));
            assert_eq!(
                AccessToken2::parse(&token).unwrap_err(),
                TokenError::UnsupportedService(service_type)
            );
        }
    }

    #[test]
    fn rejects_duplicates() {
        let fpa = [4u8, 0, 0, 0];
        let info = info_with_services(2, &[fpa, fpa].concat());
        let token = token_from_body(&signed_body(&info, &cert(), ISSUE_TS, SALT));
        assert_eq!(
            AccessToken2::parse(&token).unwrap_err(),
            TokenError::DuplicateService(4)
        );

        let fpa_dup_privilege = [4u8, 0, 2, 0, 1, 0, 9, 0, 0, 0, 1, 0, 9, 0, 0, 0];
        let info = info_with_services(1, &fpa_dup_privilege);
        let token = token_from_body(&signed_body(&info, &cert(), ISSUE_TS, SALT));
        assert_eq!(
            AccessToken2::parse(&token).unwrap_err(),
            TokenError::DuplicatePrivilege {
                service_type: 4,
                privilege: 1
            }
        );
    }

    #[test]
    fn parses_all_known_services_sorted() {
        let services = [
            Service {
                privileges: BTreeMap::from([(1, 10)]),
                kind: ServiceKind::Apaas {
                    room_uuid: "room".into(),
                    user_uuid: "user".into(),
                    role: -2,
                },
            },
            Service::chat(ChatPrivilege::User, 30, "bob"),
            Service {
                privileges: BTreeMap::from([(1, 0), (2, 5), (4, 6)]),
                kind: ServiceKind::Rtc {
                    channel_name: "chan".into(),
                    uid: "42".into(),
                },
            },
            Service {
                privileges: BTreeMap::new(),
                kind: ServiceKind::Fpa,
            },
            Service {
                privileges: BTreeMap::from([(1, 7)]),
                kind: ServiceKind::Rtm {
                    user_id: "r".into(),
                },
            },
        ];
        let info = encode_info(&header(), &services).unwrap();
        let token = token_from_body(&signed_body(&info, &cert(), ISSUE_TS, SALT));
        let parsed = AccessToken2::parse(&token).unwrap();
        parsed.verify(&cert()).unwrap();
        let types: Vec<u16> = parsed
            .services()
            .iter()
            .map(Service::service_type)
            .collect();
        assert_eq!(types, [1, 2, 4, 5, 7]);
        for service in &services {
            assert!(parsed.services().contains(service));
        }
        assert_eq!(parsed.chat_user_id(), Some("bob"));
        assert!(!parsed.is_app_token());
    }

    // --- Input validation --------------------------------------------------

    #[test]
    fn validates_app_id_and_certificate() {
        let mint = |app_id: &str, certificate: &str| {
            mint_chat_app_token(app_id, &Secret::from(certificate), ISSUE_TS, EXPIRE, SALT)
        };
        assert_eq!(
            mint("970CA35d", CERT).unwrap_err(),
            TokenError::InvalidAppId(HexIdError::WrongLength(8))
        );
        assert_eq!(
            mint("970CA35de60c44645bbae8a215061b3g", CERT).unwrap_err(),
            TokenError::InvalidAppId(HexIdError::NotHex(31))
        );
        assert_eq!(
            mint(APP_ID, "5CFd2fd1755d40ecb72977518be15d3").unwrap_err(),
            TokenError::InvalidCertificate(HexIdError::WrongLength(31))
        );
        assert_eq!(
            mint(APP_ID, "5CFd2fd1755d40ecb7297751 be15d3b").unwrap_err(),
            TokenError::InvalidCertificate(HexIdError::NotHex(24))
        );
        // Multi-byte characters count as bytes and never slice mid-character.
        assert_eq!(
            mint(APP_ID, "ééééééééééééééee").unwrap_err(),
            TokenError::InvalidCertificate(HexIdError::WrongLength(30))
        );
        assert_eq!(AppId::new(APP_ID).unwrap().as_str(), APP_ID);
        assert_eq!(AppId::new(APP_ID).unwrap().to_string(), APP_ID);
    }

    #[test]
    fn validates_ranges_and_user_id() {
        let app = |expire, salt| mint_chat_app_token(APP_ID, &cert(), ISSUE_TS, expire, salt);
        assert_eq!(app(0, SALT).unwrap_err(), TokenError::ExpireOutOfRange(0));
        assert_eq!(
            app(86_401, SALT).unwrap_err(),
            TokenError::ExpireOutOfRange(86_401)
        );
        assert_eq!(app(EXPIRE, 0).unwrap_err(), TokenError::SaltOutOfRange(0));
        assert_eq!(
            app(EXPIRE, 100_000_000).unwrap_err(),
            TokenError::SaltOutOfRange(100_000_000)
        );
        assert!(app(1, 1).is_ok());
        assert!(app(86_400, 99_999_999).is_ok());
        let user =
            |user_id: &str| mint_chat_user_token(APP_ID, &cert(), ISSUE_TS, EXPIRE, SALT, user_id);
        assert_eq!(user("").unwrap_err(), TokenError::EmptyUserId);
        assert_eq!(
            user(&"u".repeat(70_000)).unwrap_err(),
            TokenError::FieldTooLong("user id")
        );
    }

    // --- Minter ------------------------------------------------------------

    fn fixed_minter(now: u64, salt: u32) -> TokenMinter {
        TokenMinter::new(APP_ID, cert())
            .unwrap()
            .with_clock(Arc::new(FixedClock(now)))
            .with_salt_source(Arc::new(FixedSalt(salt)))
    }

    #[test]
    fn minter_is_deterministic_with_fixed_clock_and_salt() {
        let minter = fixed_minter(u64::from(ISSUE_TS), SALT);
        let first = minter.mint_app_token(EXPIRE).unwrap();
        let second = minter.mint_app_token(EXPIRE).unwrap();
        assert_eq!(first.token, second.token);
        assert_eq!(first.token, reference_app_token());
        assert_eq!(first.issued_at, 1_111_111);
        assert_eq!(first.expires_at, 1_111_711);
        assert_eq!(hex(&body_of(first.token.expose())), BODY);

        let user = minter.mint_user_token(USER_ID, EXPIRE).unwrap();
        let parsed = AccessToken2::parse(user.token.expose()).unwrap();
        assert_eq!(hex(parsed.signature()), USER_SIGNATURE);
        assert_eq!(minter.app_id().as_str(), APP_ID);
    }

    #[test]
    fn minter_reports_bad_clock_and_salt() {
        let late = u64::from(u32::MAX) + 1;
        assert_eq!(
            fixed_minter(late, SALT).mint_app_token(EXPIRE).unwrap_err(),
            TokenError::ClockOutOfRange(late)
        );
        assert_eq!(
            fixed_minter(1, 0).mint_app_token(EXPIRE).unwrap_err(),
            TokenError::SaltOutOfRange(0)
        );
        assert!(TokenMinter::new(APP_ID, Secret::from("nope")).is_err());
        assert!(TokenMinter::new("nope", cert()).is_err());
    }

    #[test]
    fn default_minter_uses_system_clock_and_random_salt() {
        let minter = TokenMinter::new(APP_ID, cert()).unwrap();
        let minted = minter.mint_app_token(60).unwrap();
        assert!(minted.issued_at > 1_700_000_000);
        assert_eq!(minted.expires_at, minted.issued_at + 60);
        let parsed = AccessToken2::parse(minted.token.expose()).unwrap();
        parsed.verify(&cert()).unwrap();
        assert!((1..=MAX_SALT).contains(&parsed.salt()));
        for _ in 0..1_000 {
            assert!((1..=MAX_SALT).contains(&RandomSalt.salt()));
        }
        assert!((1..=MAX_SALT).contains(&(fallback_salt() % MAX_SALT + 1)));
    }

    // --- Redaction ---------------------------------------------------------

    /// One of each variant; the match fails to compile when a variant is added.
    fn every_error() -> Vec<TokenError> {
        let errors = vec![
            TokenError::BadVersion,
            TokenError::TokenTooLong {
                limit: MAX_TOKEN_LEN,
            },
            TokenError::BadBase64,
            TokenError::BadZlib,
            TokenError::BodyTooLarge {
                limit: MAX_BODY_LEN,
            },
            TokenError::Truncated("signature"),
            TokenError::TrailingBytes {
                after: "token body",
                count: 1,
            },
            TokenError::InvalidUtf8("user id"),
            TokenError::UnsupportedService(3),
            TokenError::DuplicateService(5),
            TokenError::DuplicatePrivilege {
                service_type: 5,
                privilege: 1,
            },
            TokenError::BadSignatureLength(31),
            TokenError::BadSignature,
            TokenError::InvalidAppId(HexIdError::WrongLength(3)),
            TokenError::InvalidAppId(HexIdError::NotHex(3)),
            TokenError::InvalidCertificate(HexIdError::WrongLength(3)),
            TokenError::InvalidCertificate(HexIdError::NotHex(3)),
            TokenError::ExpireOutOfRange(0),
            TokenError::SaltOutOfRange(0),
            TokenError::EmptyUserId,
            TokenError::FieldTooLong("user id"),
            TokenError::ClockOutOfRange(u64::MAX),
            TokenError::Compression,
        ];
        for error in &errors {
            match error {
                TokenError::BadVersion
                | TokenError::TokenTooLong { .. }
                | TokenError::BadBase64
                | TokenError::BadZlib
                | TokenError::BodyTooLarge { .. }
                | TokenError::Truncated(_)
                | TokenError::TrailingBytes { .. }
                | TokenError::InvalidUtf8(_)
                | TokenError::UnsupportedService(_)
                | TokenError::DuplicateService(_)
                | TokenError::DuplicatePrivilege { .. }
                | TokenError::BadSignatureLength(_)
                | TokenError::BadSignature
                | TokenError::InvalidAppId(_)
                | TokenError::InvalidCertificate(_)
                | TokenError::ExpireOutOfRange(_)
                | TokenError::SaltOutOfRange(_)
                | TokenError::EmptyUserId
                | TokenError::FieldTooLong(_)
                | TokenError::ClockOutOfRange(_)
                | TokenError::Compression => {}
            }
        }
        errors
    }

    fn assert_redacted(text: &str, secrets: &[&str]) {
        for secret in secrets {
            assert!(!text.contains(secret), "{text:?} leaks a secret");
        }
    }

    #[test]
    fn nothing_prints_certificate_or_token() {
        let minted = fixed_minter(u64::from(ISSUE_TS), SALT)
            .mint_app_token(EXPIRE)
            .unwrap();
        let token = minted.token.expose().to_owned();
        let encoded = token[3..].to_owned();
        let secrets = [CERT, token.as_str(), encoded.as_str(), SIGNATURE];
        let minter = fixed_minter(1, 1);
        let parsed = AccessToken2::parse(&token).unwrap();
        let mut printed = vec![
            format!("{:?} {}", cert(), cert()),
            format!("{minter:?} {minter:#?}"),
            format!("{minted:?} {minted:#?}"),
            format!("{parsed:?} {parsed:#?}"),
        ];
        for error in every_error() {
            printed.push(format!("{error} {error:?}"));
        }
        // Errors raised by real failures on secret-looking input.
        let not_hex = "5CFd2fd1755d40ecb72977518be15d3Z";
        let failures = [
            mint_chat_app_token(APP_ID, &Secret::from(not_hex), 1, 1, 1).unwrap_err(),
            TokenMinter::new(APP_ID, Secret::from("secret-cert")).unwrap_err(),
            AccessToken2::parse(&token[..token.len() - 4]).unwrap_err(),
            AccessToken2::parse(&token[1..]).unwrap_err(),
            parsed.verify(&Secret::from(OTHER_CERT)).unwrap_err(),
        ];
        for error in failures {
            printed.push(format!("{error} {error:?}"));
        }
        for text in &printed {
            assert_redacted(text, &secrets);
            assert_redacted(text, &[not_hex, "secret-cert", OTHER_CERT]);
        }
        assert_eq!(format!("{:?}", minted.token), "Secret(***)");
    }

    // --- Fuzzing -----------------------------------------------------------

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_strings(text in any::<String>()) {
            let _ = AccessToken2::parse(&text);
            let _ = AccessToken2::parse(&format!("007{text}"));
        }

        #[test]
        fn parse_never_panics_on_base64_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = AccessToken2::parse(&format!("007{}", STANDARD.encode(&bytes)));
        }

        #[test]
        fn parse_never_panics_on_zlib_bodies(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let token = format!("007{}", STANDARD.encode(zlib(&bytes)));
            if let Ok(parsed) = AccessToken2::parse(&token) {
                prop_assert!(parsed.verify(&cert()).is_err());
            }
        }

        #[test]
        fn mutated_bodies_never_panic_or_forge(
            edits in prop::collection::vec((0usize..94, any::<u8>()), 1..4),
            extra in prop::collection::vec(any::<u8>(), 0..8),
        ) {
            let original = unhex(BODY);
            let mut body = original.clone();
            for (index, value) in edits {
                body[index] = value;
            }
            body.extend_from_slice(&extra);
            if let Ok(parsed) = AccessToken2::parse(&token_from_body(&body))
                && parsed.verify(&cert()).is_ok()
            {
                prop_assert_eq!(body, original);
            }
        }
    }
}
