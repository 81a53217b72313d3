//! Walking a repository and joining manifests with lockfiles into [`RepoFacts`].
//!
//! The walk (via `ignore`) honours `.gitignore`/`.ignore`, skips hidden directories and
//! `node_modules`, `target`, `vendor`, `.venv`/`venv`, `__pycache__`, `site-packages`.
//! Files are read and parsed in parallel (rayon); joining is sequential and deterministic.
//! Every unreadable file is a [`Problem`]; the scan never stops early.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use rayon::prelude::*;

use crate::lock::{IncludeKind, LockedPackage, Lockfile, Manifest};
use crate::model::{
    CodeRoute, DepKind, DepSource, Dependency, Ecosystem, FileKind, OpenApiDoc, Problem,
    ProblemSeverity, RepoFacts, ScannedFile, SourceLoc,
};
use crate::names::normalize_name;
use crate::sql::SqlFile;
use crate::{cargo, gomod, npm, openapi, python, routes, sql};

/// Directories never entered.
pub const SKIPPED_DIRS: [&str; 9] = [
    ".git",
    "node_modules",
    "target",
    "vendor",
    ".venv",
    "venv",
    "__pycache__",
    "site-packages",
    ".tox",
];

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// Honour `.gitignore`, `.git/info/exclude` and `.ignore` files (default true).
    pub respect_gitignore: bool,
    /// Report lockfile packages that no manifest declares (default true).
    pub include_transitive: bool,
    /// OpenAPI documents named in configuration (relative to the root, or absolute). They are
    /// read even when the walk would skip them; a named file that is missing or is not an
    /// OpenAPI document is a problem.
    pub openapi_files: Vec<PathBuf>,
    /// Extra gitignore-style globs to leave out, relative to the root (`tests/fixtures/**`),
    /// compiled ([`ExcludeSet::new`]); shared, so that a caller scanning many folders (a
    /// monorepo's code folders) compiles them once. Default: none.
    pub exclude: Arc<ExcludeSet>,
    /// Folders left out, as paths relative to the root (code folders of their own inside this
    /// one). Compared as paths, not as globs.
    pub skip: Vec<PathBuf>,
    /// Files larger than this are skipped with a warning (default 32 MiB).
    pub max_file_bytes: u64,
    /// Read routes from source code (default true).
    pub routes: bool,
    /// Read SQL migrations (default true).
    pub sql: bool,
    /// Look for OpenAPI documents among YAML/JSON files (default true).
    pub discover_openapi: bool,
}

/// `exclude` globs, compiled: what a scan leaves out, matched against paths relative to the
/// scanned folder. Compiling the globs cost as much as walking a small folder, so a caller that
/// scans thousands of folders with the same globs compiles them once ([`ScanOptions::exclude`]).
///
/// The globs mean what `ignore`'s overrides make of `!glob` (gitignore syntax, anchored with a
/// leading `/`, `dir/` for folders only, no unclosed `[`): a match leaves the path out.
#[derive(Debug, Clone)]
pub struct ExcludeSet {
    globs: Vec<String>,
    matcher: Gitignore,
    problems: Vec<Problem>,
}

impl ExcludeSet {
    /// Compile `globs`; an invalid glob is left out and recorded as a problem, reported by
    /// every scan that uses the set.
    pub fn new(globs: &[String]) -> ExcludeSet {
        let mut problems = Vec::new();
        let mut builder = GitignoreBuilder::new(".");
        builder.allow_unclosed_class(false);
        for glob in globs {
            // As an override: the `!` line is a whitelist in gitignore terms, which the
            // override inverts into "leave out".
            if let Err(e) = builder.add_line(None, &format!("!{glob}")) {
                problems.push(file_problem(
                    ".",
                    ProblemSeverity::Error,
                    format!("exclude pattern `{glob}` is not a valid glob: {e}"),
                ));
            }
        }
        let matcher = builder.build().unwrap_or_else(|e| {
            problems.push(file_problem(
                ".",
                ProblemSeverity::Error,
                format!("exclude patterns cannot be used: {e}"),
            ));
            Gitignore::empty()
        });
        ExcludeSet {
            globs: globs.to_vec(),
            matcher,
            problems,
        }
    }

    /// Whether `rel` (relative to the scanned folder) is left out.
    pub fn excludes(&self, rel: &Path, is_dir: bool) -> bool {
        // Every line is a `!` line, so a match is always a whitelist match (see `new`).
        self.matcher.matched(rel, is_dir).is_whitelist()
    }
}

impl Default for ExcludeSet {
    /// No globs: nothing is left out.
    fn default() -> Self {
        ExcludeSet {
            globs: Vec::new(),
            matcher: Gitignore::empty(),
            problems: Vec::new(),
        }
    }
}

impl PartialEq for ExcludeSet {
    fn eq(&self, other: &Self) -> bool {
        self.globs == other.globs
    }
}

impl Eq for ExcludeSet {}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            respect_gitignore: true,
            include_transitive: true,
            openapi_files: Vec::new(),
            exclude: Arc::default(),
            skip: Vec::new(),
            max_file_bytes: 32 * 1024 * 1024,
            routes: true,
            sql: true,
            discover_openapi: true,
        }
    }
}

/// What a path is, judged by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Candidate {
    File(FileKind),
    MaybeOpenApi,
    Source,
}

fn classify(rel: &str, opts: &ScanOptions) -> Option<Candidate> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let lower = name.to_ascii_lowercase();
    let kind = match name {
        "Cargo.toml" => Some(FileKind::CargoManifest),
        "Cargo.lock" => Some(FileKind::CargoLock),
        "package.json" => Some(FileKind::PackageJson),
        "package-lock.json" | "npm-shrinkwrap.json" => Some(FileKind::PackageLock),
        "pnpm-lock.yaml" => Some(FileKind::PnpmLock),
        "yarn.lock" => Some(FileKind::YarnLock),
        "pyproject.toml" => Some(FileKind::Pyproject),
        "uv.lock" => Some(FileKind::UvLock),
        "poetry.lock" => Some(FileKind::PoetryLock),
        "go.mod" => Some(FileKind::GoMod),
        _ => None,
    };
    if let Some(k) = kind {
        return Some(Candidate::File(k));
    }
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    let parent_is_requirements = rel
        .rsplit('/')
        .nth(1)
        .is_some_and(|d| d.eq_ignore_ascii_case("requirements"));
    if matches!(ext, "txt" | "in") && (lower.contains("requirements") || parent_is_requirements) {
        return Some(Candidate::File(FileKind::Requirements));
    }
    match ext {
        "sql" if opts.sql && !sql::is_down_migration(rel) => {
            Some(Candidate::File(FileKind::SqlMigration))
        }
        "proto" => Some(Candidate::File(FileKind::ProtoSchema)),
        "graphql" | "graphqls" | "gql" => Some(Candidate::File(FileKind::GraphqlSchema)),
        "yaml" | "yml" | "json" if opts.discover_openapi => Some(Candidate::MaybeOpenApi),
        "rs" | "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx" | "py"
            if opts.routes =>
        {
            Some(Candidate::Source)
        }
        _ => None,
    }
}

/// What parsing one file gave.
enum Parsed {
    Manifest(Manifest),
    Lock(Lockfile),
    OpenApi(OpenApiDoc),
    Sql(SqlFile),
    Routes(Vec<CodeRoute>),
    Marker(FileKind),
    Nothing,
}

struct FileResult {
    rel: String,
    parsed: Parsed,
    problems: Vec<Problem>,
}

fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel.to_string_lossy().replace('\\', "/");
    if s.is_empty() {
        path.to_string_lossy().replace('\\', "/")
    } else {
        s
    }
}

fn file_problem(rel: &str, severity: ProblemSeverity, message: String) -> Problem {
    Problem {
        severity,
        at: SourceLoc::file_start(rel),
        message,
    }
}

/// Read a file as text; problems for unreadable, too large or non-UTF-8 files.
fn read_text(
    path: &Path,
    rel: &str,
    opts: &ScanOptions,
    strict: bool,
) -> Result<String, Option<Problem>> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Some(file_problem(
            rel,
            ProblemSeverity::Error,
            format!("cannot read this file: {e}"),
        ))
    })?;
    if meta.len() > opts.max_file_bytes {
        return Err(strict.then(|| {
            file_problem(
                rel,
                ProblemSeverity::Warning,
                format!(
                    "skipped: {} bytes is more than the {} byte limit of the scan",
                    meta.len(),
                    opts.max_file_bytes
                ),
            )
        }));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Some(file_problem(
            rel,
            ProblemSeverity::Error,
            format!("cannot read this file: {e}"),
        ))
    })?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) if strict => Err(Some(file_problem(
            rel,
            ProblemSeverity::Error,
            format!(
                "this file is not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
                e.utf8_error().valid_up_to()
            ),
        ))),
        Err(e) => Ok(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn parse_file(path: &Path, rel: String, cand: Candidate, opts: &ScanOptions) -> FileResult {
    let strict = !matches!(cand, Candidate::Source | Candidate::MaybeOpenApi);
    let mut result = FileResult {
        rel,
        parsed: Parsed::Nothing,
        problems: Vec::new(),
    };
    if let Candidate::File(k @ (FileKind::ProtoSchema | FileKind::GraphqlSchema)) = cand {
        result.parsed = Parsed::Marker(k);
        return result;
    }
    let text = match read_text(path, &result.rel, opts, strict) {
        Ok(t) => t,
        Err(p) => {
            result.problems.extend(p);
            return result;
        }
    };
    let rel = result.rel.as_str();
    let manifest = |r: Result<Manifest, crate::ParseError>| r.map(Parsed::Manifest);
    let lock = |r: Result<Lockfile, crate::ParseError>| r.map(Parsed::Lock);
    let parsed = match cand {
        Candidate::File(kind) => match kind {
            FileKind::CargoManifest => manifest(cargo::parse_cargo_manifest(rel, &text)),
            FileKind::CargoLock => lock(cargo::parse_cargo_lock(rel, &text)),
            FileKind::PackageJson => manifest(npm::parse_package_json(rel, &text)),
            FileKind::PackageLock => lock(npm::parse_package_lock(rel, &text)),
            FileKind::PnpmLock => lock(npm::parse_pnpm_lock(rel, &text)),
            FileKind::YarnLock => lock(npm::parse_yarn_lock(rel, &text)),
            FileKind::Pyproject => manifest(python::parse_pyproject(rel, &text)),
            FileKind::Requirements => manifest(python::parse_requirements(rel, &text)),
            FileKind::UvLock => lock(python::parse_uv_lock(rel, &text)),
            FileKind::PoetryLock => lock(python::parse_poetry_lock(rel, &text)),
            FileKind::GoMod => manifest(gomod::parse_go_mod(rel, &text)),
            FileKind::SqlMigration => sql::parse_sql(rel, &text).map(Parsed::Sql),
            FileKind::OpenApi => match openapi::parse_openapi(rel, &text) {
                Ok(Some(doc)) => Ok(Parsed::OpenApi(doc)),
                Ok(None) => {
                    result.problems.push(file_problem(
                        rel,
                        ProblemSeverity::Error,
                        "this file is named as an OpenAPI document but has no top-level \
                         `openapi` (or `swagger`) field"
                            .to_string(),
                    ));
                    Ok(Parsed::Nothing)
                }
                Err(e) => Err(e),
            },
            _ => Ok(Parsed::Nothing),
        },
        Candidate::MaybeOpenApi => {
            if openapi::looks_like_openapi(&text) {
                openapi::parse_openapi(rel, &text)
                    .map(|d| d.map_or(Parsed::Nothing, Parsed::OpenApi))
            } else {
                Ok(Parsed::Nothing)
            }
        }
        Candidate::Source => {
            let found = routes::find_routes(rel, &text);
            Ok(if found.is_empty() {
                Parsed::Nothing
            } else {
                Parsed::Routes(found)
            })
        }
    };
    match parsed {
        Ok(p) => result.parsed = p,
        Err(e) => result.problems.push(e.into_problem()),
    }
    result
}

/// Folders a quick look lists at most before it leaves the folder to the walk.
const LOOK_BUDGET: usize = 16;

/// Whether the walk of `root` would surely find no file to read, told by listing the folder
/// with `read_dir` alone. It lists every folder the walk could enter (hidden ones too: an
/// ignore file may let the walk into them), leaves out only what the walk always leaves out
/// ([`SKIPPED_DIRS`], `opts.skip`, symbolic links), and asks [`classify`] about every file.
/// Ignore files and `[code] exclude` can only take files away, so when no file would be read
/// without them, none is read with them. A file to read, a folder that cannot be listed or more
/// than [`LOOK_BUDGET`] folders give `false`: the walk decides.
fn surely_nothing_to_read(root: &Path, opts: &ScanOptions) -> bool {
    let mut pending = vec![root.to_path_buf()];
    let mut listed = 0;
    while let Some(dir) = pending.pop() {
        listed += 1;
        if listed > LOOK_BUDGET {
            return false;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return false;
        };
        for entry in entries {
            let Ok(entry) = entry else { return false };
            let Ok(kind) = entry.file_type() else {
                return false;
            };
            let path = entry.path();
            if kind.is_dir() {
                let skipped = SKIPPED_DIRS.iter().any(|d| entry.file_name() == *d)
                    || path
                        .strip_prefix(root)
                        .is_ok_and(|rel| opts.skip.iter().any(|s| s == rel));
                if !skipped {
                    pending.push(path);
                }
            } else if kind.is_file() && classify(&rel_path(root, &path), opts).is_some() {
                return false;
            }
        }
    }
    true
}

/// What the walk found under one folder: the files to read and the problems met.
#[derive(Debug, Default)]
struct Walked {
    candidates: Vec<(PathBuf, String, Candidate)>,
    problems: Vec<Problem>,
}

/// Most folders one walker takes ([`scan_many`]).
const GROUP: usize = 64;

/// Walk the folders `group` (indices into `roots`, distinct paths, the same
/// `respect_gitignore`) with one walker, one [`Walked`] per folder in the order of `group`.
///
/// One walker for many folders reads and compiles the ignore files of the folders' common
/// ancestors once: `ignore` keeps the matchers of a folder's ancestors while the next folder's
/// are looked up, and siblings share them.
fn walk_group(roots: &[(&Path, &ScanOptions)], group: &[usize]) -> Vec<Walked> {
    let mut out: Vec<Walked> = group
        .iter()
        .map(|&i| Walked {
            candidates: Vec::new(),
            problems: roots[i].1.exclude.problems.clone(),
        })
        .collect();
    let Some(&first) = group.first() else {
        return out;
    };
    let respect = roots[first].1.respect_gitignore;
    // Every entry belongs to the folder `depth` levels above it: the walk's root.
    let index: Arc<HashMap<PathBuf, usize>> = Arc::new(
        group
            .iter()
            .enumerate()
            .map(|(k, &i)| (roots[i].0.to_path_buf(), k))
            .collect(),
    );
    let filters: Vec<(Vec<PathBuf>, Arc<ExcludeSet>)> = group
        .iter()
        .map(|&i| (roots[i].1.skip.clone(), Arc::clone(&roots[i].1.exclude)))
        .collect();
    let mut builder = ignore::WalkBuilder::new(roots[first].0);
    for &i in &group[1..] {
        builder.add(roots[i].0);
    }
    let in_filter = Arc::clone(&index);
    builder
        .hidden(true)
        .parents(respect)
        .ignore(respect)
        .git_ignore(respect)
        .git_exclude(respect)
        .git_global(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(move |e| {
            if e.depth() == 0 {
                return true;
            }
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            if is_dir && SKIPPED_DIRS.iter().any(|d| e.file_name() == *d) {
                return false;
            }
            let Some((root, k)) = own_root(&in_filter, e.path(), e.depth()) else {
                return true;
            };
            let (skip, exclude) = &filters[k];
            let rel = e.path().strip_prefix(root).unwrap_or(e.path());
            if is_dir && skip.iter().any(|s| s == rel) {
                return false;
            }
            !exclude.excludes(rel, is_dir)
        });
    // The walk is sequential, folder after folder, each starting with its root at depth 0: an
    // entry or an error belongs to the folder whose root came last.
    let mut current = 0;
    for entry in builder.build() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out[current].problems.push(file_problem(
                    ".",
                    ProblemSeverity::Warning,
                    format!("part of the directory could not be read: {e}"),
                ));
                continue;
            }
        };
        if entry.depth() == 0
            && let Some(&k) = index.get(entry.path())
        {
            current = k;
        }
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let (root, opts) = roots[group[current]];
        let rel = rel_path(root, entry.path());
        if let Some(c) = classify(&rel, opts) {
            out[current].candidates.push((entry.into_path(), rel, c));
        }
    }
    out
}

/// The folder of the walk that yielded `path` at `depth`, and its place in the group.
fn own_root<'m>(
    index: &'m HashMap<PathBuf, usize>,
    path: &Path,
    depth: usize,
) -> Option<(&'m Path, usize)> {
    let root = path.ancestors().nth(depth)?;
    index.get_key_value(root).map(|(p, &k)| (p.as_path(), k))
}

/// Scan a repository: dependencies (declared and locked), OpenAPI operations, code routes,
/// SQL tables, and the problems met. Never panics and never stops at the first bad file.
pub fn scan(root: &Path, opts: &ScanOptions) -> RepoFacts {
    scan_many(&[(root, opts)]).pop().unwrap_or_default()
}

/// [`scan`] of many folders (a monorepo's code folders), each with its options: the same facts,
/// in the same order, as one `scan` per folder. Consecutive folders are walked by one walker, so
/// list siblings next to each other: the ignore files of their common ancestors are then read
/// once per group of folders rather than once per folder. Groups are walked, and files read, in
/// parallel.
pub fn scan_many(roots: &[(&Path, &ScanOptions)]) -> Vec<RepoFacts> {
    scan_many_with(roots, true)
}

/// [`scan_many`]; `look_first` lets a quick look spare the walk of folders that surely hold
/// nothing to read (see [`surely_nothing_to_read`]). The tests compare both ways.
fn scan_many_with(roots: &[(&Path, &ScanOptions)], look_first: bool) -> Vec<RepoFacts> {
    // A monorepo's folders often hold only their documents so far: nothing the walk would
    // read. Those are found by a plain listing, without the walker's ignore files and
    // canonical paths (on 2,000 such folders, a tenth of `mesh check`). A folder the quick
    // look listed is a directory; only the others are asked.
    let (nothing, is_dir): (Vec<bool>, Vec<bool>) = roots
        .par_iter()
        .map(|&(root, opts)| {
            if look_first && surely_nothing_to_read(root, opts) {
                (true, true)
            } else {
                (false, root.is_dir())
            }
        })
        .unzip();
    // Groups of consecutive folders: distinct paths, one walker setting, at most GROUP, and
    // enough groups for every thread.
    let size = (roots.len() / (rayon::current_num_threads() * 4)).clamp(1, GROUP);
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut seen: HashSet<&Path> = HashSet::new();
    for (i, (root, opts)) in roots.iter().enumerate() {
        if !is_dir[i] || nothing[i] {
            continue;
        }
        let fits = groups.last().is_some_and(|g| {
            g.len() < size
                && roots[g[0]].1.respect_gitignore == opts.respect_gitignore
                && !seen.contains(root)
        });
        if !fits {
            groups.push(Vec::new());
            seen.clear();
        }
        seen.insert(root);
        if let Some(g) = groups.last_mut() {
            g.push(i);
        }
    }
    // What the walk of a folder with nothing to read finds: no file, the options' problems.
    let mut walked: Vec<Option<Walked>> = roots
        .iter()
        .zip(&nothing)
        .map(|(&(_, opts), &nothing)| {
            nothing.then(|| Walked {
                candidates: Vec::new(),
                problems: opts.exclude.problems.clone(),
            })
        })
        .collect();
    let found: Vec<Vec<Walked>> = groups
        .par_iter()
        .map(|group| walk_group(roots, group))
        .collect();
    for (group, found) in groups.iter().zip(found) {
        for (&i, w) in group.iter().zip(found) {
            walked[i] = Some(w);
        }
    }
    roots
        .par_iter()
        .zip(walked)
        .map(|(&(root, opts), walked)| match walked {
            Some(walked) => finish_scan(root, opts, walked),
            None => RepoFacts {
                problems: vec![file_problem(
                    &root.to_string_lossy(),
                    ProblemSeverity::Error,
                    "the directory to scan does not exist or is not a directory".to_string(),
                )],
                ..RepoFacts::default()
            },
        })
        .collect()
}

/// Read, parse and join what the walk of `root` found.
fn finish_scan(root: &Path, opts: &ScanOptions, walked: Walked) -> RepoFacts {
    let Walked {
        mut candidates,
        problems,
    } = walked;
    let mut facts = RepoFacts {
        problems,
        ..RepoFacts::default()
    };
    // Configured OpenAPI documents.
    for p in &opts.openapi_files {
        let path = if p.is_absolute() {
            p.clone()
        } else {
            root.join(p)
        };
        let rel = rel_path(root, &path);
        candidates.retain(|(_, r, _)| *r != rel);
        if path.is_file() {
            candidates.push((path, rel, Candidate::File(FileKind::OpenApi)));
        } else {
            facts.problems.push(file_problem(
                &rel,
                ProblemSeverity::Error,
                "the OpenAPI document named in the configuration does not exist".to_string(),
            ));
        }
    }
    let mut results: Vec<FileResult> = candidates
        .par_iter()
        .map(|(path, rel, c)| parse_file(path, rel.clone(), *c, opts))
        .collect();
    follow_requirement_includes(root, opts, &mut results);
    assemble(results, opts, &mut facts);
    facts
}

/// Parse requirements files reached through `-r`/`-c` that the walk did not pick up, and
/// append them to `results`.
fn follow_requirement_includes(root: &Path, opts: &ScanOptions, results: &mut Vec<FileResult>) {
    let mut seen: HashSet<String> = results.iter().map(|r| r.rel.clone()).collect();
    let mut i = 0;
    while i < results.len() {
        let mut pending: Vec<(String, crate::lock::Include)> = Vec::new();
        if let Parsed::Manifest(m) = &results[i].parsed
            && m.kind == FileKind::Requirements
        {
            for inc in &m.includes {
                let target = resolve_relative(&m.file, &inc.path);
                if !seen.contains(&target) {
                    pending.push((target, inc.clone()));
                }
            }
        }
        for (target, inc) in pending {
            seen.insert(target.clone());
            let path = root.join(&target);
            if !path.is_file() {
                results[i].problems.push(Problem {
                    severity: ProblemSeverity::Warning,
                    at: inc.at.clone(),
                    message: format!(
                        "`{}` refers to `{}`, which does not exist",
                        if inc.kind == IncludeKind::Requirements {
                            "-r"
                        } else {
                            "-c"
                        },
                        inc.path
                    ),
                });
                continue;
            }
            results.push(parse_file(
                &path,
                target,
                Candidate::File(FileKind::Requirements),
                opts,
            ));
        }
        i += 1;
    }
}

/// `dir/of/file.txt` + `../x.txt` → `dir/of/../x.txt` normalized to `dir/x.txt`.
fn resolve_relative(file: &str, target: &str) -> String {
    if target.starts_with('/') {
        return target.trim_start_matches('/').to_string();
    }
    let mut parts: Vec<&str> = file.split('/').collect();
    parts.pop();
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn dir_of(file: &str) -> &str {
    file.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Directories from `dir` up to the root: `a/b` → [`a/b`, `a`, ``].
fn ancestors(dir: &str) -> Vec<&str> {
    let mut out = vec![dir];
    let mut d = dir;
    while !d.is_empty() {
        d = d.rsplit_once('/').map_or("", |(p, _)| p);
        out.push(d);
    }
    out
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Lockfile kinds per manifest kind, in order of preference.
fn lock_kinds(kind: FileKind) -> &'static [FileKind] {
    match kind {
        FileKind::CargoManifest => &[FileKind::CargoLock],
        FileKind::PackageJson => &[
            FileKind::PackageLock,
            FileKind::PnpmLock,
            FileKind::YarnLock,
        ],
        FileKind::Pyproject => &[FileKind::UvLock, FileKind::PoetryLock],
        _ => &[],
    }
}

fn assemble(results: Vec<FileResult>, opts: &ScanOptions, facts: &mut RepoFacts) {
    let mut manifests: Vec<Manifest> = Vec::new();
    let mut locks: Vec<Lockfile> = Vec::new();
    let mut sql_files: Vec<SqlFile> = Vec::new();
    let mut constraint_files: HashSet<String> = HashSet::new();
    for r in results {
        facts.problems.extend(r.problems);
        match r.parsed {
            Parsed::Manifest(mut m) => {
                facts.problems.append(&mut m.problems);
                manifests.push(m);
            }
            Parsed::Lock(mut l) => {
                facts.problems.append(&mut l.problems);
                facts.files.push(ScannedFile {
                    path: r.rel.clone(),
                    kind: l.kind,
                });
                locks.push(l);
            }
            Parsed::OpenApi(doc) => {
                facts.files.push(ScannedFile {
                    path: r.rel.clone(),
                    kind: FileKind::OpenApi,
                });
                facts.openapi.push(doc);
            }
            Parsed::Sql(mut s) => {
                facts.problems.append(&mut s.problems);
                if !s.changes.is_empty() {
                    facts.files.push(ScannedFile {
                        path: r.rel.clone(),
                        kind: FileKind::SqlMigration,
                    });
                }
                sql_files.push(s);
            }
            Parsed::Routes(mut routes) => {
                facts.files.push(ScannedFile {
                    path: r.rel.clone(),
                    kind: FileKind::RouteSource,
                });
                facts.routes.append(&mut routes);
            }
            Parsed::Marker(kind) => facts.files.push(ScannedFile { path: r.rel, kind }),
            Parsed::Nothing => {}
        }
    }
    // Requirements files reached only by `-c` declare nothing.
    for m in &manifests {
        for inc in &m.includes {
            if inc.kind == IncludeKind::Constraints {
                constraint_files.insert(resolve_relative(&m.file, &inc.path));
            }
        }
    }
    let included_by_r: HashSet<String> = manifests
        .iter()
        .flat_map(|m| {
            m.includes
                .iter()
                .filter(|i| i.kind == IncludeKind::Requirements)
                .map(|i| resolve_relative(&m.file, &i.path))
        })
        .collect();
    // A file reached only by `-c` (and not named like a requirements file) constrains
    // versions but declares no dependency.
    let constraints_only = |m: &Manifest| {
        m.kind == FileKind::Requirements
            && constraint_files.contains(&m.file)
            && !included_by_r.contains(&m.file)
            && !looks_like_requirements_name(&m.file)
    };
    let pins: HashMap<String, HashMap<String, (String, SourceLoc)>> = manifests
        .iter()
        .filter(|m| m.kind == FileKind::Requirements)
        .map(|m| {
            let map = m
                .dependencies
                .iter()
                .filter_map(|d| {
                    d.locked_version
                        .clone()
                        .map(|v| (d.name.clone(), (v, d.declared_at.clone())))
                })
                .collect();
            (m.file.clone(), map)
        })
        .collect();

    inherit_cargo_workspace(&mut manifests);

    let lock_index: HashMap<(String, FileKind), usize> = locks
        .iter()
        .enumerate()
        .map(|(i, l)| ((l.file.clone(), l.kind), i))
        .collect();
    let mut consumed: HashSet<(usize, usize)> = HashSet::new();
    for m in &mut manifests {
        facts.files.push(ScannedFile {
            path: m.file.clone(),
            kind: m.kind,
        });
        if constraints_only(m) {
            continue;
        }
        // The nearest lockfile of a kind that fits.
        let dir = dir_of(&m.file).to_string();
        let lock = ancestors(&dir).into_iter().find_map(|d| {
            lock_kinds(m.kind).iter().find_map(|k| {
                let name = match k {
                    FileKind::CargoLock => "Cargo.lock",
                    FileKind::PnpmLock => "pnpm-lock.yaml",
                    FileKind::YarnLock => "yarn.lock",
                    FileKind::UvLock => "uv.lock",
                    FileKind::PoetryLock => "poetry.lock",
                    _ => "package-lock.json",
                };
                let mut found = lock_index.get(&(join(d, name), *k)).copied();
                if found.is_none() && *k == FileKind::PackageLock {
                    found = lock_index
                        .get(&(join(d, "npm-shrinkwrap.json"), *k))
                        .copied();
                }
                found.map(|i| (i, d.to_string()))
            })
        });
        if let Some((li, lock_dir)) = lock {
            let importer = relative_dir(&lock_dir, &dir);
            for d in &mut m.dependencies {
                if let Some(pi) =
                    resolve_locked(&locks[li], m.project_name.as_deref(), &importer, d)
                {
                    let p = &locks[li].packages[pi];
                    if p.source.is_local() && d.source == DepSource::Registry {
                        // `"@x/web": "*"` resolved to a workspace member.
                        d.source = p.source.clone();
                    }
                    if !p.version.is_empty() {
                        d.locked_version = Some(p.version.clone());
                    }
                    d.locked_at = Some(p.at.clone());
                    consumed.insert((li, pi));
                }
            }
        }
        // `-c` constraints pin versions of requirements.
        if m.kind == FileKind::Requirements {
            for inc in m
                .includes
                .iter()
                .filter(|i| i.kind == IncludeKind::Constraints)
            {
                let target = resolve_relative(&m.file, &inc.path);
                let Some(map) = pins.get(&target) else {
                    continue;
                };
                for d in m
                    .dependencies
                    .iter_mut()
                    .filter(|d| d.locked_version.is_none())
                {
                    if let Some((v, at)) = map.get(&d.name) {
                        d.locked_version = Some(v.clone());
                        d.locked_at = Some(at.clone());
                    }
                }
            }
        }
        facts.dependencies.append(&mut m.dependencies);
    }
    if opts.include_transitive {
        for (li, l) in locks.iter().enumerate() {
            for (pi, p) in l.packages.iter().enumerate() {
                if consumed.contains(&(li, pi)) || p.source.is_local() {
                    continue;
                }
                let mut d = Dependency::new(l.ecosystem, &p.display_name, p.at.clone());
                d.name.clone_from(&p.name);
                d.direct = false;
                d.locked_version = (!p.version.is_empty()).then(|| p.version.clone());
                d.locked_at = Some(p.at.clone());
                d.source = p.source.clone();
                if p.dev {
                    d.kind = DepKind::Dev;
                }
                facts.dependencies.push(d);
            }
        }
    }
    sql_files.sort_by(|a, b| a.file.cmp(&b.file));
    facts.tables = sql::apply_migrations(&sql_files);
    sort_facts(facts);
}

fn looks_like_requirements_name(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file).to_ascii_lowercase();
    name.contains("requirements")
        || file
            .rsplit('/')
            .nth(1)
            .is_some_and(|d| d.eq_ignore_ascii_case("requirements"))
}

/// `lock_dir` = `a`, `dir` = `a/packages/x` → `packages/x`; same dir → `.`.
fn relative_dir(lock_dir: &str, dir: &str) -> String {
    let rest = if lock_dir.is_empty() {
        dir
    } else {
        dir.strip_prefix(lock_dir)
            .map_or(dir, |r| r.trim_start_matches('/'))
    };
    if rest.is_empty() {
        ".".to_string()
    } else {
        rest.to_string()
    }
}

/// Fill `workspace = true` Cargo dependencies from the nearest workspace root above them.
fn inherit_cargo_workspace(manifests: &mut [Manifest]) {
    let roots: Vec<(String, Vec<Dependency>)> = manifests
        .iter()
        .filter(|m| m.kind == FileKind::CargoManifest && m.is_workspace_root)
        .map(|m| {
            (
                dir_of(&m.file).to_string(),
                m.workspace_dependencies.clone(),
            )
        })
        .collect();
    for m in manifests
        .iter_mut()
        .filter(|m| m.kind == FileKind::CargoManifest && !m.inherits_workspace.is_empty())
    {
        let dir = dir_of(&m.file).to_string();
        let Some((_, ws)) = ancestors(&dir)
            .into_iter()
            .find_map(|d| roots.iter().find(|(rd, _)| rd == d))
        else {
            m.problems.push(Problem {
                severity: ProblemSeverity::Warning,
                at: SourceLoc::file_start(&m.file),
                message: "dependencies say `workspace = true` but no workspace root \
                          Cargo.toml was found above this one"
                    .to_string(),
            });
            continue;
        };
        for &i in &m.inherits_workspace {
            let Some(d) = m.dependencies.get_mut(i) else {
                continue;
            };
            let key = normalize_name(
                Ecosystem::Cargo,
                d.alias.as_deref().unwrap_or(&d.display_name),
            );
            let Some(w) = ws.iter().find(|w| {
                normalize_name(
                    Ecosystem::Cargo,
                    w.alias.as_deref().unwrap_or(&w.display_name),
                ) == key
            }) else {
                continue;
            };
            d.requirement.clone_from(&w.requirement);
            d.name.clone_from(&w.name);
            d.display_name.clone_from(&w.display_name);
            if w.alias.is_some() {
                d.alias.clone_from(&w.alias);
            }
            if let DepSource::Path(p) = &w.source {
                d.source = DepSource::Path(p.clone());
            } else {
                d.source = w.source.clone();
            }
            let mut features = w.features.clone();
            for f in &d.features {
                if !features.contains(f) {
                    features.push(f.clone());
                }
            }
            d.features = features;
        }
    }
}

/// Among packages named like `dep`, the one the lockfile resolves for it.
fn resolve_locked(
    lock: &Lockfile,
    project: Option<&str>,
    importer: &str,
    dep: &Dependency,
) -> Option<usize> {
    let by_name = |name: &str, version: Option<&str>| -> Vec<usize> {
        lock.packages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.name == name && version.is_none_or(|v| p.version == v))
            .map(|(i, _)| i)
            .collect()
    };
    let pick = |cands: Vec<usize>| -> Option<usize> {
        if cands.len() <= 1 {
            return cands.first().copied();
        }
        // Several versions: the highest one that satisfies the requirement, else the first.
        let req = dep.requirement.as_deref().unwrap_or("");
        let ok: Vec<usize> = cands
            .iter()
            .copied()
            .filter(|&i| {
                crate::range::satisfies(lock.ecosystem, req, &lock.packages[i].version)
                    .unwrap_or(false)
            })
            .collect();
        ok.last().or(cands.first()).copied()
    };
    let install_key = dep.alias.as_deref().unwrap_or(&dep.display_name);
    match lock.kind {
        FileKind::CargoLock | FileKind::UvLock => {
            // The member's own entry says which version of each dependency it uses.
            if let Some(project) = project {
                let pname = normalize_name(lock.ecosystem, project);
                let member = lock
                    .packages
                    .iter()
                    .find(|p| p.name == pname && p.source.is_local());
                if let Some(r) =
                    member.and_then(|m| m.dependencies.iter().find(|r| r.name == dep.name))
                {
                    let found = pick(by_name(&dep.name, r.version.as_deref()));
                    if found.is_some() {
                        return found;
                    }
                }
            }
            pick(by_name(&dep.name, None))
        }
        FileKind::PackageLock => {
            let paths = if importer == "." {
                vec![format!("node_modules/{install_key}")]
            } else {
                vec![
                    format!("{importer}/node_modules/{install_key}"),
                    format!("node_modules/{install_key}"),
                ]
            };
            for p in paths {
                if let Some(i) = lock
                    .packages
                    .iter()
                    .position(|x| x.install_path.as_deref() == Some(p.as_str()))
                {
                    return Some(i);
                }
            }
            None
        }
        FileKind::PnpmLock => {
            let imp = lock.importers.iter().find(|i| i.path == importer)?;
            let key = normalize_name(lock.ecosystem, install_key);
            let entry = imp.dependencies.iter().find(|d| d.name == key)?;
            let (name, version) = match entry.version.rfind('@') {
                Some(at) if at > 0 => {
                    let (n, v) = entry.version.split_at(at);
                    (
                        normalize_name(lock.ecosystem, n),
                        v.trim_start_matches('@').to_string(),
                    )
                }
                _ => (dep.name.clone(), entry.version.clone()),
            };
            pick(by_name(&name, Some(&version)))
        }
        FileKind::YarnLock => {
            let req = dep.requirement.as_deref().unwrap_or("");
            let wanted = [
                format!("{install_key}@{req}"),
                format!("{install_key}@npm:{req}"),
                format!("{install_key}@npm:{}@{req}", dep.display_name),
            ];
            lock.packages
                .iter()
                .position(|p| p.specs.iter().any(|s| wanted.contains(s)))
                .or_else(|| pick(by_name(&dep.name, None)))
        }
        _ => pick(by_name(&dep.name, None)),
    }
}

fn sort_facts(facts: &mut RepoFacts) {
    let key = |l: &SourceLoc| (l.file.clone(), l.line, l.column);
    facts
        .dependencies
        .sort_by(|a, b| (key(&a.declared_at), &a.name).cmp(&(key(&b.declared_at), &b.name)));
    facts.openapi.sort_by(|a, b| a.file.cmp(&b.file));
    facts
        .routes
        .sort_by(|a, b| (key(&a.at), &a.method).cmp(&(key(&b.at), &b.method)));
    facts.problems.sort_by_key(|p| key(&p.at));
    facts.files.sort();
    facts.files.dedup();
}

/// The locked packages of a lockfile that match a name, for callers that parse lockfiles
/// themselves.
pub fn packages_named<'a>(
    lock: &'a Lockfile,
    name: &str,
) -> impl Iterator<Item = &'a LockedPackage> {
    let n = normalize_name(lock.ecosystem, name);
    lock.packages.iter().filter(move |p| p.name == n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick look spares the walk only where the walk finds nothing, and then the facts
    /// are the same as the walk's. Each folder below is a case for `surely_nothing_to_read`.
    #[test]
    fn a_quick_look_spares_only_walks_that_find_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let put = |rel: &str, text: &str| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        // (folder, whether the quick look may spare its walk)
        let cases: [(&str, bool); 11] = [
            ("docs-only", true),
            ("docs-and-notes", true),
            ("code", false),
            ("hidden-code", false),
            ("whitelisted-hidden", false),
            ("vendored", true),
            ("nested-skipped", true),
            ("requirements-dir", false),
            ("deep", false),
            ("empty", true),
            ("excluded-openapi", false),
        ];
        put("docs-only/docs/SPEC.md", "# Spec\n");
        put("docs-only/docs/PRD.md", "# PRD\n");
        put("docs-and-notes/README.md", "# Readme\n");
        put("docs-and-notes/notes/todo.txt", "later\n");
        put("docs-and-notes/docs/SPEC.md", "# Spec\n");
        put("code/docs/SPEC.md", "# Spec\n");
        put(
            "code/src/app/package.json",
            r#"{"dependencies": {"left-pad": "1.0.0"}}"#,
        );
        put("hidden-code/.tools/requirements.txt", "flask==3.0\n");
        put("whitelisted-hidden/.gitignore", "!.config/\n");
        put(
            "whitelisted-hidden/.config/requirements.txt",
            "flask==3.0\n",
        );
        put("vendored/node_modules/x/package.json", "{}");
        put("vendored/target/debug/Cargo.toml", "[package]\n");
        put("vendored/docs/SPEC.md", "# Spec\n");
        put(
            "nested-skipped/inner/Cargo.toml",
            "[package]\nname = \"inner\"\n",
        );
        put("requirements-dir/requirements/base.txt", "flask==3.0\n");
        let mut deep = String::from("deep");
        for i in 0..LOOK_BUDGET + 2 {
            deep.push_str(&format!("/d{i}"));
        }
        put(&format!("{deep}/notes.md"), "deep\n");
        std::fs::create_dir_all(dir.path().join("empty")).unwrap();
        put("excluded-openapi/api/openapi.yaml", "openapi: 3.0.0\n");
        #[cfg(unix)]
        {
            put("outside/package.json", "{}");
            std::os::unix::fs::symlink(
                dir.path().join("outside/package.json"),
                dir.path().join("docs-only/package.json"),
            )
            .unwrap();
        }

        let plain = ScanOptions::default();
        let nested = ScanOptions {
            skip: vec![PathBuf::from("inner")],
            ..ScanOptions::default()
        };
        let excluding = ScanOptions {
            exclude: ExcludeSet::new(&["api/**".into()]).into(),
            ..ScanOptions::default()
        };
        let folders: Vec<(PathBuf, &ScanOptions)> = cases
            .iter()
            .map(|(name, _)| {
                let opts = match *name {
                    "nested-skipped" => &nested,
                    "excluded-openapi" => &excluding,
                    _ => &plain,
                };
                (dir.path().join(name), opts)
            })
            .collect();
        for ((path, opts), (name, spared)) in folders.iter().zip(cases) {
            assert_eq!(surely_nothing_to_read(path, opts), spared, "{name}");
        }
        let pairs: Vec<(&Path, &ScanOptions)> =
            folders.iter().map(|(p, o)| (p.as_path(), *o)).collect();
        let looked = scan_many_with(&pairs, true);
        let walked = scan_many_with(&pairs, false);
        for ((name, _), (looked, walked)) in cases.iter().zip(looked.iter().zip(&walked)) {
            assert_eq!(looked, walked, "{name}");
        }
        // The walk agrees that the spared folders hold nothing, and finds the code elsewhere.
        let deps = |i: usize| walked[i].dependencies.len();
        assert_eq!(deps(0) + deps(1) + deps(5) + deps(6) + deps(9), 0);
        assert!(deps(2) > 0 && deps(4) > 0 && deps(7) > 0);
    }

    /// `ExcludeSet` replaced an `ignore` override built per scan from `!glob` lines: for every
    /// glob and path below, both must leave out the same paths.
    #[test]
    fn exclude_set_leaves_out_what_an_override_did() {
        let globs = [
            "**/tests/fixtures/**",
            "target",
            "node_modules",
            ".git",
            "/anchored",
            "dir/",
            "*.lock",
            "src/**/gen_*.rs",
            "a[bc]d",
            "!negated",
            "\\!bang",
            "nested/path",
            "ünï/*.md",
        ];
        let paths = [
            "target",
            "src/target",
            "tests/fixtures/x/Cargo.toml",
            "crates/a/tests/fixtures/y/package.json",
            "tests/fixture/z",
            "anchored",
            "sub/anchored",
            "dir",
            "sub/dir",
            "Cargo.lock",
            "deep/yarn.lock",
            "src/a/b/gen_x.rs",
            "src/gen_y.rs",
            "abd",
            "aed",
            "negated",
            "!negated",
            "!bang",
            "nested/path",
            "x/nested/path",
            "ünï/a.md",
            ".git",
            "node_modules/pkg/package.json",
        ];
        let root = Path::new("/some/folder");
        for n in 0..=globs.len() {
            let chosen: Vec<String> = globs[..n].iter().map(|g| g.to_string()).collect();
            let set = ExcludeSet::new(&chosen);
            let mut ob = ignore::overrides::OverrideBuilder::new(root);
            for g in &chosen {
                let _ = ob.add(&format!("!{g}"));
            }
            let ov = ob.build().unwrap();
            for p in paths {
                for is_dir in [false, true] {
                    assert_eq!(
                        set.excludes(Path::new(p), is_dir),
                        ov.matched(root.join(p), is_dir).is_ignore(),
                        "{p} (dir: {is_dir}) with {chosen:?}"
                    );
                }
            }
        }
        let bad = ExcludeSet::new(&["ok".into(), "[unclosed".into()]);
        assert_eq!(bad.problems.len(), 1);
        assert!(
            bad.problems[0]
                .message
                .contains("`[unclosed` is not a valid glob")
        );
        assert!(bad.excludes(Path::new("ok"), false));
    }

    #[test]
    fn skipped_folders_are_paths_not_globs() {
        let tmp = tempfile::tempdir().unwrap();
        for dir in ["a[1]", "a1", "keep"] {
            std::fs::create_dir_all(tmp.path().join(dir)).unwrap();
            std::fs::write(tmp.path().join(dir).join("go.mod"), "module x\n\ngo 1.22\n").unwrap();
        }
        let facts = scan(
            tmp.path(),
            &ScanOptions {
                skip: vec![PathBuf::from("a[1]")],
                ..ScanOptions::default()
            },
        );
        let mut seen: Vec<&str> = facts.files.iter().map(|f| f.path.as_str()).collect();
        seen.sort();
        assert_eq!(seen, ["a1/go.mod", "keep/go.mod"]);
    }

    #[test]
    fn paths() {
        assert_eq!(resolve_relative("a/b/req.txt", "../c.txt"), "a/c.txt");
        assert_eq!(resolve_relative("req.txt", "./base.txt"), "base.txt");
        assert_eq!(ancestors("a/b"), vec!["a/b", "a", ""]);
        assert_eq!(relative_dir("", "packages/x"), "packages/x");
        assert_eq!(relative_dir("a", "a"), ".");
    }

    #[test]
    fn classification() {
        let o = ScanOptions::default();
        assert_eq!(
            classify("x/Cargo.toml", &o),
            Some(Candidate::File(FileKind::CargoManifest))
        );
        assert_eq!(
            classify("requirements/dev.txt", &o),
            Some(Candidate::File(FileKind::Requirements))
        );
        assert_eq!(
            classify("dev-requirements.in", &o),
            Some(Candidate::File(FileKind::Requirements))
        );
        assert_eq!(classify("notes.txt", &o), None);
        assert_eq!(classify("db/1.down.sql", &o), None);
        assert_eq!(
            classify("api/openapi.yaml", &o),
            Some(Candidate::MaybeOpenApi)
        );
        assert_eq!(classify("src/main.rs", &o), Some(Candidate::Source));
    }
}
