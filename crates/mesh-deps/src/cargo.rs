//! Cargo.toml (packages and workspaces) and Cargo.lock.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::lock::{LockRef, LockedPackage, Lockfile, Manifest};
use crate::model::{DepKind, DepSource, Dependency, Ecosystem, FileKind, ParseError};
use crate::names::normalize_name;
use crate::text::{LineIndex, blank_bom};

pub(crate) fn toml_error(index: &LineIndex<'_>, err: &toml::de::Error) -> ParseError {
    let range = err.span().unwrap_or(0..0);
    index.error(
        range,
        format!(
            "invalid TOML: {}; fix the syntax so the file can be read",
            err.message().trim()
        ),
    )
}

pub(crate) fn parse_toml<'a>(
    index: &LineIndex<'_>,
    text: &'a str,
) -> Result<Spanned<DeTable<'a>>, ParseError> {
    DeTable::parse(text).map_err(|e| toml_error(index, &e))
}

pub(crate) fn table<'a, 'i>(t: &'a DeTable<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    t.get(key)
}

pub(crate) fn as_table<'a, 'i>(v: &'a Spanned<DeValue<'i>>) -> Option<&'a DeTable<'i>> {
    v.get_ref().as_table()
}

pub(crate) fn get_str<'a>(t: &'a DeTable<'_>, key: &str) -> Option<&'a str> {
    t.get(key).and_then(|v| v.get_ref().as_str())
}

pub(crate) fn get_bool(t: &DeTable<'_>, key: &str) -> Option<bool> {
    t.get(key).and_then(|v| v.get_ref().as_bool())
}

pub(crate) fn str_list(t: &DeTable<'_>, key: &str) -> Vec<String> {
    t.get(key)
        .and_then(|v| v.get_ref().as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.get_ref().as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn span_join(a: Range<usize>, b: Range<usize>) -> Range<usize> {
    a.start.min(b.start)..a.end.max(b.end)
}

const SECTIONS: [(&str, DepKind); 5] = [
    ("dependencies", DepKind::Normal),
    ("dev-dependencies", DepKind::Dev),
    ("dev_dependencies", DepKind::Dev),
    ("build-dependencies", DepKind::Build),
    ("build_dependencies", DepKind::Build),
];

/// Parse a `Cargo.toml`: `[package]`, `[dependencies]`, `[dev-dependencies]`,
/// `[build-dependencies]`, their `[target.'cfg'.…]` forms and `[workspace]` /
/// `[workspace.dependencies]`.
pub fn parse_cargo_manifest(file: &str, text: &str) -> Result<Manifest, ParseError> {
    let had_bom = text.starts_with('\u{feff}');
    let text = blank_bom(text);
    let index = LineIndex::new(file, &text).with_bom(had_bom);
    let root = parse_toml(&index, &text)?;
    let root = root.get_ref();
    let mut m = Manifest::new(Ecosystem::Cargo, FileKind::CargoManifest, file);
    if let Some(pkg) = table(root, "package").and_then(as_table) {
        m.project_name = get_str(pkg, "name").map(str::to_string);
    }
    for (section, kind) in SECTIONS {
        if let Some(deps) = table(root, section).and_then(as_table) {
            read_dep_table(&index, deps, kind, None, &mut m);
        }
    }
    if let Some(targets) = table(root, "target").and_then(as_table) {
        for (cfg, tv) in targets {
            let Some(tt) = tv.get_ref().as_table() else {
                continue;
            };
            for (section, kind) in SECTIONS {
                if let Some(deps) = table(tt, section).and_then(as_table) {
                    read_dep_table(&index, deps, kind, Some(cfg.get_ref()), &mut m);
                }
            }
        }
    }
    if let Some(ws) = table(root, "workspace").and_then(as_table) {
        m.is_workspace_root = true;
        if let Some(deps) = table(ws, "dependencies").and_then(as_table) {
            let mut tmp = Manifest::new(Ecosystem::Cargo, FileKind::CargoManifest, file);
            read_dep_table(&index, deps, DepKind::Normal, None, &mut tmp);
            m.workspace_dependencies = tmp.dependencies;
            m.problems.extend(tmp.problems);
        }
    }
    // File order, keeping `inherits_workspace` pointing at the same entries.
    let inherits: Vec<bool> = (0..m.dependencies.len())
        .map(|i| m.inherits_workspace.contains(&i))
        .collect();
    let mut pairs: Vec<(Dependency, bool)> = m.dependencies.drain(..).zip(inherits).collect();
    pairs.sort_by_key(|(d, _)| d.declared_at.byte_range.start);
    m.inherits_workspace = pairs
        .iter()
        .enumerate()
        .filter_map(|(i, (_, inh))| inh.then_some(i))
        .collect();
    let name = m.project_name.clone();
    m.dependencies = pairs
        .into_iter()
        .map(|(mut d, _)| {
            d.declared_by.clone_from(&name);
            d
        })
        .collect();
    m.workspace_dependencies
        .sort_by_key(|d| d.declared_at.byte_range.start);
    Ok(m)
}

fn read_dep_table(
    index: &LineIndex<'_>,
    deps: &DeTable<'_>,
    kind: DepKind,
    target: Option<&str>,
    m: &mut Manifest,
) {
    for (key, value) in deps {
        let key_name: &str = key.get_ref();
        let at = index.loc(span_join(key.span(), value.span()));
        let mut dep = Dependency::new(Ecosystem::Cargo, key_name, at);
        dep.kind = kind;
        dep.marker = target.map(str::to_string);
        match value.get_ref() {
            DeValue::String(req) => dep.requirement = Some(req.to_string()),
            DeValue::Table(t) => {
                if get_bool(t, "workspace") == Some(true) {
                    m.inherits_workspace.push(m.dependencies.len());
                }
                dep.requirement = get_str(t, "version").map(str::to_string);
                if let Some(real) = get_str(t, "package") {
                    dep.alias = Some(key_name.to_string());
                    dep.display_name = real.to_string();
                    dep.name = normalize_name(Ecosystem::Cargo, real);
                }
                if let Some(p) = get_str(t, "path") {
                    dep.source = DepSource::Path(p.to_string());
                } else if let Some(g) = get_str(t, "git") {
                    dep.source = DepSource::Git(g.to_string());
                }
                dep.features = str_list(t, "features");
                if get_bool(t, "optional") == Some(true) && kind == DepKind::Normal {
                    dep.kind = DepKind::Optional;
                }
            }
            other => {
                m.problems.push(index.problem(
                    value.span(),
                    format!(
                        "dependency `{key_name}` has a {} value; write a version string or a \
                         table such as {{ version = \"1\" }}",
                        other.type_str()
                    ),
                ));
                continue;
            }
        }
        m.dependencies.push(dep);
    }
}

/// Parse a `Cargo.lock` (format versions 1 to 4).
pub fn parse_cargo_lock(file: &str, text: &str) -> Result<Lockfile, ParseError> {
    let had_bom = text.starts_with('\u{feff}');
    let text = blank_bom(text);
    let index = LineIndex::new(file, &text).with_bom(had_bom);
    let root = parse_toml(&index, &text)?;
    let root = root.get_ref();
    let mut lock = Lockfile::new(Ecosystem::Cargo, FileKind::CargoLock, file);
    lock.format_version = root.get("version").and_then(|v| match v.get_ref() {
        DeValue::Integer(i) => Some(i.as_str().to_string()),
        DeValue::String(s) => Some(s.to_string()),
        _ => None,
    });
    let Some(packages) = root.get("package").and_then(|v| v.get_ref().as_array()) else {
        return Ok(lock);
    };
    for p in packages.iter() {
        let Some(t) = p.get_ref().as_table() else {
            continue;
        };
        let (Some(name), Some(version)) = (t.get("name"), get_str(t, "version")) else {
            lock.problems.push(index.problem(
                p.span(),
                "a [[package]] entry lacks `name` or `version`; regenerate the lockfile with \
                 `cargo generate-lockfile`",
            ));
            continue;
        };
        let Some(name_str) = name.get_ref().as_str() else {
            continue;
        };
        let source = match get_str(t, "source") {
            None => DepSource::Workspace,
            Some(s) if s.starts_with("git+") => DepSource::Git(s.to_string()),
            Some(s) if s.starts_with("path+") => DepSource::Path(s.to_string()),
            Some(_) => DepSource::Registry,
        };
        let dependencies = str_list(t, "dependencies")
            .iter()
            .map(|d| {
                let mut parts = d.split_whitespace();
                LockRef {
                    name: normalize_name(Ecosystem::Cargo, parts.next().unwrap_or("")),
                    version: parts.next().map(str::to_string),
                }
            })
            .collect();
        lock.packages.push(LockedPackage {
            name: normalize_name(Ecosystem::Cargo, name_str),
            display_name: name_str.to_string(),
            version: version.to_string(),
            source,
            dependencies,
            dev: false,
            install_path: None,
            specs: Vec::new(),
            at: index.loc(name.span()),
        });
    }
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_sections_and_forms() {
        let text = r#"[package]
name = "app"

[dependencies]
serde = { version = "1", features = ["derive"] }
tokio_util = "0.7"
local = { path = "../local" }
renamed = { package = "toml", version = "0.8" }
shared.workspace = true

[dev-dependencies]
proptest = "1"

[target.'cfg(unix)'.dependencies]
libc = "0.2"

[workspace]
members = ["a"]
[workspace.dependencies]
shared = { version = "2.1", features = ["x"] }
"#;
        let m = parse_cargo_manifest("Cargo.toml", text).unwrap();
        assert_eq!(m.project_name.as_deref(), Some("app"));
        assert!(m.is_workspace_root);
        let names: Vec<_> = m.dependencies.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "serde",
                "tokio-util",
                "local",
                "toml",
                "shared",
                "proptest",
                "libc"
            ]
        );
        let serde = &m.dependencies[0];
        assert_eq!(serde.requirement.as_deref(), Some("1"));
        assert_eq!(serde.features, ["derive"]);
        assert_eq!(serde.declared_at.line, 5);
        assert_eq!(m.dependencies[2].source, DepSource::Path("../local".into()));
        assert_eq!(m.dependencies[3].alias.as_deref(), Some("renamed"));
        assert_eq!(m.inherits_workspace, vec![4]);
        assert_eq!(m.dependencies[5].kind, DepKind::Dev);
        assert_eq!(m.dependencies[6].marker.as_deref(), Some("cfg(unix)"));
        assert_eq!(
            m.workspace_dependencies[0].requirement.as_deref(),
            Some("2.1")
        );
    }

    #[test]
    fn bad_toml_is_an_error_with_a_line() {
        let err = parse_cargo_manifest("Cargo.toml", "[package]\nname = \n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("invalid TOML"));
    }
}
