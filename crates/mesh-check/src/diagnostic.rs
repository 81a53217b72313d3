//! The diagnostic type every rule emits. Renderers live in [`crate::emit`].

use serde::Serialize;

/// How serious a finding is. `Error` fails `mesh check` (exit 1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A place in a file. `line` and `column` are 1-based; `column` counts characters.
/// `start`/`end` are byte offsets into the file (end exclusive) when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Path as shown to the user (relative to the checked directory where possible, `/` separators).
    pub file: String,
    pub line: u32,
    pub column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    /// Exclusive: the column just past the last character of the range (as in SARIF and LSP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
    #[serde(skip)]
    pub byte_range: Option<std::ops::Range<usize>>,
}

impl Location {
    pub fn new(file: impl Into<String>, line: u32, column: u32) -> Self {
        Location {
            file: file.into(),
            line: line.max(1),
            column: column.max(1),
            end_line: None,
            end_column: None,
            byte_range: None,
        }
    }

    /// A whole-file location (line 1, column 1).
    pub fn file(file: impl Into<String>) -> Self {
        Location::new(file, 1, 1)
    }
}

/// A secondary location with a note, e.g. the SPEC line an ACTIVE_SPEC line contradicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

/// A suggested textual edit: replace `range` (bytes) of `file` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub description: String,
    pub file: String,
    #[serde(skip)]
    pub range: std::ops::Range<usize>,
    pub replacement: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Rule code such as `DOC001`.
    pub code: &'static str,
    pub severity: Severity,
    pub location: Location,
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The document root this finding belongs to (monorepos), as shown to the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl Diagnostic {
    pub fn new(
        code: &'static str,
        severity: Severity,
        location: Location,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity,
            location,
            message: message.into(),
            help: None,
            root: None,
            related: Vec::new(),
            fix: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, location: Location, message: impl Into<String>) -> Self {
        self.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }

    /// Stable ordering for output: file, line, column, code.
    pub fn sort_key(&self) -> (&str, u32, u32, &str) {
        (
            &self.location.file,
            self.location.line,
            self.location.column,
            self.code,
        )
    }
}
