//! `agora-chat token mint` and `agora-chat token inspect`: AccessToken2 chat tokens through the
//! client's public codec (`agora_chat::auth::access_token`). Inspection shows what a token
//! grants and when; never its signature, and the certificate is never needed nor shown.

use std::io::Read;

use agora_chat::Secret;
use agora_chat::auth::access_token::{AccessToken2, ChatPrivilege, ServiceKind, TokenMinter};
use serde_json::{Value, json};

use crate::exit::{CliError, ExitClass};

/// Token commands.
#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Mint a chat app token (or a user token with --user) from the App ID and App Certificate
    ///
    /// The token goes to stdout alone (`TOKEN=$(agora-chat token mint)`); with --json, an object
    /// with its issue and expiry times. Give the certificate through AGORA_CHAT_APP_CERTIFICATE:
    /// flags show in `ps`.
    Mint(MintArgs),
    /// Show what a token grants: app id, issue time, expiry, services and privileges
    ///
    /// Reads TOKEN, or standard input when TOKEN is `-`. Never shows the signature; no
    /// certificate is needed (the signature is not checked).
    Inspect {
        /// The token (`-`: read it from standard input)
        #[arg(value_name = "TOKEN")]
        token: String,
    },
}

/// The flags of `token mint`. No `Debug`: it holds the certificate.
#[derive(clap::Args)]
pub struct MintArgs {
    /// App ID (32 hex characters)
    #[arg(
        long,
        value_name = "HEX32",
        env = "AGORA_CHAT_APP_ID",
        hide_env_values = true
    )]
    app_id: String,
    /// App Certificate (32 hex characters; prefer the environment variable)
    #[arg(
        long,
        value_name = "HEX32",
        env = "AGORA_CHAT_APP_CERTIFICATE",
        hide_env_values = true
    )]
    app_certificate: String,
    /// Mint a user token for this chat user id instead of an app token
    #[arg(long, value_name = "USER")]
    user: Option<String>,
    /// Lifetime: seconds, or a number with s, m, h or d (e.g. 90m, 24h)
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_lifetime)]
    lifetime: u32,
}

impl std::fmt::Debug for MintArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MintArgs")
            .field("app_id", &self.app_id)
            .field("user", &self.user)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// `90`, `90s`, `15m`, `24h`, `7d` -> seconds (at least 1, at most `u32::MAX`).
pub fn parse_lifetime(text: &str) -> Result<u32, String> {
    let (number, unit) = match text.char_indices().last() {
        Some((at, c)) if c.is_ascii_alphabetic() => (&text[..at], c),
        _ => (text, 's'),
    };
    let scale: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err("unit must be s, m, h or d".to_owned()),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| "expected a whole number, optionally with s, m, h or d".to_owned())?;
    let secs = number.saturating_mul(scale);
    match u32::try_from(secs) {
        Ok(0) => Err("must be at least 1 second".to_owned()),
        Ok(secs) => Ok(secs),
        Err(_) => Err(format!("at most {} seconds", u32::MAX)),
    }
}

/// Runs a token command; the output is JSON or the plain text form.
pub fn run(command: TokenCommand, json_output: bool) -> Result<String, CliError> {
    match command {
        TokenCommand::Mint(args) => mint(args, json_output),
        TokenCommand::Inspect { token } => {
            let token = read_token(&token)?;
            let details = inspect(&token)?;
            Ok(if json_output {
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&details).unwrap_or_default()
                )
            } else {
                crate::output::table(&details)
            })
        }
    }
}

fn mint(args: MintArgs, json_output: bool) -> Result<String, CliError> {
    // The codec's errors name what is wrong with the certificate, never the certificate.
    let invalid = |e: agora_chat::auth::access_token::TokenError| {
        CliError::new(ExitClass::Usage, e.to_string())
    };
    let minter =
        TokenMinter::new(&args.app_id, Secret::new(args.app_certificate)).map_err(invalid)?;
    let minted = match &args.user {
        Some(user) => minter.mint_user_token(user, args.lifetime),
        None => minter.mint_app_token(args.lifetime),
    }
    .map_err(invalid)?;
    if !json_output {
        return Ok(format!("{}\n", minted.token.expose()));
    }
    let document = json!({
        "token": minted.token.expose(),
        "kind": if args.user.is_some() { "user" } else { "app" },
        "user": args.user,
        "issued_at": minted.issued_at,
        "expires_at": minted.expires_at,
    });
    Ok(format!(
        "{}\n",
        serde_json::to_string_pretty(&document).unwrap_or_default()
    ))
}

fn read_token(arg: &str) -> Result<String, CliError> {
    if arg != "-" {
        return Ok(arg.trim().to_owned());
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| CliError::new(ExitClass::Usage, format!("cannot read standard input: {e}")))?;
    Ok(text.trim().to_owned())
}

/// What a token grants, as JSON: no signature, no salt.
pub fn inspect(token: &str) -> Result<Value, CliError> {
    let parsed = AccessToken2::parse(token)
        .map_err(|e| CliError::new(ExitClass::Validation, format!("not a valid token: {e}")))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let services: Vec<Value> = parsed.services().iter().map(service_json).collect();
    Ok(json!({
        "app_id": parsed.app_id(),
        "kind": if parsed.is_app_token() { "app" } else { "other" },
        "chat_user_id": parsed.chat_user_id(),
        "issued_at": u64::from(parsed.issue_ts()),
        "issued_at_utc": utc(u64::from(parsed.issue_ts())),
        "expire_secs": parsed.expire(),
        "expires_at": parsed.expires_at(),
        "expires_at_utc": utc(parsed.expires_at()),
        "expired": parsed.is_expired_at(now),
        "services": services,
    }))
}

fn service_json(service: &agora_chat::auth::access_token::Service) -> Value {
    let (name, detail) = match &service.kind {
        ServiceKind::Chat { user_id } => ("chat", json!({ "user_id": user_id })),
        ServiceKind::Rtc { channel_name, uid } => {
            ("rtc", json!({ "channel_name": channel_name, "uid": uid }))
        }
        ServiceKind::Rtm { user_id } => ("rtm", json!({ "user_id": user_id })),
        ServiceKind::Fpa => ("fpa", json!({})),
        ServiceKind::Apaas {
            room_uuid,
            user_uuid,
            role,
        } => (
            "apaas",
            json!({ "room_uuid": room_uuid, "user_uuid": user_uuid, "role": role }),
        ),
        _ => ("unknown", json!({})),
    };
    let privileges: Vec<Value> = service
        .privileges
        .iter()
        .map(|(code, expire)| json!({ "privilege": privilege_name(service, *code), "code": code, "expire_secs": expire }))
        .collect();
    json!({ "service": name, "type": service.service_type(), "detail": detail, "privileges": privileges })
}

fn privilege_name(service: &agora_chat::auth::access_token::Service, code: u16) -> String {
    let chat = matches!(service.kind, ServiceKind::Chat { .. });
    match code {
        c if chat && c == ChatPrivilege::User.code() => "user".to_owned(),
        c if chat && c == ChatPrivilege::App.code() => "app".to_owned(),
        other => other.to_string(),
    }
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
pub fn utc(unix: u64) -> String {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

// Days since 1970-01-01 -> (year, month, day): the well-known era-based conversion.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_parse_with_units_and_limits() {
        assert_eq!(parse_lifetime("90"), Ok(90));
        assert_eq!(parse_lifetime("15m"), Ok(900));
        assert_eq!(parse_lifetime("24h"), Ok(86_400));
        assert_eq!(parse_lifetime("2d"), Ok(172_800));
        assert!(parse_lifetime("0").is_err());
        assert!(parse_lifetime("3w").is_err());
        assert!(parse_lifetime("h").is_err());
        assert!(parse_lifetime("99999999999d").is_err());
    }

    #[test]
    fn utc_times() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn inspect_shows_the_grant_and_not_the_signature() {
        let minter = TokenMinter::new(
            "970CA35de60c44645bbae8a215061b33",
            Secret::new("5CFd2fd1755d40ecb72977518be15d3b".to_owned()),
        )
        .expect("minter");
        let token = minter.mint_user_token("alice", 600).expect("minted");
        let details = inspect(token.token.expose()).expect("inspected");
        assert_eq!(details["app_id"], json!("970CA35de60c44645bbae8a215061b33"));
        assert_eq!(details["chat_user_id"], json!("alice"));
        assert_eq!(details["expire_secs"], json!(600));
        assert_eq!(
            details["services"][0]["privileges"][0]["privilege"],
            json!("user")
        );
        let text = details.to_string();
        assert!(
            !text.contains("signature") && !text.contains("salt"),
            "{text}"
        );
        let err = inspect("not-a-token").expect_err("refused");
        assert_eq!(err.class, ExitClass::Validation);
    }
}
