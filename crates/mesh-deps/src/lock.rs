//! The lockfile model shared by every ecosystem, and the manifest model.

use serde::Serialize;

use crate::model::{DepKind, DepSource, Dependency, Ecosystem, FileKind, Problem, SourceLoc};

/// A reference from a locked package (or importer) to another package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockRef {
    /// Normalized name.
    pub name: String,
    /// The exact version, when the lockfile says which one.
    pub version: Option<String>,
}

/// One resolved package in a lockfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockedPackage {
    /// Normalized name.
    pub name: String,
    /// The name as written in the lockfile.
    pub display_name: String,
    pub version: String,
    pub source: DepSource,
    pub dependencies: Vec<LockRef>,
    /// Known to be needed for development only (npm `dev: true`, Poetry `category = "dev"`).
    pub dev: bool,
    /// npm package-lock install path (`node_modules/a/node_modules/b`), when there is one.
    pub install_path: Option<String>,
    /// yarn: the `name@range` specs this entry resolves.
    pub specs: Vec<String>,
    pub at: SourceLoc,
}

/// A direct dependency of a workspace project as recorded in a lockfile (pnpm importers,
/// package-lock workspace entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImporterDep {
    /// Normalized name.
    pub name: String,
    pub specifier: Option<String>,
    pub version: String,
    pub kind: DepKind,
}

/// A project inside a lockfile (pnpm importer, package-lock workspace path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Importer {
    /// Directory relative to the lockfile's directory, `.` for the root.
    pub path: String,
    pub dependencies: Vec<ImporterDep>,
}

/// A parsed lockfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lockfile {
    pub ecosystem: Ecosystem,
    pub kind: FileKind,
    pub file: String,
    /// The lockfile format version when written (`3`, `9.0`, `1`).
    pub format_version: Option<String>,
    pub packages: Vec<LockedPackage>,
    pub importers: Vec<Importer>,
    pub problems: Vec<Problem>,
}

impl Lockfile {
    pub(crate) fn new(ecosystem: Ecosystem, kind: FileKind, file: &str) -> Lockfile {
        Lockfile {
            ecosystem,
            kind,
            file: file.to_string(),
            format_version: None,
            packages: Vec::new(),
            importers: Vec::new(),
            problems: Vec::new(),
        }
    }
}

/// How a requirements file refers to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IncludeKind {
    /// `-r file`: the file's requirements are part of this one.
    Requirements,
    /// `-c file`: the file's pins constrain versions but add no dependency.
    Constraints,
}

/// A `-r`/`-c` reference in a requirements file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Include {
    pub kind: IncludeKind,
    /// The path as written, relative to the including file's directory.
    pub path: String,
    pub at: SourceLoc,
}

/// A parsed manifest (Cargo.toml, package.json, pyproject.toml, requirements file, go.mod).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    pub ecosystem: Ecosystem,
    pub kind: FileKind,
    pub file: String,
    /// The project's own name (Cargo package, npm package, Python project, Go module).
    pub project_name: Option<String>,
    /// Direct dependencies as declared (locked versions are filled in by the scan).
    pub dependencies: Vec<Dependency>,
    /// Cargo: indexes into `dependencies` that say `workspace = true` (their requirement, source
    /// and features come from the workspace root's `[workspace.dependencies]`).
    pub inherits_workspace: Vec<usize>,
    /// Cargo `[workspace.dependencies]`: not dependencies by themselves, inherited by members.
    pub workspace_dependencies: Vec<Dependency>,
    /// True for a Cargo/npm/uv workspace root.
    pub is_workspace_root: bool,
    /// Requirements files: `-r` and `-c` references.
    pub includes: Vec<Include>,
    /// Go `replace` directives: module → local path or replacement module.
    pub replacements: Vec<(String, DepSource)>,
    pub problems: Vec<Problem>,
}

impl Manifest {
    pub(crate) fn new(ecosystem: Ecosystem, kind: FileKind, file: &str) -> Manifest {
        Manifest {
            ecosystem,
            kind,
            file: file.to_string(),
            project_name: None,
            dependencies: Vec::new(),
            inherits_workspace: Vec::new(),
            workspace_dependencies: Vec::new(),
            is_workspace_root: false,
            includes: Vec::new(),
            replacements: Vec::new(),
            problems: Vec::new(),
        }
    }
}
