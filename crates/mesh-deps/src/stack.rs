//! Stack detection: which database, auth, API style and test tools a repository uses, from a
//! documented, extensible table of known packages (`stack.toml` beside this file).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::model::{DepKind, Ecosystem, FileKind, RepoFacts, SourceLoc};
use crate::names::normalize_name;

/// The built-in table's source text (TOML), for documentation and `mesh` help output.
pub const BUILTIN_STACK_TABLE: &str = include_str!("stack.toml");

/// Category names used by the built-in table.
pub mod category {
    pub const DATABASE: &str = "database";
    pub const AUTH: &str = "auth";
    pub const API_STYLE: &str = "api_style";
    pub const TESTING: &str = "testing";
}

/// A package pattern of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackagePattern {
    pub ecosystem: Ecosystem,
    /// Normalized name (or prefix, when `prefix`).
    pub name: String,
    pub prefix: bool,
    /// A Cargo feature or Python extra that must be enabled.
    pub feature: Option<String>,
}

impl PackagePattern {
    fn parse(ecosystem: Ecosystem, text: &str) -> PackagePattern {
        let text = text.trim();
        let (base, feature) = match text.split_once('[') {
            Some((b, rest)) => (b, Some(rest.trim_end_matches(']').trim().to_string())),
            None => (text, None),
        };
        let (base, prefix) = match base.strip_suffix('*') {
            Some(b) => (b, true),
            None => (base, false),
        };
        let mut name = normalize_name(ecosystem, base);
        if prefix && base.ends_with(['-', '_', '.']) && !name.ends_with('-') {
            name.push('-');
        }
        PackagePattern {
            ecosystem,
            name,
            prefix,
            feature,
        }
    }

    /// True when a dependency (normalized name, enabled features) matches.
    pub fn matches(&self, ecosystem: Ecosystem, name: &str, features: &[String]) -> bool {
        if ecosystem != self.ecosystem {
            return false;
        }
        let name_ok = if self.prefix {
            name.starts_with(&self.name)
        } else {
            name == self.name
        };
        name_ok
            && self.feature.as_ref().is_none_or(|f| {
                features
                    .iter()
                    .any(|x| normalize_name(ecosystem, x) == normalize_name(ecosystem, f))
            })
    }
}

/// One row of the table: the packages that show `category` = `value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackEntry {
    pub category: String,
    pub value: String,
    /// Lowercase words people write for this value.
    pub aliases: Vec<String>,
    pub packages: Vec<PackagePattern>,
    pub builtin: Vec<Ecosystem>,
    pub files: Vec<FileKind>,
}

/// The stack-detection table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StackTable {
    pub entries: Vec<StackEntry>,
}

/// The table text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid stack table: {message}")]
pub struct StackTableError {
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default)]
    stack: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    category: String,
    value: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    cargo: Vec<String>,
    #[serde(default)]
    npm: Vec<String>,
    #[serde(default)]
    pypi: Vec<String>,
    #[serde(default)]
    go: Vec<String>,
    #[serde(default)]
    builtin: Vec<String>,
    #[serde(default)]
    files: Vec<String>,
}

impl StackTable {
    /// The built-in table (parsed once).
    pub fn builtin() -> &'static StackTable {
        static TABLE: OnceLock<StackTable> = OnceLock::new();
        // The embedded table is checked by a unit test; an error here would yield an empty
        // table rather than a panic.
        TABLE.get_or_init(|| StackTable::parse(BUILTIN_STACK_TABLE).unwrap_or_default())
    }

    /// Parse a table in the `stack.toml` format.
    pub fn parse(text: &str) -> Result<StackTable, StackTableError> {
        let raw: RawTable = toml::from_str(text).map_err(|e| StackTableError {
            message: e.to_string().trim().to_string(),
        })?;
        let mut entries = Vec::new();
        for r in raw.stack {
            let mut packages = Vec::new();
            for (eco, list) in [
                (Ecosystem::Cargo, &r.cargo),
                (Ecosystem::Npm, &r.npm),
                (Ecosystem::PyPI, &r.pypi),
                (Ecosystem::Go, &r.go),
            ] {
                packages.extend(list.iter().map(|p| PackagePattern::parse(eco, p)));
            }
            let builtin = r
                .builtin
                .iter()
                .map(|b| {
                    Ecosystem::parse(b).ok_or_else(|| StackTableError {
                        message: format!(
                            "`{}` in `builtin` of {}={} is not an ecosystem (cargo, npm, pypi, go)",
                            b, r.category, r.value
                        ),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let files = r
                .files
                .iter()
                .map(|f| match f.as_str() {
                    "open-api" | "openapi" => Ok(FileKind::OpenApi),
                    "proto-schema" => Ok(FileKind::ProtoSchema),
                    "graphql-schema" => Ok(FileKind::GraphqlSchema),
                    other => Err(StackTableError {
                        message: format!(
                            "`{other}` in `files` of {}={} is not one of open-api, proto-schema, graphql-schema",
                            r.category, r.value
                        ),
                    }),
                })
                .collect::<Result<Vec<_>, _>>()?;
            entries.push(StackEntry {
                category: r.category.trim().to_lowercase(),
                value: r.value.trim().to_lowercase(),
                aliases: r.aliases.iter().map(|a| a.trim().to_lowercase()).collect(),
                packages,
                builtin,
                files,
            });
        }
        Ok(StackTable { entries })
    }

    /// Add another table's entries (an entry with the same category and value is merged).
    pub fn extend(&mut self, other: StackTable) {
        for e in other.entries {
            match self
                .entries
                .iter_mut()
                .find(|x| x.category == e.category && x.value == e.value)
            {
                Some(x) => {
                    x.aliases.extend(e.aliases);
                    x.packages.extend(e.packages);
                    x.builtin.extend(e.builtin);
                    x.files.extend(e.files);
                }
                None => self.entries.push(e),
            }
        }
    }

    /// The categories of the table, in table order, without repeats.
    pub fn categories(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for e in &self.entries {
            if !out.contains(&e.category.as_str()) {
                out.push(&e.category);
            }
        }
        out
    }

    /// The canonical values of `category` mentioned in a free-text field, in table order:
    /// `values_mentioned("database", "PostgreSQL 16 (managed)")` → `["postgres"]`. Aliases and
    /// values match case-insensitively as whole words.
    pub fn values_mentioned(&self, category: &str, text: &str) -> Vec<&str> {
        let hay = text.to_lowercase();
        let mut out: Vec<&str> = Vec::new();
        for e in self.entries.iter().filter(|e| e.category == category) {
            let hit = std::iter::once(&e.value)
                .chain(e.aliases.iter())
                .any(|a| contains_word(&hay, a));
            if hit && !out.contains(&e.value.as_str()) {
                out.push(&e.value);
            }
        }
        out
    }

    /// The entries that a dependency matches.
    pub fn entries_for<'a>(
        &'a self,
        ecosystem: Ecosystem,
        name: &'a str,
        features: &'a [String],
    ) -> impl Iterator<Item = &'a StackEntry> + 'a {
        self.entries.iter().filter(move |e| {
            e.packages
                .iter()
                .any(|p| p.matches(ecosystem, name, features))
        })
    }
}

/// True when `word` occurs in `hay` with no letter, digit or `_` on either side.
fn contains_word(hay: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(i) = hay.get(from..).and_then(|h| h.find(word)) {
        let start = from + i;
        let end = start + word.len();
        let before_ok = hay[..start].chars().next_back().is_none_or(|c| !is_word(c));
        let after_ok = hay[end..].chars().next().is_none_or(|c| !is_word(c));
        if before_ok && after_ok {
            return true;
        }
        from = start + word.chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// Why a stack value was detected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackEvidence {
    /// The ecosystem of the package, `None` for file evidence.
    pub ecosystem: Option<Ecosystem>,
    /// The package as declared (display name), or a description for built-in and file evidence
    /// (`cargo (built-in)`, `OpenAPI document`).
    pub package: String,
    /// The dependency kind (dev-only evidence is weaker), `None` for built-in and file evidence.
    pub kind: Option<DepKind>,
    pub at: SourceLoc,
}

/// One detected stack value with all its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackFact {
    pub category: String,
    pub value: String,
    pub evidence: Vec<StackEvidence>,
}

/// Detect the stack with the built-in table.
pub fn detect_stack(facts: &RepoFacts) -> Vec<StackFact> {
    detect_stack_with(facts, StackTable::builtin())
}

/// Detect the stack with a given table. Facts come in table order; evidence in file order.
/// Only direct dependencies are evidence.
pub fn detect_stack_with(facts: &RepoFacts, table: &StackTable) -> Vec<StackFact> {
    let mut out: Vec<StackFact> = Vec::new();
    for entry in &table.entries {
        let mut evidence = Vec::new();
        for d in facts.direct_dependencies() {
            if entry
                .packages
                .iter()
                .any(|p| p.matches(d.ecosystem, &d.name, &d.features))
            {
                evidence.push(StackEvidence {
                    ecosystem: Some(d.ecosystem),
                    package: d.display_name.clone(),
                    kind: Some(d.kind),
                    at: d.declared_at.clone(),
                });
            }
        }
        for eco in &entry.builtin {
            if let Some(f) = facts
                .files
                .iter()
                .find(|f| f.kind.ecosystem() == Some(*eco) && !f.kind.is_lockfile())
            {
                evidence.push(StackEvidence {
                    ecosystem: Some(*eco),
                    package: format!("{eco} (built-in)"),
                    kind: None,
                    at: SourceLoc::file_start(&f.path),
                });
            }
        }
        for kind in &entry.files {
            for f in facts.files.iter().filter(|f| f.kind == *kind) {
                let what = match kind {
                    FileKind::OpenApi => "OpenAPI document",
                    FileKind::ProtoSchema => "Protocol Buffers schema",
                    FileKind::GraphqlSchema => "GraphQL schema",
                    _ => "file",
                };
                evidence.push(StackEvidence {
                    ecosystem: None,
                    package: what.to_string(),
                    kind: None,
                    at: SourceLoc::file_start(&f.path),
                });
            }
        }
        if evidence.is_empty() {
            continue;
        }
        evidence.sort_by(|a, b| (&a.at.file, a.at.line).cmp(&(&b.at.file, b.at.line)));
        match out
            .iter_mut()
            .find(|f| f.category == entry.category && f.value == entry.value)
        {
            Some(f) => f.evidence.extend(evidence),
            None => out.push(StackFact {
                category: entry.category.clone(),
                value: entry.value.clone(),
                evidence,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_parses_and_covers_the_contract() {
        let t = StackTable::parse(BUILTIN_STACK_TABLE).unwrap();
        assert_eq!(t.categories(), ["database", "auth", "api_style", "testing"]);
        assert!(t.entries.len() >= 15);
        assert_eq!(StackTable::builtin(), &t);
    }

    #[test]
    fn patterns() {
        let p = PackagePattern::parse(Ecosystem::Cargo, "sqlx[postgres]");
        assert!(p.matches(
            Ecosystem::Cargo,
            "sqlx",
            &["runtime-tokio".into(), "postgres".into()]
        ));
        assert!(!p.matches(Ecosystem::Cargo, "sqlx", &["sqlite".into()]));
        let p = PackagePattern::parse(Ecosystem::Go, "github.com/jackc/pgx*");
        assert!(p.matches(Ecosystem::Go, "github.com/jackc/pgx/v5", &[]));
        let p = PackagePattern::parse(Ecosystem::PyPI, "PyJWT");
        assert!(p.matches(Ecosystem::PyPI, "pyjwt", &[]));
        assert!(!p.matches(Ecosystem::Npm, "pyjwt", &[]));
    }

    #[test]
    fn values_in_free_text() {
        let t = StackTable::builtin();
        assert_eq!(
            t.values_mentioned("database", "PostgreSQL 16 (managed)"),
            ["postgres"]
        );
        assert_eq!(
            t.values_mentioned("database", "[Postgres | SQLite | etc.]"),
            ["postgres", "sqlite"]
        );
        assert_eq!(t.values_mentioned("auth", "JWT bearer tokens"), ["jwt"]);
        assert_eq!(t.values_mentioned("api_style", "GraphQL"), ["graphql"]);
        assert_eq!(
            t.values_mentioned("testing", "pytest + coverage"),
            ["pytest"]
        );
        assert_eq!(
            t.values_mentioned("testing", "cargo test and insta"),
            ["cargo-test"]
        );
        assert!(
            t.values_mentioned("database", "pgx-free MongoDBish")
                .is_empty()
        );
    }

    #[test]
    fn bad_tables_are_errors() {
        assert!(StackTable::parse("[[stack]]\ncategory = 1\n").is_err());
        assert!(
            StackTable::parse("[[stack]]\ncategory='a'\nvalue='b'\nbuiltin=['cobol']\n").is_err()
        );
        assert!(StackTable::parse("[[stack]]\ncategory='a'\nvalue='b'\nfiles=['x']\n").is_err());
        assert!(StackTable::parse("[[stack]]\ncategory='a'\nvalue='b'\nunknown=1\n").is_err());
        let mut t =
            StackTable::parse("[[stack]]\ncategory='database'\nvalue='postgres'\nnpm=['my-pg']\n")
                .unwrap();
        t.extend(
            StackTable::parse(
                "[[stack]]\ncategory='database'\nvalue='postgres'\nnpm=['other-pg']\n",
            )
            .unwrap(),
        );
        assert_eq!(t.entries.len(), 1);
        assert_eq!(t.entries[0].packages.len(), 2);
    }
}
