//! The optional `mesh.toml` at the root of the checked directory.
//!
//! Every key is optional and an absent file means all defaults. A complete file:
//!
//! ```toml
//! [docs]
//! roots = ["docs", "services/billing/docs"]   # document roots (default ["docs"])
//! discover = false          # also find other roots below the checked directory (default false)
//!
//! [readiness]               # minimum readiness scores, 0..=100
//! prd = 80
//! spec = 80
//! decision_log = 30
//!
//! [rules]
//! select = ["DOC", "GOV001"]   # only these rules (codes or code prefixes); default: all
//! ignore = ["DOC003"]          # never these
//!
//! [rules.severity]             # per-rule severity: "error", "warning", "info" or "off"
//! DOC001 = "warning"
//! DEP = "off"
//!
//! [policy]
//! decision_scope = "range"     # a SPEC change needs a decision row somewhere in the checked
//!                              # range ("range", default) or in the same commit ("commit")
//! tick_is_status_change = true # ticking `- [ ]` → `- [x]` is a status change, not a SPEC
//!                              # change needing a decision (default true)
//!
//! [store]
//! url = "postgres://mesh@db/mesh"   # default: the SQLite file chosen by the store
//!
//! [verify]
//! command = "cargo test --workspace"  # `mesh task verify` runs it with `sh -c` (default: derived
//!                                     # from SPEC's Hydration Contract `Testing:` convention)
//! timeout_s = 900                     # 1..=86400 (default 900); the run is killed after it
//!
//! [lanes]                      # planner lane overrides: key → lane
//! "services/web" = "frontend"
//!
//! [openapi]
//! paths = ["api/openapi.yaml"] # OpenAPI documents to compare with SPEC (default: none)
//!
//! [code]                       # the code compared with SPEC and TECH_STACK (DEP, STK, API, DAT010+)
//! scan = true                  # read the code beside each document root (default true)
//! exclude = ["**/tests/fixtures/**", "target", "node_modules", ".git"]   # the default; replaces it
//! extend_exclude = ["legacy/**"]   # added to `exclude`
//!
//! [[code.stack]]               # extra rows for the stack-detection table (mesh-deps stack.toml format)
//! category = "database"
//! value = "postgres"
//! npm = ["@acme/pg-client"]
//! ```
//!
//! Mistakes never pass silently: an unknown key, a wrong type or an invalid value is a
//! [`ConfigError`] that points at the line and column in `mesh.toml`, says what is wrong and what
//! to do, and can be shown as a diagnostic ([`ConfigError::to_diagnostic`]); the CLI exits 2.
//! Rule codes named in `[rules]` are checked against the rule registry with
//! [`Config::check_rule_codes`], since this module does not know the rules.
//!
//! Parsing ([`Config::parse`]) is pure; [`Config::load`] is the thin file-reading wrapper.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diagnostic::{Diagnostic, Location, Severity};

/// The file name looked for at the root of the checked directory.
pub const CONFIG_FILE_NAME: &str = "mesh.toml";

/// The whole configuration, with defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Config {
    /// The file it was read from, as shown to the user (`mesh.toml`); `None` for defaults.
    pub file: Option<String>,
    /// `[docs]`: where the documents are.
    pub docs: DocsConfig,
    /// `[readiness]`: thresholds for the readiness scores.
    pub readiness: ReadinessConfig,
    /// `[rules]`: which rules run and at which severity.
    pub rules: RulesConfig,
    /// `[policy]`: how the change policy is enforced.
    pub policy: PolicyConfig,
    /// `[store]`: where tasks live.
    pub store: StoreConfig,
    /// `[verify]`: the evidence command.
    pub verify: VerifyConfig,
    /// `[lanes]`: planner lane overrides, key → lane name (interpreted by the planner).
    pub lanes: BTreeMap<String, String>,
    /// `[openapi]`: OpenAPI documents to compare with SPEC.
    pub openapi: OpenApiConfig,
    /// `[code]`: how the code beside each document root is read.
    pub code: CodeConfig,
}

/// `[docs]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocsConfig {
    /// Document roots relative to the checked directory, normalised (`./` and trailing `/`
    /// removed, `/` separators). Default `["docs"]`.
    pub roots: Vec<String>,
    /// Whether to also discover further document roots (folders holding a SPEC.md) below the
    /// checked directory, as `--discover` does. Default `false`.
    pub discover: bool,
}

/// `[readiness]`: minimum scores (0..=100) for a document to count as ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReadinessConfig {
    /// PRD.md threshold. Default 80.
    pub prd: u8,
    /// SPEC.md threshold. Default 80.
    pub spec: u8,
    /// DECISION_LOG.md threshold. Default 30.
    pub decision_log: u8,
}

/// `[rules]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RulesConfig {
    /// Only rules matching one of these run; empty means all rules.
    pub select: Vec<RuleSelector>,
    /// Rules matching one of these never run.
    pub ignore: Vec<RuleSelector>,
    /// `[rules.severity]` overrides, in file order.
    pub severity: Vec<SeverityOverride>,
}

/// A rule code (`DOC001`) or code prefix (`DOC`) named in `mesh.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSelector {
    /// The code or prefix, upper-cased.
    pub code: String,
    /// Where it is written in `mesh.toml`.
    pub position: Option<Position>,
}

impl RuleSelector {
    /// Whether this selector names `code` (exactly or as a prefix).
    pub fn matches(&self, code: &str) -> bool {
        code.starts_with(&self.code)
    }
}

/// One `[rules.severity]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeverityOverride {
    /// The rule code or prefix it applies to.
    pub selector: RuleSelector,
    /// The level to use instead of the rule's default.
    pub level: RuleLevel,
}

/// A severity as written in `[rules.severity]`, including `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    /// The rule does not run.
    Off,
    /// Report at info severity.
    Info,
    /// Report at warning severity.
    Warning,
    /// Report at error severity (fails `mesh check`).
    Error,
}

impl RuleLevel {
    /// The severity to report at, or `None` for `off`.
    pub fn severity(self) -> Option<Severity> {
        match self {
            RuleLevel::Off => None,
            RuleLevel::Info => Some(Severity::Info),
            RuleLevel::Warning => Some(Severity::Warning),
            RuleLevel::Error => Some(Severity::Error),
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "off" => Some(RuleLevel::Off),
            "info" => Some(RuleLevel::Info),
            "warning" => Some(RuleLevel::Warning),
            "error" => Some(RuleLevel::Error),
            _ => None,
        }
    }
}

/// `[policy]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PolicyConfig {
    /// Where the decision row for a SPEC change must be. Default [`DecisionScope::Range`].
    pub decision_scope: DecisionScope,
    /// Whether ticking a checklist box (`[ ]` → `[x]`) in SPEC counts as a status change that
    /// needs no decision row. Default `true`.
    pub tick_is_status_change: bool,
}

/// `policy.decision_scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DecisionScope {
    /// The decision row may be anywhere in the checked commit range.
    Range,
    /// The decision row must be in the same commit as the SPEC change.
    Commit,
}

/// `[store]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StoreConfig {
    /// The store URL; `None` means the store's default (a SQLite file).
    pub url: Option<String>,
}

/// `[verify]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyConfig {
    /// The command whose success is test evidence; `None` when not configured.
    pub command: Option<String>,
    /// How long the command may run, in seconds (1..=86400). Default 900.
    pub timeout_s: u64,
}

/// `[openapi]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OpenApiConfig {
    /// OpenAPI documents relative to the checked directory.
    pub paths: Vec<String>,
}

/// The globs `[code] exclude` defaults to: fixtures of tests, build output and git's folder.
pub const DEFAULT_CODE_EXCLUDE: [&str; 4] =
    ["**/tests/fixtures/**", "target", "node_modules", ".git"];

/// `[code]`: the code that the drift rules (DEP, STK, API, DAT010+) compare with the documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeConfig {
    /// Whether to read the code at all. Default `true`; `false` silences the drift rules.
    pub scan: bool,
    /// Gitignore-style globs left out of the scan, relative to each code folder: `exclude`
    /// (default [`DEFAULT_CODE_EXCLUDE`]) followed by `extend_exclude`.
    pub exclude: Vec<String>,
    /// `[[code.stack]]`: rows added to the built-in stack-detection table.
    pub stack: mesh_deps::StackTable,
}

impl Default for CodeConfig {
    fn default() -> Self {
        CodeConfig {
            scan: true,
            exclude: DEFAULT_CODE_EXCLUDE.iter().map(|s| s.to_string()).collect(),
            stack: mesh_deps::StackTable::default(),
        }
    }
}

impl CodeConfig {
    /// The stack-detection table: the built-in one, extended with `[[code.stack]]` rows.
    pub fn stack_table(&self) -> std::borrow::Cow<'static, mesh_deps::StackTable> {
        let builtin = mesh_deps::StackTable::builtin();
        if self.stack.entries.is_empty() {
            return std::borrow::Cow::Borrowed(builtin);
        }
        let mut table = builtin.clone();
        table.extend(self.stack.clone());
        std::borrow::Cow::Owned(table)
    }
}

/// A 1-based line and column (in characters) in `mesh.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counting characters.
    pub column: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            file: None,
            docs: DocsConfig {
                roots: vec!["docs".to_string()],
                discover: false,
            },
            readiness: ReadinessConfig {
                prd: 80,
                spec: 80,
                decision_log: 30,
            },
            rules: RulesConfig::default(),
            policy: PolicyConfig {
                decision_scope: DecisionScope::Range,
                tick_is_status_change: true,
            },
            store: StoreConfig::default(),
            verify: VerifyConfig {
                command: None,
                timeout_s: 900,
            },
            lanes: BTreeMap::new(),
            openapi: OpenApiConfig::default(),
            code: CodeConfig::default(),
        }
    }
}

/// What kind of mistake a [`ConfigError`] is; each has its own diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// The file exists but cannot be read (`CFG001`).
    Unreadable,
    /// The file is not valid TOML (`CFG002`).
    Syntax,
    /// An unknown section or key, a missing value or a value of the wrong type (`CFG003`).
    Schema,
    /// A value of the right type that is not allowed, e.g. a threshold of 120 (`CFG004`).
    InvalidValue,
    /// A rule code that no rule has (`CFG005`).
    UnknownRule,
}

impl ConfigErrorKind {
    /// The diagnostic code for this kind of error.
    pub fn code(self) -> &'static str {
        match self {
            ConfigErrorKind::Unreadable => "CFG001",
            ConfigErrorKind::Syntax => "CFG002",
            ConfigErrorKind::Schema => "CFG003",
            ConfigErrorKind::InvalidValue => "CFG004",
            ConfigErrorKind::UnknownRule => "CFG005",
        }
    }
}

/// A mistake in `mesh.toml`, with where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// What kind of mistake.
    pub kind: ConfigErrorKind,
    /// The file, as shown to the user (`mesh.toml`).
    pub file: String,
    /// 1-based line of the offending key or value.
    pub line: u32,
    /// 1-based column (in characters).
    pub column: u32,
    /// Where the offending text ends (exclusive column), when known.
    pub end_line: Option<u32>,
    /// Exclusive end column, when known.
    pub end_column: Option<u32>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {} (help: {})",
            self.file, self.line, self.column, self.message, self.help
        )
    }
}

impl ConfigError {
    /// The diagnostic code (`CFG001`…`CFG005`).
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// This error as an error-severity [`Diagnostic`] pointing into the file.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let mut location = Location::new(self.file.clone(), self.line, self.column);
        location.end_line = self.end_line;
        location.end_column = self.end_column;
        Diagnostic::new(self.code(), Severity::Error, location, self.message.clone())
            .with_help(self.help.clone())
    }

    fn at(
        kind: ConfigErrorKind,
        file: &str,
        text: &str,
        span: Option<Range<usize>>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        let (start, end) = match span {
            Some(span) => {
                let start = position_at(text, span.start);
                let end = (span.end > span.start).then(|| position_at(text, span.end));
                (start, end)
            }
            None => (Position { line: 1, column: 1 }, None),
        };
        ConfigError {
            kind,
            file: file.to_string(),
            line: start.line,
            column: start.column,
            end_line: end.map(|p| p.line),
            end_column: end.map(|p| p.column),
            message: message.into(),
            help: help.into(),
        }
    }

    fn at_position(
        kind: ConfigErrorKind,
        file: &str,
        position: Option<Position>,
        message: String,
        help: String,
    ) -> Self {
        let p = position.unwrap_or(Position { line: 1, column: 1 });
        ConfigError {
            kind,
            file: file.to_string(),
            line: p.line,
            column: p.column,
            end_line: None,
            end_column: None,
            message,
            help,
        }
    }
}

/// The 1-based line and character column of byte `offset` in `text` (clamped to the text and
/// to a character boundary).
pub fn position_at(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    Position {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    }
}

// ---------------------------------------------------------------------------------------------
// The file as written. Every section rejects unknown keys so typos are reported, and every value
// we validate keeps its span so the error can point at it.

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    docs: RawDocs,
    #[serde(default)]
    readiness: RawReadiness,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    policy: RawPolicy,
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    verify: RawVerify,
    #[serde(default)]
    lanes: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    openapi: RawOpenApi,
    #[serde(default)]
    code: RawCode,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDocs {
    roots: Option<Spanned<Vec<Spanned<String>>>>,
    discover: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReadiness {
    prd: Option<Spanned<i64>>,
    spec: Option<Spanned<i64>>,
    decision_log: Option<Spanned<i64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    select: Vec<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    decision_scope: Option<Spanned<String>>,
    tick_is_status_change: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStore {
    url: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawVerify {
    command: Option<Spanned<String>>,
    timeout_s: Option<Spanned<i64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawOpenApi {
    #[serde(default)]
    paths: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCode {
    scan: Option<bool>,
    exclude: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    extend_exclude: Vec<Spanned<String>>,
    stack: Option<Spanned<Vec<toml::Table>>>,
}

const SECTIONS_HELP: &str = "mesh.toml accepts the sections [docs] (roots, discover), \
[readiness] (prd, spec, decision_log), [rules] (select, ignore, [rules.severity]), \
[policy] (decision_scope, tick_is_status_change), [store] (url), [verify] (command, timeout_s), \
[lanes], [openapi] (paths) and [code] (scan, exclude, extend_exclude, [[code.stack]])";

/// Collects validation errors while converting the raw file into a [`Config`].
struct Validator<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<ConfigError>,
}

impl Validator<'_> {
    fn invalid(&mut self, span: Range<usize>, message: String, help: &str) {
        self.errors.push(ConfigError::at(
            ConfigErrorKind::InvalidValue,
            self.file,
            self.text,
            Some(span),
            message,
            help,
        ));
    }

    fn threshold(&mut self, name: &str, value: Option<Spanned<i64>>, default: u8) -> u8 {
        let Some(value) = value else {
            return default;
        };
        match u8::try_from(*value.get_ref()) {
            Ok(v) if v <= 100 => v,
            _ => {
                self.invalid(
                    value.span(),
                    format!(
                        "readiness.{name} is {}, but a threshold is a percentage",
                        value.get_ref()
                    ),
                    "use a whole number from 0 to 100",
                );
                default
            }
        }
    }

    fn selectors(&mut self, key: &str, raw: Vec<Spanned<String>>) -> Vec<RuleSelector> {
        raw.into_iter()
            .filter_map(|s| self.selector(key, &s))
            .collect()
    }

    fn selector(&mut self, key: &str, raw: &Spanned<String>) -> Option<RuleSelector> {
        let code = raw.get_ref().trim().to_ascii_uppercase();
        let letters = code.chars().take_while(char::is_ascii_uppercase).count();
        let well_formed = letters > 0 && code.chars().skip(letters).all(|c| c.is_ascii_digit());
        if !well_formed {
            self.invalid(
                raw.span(),
                format!("{key}: `{}` is not a rule code", raw.get_ref()),
                "write a rule code such as DOC001, or a prefix such as DOC; `mesh rules` lists them",
            );
            return None;
        }
        Some(RuleSelector {
            code,
            position: Some(position_at(self.text, raw.span().start)),
        })
    }

    /// A relative path inside the checked directory, normalised; `None` (and an error) otherwise.
    fn relative_path(&mut self, key: &str, raw: &Spanned<String>) -> Option<String> {
        let path = raw.get_ref().replace('\\', "/");
        let trimmed = path.trim();
        let mut normal = trimmed
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        if normal.is_empty() && !trimmed.is_empty() {
            normal = ".".to_string();
        }
        let help = "give a path relative to the directory that holds mesh.toml, e.g. \"docs\"";
        if trimmed.is_empty() {
            self.invalid(raw.span(), format!("{key}: the path is empty"), help);
            return None;
        }
        let absolute = trimmed.starts_with('/') || trimmed.as_bytes().get(1) == Some(&b':');
        if absolute {
            self.invalid(
                raw.span(),
                format!("{key}: `{}` is an absolute path", raw.get_ref()),
                help,
            );
            return None;
        }
        if normal.split('/').any(|seg| seg == "..") {
            self.invalid(
                raw.span(),
                format!("{key}: `{}` leaves the checked directory", raw.get_ref()),
                "paths must stay inside the directory that holds mesh.toml; remove the `..`",
            );
            return None;
        }
        Some(normal)
    }

    /// A gitignore-style glob for `[code] exclude`; `None` (and an error) when it is not one.
    fn glob(&mut self, key: &str, raw: &Spanned<String>) -> Option<String> {
        let glob = raw.get_ref().trim();
        let help = "write a gitignore-style glob relative to the code folder, e.g. \"legacy/**\" \
                    or \"**/generated/*.sql\"";
        if glob.is_empty() {
            self.invalid(raw.span(), format!("{key}: the glob is empty"), help);
            return None;
        }
        let mut builder = ignore::overrides::OverrideBuilder::new("/");
        if let Err(e) = builder.add(&format!("!{glob}")) {
            self.invalid(
                raw.span(),
                format!("{key}: `{glob}` is not a valid glob: {e}"),
                help,
            );
            return None;
        }
        Some(glob.to_string())
    }

    /// `[[code.stack]]` rows, read as a stack table (mesh-deps `stack.toml` format).
    fn stack(&mut self, raw: Spanned<Vec<toml::Table>>) -> mesh_deps::StackTable {
        let span = raw.span();
        let rows: Vec<toml::Value> = raw
            .into_inner()
            .into_iter()
            .map(toml::Value::Table)
            .collect();
        let mut wrapper = toml::Table::new();
        wrapper.insert("stack".to_string(), toml::Value::Array(rows));
        let help = "each [[code.stack]] row has `category` and `value`, and optionally `aliases`, \
                    `cargo`, `npm`, `pypi`, `go` (package lists), `builtin` and `files`";
        let parsed = toml::to_string(&wrapper)
            .map_err(|e| e.to_string())
            .and_then(|text| mesh_deps::StackTable::parse(&text).map_err(|e| e.to_string()));
        match parsed {
            Ok(table) => table,
            Err(message) => {
                self.invalid(span, format!("code.stack: {message}"), help);
                mesh_deps::StackTable::default()
            }
        }
    }

    fn non_empty(&mut self, key: &str, raw: Option<Spanned<String>>, help: &str) -> Option<String> {
        let raw = raw?;
        if raw.get_ref().trim().is_empty() {
            self.invalid(raw.span(), format!("{key} is empty"), help);
            return None;
        }
        Some(raw.into_inner())
    }
}

/// Whether `lane` is a simple lower-case name (`backend`, `qa`, `data-eng`).
fn is_lane_name(lane: &str) -> bool {
    let mut chars = lane.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

impl Config {
    /// Parse the text of a `mesh.toml`. `file` is the path shown in errors (usually
    /// [`CONFIG_FILE_NAME`]).
    ///
    /// # Errors
    /// The first mistake in the file (in file order): invalid TOML, an unknown key, a wrong type
    /// or a value out of range, pointing at its line and column.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        if let Err(e) = text.parse::<toml::Table>() {
            return Err(ConfigError::at(
                ConfigErrorKind::Syntax,
                file,
                text,
                e.span(),
                format!("{file} is not valid TOML: {}", e.message().trim_end()),
                "fix the TOML syntax at this point (strings need quotes, tables are written \
                 [name], each key once per table)",
            ));
        }
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let message = e.message().trim_end().to_string();
            let help = if message.starts_with("unknown field") {
                format!("remove the key or correct its spelling; {SECTIONS_HELP}")
            } else if message.starts_with("invalid type") {
                "give the value the type shown (text in quotes, numbers and true/false without)"
                    .to_string()
            } else {
                SECTIONS_HELP.to_string()
            };
            ConfigError::at(ConfigErrorKind::Schema, file, text, e.span(), message, help)
        })?;
        let mut v = Validator {
            file,
            text,
            errors: Vec::new(),
        };
        let config = Config::from_raw(raw, &mut v, file);
        match v.errors.into_iter().min_by_key(|e| (e.line, e.column)) {
            Some(first) => Err(first),
            None => Ok(config),
        }
    }

    /// Read `dir/mesh.toml` if it exists; the defaults if it does not.
    ///
    /// # Errors
    /// The file exists but cannot be read (or is not UTF-8), or [`Config::parse`] rejects it.
    pub fn load(dir: &Path) -> Result<Config, ConfigError> {
        let path = dir.join(CONFIG_FILE_NAME);
        let unreadable = |message: String| ConfigError {
            kind: ConfigErrorKind::Unreadable,
            file: CONFIG_FILE_NAME.to_string(),
            line: 1,
            column: 1,
            end_line: None,
            end_column: None,
            message,
            help: "make mesh.toml a readable UTF-8 text file, or remove it to use the defaults"
                .to_string(),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Config::parse(&text, CONFIG_FILE_NAME),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(unreadable(format!("cannot read {}: {e}", path.display()))),
        }
    }

    fn from_raw(raw: RawConfig, v: &mut Validator<'_>, file: &str) -> Config {
        let defaults = Config::default();

        let discover = raw.docs.discover.unwrap_or(defaults.docs.discover);
        let roots = match raw.docs.roots {
            None => defaults.docs.roots,
            Some(list) => {
                let span = list.span();
                let written = list.get_ref().len();
                let mut roots: Vec<String> = Vec::new();
                for root in list.into_inner() {
                    let Some(path) = v.relative_path("docs.roots", &root) else {
                        continue;
                    };
                    if roots.contains(&path) {
                        v.invalid(
                            root.span(),
                            format!("docs.roots names `{path}` twice"),
                            "list each document root once",
                        );
                    } else {
                        roots.push(path);
                    }
                }
                // Only an empty list is reported here; rejected entries have their own error.
                if written == 0 && !discover {
                    v.invalid(
                        span,
                        "docs.roots is empty and discover = false, so there is nothing to check"
                            .to_string(),
                        "list at least one document root, e.g. roots = [\"docs\"], or set \
                         discover = true",
                    );
                }
                roots
            }
        };

        let readiness = ReadinessConfig {
            prd: v.threshold("prd", raw.readiness.prd, defaults.readiness.prd),
            spec: v.threshold("spec", raw.readiness.spec, defaults.readiness.spec),
            decision_log: v.threshold(
                "decision_log",
                raw.readiness.decision_log,
                defaults.readiness.decision_log,
            ),
        };

        let select = v.selectors("rules.select", raw.rules.select);
        let ignore = v.selectors("rules.ignore", raw.rules.ignore);
        let mut severity = Vec::new();
        for (key, level) in raw.rules.severity {
            let Some(selector) = v.selector("rules.severity", &key) else {
                continue;
            };
            match RuleLevel::parse(level.get_ref()) {
                Some(level) => severity.push(SeverityOverride { selector, level }),
                None => v.invalid(
                    level.span(),
                    format!(
                        "rules.severity.{}: `{}` is not a severity",
                        key.get_ref(),
                        level.get_ref()
                    ),
                    "use \"error\", \"warning\", \"info\" or \"off\"",
                ),
            }
        }
        // BTreeMap iteration is by key; keep file order for readers of the config.
        severity.sort_by_key(|o| o.selector.position);

        let decision_scope = match raw.policy.decision_scope {
            None => defaults.policy.decision_scope,
            Some(s) => match s.get_ref().as_str() {
                "range" => DecisionScope::Range,
                "commit" => DecisionScope::Commit,
                other => {
                    v.invalid(
                        s.span(),
                        format!("policy.decision_scope: `{other}` is not a scope"),
                        "use \"range\" (the decision row may be anywhere in the checked range) \
                         or \"commit\" (it must be in the same commit as the SPEC change)",
                    );
                    defaults.policy.decision_scope
                }
            },
        };
        let policy = PolicyConfig {
            decision_scope,
            tick_is_status_change: raw
                .policy
                .tick_is_status_change
                .unwrap_or(defaults.policy.tick_is_status_change),
        };

        let store = StoreConfig {
            url: v.non_empty(
                "store.url",
                raw.store.url,
                "give a store URL such as \"postgres://user@host/db\", or remove the key to use \
                 the default SQLite file",
            ),
        };

        let command = v.non_empty(
            "verify.command",
            raw.verify.command,
            "give the command that runs the tests, e.g. \"cargo test\", or remove the key",
        );
        let timeout_s = match raw.verify.timeout_s {
            None => defaults.verify.timeout_s,
            Some(t) => match u64::try_from(*t.get_ref()) {
                Ok(secs) if (1..=86_400).contains(&secs) => secs,
                _ => {
                    v.invalid(
                        t.span(),
                        format!("verify.timeout_s is {}", t.get_ref()),
                        "use a number of seconds from 1 to 86400",
                    );
                    defaults.verify.timeout_s
                }
            },
        };

        let mut lanes = BTreeMap::new();
        for (key, lane) in raw.lanes {
            if key.get_ref().trim().is_empty() {
                v.invalid(
                    key.span(),
                    "lanes: an override has an empty key".to_string(),
                    "name what the override applies to, e.g. \"services/web\" = \"frontend\"",
                );
                continue;
            }
            if !is_lane_name(lane.get_ref()) {
                v.invalid(
                    lane.span(),
                    format!(
                        "lanes.{}: `{}` is not a lane name",
                        key.get_ref(),
                        lane.get_ref()
                    ),
                    "a lane is a lower-case word such as backend, frontend, qa, ops or docs",
                );
                continue;
            }
            lanes.insert(key.into_inner(), lane.into_inner());
        }

        let paths = raw
            .openapi
            .paths
            .iter()
            .filter_map(|p| v.relative_path("openapi.paths", p))
            .collect();

        let mut exclude: Vec<String> = match &raw.code.exclude {
            None => defaults.code.exclude.clone(),
            Some(list) => list
                .iter()
                .filter_map(|g| v.glob("code.exclude", g))
                .collect(),
        };
        exclude.extend(
            raw.code
                .extend_exclude
                .iter()
                .filter_map(|g| v.glob("code.extend_exclude", g)),
        );
        let code = CodeConfig {
            scan: raw.code.scan.unwrap_or(defaults.code.scan),
            exclude,
            stack: raw.code.stack.map(|s| v.stack(s)).unwrap_or_default(),
        };

        Config {
            file: Some(file.to_string()),
            docs: DocsConfig { roots, discover },
            readiness,
            rules: RulesConfig {
                select,
                ignore,
                severity,
            },
            policy,
            store,
            verify: VerifyConfig { command, timeout_s },
            lanes,
            openapi: OpenApiConfig { paths },
            code,
        }
    }

    /// Check every rule code named in `[rules]` (select, ignore and severity keys) against the
    /// codes the registry knows. A selector is accepted when it is a known code or a prefix of
    /// one. Returns one error per unknown selector, in file order, with a "did you mean" when a
    /// known code is close.
    pub fn check_rule_codes(&self, known: &[&str]) -> Vec<ConfigError> {
        let file = self.file.as_deref().unwrap_or(CONFIG_FILE_NAME);
        let all = self
            .rules
            .select
            .iter()
            .map(|s| ("rules.select", s))
            .chain(self.rules.ignore.iter().map(|s| ("rules.ignore", s)))
            .chain(
                self.rules
                    .severity
                    .iter()
                    .map(|o| ("rules.severity", &o.selector)),
            );
        let mut errors: Vec<ConfigError> = all
            .filter(|(_, s)| !known.iter().any(|k| s.matches(k)))
            .map(|(key, s)| {
                let closest = known
                    .iter()
                    .map(|k| (strsim::levenshtein(&s.code, k), *k))
                    .filter(|(d, _)| *d <= 2)
                    .min();
                let help = match closest {
                    Some((_, k)) => format!("did you mean `{k}`? `mesh rules` lists every rule"),
                    None => {
                        "`mesh rules` lists every rule code; remove or correct this one".to_string()
                    }
                };
                ConfigError::at_position(
                    ConfigErrorKind::UnknownRule,
                    file,
                    s.position,
                    format!("{key}: no rule has the code `{}`", s.code),
                    help,
                )
            })
            .collect();
        errors.sort_by_key(|e| (e.line, e.column));
        errors
    }

    /// Whether the rule `code` runs, from `select` and `ignore` (not from severity `off`; see
    /// [`Config::severity_for`]).
    ///
    /// A rule runs when `select` is empty or one of its entries matches, and no `ignore` entry
    /// matches — unless the matching `select` entry is more specific (longer) than every
    /// matching `ignore` entry, so `select = ["DOC001"]` with `ignore = ["DOC"]` runs DOC001.
    pub fn rule_enabled(&self, code: &str) -> bool {
        let longest = |list: &[RuleSelector]| {
            list.iter()
                .filter(|s| s.matches(code))
                .map(|s| s.code.len())
                .max()
        };
        let selected = if self.rules.select.is_empty() {
            Some(0)
        } else {
            longest(&self.rules.select)
        };
        match (selected, longest(&self.rules.ignore)) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(s), Some(i)) => s > i,
        }
    }

    /// The severity rule `code` reports at, or `None` when it does not run: the most specific
    /// (longest) matching `[rules.severity]` entry, else `default`.
    pub fn severity_for(&self, code: &str, default: Severity) -> Option<Severity> {
        if !self.rule_enabled(code) {
            return None;
        }
        self.rules
            .severity
            .iter()
            .filter(|o| o.selector.matches(code))
            .max_by_key(|o| o.selector.code.len())
            .map_or(Some(default), |o| o.level.severity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_at_counts_characters_and_lines() {
        let text = "a = 1\nné = \"x\"\n";
        assert_eq!(position_at(text, 0), Position { line: 1, column: 1 });
        // Byte 9 is the space after "né" on line 2 (line 2 starts at byte 6; "é" is 2 bytes).
        assert_eq!(position_at(text, 9), Position { line: 2, column: 3 });
        // Inside a multi-byte character: clamped back to its start.
        assert_eq!(position_at(text, 8), Position { line: 2, column: 2 });
        assert_eq!(position_at(text, 999), Position { line: 3, column: 1 });
    }

    #[test]
    fn lane_names() {
        assert!(is_lane_name("backend"));
        assert!(is_lane_name("data-eng2"));
        assert!(!is_lane_name("Backend"));
        assert!(!is_lane_name(""));
        assert!(!is_lane_name("front end"));
    }
}
