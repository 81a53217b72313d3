//! Helpers shared by the drift rules (DEP, STK, API, DAT010+): the code facts of the context,
//! name keys per ecosystem, the approvals of TECH_STACK and SPEC, route and table matching.

use std::collections::{HashMap, HashSet};

use mesh_deps::{
    ApiOperation, CodeRoute, Dependency, Ecosystem, OpenApiDoc, Problem, RepoFacts, SqlTable,
};
use mesh_docs::spec::{Endpoint, Entity};
use mesh_docs::{DocKind, Document, Spec, TechStack};

use crate::context::{Context, loc};
use crate::diagnostic::Location;

pub(crate) use crate::code::location as code_loc;

/// The code facts, when the code was read.
pub(crate) fn facts<'a>(ctx: &Context<'a>) -> Option<&'a RepoFacts> {
    ctx.code
}

/// The code facts when they hold dependencies. Without any, the dependency rules have nothing
/// to compare (a project whose documents come before its code) and skip building their indexes.
pub(crate) fn dependency_facts<'a>(ctx: &Context<'a>) -> Option<&'a RepoFacts> {
    ctx.code.filter(|f| !f.dependencies.is_empty())
}

/// The code facts when a manifest or lockfile was read: without one, no stack is detected and
/// the stack rules have nothing to compare.
pub(crate) fn manifest_facts<'a>(ctx: &Context<'a>) -> Option<&'a RepoFacts> {
    ctx.code.filter(|f| has_manifests(f))
}

/// SPEC's document and typed value.
pub(crate) fn spec<'a>(ctx: &'a Context<'_>) -> Option<(&'a Document, &'a Spec)> {
    ctx.doc(DocKind::Spec).zip(ctx.docs.spec.as_ref())
}

/// TECH_STACK's document and typed value.
pub(crate) fn tech_stack<'a>(ctx: &'a Context<'_>) -> Option<(&'a Document, &'a TechStack)> {
    ctx.doc(DocKind::TechStack).zip(ctx.docs.tech_stack())
}

/// Whether a manifest or lockfile of some ecosystem was read.
pub(crate) fn has_manifests(facts: &RepoFacts) -> bool {
    facts.files.iter().any(|f| f.kind.ecosystem().is_some())
}

/// The first manifest read (for a related location when nothing better exists).
pub(crate) fn first_manifest(facts: &RepoFacts) -> Option<Location> {
    facts
        .files
        .iter()
        .find(|f| f.kind.ecosystem().is_some() && !f.kind.is_lockfile())
        .or_else(|| facts.files.iter().find(|f| f.kind.ecosystem().is_some()))
        .map(|f| Location::file(f.path.clone()))
}

/// The ecosystem of a TECH_STACK approved list (`python`, `npm`, `cargo`, `go`); `None` for
/// lists whose heading names none of them.
pub(crate) fn list_ecosystem(name: &str) -> Option<Ecosystem> {
    match name {
        "other" | "composer" | "" => None,
        other => Ecosystem::parse(other),
    }
}

/// The key under which a package name is compared in `eco`: the normalized name, and for Go
/// the module path without its `/vN` suffix.
pub(crate) fn key(eco: Ecosystem, name: &str) -> String {
    let n = mesh_deps::normalize_name(eco, name);
    if eco == Ecosystem::Go {
        mesh_deps::go_module_base(&n).to_string()
    } else {
        n
    }
}

/// A third-party dependency the project declares itself (not its own path or workspace code).
pub(crate) fn third_party_direct(d: &Dependency) -> bool {
    d.direct && !d.source.is_local()
}

/// Dependencies grouped by ecosystem and name, in file order: the first declaration of each
/// package and the others.
pub(crate) fn grouped<'a>(
    deps: impl Iterator<Item = &'a Dependency>,
) -> Vec<(&'a Dependency, Vec<&'a Dependency>)> {
    let mut index: HashMap<(Ecosystem, String), usize> = HashMap::new();
    let mut out: Vec<(&Dependency, Vec<&Dependency>)> = Vec::new();
    for d in deps {
        match index.get(&(d.ecosystem, key(d.ecosystem, &d.name))) {
            Some(&i) => out[i].1.push(d),
            None => {
                index.insert((d.ecosystem, key(d.ecosystem, &d.name)), out.len());
                out.push((d, Vec::new()));
            }
        }
    }
    out
}

/// At most this many "also declared here" related locations per diagnostic.
pub(crate) const MAX_RELATED: usize = 5;

/// Add "also declared here" related locations for the other declarations of a package.
pub(crate) fn also_declared(
    mut d: crate::diagnostic::Diagnostic,
    others: &[&Dependency],
) -> crate::diagnostic::Diagnostic {
    for o in others.iter().take(MAX_RELATED) {
        d = d.with_related(code_loc(&o.declared_at), "also declared here");
    }
    if others.len() > MAX_RELATED {
        d.message
            .push_str(&format!(" (declared in {} places)", others.len() + 1));
    }
    d
}

/// A package name as a person reads it: `serde` (cargo).
pub(crate) fn shown(d: &Dependency) -> String {
    format!("`{}` ({})", d.display_name, d.ecosystem)
}

// ---------------------------------------------------------------------------------------------
// Approvals

/// Where a package is approved.
pub(crate) struct Approvals {
    /// (ecosystem, key) → approved; an entry whose ecosystem is unknown is keyed in all four.
    keys: HashSet<(Ecosystem, String)>,
}

impl Approvals {
    /// TECH_STACK's approved lists and its choice tables, and SPEC's Third-Party Libraries.
    /// `None` when neither document approves anything: then nothing is compared.
    pub(crate) fn of(ctx: &Context<'_>) -> Option<Approvals> {
        let ts = ctx.docs.tech_stack();
        let libs = ctx
            .docs
            .spec
            .as_ref()
            .map(|s| &s.libraries[..])
            .unwrap_or(&[]);
        let approved = ts.map(|t| &t.approved[..]).unwrap_or(&[]);
        if approved.is_empty() && libs.is_empty() {
            return None;
        }
        let mut keys = HashSet::new();
        let mut add = |eco: Option<Ecosystem>, name: &str| match eco {
            Some(e) => {
                keys.insert((e, key(e, name)));
            }
            None => {
                for e in Ecosystem::ALL {
                    keys.insert((e, key(e, name)));
                }
            }
        };
        for a in approved {
            let eco = list_ecosystem(&a.ecosystem);
            let name = eco
                .and_then(|e| mesh_deps::parse_requirement(e, &a.requirement))
                .map(|r| r.name)
                .unwrap_or_else(|| a.name.clone());
            add(eco, &name);
        }
        for l in libs {
            add(None, &l.name);
        }
        if let Some(ts) = ts {
            for c in &ts.choices {
                for word in c
                    .choice
                    .split(|ch: char| {
                        ch.is_whitespace() || matches!(ch, ',' | '+' | '(' | ')' | ';')
                    })
                    .map(|w| w.trim_matches(|ch: char| matches!(ch, '`' | '*' | '.' | ':')))
                    .filter(|w| !w.is_empty())
                {
                    add(None, word);
                }
            }
        }
        Some(Approvals { keys })
    }

    pub(crate) fn approves(&self, d: &Dependency) -> bool {
        self.keys
            .contains(&(d.ecosystem, key(d.ecosystem, &d.name)))
            || d.alias
                .as_ref()
                .is_some_and(|a| self.keys.contains(&(d.ecosystem, key(d.ecosystem, a))))
    }
}

/// The first approved line of `eco`'s list in TECH_STACK (else of any list), for a related
/// location.
pub(crate) fn approved_list_location(ctx: &Context<'_>, eco: Ecosystem) -> Option<Location> {
    let (doc, ts) = tech_stack(ctx)?;
    let a = ts
        .approved
        .iter()
        .find(|a| list_ecosystem(&a.ecosystem) == Some(eco))
        .or_else(|| ts.approved.first())?;
    Some(loc(doc, a.span))
}

// ---------------------------------------------------------------------------------------------
// Scan problems

/// The rule group a scan problem belongs to, by its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProblemArea {
    Dependencies,
    OpenApi,
    Migrations,
}

pub(crate) fn problem_area(p: &Problem) -> ProblemArea {
    let file = p.at.file.rsplit('/').next().unwrap_or(&p.at.file);
    let lower = file.to_ascii_lowercase();
    const DEP_FILES: [&str; 11] = [
        "cargo.toml",
        "cargo.lock",
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "pnpm-lock.yaml",
        "yarn.lock",
        "pyproject.toml",
        "uv.lock",
        "poetry.lock",
        "go.mod",
    ];
    if DEP_FILES.contains(&lower.as_str()) || lower.contains("requirements") {
        ProblemArea::Dependencies
    } else if lower.ends_with(".sql") {
        ProblemArea::Migrations
    } else if lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json") {
        ProblemArea::OpenApi
    } else {
        ProblemArea::Dependencies
    }
}

/// Report the scan problems of one area (whole files, and skipped parts such as one
/// requirement line or one table statement).
pub(crate) fn report_problems(
    facts: &RepoFacts,
    area: ProblemArea,
    diag: impl Fn(Location, String) -> crate::diagnostic::Diagnostic,
    help: &str,
    out: &mut Vec<crate::diagnostic::Diagnostic>,
) {
    for p in facts.problems.iter().filter(|p| problem_area(p) == area) {
        out.push(diag(code_loc(&p.at), p.message.clone()).with_help(help));
    }
}

// ---------------------------------------------------------------------------------------------
// Endpoints and routes

/// `GET /users/{}`: a method and a normalized path.
pub(crate) type RouteKey = (String, String);

pub(crate) fn endpoint_key(e: &Endpoint) -> RouteKey {
    (
        e.method.to_ascii_uppercase(),
        mesh_deps::normalize_route_path(&e.path),
    )
}

/// The server path prefixes of every OpenAPI document (`/api/v1`), normalized, without `/`.
pub(crate) fn server_prefixes(facts: &RepoFacts) -> Vec<String> {
    let mut out: Vec<String> = facts
        .openapi
        .iter()
        .flat_map(|d| d.server_paths.iter())
        .map(|p| mesh_deps::normalize_route_path(p))
        .filter(|p| p != "/")
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The keys under which an OpenAPI operation may appear in SPEC: its path, and its path under
/// each of its document's server prefixes.
pub(crate) fn operation_keys(doc: &OpenApiDoc, op: &ApiOperation) -> Vec<RouteKey> {
    let mut keys = vec![(op.method.clone(), op.path.clone())];
    for sp in &doc.server_paths {
        let full = mesh_deps::normalize_route_path(&format!("{sp}/{}", op.path));
        if full != op.path {
            keys.push((op.method.clone(), full));
        }
    }
    keys
}

/// Whether a route (method `ANY` for every method) serves `key`.
pub(crate) fn route_serves(route: &CodeRoute, key: &RouteKey) -> bool {
    route.path == key.1 && (route.method == key.0 || route.method == "ANY")
}

/// The first path segment of a normalized path (`/api/tasks` → `api`).
pub(crate) fn first_segment(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

/// Whether a code route belongs to the API that SPEC describes: not the root page, not a
/// static file (a last segment with an extension), and under the first path segment that all
/// SPEC endpoints share, when they share one (`/api`).
pub(crate) fn route_in_api_scope(route: &CodeRoute, spec_paths: &[String]) -> bool {
    if route.path == "/" {
        return false;
    }
    let last = route.path.rsplit('/').next().unwrap_or("");
    if last.contains('.') && !last.starts_with('{') {
        return false;
    }
    let mut firsts = spec_paths.iter().map(|p| first_segment(p));
    match firsts.next() {
        Some(f) if !f.is_empty() && !f.starts_with('{') && firsts.all(|g| g == f) => {
            first_segment(&route.path) == f
        }
        _ => true,
    }
}

/// SPEC's endpoints with their keys.
pub(crate) fn spec_endpoints(spec: &Spec) -> Vec<(&Endpoint, RouteKey)> {
    spec.endpoints
        .iter()
        .map(|e| (e, endpoint_key(e)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Entities and tables

/// A fast key for entity ↔ table matching (snake case, last word singular, no `_`); the full
/// [`mesh_deps::entity_matches_table`] is the fallback.
pub(crate) fn name_key(name: &str) -> String {
    mesh_deps::entity_key(name).replace('_', "")
}

/// Entity ↔ table matching, indexed.
pub(crate) struct TableIndex<'a> {
    pub tables: &'a [SqlTable],
    by_key: HashMap<String, Vec<usize>>,
}

impl<'a> TableIndex<'a> {
    pub(crate) fn new(tables: &'a [SqlTable]) -> Self {
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, t) in tables.iter().enumerate() {
            by_key.entry(name_key(&t.name)).or_default().push(i);
        }
        TableIndex { tables, by_key }
    }

    /// The table of an entity.
    pub(crate) fn table_of(&self, entity: &str) -> Option<&'a SqlTable> {
        if let Some(i) = self.by_key.get(&name_key(entity)).and_then(|v| v.first()) {
            return self.tables.get(*i);
        }
        self.tables
            .iter()
            .find(|t| mesh_deps::entity_matches_table(entity, &t.name))
    }
}

/// Which entity each table belongs to: by [`name_key`] first; the full
/// [`mesh_deps::entity_matches_table`] only against the entities no table matched by key
/// (so a second table of an entity that already has one by key is not looked up again; it
/// costs one pass over few entities instead of tables × entities).
pub(crate) struct EntityIndex<'a> {
    entities: &'a [Entity],
    by_key: HashMap<String, usize>,
    unmatched: Vec<usize>,
}

impl<'a> EntityIndex<'a> {
    pub(crate) fn new(entities: &'a [Entity], tables: &[SqlTable]) -> Self {
        let mut by_key = HashMap::new();
        for (i, e) in entities.iter().enumerate() {
            by_key.entry(name_key(&e.name)).or_insert(i);
        }
        let table_keys: HashSet<String> = tables.iter().map(|t| name_key(&t.name)).collect();
        let unmatched = entities
            .iter()
            .enumerate()
            .filter(|(_, e)| !table_keys.contains(&name_key(&e.name)))
            .map(|(i, _)| i)
            .collect();
        EntityIndex {
            entities,
            by_key,
            unmatched,
        }
    }

    /// The entity of a table.
    pub(crate) fn entity_of(&self, table: &str) -> Option<&'a Entity> {
        if let Some(i) = self.by_key.get(&name_key(table)) {
            return self.entities.get(*i);
        }
        self.unmatched
            .iter()
            .filter_map(|i| self.entities.get(*i))
            .find(|e| mesh_deps::entity_matches_table(&e.name, table))
    }
}

/// Whether two table names denote the same table (quotes, schema and case ignored).
pub(crate) fn same_table(a: &str, b: &str) -> bool {
    let clean = |s: &str| -> String {
        let last = s.rsplit('.').next().unwrap_or(s);
        last.trim_matches(|c| matches!(c, '"' | '`' | '[' | ']'))
            .to_ascii_lowercase()
    };
    clean(a) == clean(b)
}
