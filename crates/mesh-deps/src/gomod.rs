//! go.mod: `module`, `require` (single and block forms, `// indirect`), `replace`.
//!
//! Written by hand: the format is a few line-based directives and no maintained Rust crate
//! reads it. Go resolves with minimal version selection and go.mod (Go ≥ 1.17) lists every
//! module in the build, so a `require` version is also the locked version.

use crate::lock::Manifest;
use crate::model::{DepSource, Dependency, Ecosystem, FileKind, ParseError};
use crate::names::normalize_name;
use crate::text::{LineIndex, blank_bom};

const GO: Ecosystem = Ecosystem::Go;

const DIRECTIVES: [&str; 9] = [
    "module",
    "go",
    "toolchain",
    "require",
    "replace",
    "exclude",
    "retract",
    "tool",
    "godebug",
];

/// Split a go.mod line into tokens (quoted strings unquoted) and whether it ends with an
/// `// indirect` comment.
fn tokens(line: &str) -> (Vec<String>, bool) {
    let (code, comment) = match line.find("//") {
        Some(i) => (&line[..i], &line[i + 2..]),
        None => (line, ""),
    };
    let indirect = comment.split(';').any(|c| c.trim() == "indirect");
    let mut out = Vec::new();
    let mut chars = code.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' || c == '`' {
            chars.next();
            let mut s = String::new();
            while let Some(ch) = chars.next() {
                if ch == c {
                    break;
                }
                if ch == '\\' && c == '"' {
                    if let Some(esc) = chars.next() {
                        s.push(esc);
                    }
                    continue;
                }
                s.push(ch);
            }
            out.push(s);
        } else {
            let mut s = String::new();
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() {
                    break;
                }
                s.push(ch);
                chars.next();
            }
            out.push(s);
        }
    }
    (out, indirect)
}

/// Parse a `go.mod`. Unknown directives and malformed lines are warnings.
pub fn parse_go_mod(file: &str, text: &str) -> Result<Manifest, ParseError> {
    let had_bom = text.starts_with('\u{feff}');
    let text = blank_bom(text);
    let index = LineIndex::new(file, &text).with_bom(had_bom);
    let mut m = Manifest::new(GO, FileKind::GoMod, file);
    let mut block: Option<(String, std::ops::Range<usize>)> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let range = start..start + line.len();
        let (toks, indirect) = tokens(line);
        if toks.is_empty() {
            continue;
        }
        let (directive, args): (String, &[String]) = match &block {
            Some(_) if toks[0] == ")" => {
                block = None;
                continue;
            }
            Some((d, _)) => (d.clone(), &toks[..]),
            None => {
                let d = toks[0].clone();
                if toks.get(1).map(String::as_str) == Some("(") {
                    block = Some((d, range));
                    continue;
                }
                (d, &toks[1..])
            }
        };
        match directive.as_str() {
            "module" => m.project_name = args.first().cloned(),
            "require" => {
                let (Some(path), Some(version)) = (args.first(), args.get(1)) else {
                    m.problems.push(index.problem(
                        range,
                        "a require line needs a module path and a version, e.g. \
                         `require github.com/pkg/errors v0.9.1`",
                    ));
                    continue;
                };
                let mut dep = Dependency::new(GO, path, index.loc(range));
                dep.requirement = Some(version.clone());
                dep.locked_version = Some(version.clone());
                dep.direct = !indirect;
                m.dependencies.push(dep);
            }
            "replace" => {
                let Some(arrow) = args.iter().position(|a| a == "=>") else {
                    m.problems.push(index.problem(
                        range,
                        "a replace line needs `=>`, e.g. `replace example.com/a => ../a`",
                    ));
                    continue;
                };
                let (Some(from), Some(to)) = (args.first(), args.get(arrow + 1)) else {
                    m.problems
                        .push(index.problem(range, "incomplete replace directive"));
                    continue;
                };
                let source = if to.starts_with("./") || to.starts_with("../") || to.starts_with('/')
                {
                    DepSource::Path(to.clone())
                } else {
                    DepSource::Registry
                };
                m.replacements.push((normalize_name(GO, from), source));
            }
            d if DIRECTIVES.contains(&d) => {}
            other => m.problems.push(index.problem(
                range,
                format!(
                    "unknown go.mod directive `{other}`; check the line against `go help go.mod`"
                ),
            )),
        }
    }
    if let Some((d, range)) = block {
        m.problems.push(index.problem(
            range,
            format!("the `{d} (` block is never closed; add a line with `)`"),
        ));
    }
    for (module, source) in &m.replacements {
        for d in m.dependencies.iter_mut().filter(|d| &d.name == module) {
            if let DepSource::Path(_) = source {
                d.source = source.clone();
            }
        }
    }
    let name = m.project_name.clone();
    for d in &mut m.dependencies {
        d.declared_by.clone_from(&name);
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_requires_and_replaces() {
        let text = "module example.com/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.1\n\tgithub.com/lib/pq v1.10.9 // indirect\n)\n\nrequire example.com/local v0.0.0\nreplace example.com/local => ../local\nfrobnicate x\n";
        let m = parse_go_mod("go.mod", text).unwrap();
        assert_eq!(m.project_name.as_deref(), Some("example.com/app"));
        assert_eq!(m.dependencies.len(), 3);
        let gin = &m.dependencies[0];
        assert_eq!(gin.name, "github.com/gin-gonic/gin");
        assert_eq!(gin.locked_version.as_deref(), Some("v1.9.1"));
        assert!(gin.direct);
        assert_eq!(gin.declared_at.line, 6);
        assert!(!m.dependencies[1].direct);
        assert_eq!(m.dependencies[2].source, DepSource::Path("../local".into()));
        assert_eq!(m.problems.len(), 1);
        assert_eq!(m.problems[0].at.line, 12);
    }

    #[test]
    fn unclosed_block_is_reported() {
        let m = parse_go_mod("go.mod", "module a\nrequire (\n  x.org/y v1.0.0\n").unwrap();
        assert_eq!(m.dependencies.len(), 1);
        assert_eq!(m.problems.len(), 1);
        assert_eq!(m.problems[0].at.line, 2);
    }
}
