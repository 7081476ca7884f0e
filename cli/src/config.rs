//! Connection settings: flags, then the environment (the `AGORA_CHAT_*` variables of
//! `Client::from_env`, read by clap for each flag), then a named profile in the config file
//! (`<config dir>/agora-chat/config.json`). Secrets are `Secret`s as soon as they are read and
//! are never part of a message.

use std::path::{Path, PathBuf};

use agora_chat::auth::AppCredentials;
use agora_chat::{Client, Secret};
use serde::Deserialize;

/// The connection flags (before the subcommand: `agora-chat --profile prod chatrooms list`).
/// No `Debug`: it holds secrets as given.
#[derive(Default, clap::Args)]
pub struct ConnectionArgs {
    /// Profile of the config file to use (default: the profile named "default", if any)
    #[arg(
        long,
        value_name = "NAME",
        env = "AGORA_CHAT_PROFILE",
        hide_env_values = true
    )]
    pub profile: Option<String>,
    /// Config file with named profiles (default: <config dir>/agora-chat/config.json)
    #[arg(
        long,
        value_name = "PATH",
        env = "AGORA_CHAT_CONFIG",
        hide_env_values = true
    )]
    pub config: Option<PathBuf>,
    /// Base URL of the service, e.g. https://a41.chat.agora.io
    #[arg(
        long,
        value_name = "URL",
        env = "AGORA_CHAT_BASE_URL",
        hide_env_values = true
    )]
    pub base_url: Option<String>,
    /// App key, ORG#APP
    #[arg(
        long,
        value_name = "ORG#APP",
        env = "AGORA_CHAT_APP_KEY",
        hide_env_values = true
    )]
    pub app_key: Option<String>,
    /// Organization name (with --app-name, instead of --app-key)
    #[arg(
        long,
        value_name = "ORG",
        env = "AGORA_CHAT_ORG_NAME",
        hide_env_values = true
    )]
    pub org_name: Option<String>,
    /// App name (with --org-name, instead of --app-key)
    #[arg(
        long,
        value_name = "APP",
        env = "AGORA_CHAT_APP_NAME",
        hide_env_values = true
    )]
    pub app_name: Option<String>,
    /// App token (prefer the environment variable: flags show in `ps`)
    #[arg(
        long,
        value_name = "TOKEN",
        env = "AGORA_CHAT_APP_TOKEN",
        hide_env_values = true
    )]
    pub app_token: Option<String>,
    /// App ID, to mint app tokens locally (with --app-certificate)
    #[arg(
        long,
        value_name = "HEX32",
        env = "AGORA_CHAT_APP_ID",
        hide_env_values = true
    )]
    pub app_id: Option<String>,
    /// App Certificate (prefer the environment variable: flags show in `ps`)
    #[arg(
        long,
        value_name = "HEX32",
        env = "AGORA_CHAT_APP_CERTIFICATE",
        hide_env_values = true
    )]
    pub app_certificate: Option<String>,
    /// Allow a plain http:// base URL (the emulator)
    #[arg(long, value_name = "BOOL", env = "AGORA_CHAT_ALLOW_HTTP", hide_env_values = true, value_parser = parse_allow_http, num_args = 0..=1, default_missing_value = "true")]
    pub allow_http: Option<bool>,
}

// The values `Client::from_env` accepts for AGORA_CHAT_ALLOW_HTTP.
fn parse_allow_http(value: &str) -> Result<bool, String> {
    match value {
        "" | "0" | "false" => Ok(false),
        "1" | "true" => Ok(true),
        _ => Err("expected 1, true, 0 or false".to_owned()),
    }
}

/// One profile of the config file; every field optional. Its `Debug` hides the secrets.
#[derive(Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub base_url: Option<String>,
    pub app_key: Option<String>,
    pub org_name: Option<String>,
    pub app_name: Option<String>,
    pub app_token: Option<String>,
    pub app_id: Option<String>,
    pub app_certificate: Option<String>,
    pub allow_http: Option<bool>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |secret: &Option<String>| secret.as_ref().map(|_| "<redacted>");
        f.debug_struct("Profile")
            .field("base_url", &self.base_url)
            .field("app_key", &self.app_key)
            .field("org_name", &self.org_name)
            .field("app_name", &self.app_name)
            .field("app_token", &hidden(&self.app_token))
            .field("app_id", &self.app_id)
            .field("app_certificate", &hidden(&self.app_certificate))
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// The config file: `{"profiles": {"NAME": {..}}}`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    profiles: std::collections::BTreeMap<String, Profile>,
}

/// The platform's config directory: `$XDG_CONFIG_HOME` or `~/.config` on Unix,
/// `~/Library/Application Support` on macOS, `%APPDATA%` on Windows.
pub fn config_dir() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if cfg!(windows) {
        return var("APPDATA");
    }
    if cfg!(target_os = "macos") {
        return var("HOME").map(|home| home.join("Library/Application Support"));
    }
    var("XDG_CONFIG_HOME").or_else(|| var("HOME").map(|home| home.join(".config")))
}

/// The default config file path.
pub fn default_config_path() -> Option<PathBuf> {
    config_dir().map(|dir| dir.join("agora-chat").join("config.json"))
}

impl ConnectionArgs {
    /// The profile these flags select: named (must exist), or "default" when the file has one.
    pub fn profile(&self) -> Result<Profile, String> {
        let path = self.config.clone().or_else(default_config_path);
        let file = match &path {
            Some(path) if path.exists() => read_config(path)?,
            _ => ConfigFile::default(),
        };
        match &self.profile {
            Some(name) => file.profiles.get(name).cloned().ok_or_else(|| {
                let shown = path.map(|p| p.display().to_string()).unwrap_or_default();
                format!("no profile '{name}' in {shown}")
            }),
            None => Ok(file.profiles.get("default").cloned().unwrap_or_default()),
        }
    }

    /// The client: flags and environment first, then the profile.
    pub fn client(&self) -> Result<Client, String> {
        let profile = self.profile()?;
        let base_url =
            self.base_url.clone().or(profile.base_url).ok_or(
                "no base URL: give --base-url, AGORA_CHAT_BASE_URL or a profile (see --help)",
            )?;
        let mut builder = Client::builder()
            .base_url(base_url)
            .allow_http(self.allow_http.or(profile.allow_http).unwrap_or(false));
        if let Some(key) = self.app_key.clone().or(profile.app_key) {
            builder = builder.app_key(key);
        }
        if let Some(org) = self.org_name.clone().or(profile.org_name) {
            builder = builder.org_name(org);
        }
        if let Some(app) = self.app_name.clone().or(profile.app_name) {
            builder = builder.app_name(app);
        }
        let token = self
            .app_token
            .clone()
            .or(profile.app_token)
            .map(Secret::new);
        let app_id = self.app_id.clone().or(profile.app_id);
        let certificate = self
            .app_certificate
            .clone()
            .or(profile.app_certificate)
            .map(Secret::new);
        builder = match (token, app_id, certificate) {
            (Some(token), _, _) => builder.app_token(token),
            (None, Some(id), Some(certificate)) => {
                builder.app_credentials(AppCredentials::new(id, certificate))
            }
            _ => {
                return Err("no credentials: give an app token (AGORA_CHAT_APP_TOKEN) or an App ID and App Certificate (AGORA_CHAT_APP_ID, AGORA_CHAT_APP_CERTIFICATE), by flag, environment or profile".to_owned());
            }
        };
        builder.build().map_err(|e| format!("configuration: {e}"))
    }
}

fn read_config(path: &Path) -> Result<ConfigFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // serde_json's message names the line and column, never the value.
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_config(name: &str, text: &str) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("agora-chat-cli-{}-{name}.json", std::process::id()));
        std::fs::write(&path, text).expect("config written");
        path
    }

    #[test]
    fn a_named_profile_must_exist_and_default_is_optional() {
        let path = write_config(
            "profiles",
            r#"{"profiles": {"default": {"base_url": "http://d"}, "prod": {"base_url": "https://p", "app_token": "s3cret"}}}"#,
        );
        let args = |profile: Option<&str>| ConnectionArgs {
            profile: profile.map(str::to_owned),
            config: Some(path.clone()),
            ..ConnectionArgs::default()
        };
        assert_eq!(
            args(None).profile().expect("default").base_url.as_deref(),
            Some("http://d")
        );
        let prod = args(Some("prod")).profile().expect("prod");
        assert_eq!(prod.base_url.as_deref(), Some("https://p"));
        assert!(!format!("{prod:?}").contains("s3cret"), "the token leaked");
        let missing = args(Some("nope")).profile().expect_err("missing");
        assert!(missing.contains("no profile 'nope'"), "{missing}");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_broken_file_is_named_without_its_secrets() {
        let path = write_config(
            "broken",
            r#"{"profiles": {"p": {"app_token": "s3cret", "oops": 1}}}"#,
        );
        let args = ConnectionArgs {
            config: Some(path.clone()),
            ..ConnectionArgs::default()
        };
        let err = args.profile().expect_err("unknown field");
        assert!(err.contains("unknown field `oops`"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn flags_win_over_the_profile_and_credentials_are_required() {
        let args = ConnectionArgs {
            config: Some(PathBuf::from("/nonexistent/agora-chat.json")),
            base_url: Some("http://127.0.0.1:1".to_owned()),
            app_key: Some("o#a".to_owned()),
            allow_http: Some(true),
            ..ConnectionArgs::default()
        };
        let err = args.client().expect_err("no credentials");
        assert!(err.starts_with("no credentials"), "{err}");
        let with_token = ConnectionArgs {
            app_token: Some("t0ken".to_owned()),
            ..args
        };
        assert!(with_token.client().is_ok());
    }
}
