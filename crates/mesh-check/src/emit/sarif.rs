//! The SARIF 2.1.0 renderer, for code scanning (GitHub and any other SARIF consumer).
//!
//! One log, one run. `tool.driver` names `mesh` and lists every rule it was given (id, name,
//! short and full description, help, default level). Each diagnostic becomes one result with
//! `ruleId`, `ruleIndex`, `level` (`error` / `warning` / `note`), `message.text` (message, then
//! `help: …`) and exactly one location: a relative `uri` under the `%SRCROOT%` base (declared in
//! `originalUriBaseIds`) and a region (`startLine`, `startColumn`, and `endLine` / `endColumn`
//! when known). A finding about a whole file points at line 1, column 1: every result has a
//! location, since code scanning drops results without one. Related locations become
//! `relatedLocations` with their own message.
//!
//! Columns count Unicode code points (`columnKind: unicodeCodePoints`), as in
//! [`crate::diagnostic::Location`]; `endColumn` is exclusive, as SARIF defines it.

use std::borrow::Borrow;
use std::collections::HashMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use super::{RuleDescriptor, message_with_help, sorted};
use crate::diagnostic::{Diagnostic, Location, Severity};

/// The schema the log declares: the OASIS SARIF 2.1.0 schema (errata 01).
pub const SARIF_SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base id that every artifact location is relative to.
const SRCROOT: &str = "%SRCROOT%";

/// Context for the SARIF renderer beyond the diagnostics and rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SarifOptions {
    /// `tool.driver.version`: the version of mesh that produced the log.
    pub tool_version: String,
    /// `tool.driver.informationUri`: where to read about mesh (an absolute URI; left out of the
    /// log when empty).
    pub information_uri: String,
    /// The absolute `file://` URI of the checked directory, ending in `/` (see
    /// [`file_uri_for_dir`]). When `None`, `%SRCROOT%` is declared with a description only and
    /// consumers resolve paths against the repository root, as GitHub code scanning does.
    pub src_root_uri: Option<String>,
}

impl Default for SarifOptions {
    /// This crate's version and repository URL, and no source-root URI.
    fn default() -> Self {
        SarifOptions {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            information_uri: env!("CARGO_PKG_REPOSITORY").to_string(),
            src_root_uri: None,
        }
    }
}

/// Characters kept as they are in a URI path segment (RFC 3986 "unreserved"); everything else is
/// percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encode each `/`-separated segment of `path`.
fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|seg| utf8_percent_encode(seg, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// The `file://` URI of an absolute directory path, with a trailing `/`, for
/// [`SarifOptions::src_root_uri`]. Backslashes are taken as separators and a Windows drive
/// (`C:`) is kept, so `C:\work\repo` becomes `file:///C:/work/repo/`.
pub fn file_uri_for_dir(path: &str) -> String {
    let path = path.replace('\\', "/");
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "file:///".to_string();
    }
    let mut out = String::from("file://");
    if !trimmed.starts_with('/') {
        out.push('/');
    }
    for (i, seg) in trimmed.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let is_drive = i == 0
            && seg.len() == 2
            && seg.ends_with(':')
            && seg.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if is_drive {
            out.push_str(seg);
        } else {
            out.push_str(&utf8_percent_encode(seg, SEGMENT).to_string());
        }
    }
    out.push('/');
    out
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    original_uri_base_ids: HashMap<&'static str, BaseLocation<'a>>,
    results: Vec<SarifResult>,
    column_kind: &'static str,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    information_uri: &'a str,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    short_description: Text<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_description: Option<Text<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Help<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_configuration: Option<Configuration>,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct OwnedText {
    text: String,
}

#[derive(Serialize)]
struct Help<'a> {
    text: &'a str,
    markdown: &'a str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct BaseLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<&'a str>,
    description: Text<'static>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: OwnedText,
    locations: [ResultLocation; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<Properties>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation {
    id: usize,
    physical_location: PhysicalLocation,
    message: OwnedText,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
}

#[derive(Serialize)]
struct Properties {
    root: String,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Where a location's file is, as a SARIF artifact location.
fn artifact(file: &str) -> ArtifactLocation {
    let file = file.replace('\\', "/");
    let is_absolute = file.starts_with('/') || file.as_bytes().get(1).is_some_and(|&b| b == b':');
    if is_absolute {
        let dir_uri = file_uri_for_dir(&file);
        ArtifactLocation {
            uri: dir_uri.trim_end_matches('/').to_string(),
            uri_base_id: None,
        }
    } else {
        let relative = file.trim_start_matches("./");
        ArtifactLocation {
            uri: if relative.is_empty() {
                ".".to_string()
            } else {
                encode_path(relative)
            },
            uri_base_id: Some(SRCROOT),
        }
    }
}

/// The region of a location; end positions are dropped when they do not come after the start.
fn region(loc: &Location) -> Region {
    let start_line = loc.line.max(1);
    let start_column = loc.column.max(1);
    let end_line = loc.end_line.filter(|&l| l >= start_line);
    let effective_end_line = end_line.unwrap_or(start_line);
    let end_column = loc
        .end_column
        .filter(|&c| c >= 1 && (effective_end_line > start_line || c > start_column));
    Region {
        start_line,
        start_column,
        end_line,
        end_column,
    }
}

fn physical(loc: &Location) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: artifact(&loc.file),
        region: region(loc),
    }
}

/// Render `diags` (sorted, see [`super::sorted`]) as a SARIF 2.1.0 log, pretty-printed and ending
/// with a newline.
///
/// `rules` are listed in `tool.driver.rules` in the order given (pass the whole registry so code
/// scanning can describe every rule). A diagnostic whose code is not among them still gets a
/// minimal rule entry (id only), appended after the given ones, so every result has a
/// `ruleIndex`.
pub fn sarif<D: Borrow<Diagnostic>>(
    diags: &[D],
    rules: &[RuleDescriptor],
    options: &SarifOptions,
) -> String {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut sarif_rules: Vec<Rule<'_>> = Vec::new();
    for r in rules {
        if index.contains_key(r.code) {
            continue;
        }
        index.insert(r.code, sarif_rules.len());
        let explanation = if r.explanation.is_empty() {
            r.summary
        } else {
            r.explanation
        };
        sarif_rules.push(Rule {
            id: r.code,
            name: (!r.name.is_empty()).then_some(r.name),
            short_description: Text { text: r.summary },
            full_description: Some(Text { text: explanation }),
            help: Some(Help {
                text: explanation,
                markdown: explanation,
            }),
            default_configuration: Some(Configuration {
                level: level(r.default_severity),
            }),
        });
    }

    let ordered = sorted(diags);
    let mut unknown: Vec<&str> = ordered
        .iter()
        .map(|d| d.code)
        .filter(|c| !index.contains_key(c))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    for code in unknown {
        index.insert(code, sarif_rules.len());
        sarif_rules.push(Rule {
            id: code,
            name: None,
            short_description: Text { text: code },
            full_description: None,
            help: None,
            default_configuration: None,
        });
    }

    let results = ordered
        .into_iter()
        .map(|d| SarifResult {
            rule_id: d.code.to_string(),
            rule_index: index.get(d.code).copied().unwrap_or_default(),
            level: level(d.severity),
            message: OwnedText {
                text: message_with_help(d),
            },
            locations: [ResultLocation {
                physical_location: physical(&d.location),
            }],
            related_locations: d
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| RelatedLocation {
                    id: i,
                    physical_location: physical(&r.location),
                    message: OwnedText {
                        text: r.message.clone(),
                    },
                })
                .collect(),
            properties: d
                .root
                .as_ref()
                .map(|root| Properties { root: root.clone() }),
        })
        .collect();

    let mut base = HashMap::new();
    base.insert(
        SRCROOT,
        BaseLocation {
            uri: options.src_root_uri.as_deref(),
            description: Text {
                text: "The directory that mesh checked; result paths are relative to it.",
            },
        },
    );

    let log = Log {
        schema: SARIF_SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "mesh",
                    version: &options.tool_version,
                    information_uri: &options.information_uri,
                    rules: sarif_rules,
                },
            },
            original_uri_base_ids: base,
            results,
            column_kind: "unicodeCodePoints",
        }],
    };
    // Serialising these plain structs cannot fail; fall back to an empty, valid log rather than
    // panic if it ever did.
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_else(|_| {
        format!("{{\"$schema\": \"{SARIF_SCHEMA_URI}\", \"version\": \"2.1.0\", \"runs\": []}}")
    });
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_percent_encoded_per_segment() {
        assert_eq!(encode_path("docs/SPEC.md"), "docs/SPEC.md");
        assert_eq!(encode_path("my docs/a#b%.md"), "my%20docs/a%23b%25.md");
        assert_eq!(encode_path("docs/é.md"), "docs/%C3%A9.md");
    }

    #[test]
    fn artifact_locations_are_relative_to_srcroot_unless_absolute() {
        let a = artifact("./docs/SPEC.md");
        assert_eq!(
            (a.uri.as_str(), a.uri_base_id),
            ("docs/SPEC.md", Some(SRCROOT))
        );
        let a = artifact("/abs/x.md");
        assert_eq!((a.uri.as_str(), a.uri_base_id), ("file:///abs/x.md", None));
    }

    #[test]
    fn dir_uris_end_with_a_slash() {
        assert_eq!(file_uri_for_dir("/work/my repo"), "file:///work/my%20repo/");
        assert_eq!(file_uri_for_dir("/work/repo/"), "file:///work/repo/");
        assert_eq!(file_uri_for_dir("C:\\work\\repo"), "file:///C:/work/repo/");
        assert_eq!(file_uri_for_dir("/"), "file:///");
    }

    #[test]
    fn regions_drop_ends_that_do_not_follow_the_start() {
        let mut l = Location::new("a", 3, 5);
        l.end_column = Some(5);
        let r = region(&l);
        assert_eq!((r.end_line, r.end_column), (None, None));
        l.end_line = Some(2);
        l.end_column = Some(9);
        let r = region(&l);
        assert_eq!((r.end_line, r.end_column), (None, Some(9)));
        l.end_line = Some(4);
        l.end_column = Some(1);
        let r = region(&l);
        assert_eq!((r.end_line, r.end_column), (Some(4), Some(1)));
    }
}
