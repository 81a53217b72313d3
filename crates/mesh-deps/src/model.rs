//! The facts this crate produces: dependencies, OpenAPI operations, code routes, SQL tables and
//! the problems met while reading them. Every fact carries a [`SourceLoc`].

use std::fmt;
use std::ops::Range;

use serde::Serialize;

/// A package ecosystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// Rust crates (Cargo.toml, Cargo.lock).
    Cargo,
    /// npm packages (package.json, package-lock.json, pnpm-lock.yaml, yarn.lock).
    Npm,
    /// Python distributions (pyproject.toml, requirements*.txt, uv.lock, poetry.lock).
    #[serde(rename = "pypi")]
    PyPI,
    /// Go modules (go.mod).
    Go,
}

impl Ecosystem {
    /// All ecosystems, in a stable order.
    pub const ALL: [Ecosystem; 4] = [
        Ecosystem::Cargo,
        Ecosystem::Npm,
        Ecosystem::PyPI,
        Ecosystem::Go,
    ];

    /// The lowercase name used in output and in the stack table: `cargo`, `npm`, `pypi`, `go`.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Go => "go",
        }
    }

    /// Parse an ecosystem name as people write it in SPEC or TECH_STACK headings
    /// (`cargo`, `rust`, `crates`, `npm`, `node`, `javascript`, `typescript`, `yarn`, `pnpm`,
    /// `pypi`, `python`, `pip`, `go`, `golang`), case-insensitively.
    pub fn parse(name: &str) -> Option<Ecosystem> {
        match name.trim().to_ascii_lowercase().as_str() {
            "cargo" | "rust" | "crates" | "crates.io" | "crate" => Some(Ecosystem::Cargo),
            "npm" | "node" | "nodejs" | "node.js" | "javascript" | "js" | "typescript" | "ts"
            | "yarn" | "pnpm" => Some(Ecosystem::Npm),
            "pypi" | "python" | "pip" | "py" | "poetry" | "uv" => Some(Ecosystem::PyPI),
            "go" | "golang" => Some(Ecosystem::Go),
            _ => None,
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in a file. `line` and `column` are 1-based (`column` counts characters);
/// `byte_range` is a byte range into the file (end exclusive). A location always exists:
/// when nothing better is known it is line 1, column 1 of the file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SourceLoc {
    /// Path relative to the scanned root with `/` separators (or as given to a parser).
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub byte_range: Range<usize>,
}

impl SourceLoc {
    /// The start of a file.
    pub fn file_start(file: &str) -> SourceLoc {
        SourceLoc {
            file: file.to_string(),
            line: 1,
            column: 1,
            byte_range: 0..0,
        }
    }
}

/// What a dependency is needed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DepKind {
    /// Needed at run time.
    Normal,
    /// Needed only to develop or test (Cargo dev-dependencies, npm devDependencies, Poetry and
    /// PEP 735 groups, `tool.uv.dev-dependencies`, requirements files named `*dev*`/`*test*`).
    Dev,
    /// Cargo build-dependencies.
    Build,
    /// npm peerDependencies.
    Peer,
    /// npm optionalDependencies, PEP 621 optional-dependencies (extras), Poetry `optional = true`.
    Optional,
}

impl DepKind {
    /// True for [`DepKind::Dev`].
    pub fn is_dev(self) -> bool {
        self == DepKind::Dev
    }
}

/// Where a dependency comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum DepSource {
    /// The ecosystem's registry (crates.io, npm, PyPI, the Go proxy) or an alternative registry.
    Registry,
    /// A local path (Cargo `path =`, npm `file:`/`link:`, Python editable or path installs,
    /// Go `replace => ../dir`). Usually the project's own code: rules should not ask for approval.
    Path(String),
    /// A git repository.
    Git(String),
    /// A direct URL (tarball, wheel).
    Url(String),
    /// A member of the same workspace (npm `workspace:`, Cargo workspace members in a lockfile).
    Workspace,
}

impl DepSource {
    /// True when the dependency is the project's own code (path or workspace member).
    pub fn is_local(&self) -> bool {
        matches!(self, DepSource::Path(_) | DepSource::Workspace)
    }
}

/// One dependency fact. Direct dependencies come from manifests and carry the locked version
/// found in the matching lockfile; transitive ones come from lockfiles only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    pub ecosystem: Ecosystem,
    /// Normalized name (see [`crate::normalize_name`]); compare names with this field.
    pub name: String,
    /// The name as written (for Python without extras, for npm aliases the real package).
    pub display_name: String,
    /// The declared requirement as written (`^1.2`, `>=2,<3`, `v1.9.1`); `None` when nothing was
    /// declared (transitive dependency, or a bare name).
    pub requirement: Option<String>,
    /// The resolved version from a lockfile, a Go `require`, or an exact `==` pin.
    pub locked_version: Option<String>,
    /// Declared in a manifest (true) or only present in a lockfile (false).
    pub direct: bool,
    pub kind: DepKind,
    /// Dependency group or extra name (Poetry group, PEP 735 group, PEP 621 extra).
    pub group: Option<String>,
    /// Cargo features or Python extras requested (`uvicorn[standard]` → `["standard"]`).
    pub features: Vec<String>,
    /// Environment marker (Python) or target cfg (Cargo `[target.'cfg(..)'.dependencies]`).
    pub marker: Option<String>,
    pub source: DepSource,
    /// For renamed dependencies the local name (npm `"foo": "npm:bar@1"`, Cargo `package =`).
    pub alias: Option<String>,
    /// Name of the project or workspace member that declares it (Cargo package, npm package,
    /// Python project, Go module), when known.
    pub declared_by: Option<String>,
    /// Where it is declared: the manifest line for direct dependencies, the lockfile entry for
    /// transitive ones.
    pub declared_at: SourceLoc,
    /// The lockfile entry that fixed `locked_version`, when there is one.
    pub locked_at: Option<SourceLoc>,
}

impl Dependency {
    /// A registry dependency with no requirement, used by the parsers as a starting point.
    pub(crate) fn new(
        ecosystem: Ecosystem,
        display_name: &str,
        declared_at: SourceLoc,
    ) -> Dependency {
        Dependency {
            ecosystem,
            name: crate::names::normalize_name(ecosystem, display_name),
            display_name: display_name.to_string(),
            requirement: None,
            locked_version: None,
            direct: true,
            kind: DepKind::Normal,
            group: None,
            features: Vec::new(),
            marker: None,
            source: DepSource::Registry,
            alias: None,
            declared_by: None,
            declared_at,
            locked_at: None,
        }
    }
}

/// One operation of an OpenAPI document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiOperation {
    /// Upper-case HTTP method (`GET`, `POST`, …).
    pub method: String,
    /// Path normalized with [`crate::normalize_route_path`] (`/users/{}`).
    pub path: String,
    /// The path key as written (`/users/{id}`).
    pub raw_path: String,
    pub operation_id: Option<String>,
    pub summary: Option<String>,
    /// The method key's line (YAML: exact; JSON: best effort, else the path key, else line 1).
    pub at: SourceLoc,
}

/// An OpenAPI (3.0, 3.1; Swagger 2.0 paths are read the same way) document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenApiDoc {
    pub file: String,
    /// The `openapi` (or `swagger`) field, e.g. `3.1.0`.
    pub version: String,
    pub title: Option<String>,
    /// Path parts of `servers[].url` (`https://x/api/v1` → `/api/v1`), or Swagger `basePath`;
    /// SPEC endpoints may include this prefix.
    pub server_paths: Vec<String>,
    pub operations: Vec<ApiOperation>,
}

/// A web framework whose routes are read from code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Framework {
    Axum,
    Express,
    #[serde(rename = "fastapi")]
    FastApi,
    Flask,
}

impl Framework {
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Axum => "axum",
            Framework::Express => "express",
            Framework::FastApi => "fastapi",
            Framework::Flask => "flask",
        }
    }
}

/// A route declared in code, found by pattern (best effort: nested routers and prefixes added
/// in other files are not followed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeRoute {
    pub framework: Framework,
    /// Upper-case method, or `ANY` for routes that accept every method.
    pub method: String,
    /// Normalized path (see [`crate::normalize_route_path`]), with a same-file router prefix.
    pub path: String,
    /// The path as written in the route call.
    pub raw_path: String,
    pub at: SourceLoc,
}

/// A column of a SQL table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SqlColumn {
    pub name: String,
    /// The declared type as SQL text (`BIGINT`, `TIMESTAMP WITH TIME ZONE`, empty in SQLite
    /// when no type is given).
    pub data_type: String,
    pub at: SourceLoc,
}

/// A foreign key of a SQL table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignKey {
    /// Local columns.
    pub columns: Vec<String>,
    /// Referenced table, unqualified (schema dropped).
    pub references_table: String,
    pub references_columns: Vec<String>,
    pub at: SourceLoc,
}

/// A table as the migrations leave it (CREATE TABLE, then ALTER TABLE ADD/DROP/RENAME and
/// DROP TABLE applied in file order; files whose name marks a down migration are skipped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SqlTable {
    /// Unqualified name, unquoted.
    pub name: String,
    pub schema: Option<String>,
    pub columns: Vec<SqlColumn>,
    pub foreign_keys: Vec<ForeignKey>,
    /// The CREATE TABLE statement.
    pub at: SourceLoc,
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProblemSeverity {
    /// Part of a file was skipped (one requirement line, one SQL statement).
    Warning,
    /// A whole file could not be read.
    Error,
}

/// Something that could not be read. The scan goes on after every problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub severity: ProblemSeverity,
    pub at: SourceLoc,
    /// What is wrong and what to do.
    pub message: String,
}

/// What kind of file a scan read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    CargoManifest,
    CargoLock,
    PackageJson,
    PackageLock,
    PnpmLock,
    YarnLock,
    Pyproject,
    Requirements,
    UvLock,
    PoetryLock,
    GoMod,
    OpenApi,
    SqlMigration,
    /// A source file in which routes were found.
    RouteSource,
    /// A `.proto` file (evidence of gRPC).
    ProtoSchema,
    /// A `.graphql`/`.gql` file (evidence of GraphQL).
    GraphqlSchema,
}

impl FileKind {
    /// The ecosystem a manifest or lockfile belongs to.
    pub fn ecosystem(self) -> Option<Ecosystem> {
        match self {
            FileKind::CargoManifest | FileKind::CargoLock => Some(Ecosystem::Cargo),
            FileKind::PackageJson
            | FileKind::PackageLock
            | FileKind::PnpmLock
            | FileKind::YarnLock => Some(Ecosystem::Npm),
            FileKind::Pyproject
            | FileKind::Requirements
            | FileKind::UvLock
            | FileKind::PoetryLock => Some(Ecosystem::PyPI),
            FileKind::GoMod => Some(Ecosystem::Go),
            _ => None,
        }
    }

    /// True for lockfiles.
    pub fn is_lockfile(self) -> bool {
        matches!(
            self,
            FileKind::CargoLock
                | FileKind::PackageLock
                | FileKind::PnpmLock
                | FileKind::YarnLock
                | FileKind::UvLock
                | FileKind::PoetryLock
        )
    }
}

/// A file the scan read and used.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ScannedFile {
    pub path: String,
    pub kind: FileKind,
}

/// Everything a scan found, each list sorted by file then line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RepoFacts {
    pub dependencies: Vec<Dependency>,
    pub openapi: Vec<OpenApiDoc>,
    pub routes: Vec<CodeRoute>,
    pub tables: Vec<SqlTable>,
    pub files: Vec<ScannedFile>,
    pub problems: Vec<Problem>,
}

impl RepoFacts {
    /// Direct dependencies only.
    pub fn direct_dependencies(&self) -> impl Iterator<Item = &Dependency> {
        self.dependencies.iter().filter(|d| d.direct)
    }

    /// Every OpenAPI operation of every document.
    pub fn operations(&self) -> impl Iterator<Item = (&OpenApiDoc, &ApiOperation)> {
        self.openapi
            .iter()
            .flat_map(|doc| doc.operations.iter().map(move |op| (doc, op)))
    }

    /// Dependencies of `ecosystem` whose name matches `name` (see [`crate::names_match`]).
    pub fn find_dependency<'a>(
        &'a self,
        ecosystem: Ecosystem,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Dependency> + 'a {
        let wanted = crate::names::normalize_name(ecosystem, name);
        self.dependencies
            .iter()
            .filter(move |d| d.ecosystem == ecosystem && d.name == wanted)
    }

    /// The table whose name matches an entity name (see [`crate::entity_matches_table`]).
    pub fn find_table(&self, entity: &str) -> Option<&SqlTable> {
        self.tables
            .iter()
            .find(|t| crate::names::entity_matches_table(entity, &t.name))
    }

    /// True when some file of this ecosystem (manifest or lockfile) was read.
    pub fn has_ecosystem(&self, ecosystem: Ecosystem) -> bool {
        self.files
            .iter()
            .any(|f| f.kind.ecosystem() == Some(ecosystem))
    }
}

/// A whole file could not be parsed. `line`/`column` are 1-based and point into the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ParseError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub byte_range: Range<usize>,
    pub message: String,
}

impl ParseError {
    /// The location of the error.
    pub fn location(&self) -> SourceLoc {
        SourceLoc {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            byte_range: self.byte_range.clone(),
        }
    }

    /// The error as a problem of severity [`ProblemSeverity::Error`].
    pub fn into_problem(self) -> Problem {
        Problem {
            severity: ProblemSeverity::Error,
            at: self.location(),
            message: self.message,
        }
    }
}
