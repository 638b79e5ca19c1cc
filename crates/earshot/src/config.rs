//! Configuration: `earshot.toml`, then `EARSHOT_*` environment variables, then flags (each
//! overriding the one before). clap reads the environment and flags; this file reads the
//! TOML and supplies the defaults.

use anyhow::Context;
use serde::Deserialize;
use std::path::Path;

pub const DEFAULT_DATABASE: &str = "sqlite://earshot.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_WORKSPACE: &str = "default";

/// Everything `earshot.toml` may set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database: Option<String>,
    pub bind: Option<String>,
    pub workspace: Option<String>,
    /// Earshot's public address, for webhook URLs given to platforms.
    pub public_url: Option<String>,
    /// Where the key that seals channel secrets is kept (when `EARSHOT_SECRET_KEY` is unset).
    pub secret_key_file: Option<std::path::PathBuf>,
}

impl FileConfig {
    /// Reads `path`, or `./earshot.toml` if it exists, or nothing.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (Path::new("earshot.toml").to_path_buf(), false),
        };
        if !required && !path.exists() {
            return Ok(Self::default());
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("could not read the config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }
}

pub fn database_url(chosen: Option<String>) -> String {
    chosen.unwrap_or_else(|| DEFAULT_DATABASE.to_string())
}

/// Where the channel-secrets key file is by default: beside an SQLite database
/// (`earshot.db` → `earshot.db.key`), else `./earshot.key`.
pub fn default_key_file(database_url: &str) -> std::path::PathBuf {
    match database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
    {
        Some(path) if !path.is_empty() && !path.starts_with(':') => {
            let path = path.split('?').next().unwrap_or(path);
            std::path::PathBuf::from(format!("{path}.key"))
        }
        _ => std::path::PathBuf::from("earshot.key"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_optional_but_must_be_valid_when_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("earshot.toml");
        std::fs::write(
            &path,
            "database = \"postgres://db/x\"\nbind = \"0.0.0.0:9000\"\n",
        )
        .unwrap();
        let c = FileConfig::load(Some(&path)).unwrap();
        assert_eq!(c.database.as_deref(), Some("postgres://db/x"));
        assert_eq!(c.bind.as_deref(), Some("0.0.0.0:9000"));

        std::fs::write(&path, "databse = \"typo\"\n").unwrap();
        let err = format!("{:#}", FileConfig::load(Some(&path)).unwrap_err());
        assert!(err.contains("databse"), "{err}");
        assert!(FileConfig::load(Some(&dir.path().join("missing.toml"))).is_err());
    }
}
