//! Where the store lives: a SQLite file (default `.mesh/mesh.db` at the repository root) or a
//! PostgreSQL URL, chosen by `--store`, then `MESH_STORE`, then `[store] url` in mesh.toml.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};

/// The default SQLite file, relative to the repository root.
pub const DEFAULT_SQLITE_PATH: &str = ".mesh/mesh.db";

/// A store location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A SQLite database file (created on first use).
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

/// Where the chosen location came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationSource {
    /// `--store`.
    Flag,
    /// `MESH_STORE`.
    Env,
    /// `[store] url` in mesh.toml.
    Config,
    /// Nothing said otherwise: `.mesh/mesh.db`.
    Default,
}

impl StoreLocation {
    /// Parse a location: `postgres://…` / `postgresql://…` is PostgreSQL; `sqlite://PATH`,
    /// `sqlite:PATH` or a plain path is SQLite. Relative paths are taken from `base`.
    pub fn parse(text: &str, base: &Path) -> Result<StoreLocation> {
        let t = text.trim();
        if t.is_empty() {
            return Err(StoreError::UnsupportedLocation(text.to_string()));
        }
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(StoreLocation::Postgres(t.to_string()));
        }
        let path = if let Some(rest) = t.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = t.strip_prefix("sqlite:") {
            rest
        } else if t.contains("://") {
            return Err(StoreError::UnsupportedLocation(text.to_string()));
        } else {
            t
        };
        if path.is_empty() {
            return Err(StoreError::UnsupportedLocation(text.to_string()));
        }
        let p = Path::new(path);
        Ok(StoreLocation::Sqlite(if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }))
    }

    /// The default: `ROOT/.mesh/mesh.db`.
    pub fn default_for(root: &Path) -> StoreLocation {
        StoreLocation::Sqlite(root.join(DEFAULT_SQLITE_PATH))
    }

    /// Choose the location: the flag, else the environment (`MESH_STORE`), else the
    /// configuration (`[store] url`), else the default. Relative SQLite paths are taken from the
    /// current directory for the flag and the environment, and from `root` for the
    /// configuration. Empty values count as unset.
    pub fn resolve(
        flag: Option<&str>,
        env: Option<&str>,
        config: Option<&str>,
        root: &Path,
        cwd: &Path,
    ) -> Result<(StoreLocation, LocationSource)> {
        let nonempty = |v: Option<&str>| v.filter(|s| !s.trim().is_empty()).map(str::to_string);
        if let Some(v) = nonempty(flag) {
            return Ok((StoreLocation::parse(&v, cwd)?, LocationSource::Flag));
        }
        if let Some(v) = nonempty(env) {
            return Ok((StoreLocation::parse(&v, cwd)?, LocationSource::Env));
        }
        if let Some(v) = nonempty(config) {
            return Ok((StoreLocation::parse(&v, root)?, LocationSource::Config));
        }
        Ok((StoreLocation::default_for(root), LocationSource::Default))
    }
}

impl fmt::Display for StoreLocation {
    /// The path, or the URL with its password removed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Sqlite(p) => write!(f, "{}", p.display()),
            StoreLocation::Postgres(url) => f.write_str(&redact_url(url)),
        }
    }
}

/// Remove a password from a URL's user-info (`postgres://u:secret@h` → `postgres://u:***@h`)
/// and from a `password=` query parameter.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let auth_start = scheme_end + 3;
        let auth_end = out[auth_start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| auth_start + i);
        if let Some(at) = out[auth_start..auth_end].rfind('@') {
            let userinfo = &out[auth_start..auth_start + at];
            if let Some(colon) = userinfo.find(':') {
                let start = auth_start + colon + 1;
                out.replace_range(start..auth_start + at, "***");
            }
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let redacted: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        out = format!("{head}{}", redacted.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse() {
        let base = Path::new("/repo");
        assert_eq!(
            StoreLocation::parse("postgres://u@h/db", base).ok(),
            Some(StoreLocation::Postgres("postgres://u@h/db".into()))
        );
        assert_eq!(
            StoreLocation::parse("x.db", base).ok(),
            Some(StoreLocation::Sqlite("/repo/x.db".into()))
        );
        assert_eq!(
            StoreLocation::parse("sqlite:///tmp/a.db", base).ok(),
            Some(StoreLocation::Sqlite("/tmp/a.db".into()))
        );
        assert!(StoreLocation::parse("mysql://h/db", base).is_err());
        assert!(StoreLocation::parse("  ", base).is_err());
    }

    #[test]
    fn resolution_order_is_flag_env_config_default() {
        let root = Path::new("/repo");
        let cwd = Path::new("/repo/sub");
        let r = |f, e, c| StoreLocation::resolve(f, e, c, root, cwd).ok();
        assert_eq!(
            r(Some("a.db"), Some("b.db"), Some("c.db")),
            Some((
                StoreLocation::Sqlite("/repo/sub/a.db".into()),
                LocationSource::Flag
            ))
        );
        assert_eq!(
            r(None, Some("b.db"), Some("c.db")),
            Some((
                StoreLocation::Sqlite("/repo/sub/b.db".into()),
                LocationSource::Env
            ))
        );
        assert_eq!(
            r(None, Some(""), Some("c.db")),
            Some((
                StoreLocation::Sqlite("/repo/c.db".into()),
                LocationSource::Config
            ))
        );
        assert_eq!(
            r(None, None, None),
            Some((
                StoreLocation::Sqlite("/repo/.mesh/mesh.db".into()),
                LocationSource::Default
            ))
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://mesh:s3cr3t@127.0.0.1:5432/db"),
            "postgres://mesh:***@127.0.0.1:5432/db"
        );
        assert_eq!(
            redact_url("postgres://h/db?user=a&password=x"),
            "postgres://h/db?user=a&password=***"
        );
        assert_eq!(redact_url("postgres://mesh@h/db"), "postgres://mesh@h/db");
    }
}
