//! Python: requirements files (with `-r`/`-c`, markers, hashes, editables), pyproject.toml
//! (PEP 621, PEP 735 dependency groups, uv, Poetry, PDM), uv.lock and poetry.lock.

use std::str::FromStr;

use pep508_rs::{Requirement, VersionOrUrl};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::cargo::{as_table, get_bool, get_str, parse_toml, str_list, table};
use crate::lock::{Include, IncludeKind, LockRef, LockedPackage, Lockfile, Manifest};
use crate::model::{DepKind, DepSource, Dependency, Ecosystem, FileKind, ParseError};
use crate::names::normalize_name;
use crate::text::{LineIndex, blank_bom};

const PYPI: Ecosystem = Ecosystem::PyPI;

/// True when a requirements file name says it is for development (`requirements-dev.txt`,
/// `dev-requirements.txt`, `requirements/test.txt`, `requirements_docs.in`, …).
pub fn is_dev_requirements_file(path: &str) -> bool {
    let base = path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    base.split(['-', '_', '.']).any(|t| {
        matches!(
            t,
            "dev"
                | "develop"
                | "development"
                | "test"
                | "tests"
                | "testing"
                | "lint"
                | "docs"
                | "doc"
                | "ci"
                | "typing"
                | "mypy"
        )
    })
}

/// The single exact version pinned by `==X` / `===X`, if that is all the specifier says.
fn exact_pin(spec: &str) -> Option<String> {
    let s = spec.trim();
    let v = s
        .strip_prefix("===")
        .or_else(|| s.strip_prefix("=="))?
        .trim();
    (!v.is_empty() && !v.contains([',', '*', ' ', '<', '>', '!', '~', '='])).then(|| v.to_string())
}

/// The raw package name at the start of a requirement (`Foo_Bar[x]>=1` → `Foo_Bar`).
fn raw_name(text: &str) -> &str {
    let t = text.trim_start();
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(t.len());
    &t[..end]
}

/// A PEP 508 requirement string turned into a dependency (`None` with a message when it
/// cannot be read).
pub(crate) fn pep508_dependency(
    text: &str,
    at: crate::model::SourceLoc,
) -> Result<Dependency, String> {
    if let Some(msg) = pep508_precheck(text) {
        return Err(format!(
            "cannot read requirement `{}`: {msg}; write it as `name[extras] <specifiers> ; <marker>`",
            text.trim()
        ));
    }
    let req = Requirement::<pep508_rs::VerbatimUrl>::from_str(text).map_err(|e| {
        format!(
            "cannot read requirement `{}`: {}; write it as `name[extras] <specifiers> ; <marker>`",
            text.trim(),
            e.message
        )
    })?;
    let display = raw_name(text);
    let mut dep = Dependency::new(
        PYPI,
        if display.is_empty() {
            req.name.as_ref()
        } else {
            display
        },
        at,
    );
    dep.name = req.name.as_ref().to_string();
    dep.features = req.extras.iter().map(ToString::to_string).collect();
    match &req.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specs)) if !specs.is_empty() => {
            let s = specs.to_string();
            dep.locked_version = exact_pin(&s);
            dep.requirement = Some(s);
        }
        Some(VersionOrUrl::Url(url)) => {
            let u = url.to_string();
            dep.source = if u.starts_with("git+") {
                DepSource::Git(u)
            } else if u.starts_with("file:") {
                DepSource::Path(u)
            } else {
                DepSource::Url(u)
            };
        }
        _ => {}
    }
    dep.marker = req.marker.contents().map(|m| m.to_string());
    Ok(dep)
}

/// Names and extras must start and end with a letter or digit. `pep508_rs` 0.9 panics on a
/// name or extra that ends with `-`, `_` or `.`, so those are rejected here first.
fn pep508_precheck(text: &str) -> Option<String> {
    let bad_end = |s: &str| s.ends_with(['-', '_', '.']);
    let name = raw_name(text);
    if bad_end(name) {
        return Some(format!("the name `{name}` must end with a letter or digit"));
    }
    let rest = text.trim_start()[name.len()..].trim_start();
    if let Some(inner) = rest.strip_prefix('[') {
        let inner = inner.split(']').next().unwrap_or(inner);
        for extra in inner.split(',') {
            let e = extra.trim();
            let ident_end = e
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .unwrap_or(e.len());
            if bad_end(&e[..ident_end]) {
                return Some(format!("the extra `{e}` must end with a letter or digit"));
            }
        }
    }
    None
}

/// Remove a trailing comment: `#` at the start or after whitespace.
fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    let bytes = line.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] == b'#' && bytes[i - 1].is_ascii_whitespace() {
            return &line[..i];
        }
    }
    line
}

/// Remove per-requirement options such as `--hash=sha256:…`.
fn strip_options(line: &str) -> String {
    let mut out = Vec::new();
    let mut skip_next = false;
    for tok in line.split_whitespace() {
        if skip_next {
            skip_next = false;
            continue;
        }
        if tok.starts_with("--hash")
            || tok.starts_with("--global-option")
            || tok.starts_with("--config-settings")
            || tok.starts_with("--install-option")
        {
            skip_next = !tok.contains('=');
            continue;
        }
        out.push(tok);
    }
    out.join(" ")
}

/// Parse a pip requirements file (`requirements*.txt`, `*.in`): requirements with extras,
/// specifiers and markers, `-r`/`--requirement` and `-c`/`--constraint` references, `-e`
/// editables (with `#egg=`), line continuations and comments. Global options (`-i`,
/// `--extra-index-url`, …) are ignored. A line that cannot be read is a warning, not an error.
pub fn parse_requirements(file: &str, text: &str) -> Result<Manifest, ParseError> {
    let had_bom = text.starts_with('\u{feff}');
    let text = blank_bom(text);
    let index = LineIndex::new(file, &text).with_bom(had_bom);
    let mut m = Manifest::new(PYPI, FileKind::Requirements, file);
    let dev = is_dev_requirements_file(file);
    // Logical lines: join `\` continuations, remember where each starts.
    let mut logical: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let (begin, mut acc) = pending.take().unwrap_or((start, String::new()));
        let content = strip_comment(line);
        if let Some(cont) = content.trim_end().strip_suffix('\\') {
            acc.push_str(cont);
            acc.push(' ');
            pending = Some((begin, acc));
            continue;
        }
        acc.push_str(content);
        logical.push((begin..start + line.len(), acc));
    }
    if let Some((begin, acc)) = pending {
        logical.push((begin..text.len(), acc));
    }
    for (range, line) in logical {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let at = index.loc(range.clone());
        if line.starts_with('-') {
            let (opt, arg) = match line.split_once(['=', ' ', '\t']) {
                Some((o, a)) => (o.trim(), a.trim()),
                None => (line, ""),
            };
            let include = match opt {
                "-r" | "--requirement" => Some(IncludeKind::Requirements),
                "-c" | "--constraint" => Some(IncludeKind::Constraints),
                _ => None,
            };
            if let Some(kind) = include {
                if arg.is_empty() {
                    m.problems.push(index.problem(
                        range,
                        format!("`{opt}` needs a file name, e.g. `{opt} base.txt`"),
                    ));
                } else {
                    m.includes.push(Include {
                        kind,
                        path: arg.to_string(),
                        at,
                    });
                }
                continue;
            }
            if matches!(opt, "-e" | "--editable") {
                // `-e .` is the project itself; `-e git+…#egg=name` names a package.
                if let Some(egg) = arg.split("#egg=").nth(1) {
                    let name = egg.split(['&', ' ']).next().unwrap_or(egg);
                    let mut dep = Dependency::new(PYPI, name, at);
                    dep.source = if arg.starts_with("git+") {
                        DepSource::Git(arg.to_string())
                    } else {
                        DepSource::Path(arg.to_string())
                    };
                    if dev {
                        dep.kind = DepKind::Dev;
                    }
                    m.dependencies.push(dep);
                }
                continue;
            }
            // Other pip options (-i, --extra-index-url, --find-links, --pre, …).
            continue;
        }
        let req = strip_options(line);
        if req.starts_with('.') || req.starts_with('/') || req.starts_with("file:") {
            // A local directory or archive: the project's own code.
            continue;
        }
        match pep508_dependency(&req, at) {
            Ok(mut dep) => {
                if dev {
                    dep.kind = DepKind::Dev;
                }
                m.dependencies.push(dep);
            }
            Err(msg) => m.problems.push(index.problem(range, msg)),
        }
    }
    Ok(m)
}

fn spanned_strings<'a, 'i>(
    v: &'a Spanned<DeValue<'i>>,
) -> impl Iterator<Item = (&'a str, std::ops::Range<usize>)> {
    v.get_ref()
        .as_array()
        .into_iter()
        .flat_map(|a| a.iter())
        .filter_map(|x| x.get_ref().as_str().map(|s| (s, x.span())))
}

fn push_pep508_list(
    index: &LineIndex<'_>,
    m: &mut Manifest,
    list: &Spanned<DeValue<'_>>,
    kind: DepKind,
    group: Option<&str>,
) {
    for (s, span) in spanned_strings(list) {
        match pep508_dependency(s, index.loc(span.clone())) {
            Ok(mut dep) => {
                dep.kind = kind;
                dep.group = group.map(str::to_string);
                m.dependencies.push(dep);
            }
            Err(msg) => m.problems.push(index.problem(span, msg)),
        }
    }
}

/// Parse a `pyproject.toml`: PEP 621 `[project]` dependencies and optional-dependencies,
/// PEP 735 `[dependency-groups]`, `[tool.uv]` dev-dependencies/sources/workspace, Poetry
/// `[tool.poetry]` dependencies, dev-dependencies and groups, PDM dev-dependencies.
pub fn parse_pyproject(file: &str, text: &str) -> Result<Manifest, ParseError> {
    let had_bom = text.starts_with('\u{feff}');
    let text = blank_bom(text);
    let index = LineIndex::new(file, &text).with_bom(had_bom);
    let root = parse_toml(&index, &text)?;
    let root = root.get_ref();
    let mut m = Manifest::new(PYPI, FileKind::Pyproject, file);
    if let Some(project) = table(root, "project").and_then(as_table) {
        m.project_name = get_str(project, "name").map(str::to_string);
        if let Some(deps) = table(project, "dependencies") {
            push_pep508_list(&index, &mut m, deps, DepKind::Normal, None);
        }
        if let Some(opt) = table(project, "optional-dependencies").and_then(as_table) {
            for (group, list) in opt {
                push_pep508_list(
                    &index,
                    &mut m,
                    list,
                    DepKind::Optional,
                    Some(group.get_ref()),
                );
            }
        }
    }
    if let Some(groups) = table(root, "dependency-groups").and_then(as_table) {
        for (group, list) in groups {
            push_pep508_list(&index, &mut m, list, DepKind::Dev, Some(group.get_ref()));
        }
    }
    let tool = table(root, "tool").and_then(as_table);
    if let Some(uv) = tool.and_then(|t| table(t, "uv")).and_then(as_table) {
        if let Some(list) = table(uv, "dev-dependencies") {
            push_pep508_list(&index, &mut m, list, DepKind::Dev, Some("dev"));
        }
        if table(uv, "workspace").is_some() {
            m.is_workspace_root = true;
        }
        if let Some(sources) = table(uv, "sources").and_then(as_table) {
            for (name, src) in sources {
                let Some(src) = src.get_ref().as_table() else {
                    continue;
                };
                let source = if get_bool(src, "workspace") == Some(true) {
                    DepSource::Workspace
                } else if let Some(p) = get_str(src, "path") {
                    DepSource::Path(p.to_string())
                } else if let Some(g) = get_str(src, "git") {
                    DepSource::Git(g.to_string())
                } else if let Some(u) = get_str(src, "url") {
                    DepSource::Url(u.to_string())
                } else {
                    continue;
                };
                let norm = normalize_name(PYPI, name.get_ref());
                for d in m.dependencies.iter_mut().filter(|d| d.name == norm) {
                    d.source = source.clone();
                }
            }
        }
    }
    if let Some(poetry) = tool.and_then(|t| table(t, "poetry")).and_then(as_table) {
        if m.project_name.is_none() {
            m.project_name = get_str(poetry, "name").map(str::to_string);
        }
        if let Some(deps) = table(poetry, "dependencies").and_then(as_table) {
            read_poetry_table(&index, &mut m, deps, DepKind::Normal, None);
        }
        if let Some(deps) = table(poetry, "dev-dependencies").and_then(as_table) {
            read_poetry_table(&index, &mut m, deps, DepKind::Dev, Some("dev"));
        }
        if let Some(groups) = table(poetry, "group").and_then(as_table) {
            for (group, g) in groups {
                let Some(deps) = g
                    .get_ref()
                    .as_table()
                    .and_then(|t| table(t, "dependencies"))
                    .and_then(as_table)
                else {
                    continue;
                };
                let kind = if group.get_ref() == "main" {
                    DepKind::Normal
                } else {
                    DepKind::Dev
                };
                read_poetry_table(&index, &mut m, deps, kind, Some(group.get_ref()));
            }
        }
    }
    if let Some(pdm) = tool
        .and_then(|t| table(t, "pdm"))
        .and_then(as_table)
        .and_then(|p| table(p, "dev-dependencies"))
        .and_then(as_table)
    {
        for (group, list) in pdm {
            push_pep508_list(&index, &mut m, list, DepKind::Dev, Some(group.get_ref()));
        }
    }
    let name = m.project_name.clone();
    for d in &mut m.dependencies {
        d.declared_by.clone_from(&name);
    }
    m.dependencies
        .sort_by_key(|d| d.declared_at.byte_range.start);
    Ok(m)
}

fn read_poetry_table(
    index: &LineIndex<'_>,
    m: &mut Manifest,
    deps: &DeTable<'_>,
    kind: DepKind,
    group: Option<&str>,
) {
    for (key, value) in deps {
        let name: &str = key.get_ref();
        if name.eq_ignore_ascii_case("python") {
            continue;
        }
        let span = key.span().start..value.span().end.max(key.span().end);
        let mut dep = Dependency::new(PYPI, name, index.loc(span));
        dep.kind = kind;
        dep.group = group.map(str::to_string);
        let first_table = match value.get_ref() {
            DeValue::String(s) => {
                dep.requirement = Some(s.to_string());
                None
            }
            DeValue::Table(t) => Some(t),
            // Multiple-constraint form: a list of tables, one per Python/platform.
            DeValue::Array(a) => a.iter().find_map(|x| x.get_ref().as_table()),
            other => {
                m.problems.push(index.problem(
                    value.span(),
                    format!(
                        "dependency `{name}` has a {} value; write a constraint string such as \"^1.2\"",
                        other.type_str()
                    ),
                ));
                continue;
            }
        };
        if let Some(t) = first_table {
            dep.requirement = get_str(t, "version").map(str::to_string);
            dep.features = str_list(t, "extras");
            dep.marker = get_str(t, "markers").map(str::to_string);
            if get_bool(t, "optional") == Some(true) && kind == DepKind::Normal {
                dep.kind = DepKind::Optional;
            }
            if let Some(p) = get_str(t, "path") {
                dep.source = DepSource::Path(p.to_string());
            } else if let Some(g) = get_str(t, "git") {
                dep.source = DepSource::Git(g.to_string());
            } else if let Some(u) = get_str(t, "url") {
                dep.source = DepSource::Url(u.to_string());
            }
        }
        m.dependencies.push(dep);
    }
}

fn uv_source(t: &DeTable<'_>) -> DepSource {
    let Some(src) = table(t, "source").and_then(as_table) else {
        return DepSource::Registry;
    };
    if let Some(g) = get_str(src, "git") {
        DepSource::Git(g.to_string())
    } else if let Some(u) = get_str(src, "url") {
        DepSource::Url(u.to_string())
    } else if let Some(p) = ["editable", "virtual", "directory", "path"]
        .iter()
        .find_map(|k| get_str(src, k))
    {
        DepSource::Path(p.to_string())
    } else {
        DepSource::Registry
    }
}

fn lock_packages(
    index: &LineIndex<'_>,
    root: &DeTable<'_>,
    lock: &mut Lockfile,
    read: impl Fn(&DeTable<'_>) -> (DepSource, Vec<LockRef>, bool),
) {
    let Some(packages) = root.get("package").and_then(|v| v.get_ref().as_array()) else {
        return;
    };
    for p in packages.iter() {
        let Some(t) = p.get_ref().as_table() else {
            continue;
        };
        let name = t.get("name");
        let (Some(name), Some(version)) = (name, get_str(t, "version")) else {
            // uv: local virtual projects may have no version.
            if let (Some(name), DepSource::Path(_)) = (t.get("name"), uv_source(t))
                && let Some(n) = name.get_ref().as_str()
            {
                let (source, dependencies, dev) = read(t);
                lock.packages.push(LockedPackage {
                    name: normalize_name(PYPI, n),
                    display_name: n.to_string(),
                    version: String::new(),
                    source,
                    dependencies,
                    dev,
                    install_path: None,
                    specs: Vec::new(),
                    at: index.loc(name.span()),
                });
                continue;
            }
            lock.problems.push(index.problem(
                p.span(),
                "a [[package]] entry lacks `name` or `version`; regenerate the lockfile",
            ));
            continue;
        };
        let Some(n) = name.get_ref().as_str() else {
            continue;
        };
        let (source, dependencies, dev) = read(t);
        lock.packages.push(LockedPackage {
            name: normalize_name(PYPI, n),
            display_name: n.to_string(),
            version: version.to_string(),
            source,
            dependencies,
            dev,
            install_path: None,
            specs: Vec::new(),
            at: index.loc(name.span()),
        });
    }
}

/// Parse a `uv.lock`.
pub fn parse_uv_lock(file: &str, text: &str) -> Result<Lockfile, ParseError> {
    let had_bom = text.starts_with('\u{feff}');
    let text = blank_bom(text);
    let index = LineIndex::new(file, &text).with_bom(had_bom);
    let root = parse_toml(&index, &text)?;
    let root = root.get_ref();
    let mut lock = Lockfile::new(PYPI, FileKind::UvLock, file);
    lock.format_version = root.get("version").and_then(|v| match v.get_ref() {
        DeValue::Integer(i) => Some(i.as_str().to_string()),
        _ => None,
    });
    lock_packages(&index, root, &mut lock, |t| {
        let mut refs = Vec::new();
        let mut push_refs = |list: Option<&Spanned<DeValue<'_>>>| {
            for item in list
                .and_then(|l| l.get_ref().as_array())
                .into_iter()
                .flat_map(|a| a.iter())
            {
                if let Some(it) = item.get_ref().as_table()
                    && let Some(n) = get_str(it, "name")
                {
                    refs.push(LockRef {
                        name: normalize_name(PYPI, n),
                        version: get_str(it, "version").map(str::to_string),
                    });
                }
            }
        };
        push_refs(t.get("dependencies"));
        for section in ["optional-dependencies", "dev-dependencies"] {
            if let Some(groups) = t.get(section).and_then(|g| g.get_ref().as_table()) {
                for (_, list) in groups {
                    push_refs(Some(list));
                }
            }
        }
        (uv_source(t), refs, false)
    });
    Ok(lock)
}

/// Parse a `poetry.lock`.
pub fn parse_poetry_lock(file: &str, text: &str) -> Result<Lockfile, ParseError> {
    let had_bom = text.starts_with('\u{feff}');
    let text = blank_bom(text);
    let index = LineIndex::new(file, &text).with_bom(had_bom);
    let root = parse_toml(&index, &text)?;
    let root = root.get_ref();
    let mut lock = Lockfile::new(PYPI, FileKind::PoetryLock, file);
    lock.format_version = table(root, "metadata")
        .and_then(as_table)
        .and_then(|m| get_str(m, "lock-version"))
        .map(str::to_string);
    lock_packages(&index, root, &mut lock, |t| {
        let refs = table(t, "dependencies")
            .and_then(as_table)
            .map(|d| {
                d.keys()
                    .map(|k| LockRef {
                        name: normalize_name(PYPI, k.get_ref()),
                        version: None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let source = match table(t, "source").and_then(as_table) {
            Some(s) => {
                let url = get_str(s, "url").unwrap_or("").to_string();
                match get_str(s, "type") {
                    Some("git") => DepSource::Git(url),
                    Some("directory" | "file") => DepSource::Path(url),
                    Some("url") => DepSource::Url(url),
                    _ => DepSource::Registry,
                }
            }
            None => DepSource::Registry,
        };
        let groups = str_list(t, "groups");
        let dev = get_str(t, "category") == Some("dev")
            || (!groups.is_empty() && !groups.iter().any(|g| g == "main"));
        (source, refs, dev)
    });
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_file_names() {
        assert!(is_dev_requirements_file("requirements-dev.txt"));
        assert!(is_dev_requirements_file("a/dev-requirements.txt"));
        assert!(is_dev_requirements_file("requirements/test.txt"));
        assert!(!is_dev_requirements_file("requirements.txt"));
        assert!(!is_dev_requirements_file("requirements/prod.txt"));
        assert!(!is_dev_requirements_file("requirements-devops-free.txt"));
    }

    #[test]
    fn requirement_lines() {
        let text = "# top\nDjango>=4.2,<5.0 ; python_version >= \"3.10\"  # web\nrequests==2.31.0 \\\n    --hash=sha256:abc\n-r base.txt\n--constraint=c.txt\n-e .\n-e git+https://x/y.git#egg=My_Pkg\n-i https://pypi.org/simple\nuvicorn[standard]\n./local\nnot a req!\n";
        let m = parse_requirements("requirements.txt", text).unwrap();
        let names: Vec<_> = m.dependencies.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["django", "requests", "my-pkg", "uvicorn"]);
        let dj = &m.dependencies[0];
        assert_eq!(dj.display_name, "Django");
        assert_eq!(dj.requirement.as_deref(), Some(">=4.2, <5.0"));
        assert_eq!(dj.marker.as_deref(), Some("python_full_version >= '3.10'"));
        assert_eq!(dj.declared_at.line, 2);
        let rq = &m.dependencies[1];
        assert_eq!(rq.locked_version.as_deref(), Some("2.31.0"));
        assert_eq!(rq.declared_at.line, 3);
        assert_eq!(m.dependencies[3].features, ["standard"]);
        assert_eq!(m.includes.len(), 2);
        assert_eq!(m.includes[0].kind, IncludeKind::Requirements);
        assert_eq!(m.includes[1].path, "c.txt");
        assert_eq!(m.problems.len(), 1);
        assert_eq!(m.problems[0].at.line, 12);
    }

    #[test]
    fn names_and_extras_ending_in_punctuation_are_refused_not_panicking() {
        let m = parse_requirements("requirements.txt", "A-:\na[b-]\nc[d- ,e]>=1\nok[x]\n").unwrap();
        assert_eq!(m.problems.len(), 3);
        assert!(
            m.problems[0]
                .message
                .contains("must end with a letter or digit")
        );
        assert_eq!(m.dependencies.len(), 1);
        assert_eq!(m.dependencies[0].features, ["x"]);
    }

    #[test]
    fn exact_pins() {
        assert_eq!(exact_pin("==1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(exact_pin("===1.0").as_deref(), Some("1.0"));
        assert_eq!(exact_pin("==1.*"), None);
        assert_eq!(exact_pin(">=1"), None);
        assert_eq!(exact_pin("==1, <2"), None);
    }
}
