//! Name matching: package names per ecosystem, requirement lines as written in SPEC and
//! TECH_STACK, entity ↔ table names, and route paths.

use heck::ToSnakeCase;
use serde::Serialize;

use crate::model::Ecosystem;

/// The normalized form of a package name, for comparing names within one ecosystem.
///
/// - Cargo: lowercase, `_` → `-` (crates.io treats them as the same name).
/// - npm: lowercase; the scope stays part of the name (`@types/node`).
/// - PyPI: extras dropped (`uvicorn[standard]` → `uvicorn`), then PEP 503: lowercase and every
///   run of `-`, `_`, `.` becomes one `-` (`Foo.Bar_baz` → `foo-bar-baz`).
/// - Go: lowercase module path.
///
/// Surrounding whitespace and backticks are removed in every ecosystem.
pub fn normalize_name(ecosystem: Ecosystem, name: &str) -> String {
    let name = name.trim().trim_matches('`').trim();
    match ecosystem {
        Ecosystem::Cargo => name.to_ascii_lowercase().replace('_', "-"),
        Ecosystem::Npm => name.to_lowercase(),
        Ecosystem::PyPI => {
            let base = name.split('[').next().unwrap_or(name).trim();
            let mut out = String::with_capacity(base.len());
            let mut in_sep = false;
            for c in base.chars() {
                if matches!(c, '-' | '_' | '.') {
                    if !in_sep {
                        out.push('-');
                    }
                    in_sep = true;
                } else {
                    out.extend(c.to_lowercase());
                    in_sep = false;
                }
            }
            out
        }
        Ecosystem::Go => name.to_lowercase(),
    }
}

/// True when two names denote the same package in `ecosystem` (see [`normalize_name`]).
/// For Go, a major-version suffix is ignored (`github.com/jackc/pgx/v5` matches
/// `github.com/jackc/pgx`).
pub fn names_match(ecosystem: Ecosystem, a: &str, b: &str) -> bool {
    let (a, b) = (normalize_name(ecosystem, a), normalize_name(ecosystem, b));
    if a == b {
        return true;
    }
    ecosystem == Ecosystem::Go && go_module_base(&a) == go_module_base(&b)
}

/// A Go module path without its `/vN` major-version suffix.
pub fn go_module_base(path: &str) -> &str {
    if let Some((base, last)) = path.rsplit_once('/')
        && let Some(n) = last.strip_prefix('v')
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
    {
        return base;
    }
    path
}

/// The scope of an npm name (`@types/node` → `Some("@types")`).
pub fn npm_scope(name: &str) -> Option<&str> {
    let name = name.trim();
    if name.starts_with('@') {
        name.split_once('/').map(|(scope, _)| scope)
    } else {
        None
    }
}

/// A package requirement as written in a document line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequirementSpec {
    /// The name as written, without extras or version.
    pub name: String,
    /// [`normalize_name`] of `name`.
    pub normalized: String,
    /// Python extras (`uvicorn[standard]` → `["standard"]`).
    pub extras: Vec<String>,
    /// The version constraint, when one is written (`>=0.20`, `^1.2`, `v1.9.1`).
    pub constraint: Option<String>,
}

/// Split a requirement written in a SPEC or TECH_STACK line into name, extras and constraint.
///
/// Accepted forms: PyPI PEP 508 (`uvicorn[standard]>=0.20`, `Django (>=4,<5)`) and Poetry-style
/// `name ^1.2`; npm `name@range`, `@scope/name@range`, `name range`; Cargo `name = "1.0"`,
/// `name = { version = "1" }`, `name@1`, `name 1`; Go `module/path v1.2.3` or `path@v1.2.3`.
/// A `name: constraint` form is accepted everywhere. Returns `None` when no name is found.
pub fn parse_requirement(ecosystem: Ecosystem, text: &str) -> Option<RequirementSpec> {
    let text = text.trim().trim_matches('`').trim();
    if text.is_empty() {
        return None;
    }
    let (name, extras, rest) = match ecosystem {
        Ecosystem::Npm => {
            let (name, rest) = split_npm_spec(text);
            (name.to_string(), Vec::new(), rest)
        }
        Ecosystem::PyPI => {
            let end = text
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .unwrap_or(text.len());
            let name = &text[..end];
            let mut rest = &text[end..];
            let mut extras = Vec::new();
            let trimmed = rest.trim_start();
            if let Some(inner) = trimmed.strip_prefix('[')
                && let Some(close) = inner.find(']')
            {
                extras = inner[..close]
                    .split(',')
                    .map(|e| e.trim().to_string())
                    .filter(|e| !e.is_empty())
                    .collect();
                rest = &inner[close + 1..];
            }
            // Markers are not part of the constraint.
            let rest = rest.split(';').next().unwrap_or("");
            (name.to_string(), extras, rest)
        }
        Ecosystem::Cargo => {
            let end = text
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
                .unwrap_or(text.len());
            let name = &text[..end];
            let rest = &text[end..];
            let rest = cargo_inline_version(rest).unwrap_or(rest);
            (name.to_string(), Vec::new(), rest)
        }
        Ecosystem::Go => {
            let end = text
                .find(|c: char| c.is_whitespace() || c == '@' || c == ':')
                .unwrap_or(text.len());
            (text[..end].to_string(), Vec::new(), &text[end..])
        }
    };
    if name.is_empty() {
        return None;
    }
    let constraint = clean_constraint(rest);
    Some(RequirementSpec {
        normalized: normalize_name(ecosystem, &name),
        name,
        extras,
        constraint,
    })
}

/// `{ version = "1.2", features = [..] }` → `1.2`.
fn cargo_inline_version(rest: &str) -> Option<&str> {
    let brace = rest.find('{')?;
    let inner = &rest[brace..];
    let v = inner.find("version")?;
    let after = &inner[v + "version".len()..];
    let q1 = after.find('"')?;
    let after = &after[q1 + 1..];
    let q2 = after.find('"')?;
    Some(&after[..q2])
}

fn clean_constraint(rest: &str) -> Option<String> {
    let mut s = rest.trim();
    for prefix in ["=", "@", ":"] {
        // `name = "1"`, `name@1`, `name: 1` (but keep `==1`, `=1.2` for Cargo below)
        if let Some(r) = s.strip_prefix(prefix)
            && !r.starts_with('=')
            && (prefix != "=" || r.trim_start().starts_with('"') || r.starts_with(' '))
        {
            s = r.trim();
            break;
        }
    }
    let s = s.trim_matches(|c| c == '"' || c == '\'').trim();
    let s = s
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .unwrap_or(s)
        .trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Split `@scope/name@range` or `name@range` or `name range` into name and the rest.
pub(crate) fn split_npm_spec(text: &str) -> (&str, &str) {
    let text = text.trim();
    let search_from = usize::from(text.starts_with('@'));
    let end = text
        .get(search_from..)
        .and_then(|t| t.find(|c: char| c == '@' || c.is_whitespace()))
        .map_or(text.len(), |i| i + search_from);
    (&text[..end], &text[end..])
}

// ---------------------------------------------------------------------------------------------
// Entities and tables

/// Words of a name in snake case, lowercase, schema and quotes removed:
/// `"public"."UserProfiles"` → `user_profiles`, `order-items` → `order_items`.
fn snake(name: &str) -> String {
    let name = name.trim();
    let last = name.rsplit('.').next().unwrap_or(name);
    let cleaned: String = last
        .chars()
        .filter(|c| !matches!(c, '"' | '`' | '[' | ']' | '\''))
        .collect();
    cleaned.to_snake_case()
}

const IRREGULAR: &[(&str, &str)] = &[
    ("people", "person"),
    ("children", "child"),
    ("men", "man"),
    ("women", "woman"),
    ("mice", "mouse"),
    ("geese", "goose"),
    ("feet", "foot"),
    ("teeth", "tooth"),
    ("indices", "index"),
    ("matrices", "matrix"),
    ("vertices", "vertex"),
    ("criteria", "criterion"),
    ("analyses", "analysis"),
    ("data", "datum"),
    ("media", "medium"),
];

/// Possible singular forms of one lowercase word (including the word itself).
fn singular_forms(word: &str) -> Vec<String> {
    let mut out = vec![word.to_string()];
    for (plural, single) in IRREGULAR {
        if word == *plural {
            out.push((*single).to_string());
        }
    }
    if let Some(stem) = word.strip_suffix("ies")
        && !stem.is_empty()
    {
        out.push(format!("{stem}y"));
    }
    if let Some(stem) = word.strip_suffix("ves")
        && !stem.is_empty()
    {
        out.push(format!("{stem}f"));
        out.push(format!("{stem}fe"));
    }
    if let Some(stem) = word.strip_suffix("es")
        && !stem.is_empty()
    {
        out.push(stem.to_string());
    }
    if let Some(stem) = word.strip_suffix('s')
        && !stem.is_empty()
        && !word.ends_with("ss")
    {
        out.push(stem.to_string());
    }
    out
}

/// The forms under which an entity or table name may match: snake case with the last word in
/// each possible singular form, underscores removed for comparison.
fn match_forms(name: &str) -> Vec<String> {
    let s = snake(name);
    let (head, last) = match s.rsplit_once('_') {
        Some((h, l)) => (Some(h), l),
        None => (None, s.as_str()),
    };
    singular_forms(last)
        .into_iter()
        .map(|w| match head {
            Some(h) => format!("{h}{w}").replace('_', ""),
            None => w,
        })
        .collect()
}

/// A canonical key for an entity or table name: snake case, last word singular (best guess).
/// `UserProfiles` → `user_profile`, `categories` → `category`, `people` → `person`.
pub fn entity_key(name: &str) -> String {
    let s = snake(name);
    let (head, last) = match s.rsplit_once('_') {
        Some((h, l)) => (Some(h.to_string()), l.to_string()),
        None => (None, s.clone()),
    };
    let single = singularize(&last);
    match head {
        Some(h) => format!("{h}_{single}"),
        None => single,
    }
}

/// The most likely singular of one English word (lowercase in, lowercase out).
pub fn singularize(word: &str) -> String {
    let w = word.to_lowercase();
    if let Some((_, s)) = IRREGULAR.iter().find(|(p, _)| *p == w) {
        return (*s).to_string();
    }
    if w.len() > 3
        && let Some(stem) = w.strip_suffix("ies")
    {
        return format!("{stem}y");
    }
    for suffix in ["sses", "shes", "ches", "xes", "zzes", "uses"] {
        if w.ends_with(suffix) {
            return w[..w.len() - 2].to_string();
        }
    }
    if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        return w[..w.len() - 1].to_string();
    }
    w
}

/// True when an entity name (SPEC) and a table name (SQL) denote the same thing, across
/// singular/plural, snake/camel/Pascal/kebab case and schema qualification:
/// `User` = `users`, `OrderItem` = `order_items`, `Category` = `categories`,
/// `Person` = `people`, `UserProfile` = `"public"."user_profiles"`.
pub fn entity_matches_table(entity: &str, table: &str) -> bool {
    let a = match_forms(entity);
    let b = match_forms(table);
    a.iter().any(|x| !x.is_empty() && b.contains(x))
}

// ---------------------------------------------------------------------------------------------
// Routes

/// Normalize a route path so that OpenAPI, SPEC and framework spellings compare equal:
/// every parameter becomes `{}` (`{id}`, `:id`, `:id?`, `:id(\d+)`, `<id>`, `<int:id>`), a
/// wildcard becomes `{*}` (`*`, `*rest`, `{*rest}`, `<path:p>` stays `{}`), the query string is
/// dropped, repeated and trailing slashes are removed, and a leading slash is added.
/// `/users/{id}/` → `/users/{}`; `users/:id` → `/users/{}`.
pub fn normalize_route_path(path: &str) -> String {
    let path = path.trim();
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let mut out = String::with_capacity(path.len() + 1);
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(&normalize_segment(segment));
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

fn normalize_segment(seg: &str) -> String {
    if seg == "*" || (seg.starts_with('*') && seg[1..].chars().all(is_ident_char)) {
        return "{*}".to_string();
    }
    if seg.starts_with("{*") && seg.ends_with('}') {
        return "{*}".to_string();
    }
    let mut out = String::with_capacity(seg.len());
    let chars: Vec<char> = seg.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '{' | '<' => {
                let close = if c == '{' { '}' } else { '>' };
                match chars[i + 1..].iter().position(|&x| x == close) {
                    Some(p) => {
                        out.push_str("{}");
                        i += p + 2;
                    }
                    None => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            ':' if i == 0 => {
                let mut j = 1;
                while j < chars.len() && is_ident_char(chars[j]) {
                    j += 1;
                }
                if j == 1 {
                    out.push(c);
                    i += 1;
                    continue;
                }
                if j < chars.len() && chars[j] == '(' {
                    let mut depth = 0usize;
                    while j < chars.len() {
                        match chars[j] {
                            '(' => depth += 1,
                            ')' => {
                                depth = depth.saturating_sub(1);
                                if depth == 0 {
                                    j += 1;
                                    break;
                                }
                            }
                            _ => {}
                        }
                        j += 1;
                    }
                }
                if j < chars.len() && matches!(chars[j], '?' | '*' | '+') {
                    j += 1;
                }
                out.push_str("{}");
                i = j;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// True when two route paths are the same after [`normalize_route_path`].
pub fn routes_match(a: &str, b: &str) -> bool {
    normalize_route_path(a) == normalize_route_path(b)
}

/// Upper-case HTTP method when `method` is one (`get` → `GET`); `None` otherwise.
pub fn normalize_method(method: &str) -> Option<String> {
    let m = method.trim().to_ascii_uppercase();
    matches!(
        m.as_str(),
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" | "TRACE" | "CONNECT"
    )
    .then_some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_names_follow_pep_503() {
        assert_eq!(
            normalize_name(Ecosystem::PyPI, "Foo.Bar__baz"),
            "foo-bar-baz"
        );
        assert_eq!(
            normalize_name(Ecosystem::PyPI, "uvicorn[standard]"),
            "uvicorn"
        );
        assert!(names_match(
            Ecosystem::PyPI,
            "typing_extensions",
            "Typing-Extensions"
        ));
        assert!(!names_match(Ecosystem::PyPI, "pytest", "pytest-cov"));
    }

    #[test]
    fn cargo_and_npm_names() {
        assert!(names_match(Ecosystem::Cargo, "serde_json", "serde-json"));
        assert!(names_match(Ecosystem::Npm, "@Types/Node", "@types/node"));
        assert!(!names_match(Ecosystem::Npm, "@types/node", "node"));
        assert_eq!(npm_scope("@types/node"), Some("@types"));
        assert_eq!(npm_scope("lodash"), None);
        assert!(names_match(
            Ecosystem::Go,
            "github.com/jackc/pgx/v5",
            "github.com/jackc/pgx"
        ));
        assert!(!names_match(
            Ecosystem::Go,
            "github.com/jackc/pgx",
            "github.com/jackc/pgconn"
        ));
    }

    #[test]
    fn requirement_lines_split() {
        let r = parse_requirement(
            Ecosystem::PyPI,
            "uvicorn[standard]>=0.20; python_version>'3'",
        )
        .unwrap();
        assert_eq!(r.name, "uvicorn");
        assert_eq!(r.extras, vec!["standard"]);
        assert_eq!(r.constraint.as_deref(), Some(">=0.20"));
        let r = parse_requirement(Ecosystem::PyPI, "Django (>=4.2,<5)").unwrap();
        assert_eq!(r.normalized, "django");
        assert_eq!(r.constraint.as_deref(), Some(">=4.2,<5"));
        let r = parse_requirement(Ecosystem::Npm, "@nestjs/core@^10.0.0").unwrap();
        assert_eq!(r.name, "@nestjs/core");
        assert_eq!(r.constraint.as_deref(), Some("^10.0.0"));
        let r = parse_requirement(Ecosystem::Npm, "express 4.x").unwrap();
        assert_eq!(r.constraint.as_deref(), Some("4.x"));
        let r = parse_requirement(Ecosystem::Cargo, "serde = \"1.0\"").unwrap();
        assert_eq!(
            (r.name.as_str(), r.constraint.as_deref()),
            ("serde", Some("1.0"))
        );
        let r = parse_requirement(
            Ecosystem::Cargo,
            "tokio = { version = \"1.38\", features = [\"full\"] }",
        )
        .unwrap();
        assert_eq!(r.constraint.as_deref(), Some("1.38"));
        let r = parse_requirement(Ecosystem::Cargo, "semver").unwrap();
        assert_eq!(r.constraint, None);
        let r = parse_requirement(Ecosystem::Cargo, "regex = \"=1.10.2\"").unwrap();
        assert_eq!(r.constraint.as_deref(), Some("=1.10.2"));
        let r = parse_requirement(Ecosystem::Go, "github.com/gin-gonic/gin v1.9.1").unwrap();
        assert_eq!(r.name, "github.com/gin-gonic/gin");
        assert_eq!(r.constraint.as_deref(), Some("v1.9.1"));
        let r = parse_requirement(Ecosystem::PyPI, "requests==2.31.0").unwrap();
        assert_eq!(r.constraint.as_deref(), Some("==2.31.0"));
        assert_eq!(parse_requirement(Ecosystem::Npm, "  "), None);
    }

    #[test]
    fn entities_match_tables() {
        assert!(entity_matches_table("User", "users"));
        assert!(entity_matches_table("OrderItem", "order_items"));
        assert!(entity_matches_table("Category", "categories"));
        assert!(entity_matches_table("Person", "people"));
        assert!(entity_matches_table("Address", "addresses"));
        assert!(entity_matches_table("Status", "statuses"));
        assert!(entity_matches_table("House", "houses"));
        assert!(entity_matches_table(
            "UserProfile",
            "\"public\".\"user_profiles\""
        ));
        assert!(entity_matches_table("user-profile", "UserProfiles"));
        assert!(!entity_matches_table("User", "orders"));
        assert!(!entity_matches_table("Order", "order_items"));
        assert_eq!(entity_key("UserProfiles"), "user_profile");
        assert_eq!(entity_key("categories"), "category");
        assert_eq!(entity_key("addresses"), "address");
        assert_eq!(entity_key("status"), "status");
    }

    #[test]
    fn route_paths_normalize() {
        for p in [
            "/users/{id}",
            "/users/:id",
            "/users/<id>",
            "/users/<int:id>",
            "users/{user_id}/",
            "//users/:id(\\d+)",
            "/users/:id?",
        ] {
            assert_eq!(normalize_route_path(p), "/users/{}", "{p}");
        }
        assert_eq!(normalize_route_path("/files/*rest"), "/files/{*}");
        assert_eq!(normalize_route_path("/files/{*rest}"), "/files/{*}");
        assert_eq!(normalize_route_path(""), "/");
        assert_eq!(normalize_route_path("/a?b=1"), "/a");
        assert_eq!(normalize_route_path("/v1/things:batch"), "/v1/things:batch");
        assert_eq!(normalize_route_path("/report.{ext}"), "/report.{}");
        assert!(routes_match("/a/{x}/b", "/a/:y/b"));
        assert_eq!(normalize_method("get").as_deref(), Some("GET"));
        assert_eq!(normalize_method("fetch"), None);
    }
}
