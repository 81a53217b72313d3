//! The code beside each document root, read for the drift rules (DEP, STK, API, DAT010+), and
//! the stack comparison behind STK001, STK002 and `mesh check --explain-stack`.
//!
//! Each document root is compared with the code under its own folder, the folder that holds the
//! root: `docs` → the checked directory, `services/billing/docs` → `services/billing`. When the
//! checked directory is itself the document folder (`mesh check docs/`), its parent holds the
//! code, unless the folder has a project marker of its own (`.git`, `mesh.toml`, a manifest).
//!
//! A code folder is scanned once however many roots it holds, all folders are scanned in
//! parallel, and a code folder inside another one is left out of the outer scan, so that each
//! service is judged only by its own documents. `[code] exclude` (default
//! [`crate::config::DEFAULT_CODE_EXCLUDE`]) and `[openapi] paths` apply; paths in the facts are
//! rewritten to be relative to the checked directory, like the document paths.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use mesh_deps::{ExcludeSet, RepoFacts, ScanOptions, SourceLoc, StackFact, StackTable};
use mesh_docs::{DocKind, Document, Spec};

use crate::config::Config;
use crate::context::{Root, join_display, loc};
use crate::diagnostic::Location;
use crate::load::load_root;

/// Files and folders whose presence makes a folder a project of its own.
const PROJECT_MARKERS: [&str; 8] = [
    ".git",
    "mesh.toml",
    "Cargo.toml",
    "package.json",
    "pyproject.toml",
    "go.mod",
    "requirements.txt",
    "setup.py",
];

/// Stack categories where a project normally makes one choice, so a value in use that the
/// Hydration Contract does not name is drift (STK002). Test tools and API styles are often
/// combined (pytest with Playwright, GraphQL served by a REST framework), so they are not here.
pub const SINGLE_CHOICE_CATEGORIES: [&str; 2] = ["database", "auth"];

/// The folder holding a root's code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CodeFolder {
    pub dir: PathBuf,
    /// As shown to the user, relative to the checked directory (`.`, `services/billing`, `..`).
    pub display: String,
}

/// The code folder of `root` (see the module documentation).
pub fn code_folder(root: &Root) -> CodeFolder {
    let display = root.display.trim_end_matches('/');
    if display.is_empty() || display == "." {
        if PROJECT_MARKERS.iter().any(|m| root.dir.join(m).exists()) {
            return CodeFolder {
                dir: root.dir.clone(),
                display: ".".to_string(),
            };
        }
        return CodeFolder {
            dir: parent_dir(&root.dir),
            display: "..".to_string(),
        };
    }
    let parent = match display.rsplit_once('/') {
        Some(("", _)) => "/".to_string(),
        Some((p, _)) => p.to_string(),
        None => ".".to_string(),
    };
    CodeFolder {
        dir: parent_dir(&root.dir),
        display: parent,
    }
}

fn parent_dir(dir: &Path) -> PathBuf {
    match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() && dir.file_name().is_some() => p.to_path_buf(),
        Some(_) if dir.file_name().is_some() => PathBuf::from("."),
        _ => dir.join(".."),
    }
}

/// The checked directory, recovered from a root (its `dir` minus its `display` components).
fn base_of(root: &Root) -> Option<PathBuf> {
    let display = root.display.trim_end_matches('/');
    if display.starts_with('/') || display.split('/').any(|c| c == "..") {
        return None;
    }
    let mut base = root.dir.clone();
    for c in display
        .split('/')
        .rev()
        .filter(|c| !c.is_empty() && *c != ".")
    {
        if base.file_name().is_none_or(|n| n != c) {
            return None;
        }
        base.pop();
    }
    if base.as_os_str().is_empty() {
        base = PathBuf::from(".");
    }
    Some(base)
}

/// `path` relative to `dir` when it lies strictly inside it, compared component by component
/// (`.` components ignored).
fn inside(path: &Path, dir: &Path) -> Option<String> {
    fn norm(p: &Path) -> Vec<Component<'_>> {
        p.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect()
    }
    let (p, d) = (norm(path), norm(dir));
    if p.len() <= d.len() || p[..d.len()] != d[..] {
        return None;
    }
    Some(
        p[d.len()..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// Whether a root has a document the drift rules compare with the code.
fn compares_code(root: &Root) -> bool {
    [DocKind::Spec, DocKind::TechStack]
        .iter()
        .any(|k| root.dir.join(k.file_name()).is_file())
}

/// Rewrite every path of `facts` from folder-relative to checked-directory-relative.
fn show_paths(facts: &mut RepoFacts, prefix: &str) {
    if prefix.is_empty() || prefix == "." {
        return;
    }
    let fix = |s: &mut String| *s = join_display(prefix, s);
    let fix_loc = |l: &mut SourceLoc| l.file = join_display(prefix, &l.file);
    for d in &mut facts.dependencies {
        fix_loc(&mut d.declared_at);
        if let Some(l) = &mut d.locked_at {
            fix_loc(l);
        }
    }
    for doc in &mut facts.openapi {
        fix(&mut doc.file);
        for op in &mut doc.operations {
            fix_loc(&mut op.at);
        }
    }
    for r in &mut facts.routes {
        fix_loc(&mut r.at);
    }
    for t in &mut facts.tables {
        fix_loc(&mut t.at);
        for c in &mut t.columns {
            fix_loc(&mut c.at);
        }
        for f in &mut t.foreign_keys {
            fix_loc(&mut f.at);
        }
    }
    for f in &mut facts.files {
        fix(&mut f.path);
    }
    for p in &mut facts.problems {
        fix_loc(&mut p.at);
    }
}

/// The code facts of every root, each folder scanned once (in parallel).
#[derive(Debug, Default)]
pub struct CodeScans {
    folders: Vec<(CodeFolder, RepoFacts)>,
    by_root: Vec<Option<usize>>,
}

impl CodeScans {
    /// The facts for the `i`-th root given to [`scan_roots`]; `None` when its code was not read
    /// (the root has neither SPEC.md nor TECH_STACK.md).
    pub fn for_root(&self, i: usize) -> Option<&RepoFacts> {
        let f = (*self.by_root.get(i)?)?;
        self.folders.get(f).map(|(_, facts)| facts)
    }

    /// The folder and facts for the `i`-th root.
    pub fn folder_of(&self, i: usize) -> Option<&CodeFolder> {
        let f = (*self.by_root.get(i)?)?;
        self.folders.get(f).map(|(folder, _)| folder)
    }
}

/// Scan the code folder of every root that has a SPEC.md or TECH_STACK.md, once per folder, in
/// parallel. Nothing is read when `[code] scan = false`.
pub fn scan_roots(roots: &[Root], config: &Config) -> CodeScans {
    let mut scans = CodeScans {
        folders: Vec::new(),
        by_root: vec![None; roots.len()],
    };
    if !config.code.scan {
        return scans;
    }
    let mut index: HashMap<PathBuf, usize> = HashMap::new();
    let mut folders: Vec<CodeFolder> = Vec::new();
    for (i, root) in roots.iter().enumerate() {
        if !compares_code(root) {
            continue;
        }
        let folder = code_folder(root);
        let n = *index.entry(folder.dir.clone()).or_insert_with(|| {
            folders.push(folder);
            folders.len() - 1
        });
        scans.by_root[i] = Some(n);
    }
    let base = roots.iter().find_map(base_of);
    let all_dirs: Vec<PathBuf> = folders.iter().map(|f| f.dir.clone()).collect();
    let nested = nested_folders(&all_dirs);
    // One compiled set for every folder: compiling it per folder was a fifth of the scan.
    let exclude = Arc::new(ExcludeSet::new(&config.code.exclude));
    let options: Vec<ScanOptions> = folders
        .par_iter()
        .zip(nested)
        .map(|(folder, nested)| {
            let nested: Vec<&Path> = nested.iter().map(|&j| all_dirs[j].as_path()).collect();
            scan_options(folder, config, &exclude, base.as_deref(), &nested)
        })
        .collect();
    // One walk for many folders: roots come sorted, so sibling folders are neighbours and share
    // the reading of their ancestors' ignore files (see `mesh_deps::scan_many`).
    let pairs: Vec<(&Path, &ScanOptions)> = folders
        .iter()
        .map(|f| f.dir.as_path())
        .zip(&options)
        .collect();
    let mut all = mesh_deps::scan_many(&pairs);
    all.par_iter_mut()
        .zip(&folders)
        .for_each(|(facts, folder)| show_paths(facts, &folder.display));
    scans.folders = folders.into_iter().zip(all).collect();
    scans
}

/// For each of `dirs`, the indices (ascending) of the other dirs that lie strictly inside it.
///
/// The dirs are normalised once and sorted by components: the dirs inside a dir then follow it
/// as one run, so this costs O(n log n) plus the output, where testing every pair cost
/// n² `inside` calls (2,000 roots: a quarter of `mesh check`'s CPU).
fn nested_folders(dirs: &[PathBuf]) -> Vec<Vec<usize>> {
    let norm: Vec<PathBuf> = dirs
        .iter()
        .map(|d| {
            d.components()
                .filter(|c| !matches!(c, Component::CurDir))
                .collect()
        })
        .collect();
    let mut order: Vec<usize> = (0..dirs.len()).collect();
    order.sort_by(|&a, &b| norm[a].cmp(&norm[b]));
    let mut out = vec![Vec::new(); dirs.len()];
    for (pos, &i) in order.iter().enumerate() {
        let outer = &norm[i];
        for &j in &order[pos + 1..] {
            if !norm[j].starts_with(outer) {
                break;
            }
            if norm[j] != *outer {
                out[i].push(j);
            }
        }
        out[i].sort_unstable();
    }
    out
}

/// How to scan one code folder: the shared `[code] exclude`, the code folders inside it (`nested`)
/// left out, the `[openapi] paths` (relative to `base`) that lie in it read as OpenAPI documents.
fn scan_options(
    folder: &CodeFolder,
    config: &Config,
    exclude: &Arc<ExcludeSet>,
    base: Option<&Path>,
    nested: &[&Path],
) -> ScanOptions {
    let skip = nested
        .iter()
        .filter_map(|g| inside(g, &folder.dir))
        .map(PathBuf::from)
        .collect();
    let openapi_files = match base {
        Some(base) => config
            .openapi
            .paths
            .iter()
            .map(|p| base.join(p))
            .filter(|p| !nested.iter().any(|g| inside(p, g).is_some()))
            .filter_map(|p| inside(&p, &folder.dir).map(PathBuf::from))
            .collect(),
        None => Vec::new(),
    };
    ScanOptions {
        openapi_files,
        exclude: Arc::clone(exclude),
        skip,
        ..ScanOptions::default()
    }
}

/// The location of a code fact.
pub fn location(l: &SourceLoc) -> Location {
    let mut loc = Location::new(l.file.clone(), l.line, l.column);
    if l.byte_range.end > l.byte_range.start {
        loc.byte_range = Some(l.byte_range.clone());
    }
    loc
}

// ---------------------------------------------------------------------------------------------
// The stack: the Hydration Contract against what the code uses.

/// What SPEC's Hydration Contract says for one stack category.
#[derive(Debug, Clone, Serialize)]
pub struct ContractClaim {
    /// The field as the contract names it (`Database`, `API Style`).
    pub label: &'static str,
    /// The value as written.
    pub text: String,
    /// `false` while the value is still a template option list, hint or placeholder.
    pub filled: bool,
    pub location: Location,
    /// The table's values the text names (`PostgreSQL 16` → `postgres`); empty when unfilled.
    pub values: Vec<String>,
}

/// One category of the stack table, compared.
#[derive(Debug, Clone, Serialize)]
pub struct StackCategory {
    pub category: String,
    /// The contract field of the same name (`database`, `auth`, `api_style`, `testing`, and
    /// `runtime`, `error_format`, `logging` for tables that add those categories).
    pub contract: Option<ContractClaim>,
    /// What the code shows, with evidence.
    pub detected: Vec<StackFact>,
    /// Declared values with no evidence (STK001).
    pub missing: Vec<String>,
    /// Values in use at run time that a filled field naming other values leaves out (STK002);
    /// only for [`SINGLE_CHOICE_CATEGORIES`], and only when no declared value is missing.
    pub undeclared: Vec<String>,
}

/// Compare SPEC's Hydration Contract with the stack detected in `facts`, category by category
/// (table order). Without manifests or lockfiles there is nothing to compare: no category has
/// missing or undeclared values.
pub fn compare_stack(
    spec: Option<(&Document, &Spec)>,
    facts: &RepoFacts,
    table: &StackTable,
) -> Vec<StackCategory> {
    let detected = mesh_deps::detect_stack_with(facts, table);
    let has_code = facts.files.iter().any(|f| f.kind.ecosystem().is_some());
    table
        .categories()
        .into_iter()
        .map(|category| {
            let contract = spec.and_then(|(doc, spec)| {
                let (_, label, field) = spec
                    .contract
                    .fields()
                    .into_iter()
                    .find(|(name, _, _)| *name == category)?;
                let field = field?;
                let filled = field.value.is_some();
                let values = match &field.value {
                    Some(v) => table
                        .values_mentioned(category, v)
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                    None => Vec::new(),
                };
                Some(ContractClaim {
                    label,
                    text: field.raw.trim().to_string(),
                    filled,
                    location: loc(doc, field.span),
                    values,
                })
            });
            let found: Vec<StackFact> = detected
                .iter()
                .filter(|f| f.category == category)
                .cloned()
                .collect();
            let mut missing = Vec::new();
            let mut undeclared = Vec::new();
            if let Some(c) = contract.as_ref().filter(|c| has_code && c.filled) {
                missing = c
                    .values
                    .iter()
                    .filter(|v| !found.iter().any(|f| &f.value == *v))
                    .cloned()
                    .collect();
                // When a declared value is missing, STK001 already names what is used instead.
                if missing.is_empty()
                    && !c.values.is_empty()
                    && SINGLE_CHOICE_CATEGORIES.contains(&category)
                {
                    undeclared = found
                        .iter()
                        .filter(|f| !c.values.contains(&f.value))
                        .filter(|f| runtime_evidence(f).is_some())
                        .map(|f| f.value.clone())
                        .collect();
                }
            }
            StackCategory {
                category: category.to_string(),
                contract,
                detected: found,
                missing,
                undeclared,
            }
        })
        .collect()
}

/// The first evidence of a fact that is not development-only.
pub fn runtime_evidence(fact: &StackFact) -> Option<&mesh_deps::StackEvidence> {
    fact.evidence
        .iter()
        .find(|e| e.kind.is_none_or(|k| !k.is_dev()))
}

fn evidence_text(e: &mesh_deps::StackEvidence) -> String {
    let dev = if e.kind.is_some_and(|k| k.is_dev()) {
        " (dev)"
    } else {
        ""
    };
    format!("{}{} at {}:{}", e.package, dev, e.at.file, e.at.line)
}

/// `mesh check --explain-stack`: for every root with a SPEC.md or TECH_STACK.md, what the
/// Hydration Contract says per stack category, what was detected in the code and from which
/// file and line, and what STK001/STK002 conclude.
pub fn explain_stack(roots: &[Root], config: &Config) -> String {
    let scans = scan_roots(roots, config);
    let table = config.code.stack_table();
    let mut out = String::new();
    let extra = config.code.stack.entries.len();
    let _ = writeln!(
        out,
        "Stack table: built-in (crates/mesh-deps/src/stack.toml, {} rows){}",
        StackTable::builtin().entries.len(),
        if extra > 0 {
            format!(" + {extra} rows from [[code.stack]] in mesh.toml")
        } else {
            String::new()
        }
    );
    if !config.code.scan {
        out.push_str("The code is not read: [code] scan = false in mesh.toml.\n");
        return out;
    }
    let mut shown = 0;
    for (i, root) in roots.iter().enumerate() {
        let (Some(facts), Some(folder)) = (scans.for_root(i), scans.folder_of(i)) else {
            continue;
        };
        shown += 1;
        let loaded = load_root(root);
        let spec = loaded
            .docs
            .get(DocKind::Spec)
            .zip(loaded.docs.spec.as_ref());
        let manifests = facts
            .files
            .iter()
            .filter(|f| f.kind.ecosystem().is_some())
            .count();
        let _ = writeln!(
            out,
            "\n{} (code in {}: {} manifests and lockfiles, {} OpenAPI documents, {} SQL tables)",
            root.display,
            folder.display,
            manifests,
            facts.openapi.len(),
            facts.tables.len()
        );
        if spec.is_none() {
            let _ = writeln!(
                out,
                "  no SPEC.md: there is no Hydration Contract to compare"
            );
        }
        for cat in compare_stack(spec, facts, &table) {
            let _ = writeln!(out, "  {}", cat.category);
            match &cat.contract {
                Some(c) if c.filled => {
                    let named = if c.values.is_empty() {
                        "names no value of the table; not compared".to_string()
                    } else {
                        format!("names {}", c.values.join(", "))
                    };
                    let _ = writeln!(
                        out,
                        "    contract  {}:{}  {}: {}  ({named})",
                        c.location.file, c.location.line, c.label, c.text
                    );
                }
                Some(c) => {
                    let _ = writeln!(
                        out,
                        "    contract  {}:{}  {}: {}  (unfilled; not compared)",
                        c.location.file, c.location.line, c.label, c.text
                    );
                }
                None => {
                    let _ = writeln!(out, "    contract  (no such field in SPEC)");
                }
            }
            if cat.detected.is_empty() {
                let _ = writeln!(out, "    detected  nothing");
            }
            for fact in &cat.detected {
                for (n, e) in fact.evidence.iter().enumerate() {
                    let head = if n == 0 { fact.value.as_str() } else { "" };
                    let _ = writeln!(out, "    detected  {head:<12} {}", evidence_text(e));
                }
            }
            for v in &cat.missing {
                let _ = writeln!(
                    out,
                    "    STK001    {v} is declared, but nothing in the code shows it"
                );
            }
            for v in &cat.undeclared {
                let _ = writeln!(
                    out,
                    "    STK002    {v} is used at run time, but the contract does not name it"
                );
            }
        }
    }
    if shown == 0 {
        out.push_str("\nNo document root has a SPEC.md or TECH_STACK.md: nothing to compare.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(dir: &str, display: &str) -> Root {
        Root {
            dir: PathBuf::from(dir),
            display: display.to_string(),
        }
    }

    #[test]
    fn the_folder_holding_a_root_holds_its_code() {
        let f = code_folder(&root("/p/docs", "docs"));
        assert_eq!((f.dir, f.display), (PathBuf::from("/p"), ".".to_string()));
        let f = code_folder(&root("/p/svc/a/docs", "svc/a/docs"));
        assert_eq!(
            (f.dir, f.display),
            (PathBuf::from("/p/svc/a"), "svc/a".to_string())
        );
        let f = code_folder(&root("docs", "docs"));
        assert_eq!(f.dir, PathBuf::from("."));
        // The checked directory is the document folder, without a project marker.
        let tmp = tempfile::tempdir().unwrap();
        let docs = tmp.path().join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        let f = code_folder(&Root {
            dir: docs.clone(),
            display: ".".into(),
        });
        assert_eq!(
            (f.dir, f.display.as_str()),
            (tmp.path().to_path_buf(), "..")
        );
        // With a marker, it is its own code folder.
        std::fs::write(docs.join("mesh.toml"), "").unwrap();
        let f = code_folder(&Root {
            dir: docs.clone(),
            display: ".".into(),
        });
        assert_eq!((f.dir, f.display.as_str()), (docs, "."));
    }

    #[test]
    fn base_and_inside() {
        assert_eq!(
            base_of(&root("/p/svc/a/docs", "svc/a/docs")),
            Some(PathBuf::from("/p"))
        );
        assert_eq!(base_of(&root("/p", ".")), Some(PathBuf::from("/p")));
        assert_eq!(base_of(&root("docs", "docs")), Some(PathBuf::from(".")));
        assert_eq!(base_of(&root("/p/x/docs", "y/docs")), None);
        assert_eq!(
            inside(Path::new("/p/./svc/a"), Path::new("/p")),
            Some("svc/a".to_string())
        );
        assert_eq!(inside(Path::new("/p"), Path::new("/p")), None);
        assert_eq!(inside(Path::new("/q/a"), Path::new("/p")), None);
    }

    #[test]
    fn nested_folders_match_testing_every_pair() {
        let dirs: Vec<PathBuf> = [
            "/m/b", "/m", "/m/a/x", "/m/./a", "/m/a", "/m/ab", "/m/a/x/y", "/n", ".", "./svc",
            "svc/k", "/m/a/",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let pairwise: Vec<Vec<usize>> = dirs
            .iter()
            .map(|d| {
                (0..dirs.len())
                    .filter(|&j| inside(&dirs[j], d).is_some())
                    .collect()
            })
            .collect();
        let fast = nested_folders(&dirs);
        assert_eq!(fast, pairwise);
        // `/m` holds everything under it, `/m/a` (three spellings) holds only its own subtree.
        assert_eq!(fast[1], vec![0, 2, 3, 4, 5, 6, 11]);
        assert_eq!(fast[4], vec![2, 6]);
        assert_eq!(fast[9], vec![10]);
    }
}
