//! package.json, package-lock.json / npm-shrinkwrap.json (lockfile versions 1, 2, 3),
//! pnpm-lock.yaml (versions 5.x, 6.x, 9.x) and yarn.lock (v1, and Berry's YAML form).

use std::collections::HashMap;

use serde_json::Value;

use crate::lock::{Importer, ImporterDep, LockRef, LockedPackage, Lockfile, Manifest};
use crate::model::{DepKind, DepSource, Dependency, Ecosystem, FileKind, ParseError, SourceLoc};
use crate::names::{normalize_name, split_npm_spec};
use crate::text::{JsonKeys, LineIndex, blank_bom, find_json_key};
use crate::yaml;

const NPM: Ecosystem = Ecosystem::Npm;

const SECTIONS: [(&str, DepKind); 4] = [
    ("dependencies", DepKind::Normal),
    ("devDependencies", DepKind::Dev),
    ("peerDependencies", DepKind::Peer),
    ("optionalDependencies", DepKind::Optional),
];

fn json_error(index: &LineIndex<'_>, err: &serde_json::Error) -> ParseError {
    let offset = index.offset_of(err.line(), err.column().saturating_sub(1));
    index.error(
        offset..offset,
        format!("invalid JSON: {err}; fix the syntax so the file can be read"),
    )
}

/// What an npm dependency value says about where the package comes from.
pub(crate) struct NpmSpec {
    pub real_name: Option<String>,
    pub requirement: String,
    pub source: DepSource,
}

/// Classify a dependency value: semver range, `npm:` alias, `workspace:`, `file:`/`link:`,
/// git or URL.
pub(crate) fn classify_spec(value: &str) -> NpmSpec {
    let v = value.trim();
    if let Some(rest) = v.strip_prefix("npm:") {
        let (name, range) = split_npm_spec(rest);
        return NpmSpec {
            real_name: Some(name.to_string()),
            requirement: range.trim_start_matches('@').trim().to_string(),
            source: DepSource::Registry,
        };
    }
    let source = if v.starts_with("workspace:") {
        DepSource::Workspace
    } else if let Some(p) = v.strip_prefix("file:").or_else(|| v.strip_prefix("link:")) {
        DepSource::Path(p.to_string())
    } else if v.starts_with("git")
        || v.starts_with("github:")
        || v.starts_with("gitlab:")
        || v.starts_with("bitbucket:")
        || (v.contains('/') && !v.contains(':') && !v.starts_with('.') && !v.contains(' '))
    {
        DepSource::Git(v.to_string())
    } else if v.starts_with("http://") || v.starts_with("https://") {
        DepSource::Url(v.to_string())
    } else if v.starts_with('.') || v.starts_with('/') {
        DepSource::Path(v.to_string())
    } else {
        DepSource::Registry
    };
    NpmSpec {
        real_name: None,
        requirement: v.to_string(),
        source,
    }
}

/// Parse a `package.json`: name, the four dependency sections and `workspaces`.
pub fn parse_package_json(file: &str, text: &str) -> Result<Manifest, ParseError> {
    let had_bom = text.starts_with('\u{feff}');
    let text = blank_bom(text);
    let index = LineIndex::new(file, &text).with_bom(had_bom);
    let root: Value = serde_json::from_str(&text).map_err(|e| json_error(&index, &e))?;
    let mut m = Manifest::new(NPM, FileKind::PackageJson, file);
    let Some(obj) = root.as_object() else {
        return Err(index.error(
            0..0,
            "package.json is not a JSON object; it must start with `{`",
        ));
    };
    m.project_name = obj.get("name").and_then(Value::as_str).map(str::to_string);
    m.is_workspace_root = obj.contains_key("workspaces");
    for (section, kind) in SECTIONS {
        let Some(deps) = obj.get(section) else {
            continue;
        };
        let section_range = find_json_key(&text, section, 0);
        let section_start = section_range.as_ref().map_or(0, |r| r.start);
        let Some(deps) = deps.as_object() else {
            m.problems.push(index.problem(
                section_range.unwrap_or(0..0),
                format!("`{section}` is not an object; write {{ \"name\": \"range\" }} entries"),
            ));
            continue;
        };
        for (name, value) in deps {
            let range = find_json_key(&text, name, section_start)
                .or_else(|| section_range.clone())
                .unwrap_or(0..0);
            let Some(value) = value.as_str() else {
                m.problems.push(index.problem(
                    range,
                    format!(
                        "dependency `{name}` in `{section}` is not a string; write a version range"
                    ),
                ));
                continue;
            };
            let spec = classify_spec(value);
            let mut dep = Dependency::new(NPM, name, index.loc(range));
            dep.kind = kind;
            dep.requirement = Some(spec.requirement);
            dep.source = spec.source;
            if let Some(real) = spec.real_name {
                dep.alias = Some(name.clone());
                dep.name = normalize_name(NPM, &real);
                dep.display_name = real;
            }
            dep.declared_by.clone_from(&m.project_name);
            m.dependencies.push(dep);
        }
    }
    m.dependencies
        .sort_by_key(|d| d.declared_at.byte_range.start);
    Ok(m)
}

fn name_from_install_path(path: &str) -> &str {
    match path.rfind("node_modules/") {
        Some(i) => &path[i + "node_modules/".len()..],
        None => path,
    }
}

fn lock_source(entry: &serde_json::Map<String, Value>) -> DepSource {
    if entry.get("link").and_then(Value::as_bool) == Some(true) {
        return DepSource::Workspace;
    }
    match entry.get("resolved").and_then(Value::as_str) {
        Some(r) if r.starts_with("git") => DepSource::Git(r.to_string()),
        Some(r) if r.starts_with("file:") => DepSource::Path(r.to_string()),
        _ => DepSource::Registry,
    }
}

fn dep_names(entry: &serde_json::Map<String, Value>, keys: &[&str]) -> Vec<LockRef> {
    keys.iter()
        .filter_map(|k| entry.get(*k).and_then(Value::as_object))
        .flat_map(|o| o.keys())
        .map(|n| LockRef {
            name: normalize_name(NPM, n),
            version: None,
        })
        .collect()
}

/// Parse a `package-lock.json` or `npm-shrinkwrap.json`.
pub fn parse_package_lock(file: &str, text: &str) -> Result<Lockfile, ParseError> {
    let had_bom = text.starts_with('\u{feff}');
    let text = blank_bom(text);
    let index = LineIndex::new(file, &text).with_bom(had_bom);
    let root: Value = serde_json::from_str(&text).map_err(|e| json_error(&index, &e))?;
    let mut lock = Lockfile::new(NPM, FileKind::PackageLock, file);
    let Some(obj) = root.as_object() else {
        return Err(index.error(0..0, "package-lock.json is not a JSON object"));
    };
    lock.format_version = obj.get("lockfileVersion").map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let keys = JsonKeys::new(&text);
    let loc_of = |key: &str| -> SourceLoc {
        let start = keys.first_after(key, 0).unwrap_or(0);
        index.loc(start..start + key.len() + 2)
    };
    if let Some(packages) = obj.get("packages").and_then(Value::as_object) {
        for (path, entry) in packages {
            let Some(entry) = entry.as_object() else {
                continue;
            };
            if !path.contains("node_modules/") {
                // The root ("") or a workspace member directory.
                let mut deps = Vec::new();
                for (section, kind) in SECTIONS {
                    if let Some(o) = entry.get(section).and_then(Value::as_object) {
                        for (n, spec) in o {
                            deps.push(ImporterDep {
                                name: normalize_name(NPM, n),
                                specifier: spec.as_str().map(str::to_string),
                                version: String::new(),
                                kind,
                            });
                        }
                    }
                }
                lock.importers.push(Importer {
                    path: if path.is_empty() {
                        ".".into()
                    } else {
                        path.clone()
                    },
                    dependencies: deps,
                });
                continue;
            }
            let display = entry
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_else(|| name_from_install_path(path));
            let source = lock_source(entry);
            let version = entry.get("version").and_then(Value::as_str);
            let version = match (version, &source) {
                (Some(v), _) => v.to_string(),
                (None, DepSource::Workspace) => String::new(),
                (None, _) => {
                    lock.problems.push(crate::model::Problem {
                        severity: crate::model::ProblemSeverity::Warning,
                        at: loc_of(path),
                        message: format!(
                            "`{path}` has no version; regenerate the lockfile with `npm install`"
                        ),
                    });
                    continue;
                }
            };
            lock.packages.push(LockedPackage {
                name: normalize_name(NPM, display),
                display_name: display.to_string(),
                version,
                source,
                dependencies: dep_names(
                    entry,
                    &["dependencies", "optionalDependencies", "peerDependencies"],
                ),
                dev: entry.get("dev").and_then(Value::as_bool) == Some(true)
                    || entry.get("devOptional").and_then(Value::as_bool) == Some(true),
                install_path: Some(path.clone()),
                specs: Vec::new(),
                at: loc_of(path),
            });
        }
    } else if let Some(deps) = obj.get("dependencies").and_then(Value::as_object) {
        // Lockfile version 1: a nested tree.
        let mut stack: Vec<(String, &serde_json::Map<String, Value>)> = vec![(String::new(), deps)];
        while let Some((prefix, map)) = stack.pop() {
            for (name, entry) in map {
                let Some(entry) = entry.as_object() else {
                    continue;
                };
                let path = format!("{prefix}node_modules/{name}");
                let Some(version) = entry.get("version").and_then(Value::as_str) else {
                    continue;
                };
                let (real, version, source) = if let Some(rest) = version.strip_prefix("npm:") {
                    let (n, v) = split_npm_spec(rest);
                    (
                        n.to_string(),
                        v.trim_start_matches('@').to_string(),
                        DepSource::Registry,
                    )
                } else if version.starts_with("file:") {
                    (
                        name.clone(),
                        version.to_string(),
                        DepSource::Path(version.to_string()),
                    )
                } else if version.starts_with("git") || version.contains("://") {
                    (
                        name.clone(),
                        version.to_string(),
                        DepSource::Git(version.to_string()),
                    )
                } else {
                    (name.clone(), version.to_string(), DepSource::Registry)
                };
                lock.packages.push(LockedPackage {
                    name: normalize_name(NPM, &real),
                    display_name: real,
                    version,
                    source,
                    dependencies: dep_names(entry, &["requires"]),
                    dev: entry.get("dev").and_then(Value::as_bool) == Some(true),
                    install_path: Some(path.clone()),
                    specs: Vec::new(),
                    at: loc_of(name),
                });
                if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
                    stack.push((format!("{path}/"), nested));
                }
            }
        }
    }
    lock.packages.sort_by_key(|p| p.at.byte_range.start);
    Ok(lock)
}

/// `1.2.3(react@18.2.0)` (pnpm 6+) or `1.2.3_react@18.2.0` (pnpm 5) → `1.2.3`.
fn strip_peer_suffix(v: &str) -> &str {
    let v = v.split('(').next().unwrap_or(v);
    if v.starts_with("link:") || v.starts_with("file:") {
        return v;
    }
    v.split('_').next().unwrap_or(v)
}

/// A pnpm `packages:` key → (name, version).
fn split_pnpm_key(key: &str) -> Option<(&str, &str)> {
    let k = key.trim_start_matches('/');
    // pnpm 5: `name/1.2.3`, `@scope/name/1.2.3_peer@1.0.0`.
    let name_segments = if k.starts_with('@') { 2 } else { 1 };
    let mut parts = k.splitn(name_segments + 1, '/');
    let name_len: usize = parts
        .by_ref()
        .take(name_segments)
        .map(|p| p.len() + 1)
        .sum::<usize>()
        .saturating_sub(1);
    if let Some(version) = parts.next()
        && version.starts_with(|c: char| c.is_ascii_digit())
        && k[..name_len].rfind('@').is_none_or(|i| i == 0)
    {
        return Some((&k[..name_len], strip_peer_suffix(version)));
    }
    // pnpm 6 and 9: `name@1.2.3`, `@scope/name@1.2.3(peer@1.0.0)`.
    let k = k.split('(').next().unwrap_or(k);
    let i = k.get(1..).and_then(|r| r.find('@')).map(|i| i + 1)?;
    Some((&k[..i], strip_peer_suffix(&k[i + 1..])))
}

/// Parse a `pnpm-lock.yaml` (lockfile versions 5.x, 6.x and 9.x).
pub fn parse_pnpm_lock(file: &str, text: &str) -> Result<Lockfile, ParseError> {
    let index = LineIndex::new(file, text);
    let root = yaml::load(&index, text)?;
    let mut lock = Lockfile::new(NPM, FileKind::PnpmLock, file);
    lock.format_version = yaml::get(&root, "lockfileVersion")
        .and_then(yaml::scalar)
        .map(str::to_string);
    let read_importer = |node: &yaml::Node<'_>, v5_specs: Option<&yaml::Node<'_>>| {
        let mut deps = Vec::new();
        for (section, kind) in [
            ("dependencies", DepKind::Normal),
            ("devDependencies", DepKind::Dev),
            ("optionalDependencies", DepKind::Optional),
        ] {
            let Some(sec) = yaml::get(node, section) else {
                continue;
            };
            let specs = v5_specs.or_else(|| yaml::get(node, "specifiers"));
            for (name, _, value) in yaml::entries(sec) {
                let (specifier, version) = match yaml::scalar(value) {
                    // v5: `name: 1.2.3` with `specifiers: {name: ^1}` alongside.
                    Some(v) => (
                        specs
                            .and_then(|s| yaml::get(s, name))
                            .and_then(yaml::scalar)
                            .map(str::to_string),
                        v.to_string(),
                    ),
                    None => (
                        yaml::get(value, "specifier")
                            .and_then(yaml::scalar)
                            .map(str::to_string),
                        yaml::get(value, "version")
                            .and_then(yaml::scalar)
                            .unwrap_or("")
                            .to_string(),
                    ),
                };
                deps.push(ImporterDep {
                    name: normalize_name(NPM, name),
                    specifier,
                    version: strip_peer_suffix(&version).to_string(),
                    kind,
                });
            }
        }
        deps
    };
    if let Some(importers) = yaml::get(&root, "importers") {
        for (path, _, node) in yaml::entries(importers) {
            lock.importers.push(Importer {
                path: path.to_string(),
                dependencies: read_importer(node, None),
            });
        }
    } else {
        lock.importers.push(Importer {
            path: ".".to_string(),
            dependencies: read_importer(&root, yaml::get(&root, "specifiers")),
        });
    }
    // Dependencies between packages: pnpm 9 keeps them in `snapshots`.
    let mut edges: HashMap<String, Vec<LockRef>> = HashMap::new();
    let mut dev_flags: HashMap<String, bool> = HashMap::new();
    for section in ["snapshots", "packages"] {
        let Some(map) = yaml::get(&root, section) else {
            continue;
        };
        for (key, _, node) in yaml::entries(map) {
            let Some((name, version)) = split_pnpm_key(key) else {
                continue;
            };
            let id = format!("{}@{}", normalize_name(NPM, name), version);
            let refs: Vec<LockRef> = ["dependencies", "optionalDependencies"]
                .iter()
                .filter_map(|s| yaml::get(node, s))
                .flat_map(yaml::entries)
                .map(|(n, _, v)| LockRef {
                    name: normalize_name(NPM, n),
                    version: yaml::scalar(v).map(|s| strip_peer_suffix(s).to_string()),
                })
                .collect();
            if !refs.is_empty() {
                edges.entry(id.clone()).or_default().extend(refs);
            }
            if let Some(dev) = yaml::get(node, "dev").and_then(yaml::scalar) {
                dev_flags.insert(id, dev == "true");
            }
        }
    }
    if let Some(packages) = yaml::get(&root, "packages") {
        for (key, key_node, _) in yaml::entries(packages) {
            let Some((name, version)) = split_pnpm_key(key) else {
                lock.problems.push(index.problem(
                    yaml::range(&index, key_node),
                    format!("cannot read package key `{key}`; expected `name@version`"),
                ));
                continue;
            };
            let norm = normalize_name(NPM, name);
            let id = format!("{norm}@{version}");
            let source = if version.starts_with("link:") || version.starts_with("file:") {
                DepSource::Path(version.to_string())
            } else {
                DepSource::Registry
            };
            lock.packages.push(LockedPackage {
                dependencies: edges.remove(&id).unwrap_or_default(),
                dev: dev_flags.get(&id).copied().unwrap_or(false),
                name: norm,
                display_name: name.to_string(),
                version: version.to_string(),
                source,
                install_path: None,
                specs: Vec::new(),
                at: index.loc(yaml::range(&index, key_node)),
            });
        }
    }
    lock.packages.sort_by_key(|p| p.at.byte_range.start);
    Ok(lock)
}

/// Split a yarn entry header (`"a@^1", a@~1.1:`) into its specs.
fn yarn_specs(header: &str) -> Vec<String> {
    header
        .trim_end()
        .trim_end_matches(':')
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s)
}

/// Parse a `yarn.lock`: the v1 format, or Yarn Berry's YAML format (recognised by
/// `__metadata`).
pub fn parse_yarn_lock(file: &str, text: &str) -> Result<Lockfile, ParseError> {
    let had_bom = text.starts_with('\u{feff}');
    let text = blank_bom(text);
    let index = LineIndex::new(file, &text).with_bom(had_bom);
    let is_berry = text.lines().any(|l| l.starts_with("__metadata:"));
    if is_berry {
        return parse_yarn_berry(&index, &text);
    }
    let mut lock = Lockfile::new(NPM, FileKind::YarnLock, file);
    lock.format_version = Some("1".to_string());
    struct Entry {
        specs: Vec<String>,
        header: std::ops::Range<usize>,
        version: Option<String>,
        resolved: Option<String>,
        deps: Vec<LockRef>,
    }
    let mut entries: Vec<Entry> = Vec::new();
    let mut in_deps = false;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 0 {
            in_deps = false;
            if !trimmed.ends_with(':') {
                lock.problems.push(index.problem(
                    start..start + line.len(),
                    "unexpected line in yarn.lock: an entry header must end with `:`; \
                     regenerate the lockfile with `yarn install`",
                ));
                continue;
            }
            entries.push(Entry {
                specs: yarn_specs(trimmed),
                header: start..start + line.len(),
                version: None,
                resolved: None,
                deps: Vec::new(),
            });
            continue;
        }
        let Some(entry) = entries.last_mut() else {
            lock.problems.push(index.problem(
                start..start + line.len(),
                "indented line before any entry in yarn.lock",
            ));
            continue;
        };
        if indent <= 2 {
            in_deps = matches!(
                trimmed,
                "dependencies:" | "optionalDependencies:" | "peerDependencies:"
            );
            if let Some(v) = trimmed.strip_prefix("version ") {
                entry.version = Some(unquote(v).to_string());
            } else if let Some(v) = trimmed.strip_prefix("resolved ") {
                entry.resolved = Some(unquote(v).to_string());
            }
        } else if in_deps {
            let (name, range) = if let Some(rest) = trimmed.strip_prefix('"') {
                match rest.split_once('"') {
                    Some((n, r)) => (n, r),
                    None => (rest, ""),
                }
            } else {
                trimmed.split_once(' ').unwrap_or((trimmed, ""))
            };
            let _ = range;
            entry.deps.push(LockRef {
                name: normalize_name(NPM, name),
                version: None,
            });
        }
    }
    for e in entries {
        let Some(first) = e.specs.first() else {
            continue;
        };
        let (name, range) = split_npm_spec(first);
        let range = range.trim_start_matches('@');
        let (display, source) = if let Some(rest) = range.strip_prefix("npm:") {
            (split_npm_spec(rest).0.to_string(), DepSource::Registry)
        } else {
            let spec = classify_spec(range);
            (name.to_string(), spec.source)
        };
        let Some(version) = e.version else {
            lock.problems.push(index.problem(
                e.header.clone(),
                format!("entry `{first}` has no version line; regenerate the lockfile"),
            ));
            continue;
        };
        let source = match (&source, &e.resolved) {
            (DepSource::Registry, Some(r)) if r.starts_with("git") => DepSource::Git(r.clone()),
            _ => source,
        };
        lock.packages.push(LockedPackage {
            name: normalize_name(NPM, &display),
            display_name: display,
            version,
            source,
            dependencies: e.deps,
            dev: false,
            install_path: None,
            specs: e.specs,
            at: index.loc(e.header),
        });
    }
    Ok(lock)
}

fn parse_yarn_berry(index: &LineIndex<'_>, text: &str) -> Result<Lockfile, ParseError> {
    let root = yaml::load(index, text)?;
    let mut lock = Lockfile::new(NPM, FileKind::YarnLock, index.file());
    lock.format_version = yaml::get(&root, "__metadata")
        .and_then(|m| yaml::get(m, "version"))
        .and_then(yaml::scalar)
        .map(|v| format!("berry-{v}"));
    for (key, key_node, node) in yaml::entries(&root) {
        if key == "__metadata" {
            continue;
        }
        let specs = yarn_specs(key);
        let Some(first) = specs.first() else {
            continue;
        };
        let (name, range) = split_npm_spec(first);
        let range = range.trim_start_matches('@');
        let Some(version) = yaml::get(node, "version").and_then(yaml::scalar) else {
            lock.problems.push(index.problem(
                yaml::range(index, key_node),
                format!("entry `{first}` has no version; regenerate the lockfile"),
            ));
            continue;
        };
        let source = if range.starts_with("workspace:") {
            DepSource::Workspace
        } else if range.starts_with("link:")
            || range.starts_with("portal:")
            || range.starts_with("file:")
        {
            DepSource::Path(range.to_string())
        } else if range.contains("git") && range.contains("://") {
            DepSource::Git(range.to_string())
        } else {
            DepSource::Registry
        };
        let display = yaml::get(node, "resolution")
            .and_then(yaml::scalar)
            .map(|r| split_npm_spec(r).0.to_string())
            .unwrap_or_else(|| name.to_string());
        let dependencies = ["dependencies", "optionalDependencies"]
            .iter()
            .filter_map(|s| yaml::get(node, s))
            .flat_map(yaml::entries)
            .map(|(n, _, _)| LockRef {
                name: normalize_name(NPM, n),
                version: None,
            })
            .collect();
        lock.packages.push(LockedPackage {
            name: normalize_name(NPM, &display),
            display_name: display,
            version: version.to_string(),
            source,
            dependencies,
            dev: false,
            install_path: None,
            specs,
            at: index.loc(yaml::range(index, key_node)),
        });
    }
    lock.packages.sort_by_key(|p| p.at.byte_range.start);
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_classification() {
        let s = classify_spec("npm:string-width@^4.2.0");
        assert_eq!(s.real_name.as_deref(), Some("string-width"));
        assert_eq!(s.requirement, "^4.2.0");
        assert_eq!(classify_spec("workspace:*").source, DepSource::Workspace);
        assert_eq!(
            classify_spec("file:../x").source,
            DepSource::Path("../x".into())
        );
        assert!(matches!(
            classify_spec("github:user/repo").source,
            DepSource::Git(_)
        ));
        assert!(matches!(
            classify_spec("user/repo").source,
            DepSource::Git(_)
        ));
        assert_eq!(classify_spec("^1.2.3").source, DepSource::Registry);
        assert_eq!(classify_spec(">= 1.2 < 2").source, DepSource::Registry);
        assert!(matches!(
            classify_spec("https://x.org/a.tgz").source,
            DepSource::Url(_)
        ));
    }

    #[test]
    fn pnpm_keys() {
        assert_eq!(
            split_pnpm_key("/lodash@4.17.21"),
            Some(("lodash", "4.17.21"))
        );
        assert_eq!(
            split_pnpm_key("@babel/core@7.24.0(supports-color@8.1.1)"),
            Some(("@babel/core", "7.24.0"))
        );
        assert_eq!(
            split_pnpm_key("/lodash/4.17.21"),
            Some(("lodash", "4.17.21"))
        );
        assert_eq!(
            split_pnpm_key("/@types/node/20.1.0_typescript@5.0.0"),
            Some(("@types/node", "20.1.0"))
        );
        assert_eq!(split_pnpm_key("noversion"), None);
    }
}
