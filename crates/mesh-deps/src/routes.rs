//! Routes declared in code, found by pattern. Best effort by design: it reads literal paths in
//! the common call shapes and does not follow prefixes added in other files.
//!
//! - axum (`.rs`): `.route("/path", get(h).post(h2))`, `on(MethodFilter::GET, h)`,
//!   `.route_service("/path", svc)` (ANY). `.nest("/api", r)` prefixes are not applied.
//! - Express (`.js`, `.ts`, …): `app.get('/path', …)`, `router.post("/path", …)`,
//!   `app.route('/path').get(…).put(…)`, `app.all(…)` (ANY). Calls on HTTP clients
//!   (`axios.get('/x')`, `http.get`, `request(app).get`) are not routes.
//! - FastAPI (`.py` importing fastapi): `@app.get("/path")`, `@router.post(…)`,
//!   `@app.api_route("/p", methods=[…])`, with `APIRouter(prefix="/x")` of the same file.
//! - Flask (`.py` importing flask): `@app.route("/p", methods=[…])` (GET by default),
//!   `@bp.get("/p")`, `app.add_url_rule("/p", …)`, with `Blueprint(…, url_prefix="/x")` of the
//!   same file.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::model::{CodeRoute, Framework};
use crate::names::normalize_route_path;
use crate::text::LineIndex;

fn re(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

static AXUM_ROUTE: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r#"\.(route|route_service)\s*\(\s*"((?:[^"\\]|\\.)*)"\s*,"#));
static AXUM_METHOD: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"\b(get|post|put|delete|patch|head|options|trace|any)(?:_service)?\s*(?:::\s*<[^>]*>\s*)?\(",
    )
});
static AXUM_FILTER: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"MethodFilter\s*::\s*([A-Z]+)"));
static EXPRESS_CALL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r#"(?:^|[^\w$.])([A-Za-z_$][\w$]*)\s*\.\s*(get|post|put|delete|patch|options|head|all)\s*\(\s*(?:'([^']*)'|"([^"]*)"|`([^`$]*)`)"#,
    )
});
static EXPRESS_ROUTE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r#"(?:^|[^\w$.])([A-Za-z_$][\w$]*)\s*\.\s*route\s*\(\s*(?:'([^']*)'|"([^"]*)"|`([^`$]*)`)\s*\)"#,
    )
});
static EXPRESS_USE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r#"\.\s*use\s*\(\s*(?:'(/[^']*)'|"(/[^"]*)"|`(/[^`$]*)`)\s*,\s*([A-Za-z_$][\w$]*)\s*\)"#)
});
static CHAINED_METHOD: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"^\s*\.\s*(get|post|put|delete|patch|options|head|all)\s*\("));
static PY_DECORATOR: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r#"(?m)^[ \t]*@[ \t]*([A-Za-z_][\w.]*)\.(get|post|put|delete|patch|options|head|trace|route|api_route)[ \t]*\("#,
    )
});
static PY_URL_RULE: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"(?m)^[ \t]*([A-Za-z_][\w.]*)\.add_url_rule[ \t]*\("));
static PY_STRING: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r#"^\s*(?:path\s*=\s*|rule\s*=\s*)?[rRuU]?(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')"#)
});
static PY_METHODS: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"methods\s*=\s*[\[\(\{]([^\]\)\}]*)[\]\)\}]"));
static PY_PREFIX: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r#"(?m)^[ \t]*([A-Za-z_]\w*)\s*=\s*(?:[\w.]*\.)?(APIRouter|Blueprint)\s*\(([^)]*)\)"#)
});
static PY_INCLUDE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"\.(include_router|register_blueprint)\s*\(\s*([A-Za-z_]\w*)\s*(?:,([^)]*))?\)")
});
static PY_PREFIX_ARG: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r#"(?:url_prefix|prefix)\s*=\s*[rRuU]?(?:"([^"]*)"|'([^']*)')"#));

const HTTP_CLIENTS: [&str; 14] = [
    "axios",
    "http",
    "https",
    "fetch",
    "request",
    "client",
    "superagent",
    "ky",
    "got",
    "$http",
    "cy",
    "supertest",
    "agent",
    "httpClient",
];

/// Text from `open` (just after an opening parenthesis) to its matching `)`, skipping
/// string literals. Returns the inner text and the offset just past the `)`.
fn balanced(text: &str, open: usize) -> (&str, usize) {
    let bytes = text.as_bytes();
    let mut depth = 1usize;
    let mut i = open;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'"' | b'\'' | b'`' => quote = Some(b),
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return (text.get(open..i).unwrap_or(""), i + 1);
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    (text.get(open..).unwrap_or(""), text.len())
}

/// True when the match at `offset` sits after a `//` or `#` comment marker on its line.
fn in_line_comment(text: &str, offset: usize, marker: &str) -> bool {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text.get(line_start..offset)
        .is_some_and(|prefix| prefix.contains(marker))
}

fn route(
    index: &LineIndex<'_>,
    framework: Framework,
    method: &str,
    raw: &str,
    prefix: &str,
    range: std::ops::Range<usize>,
) -> CodeRoute {
    let full = if prefix.is_empty() {
        raw.to_string()
    } else {
        format!(
            "{}/{}",
            prefix.trim_end_matches('/'),
            raw.trim_start_matches('/')
        )
    };
    CodeRoute {
        framework,
        method: method.to_ascii_uppercase(),
        path: normalize_route_path(&full),
        raw_path: raw.to_string(),
        at: index.loc(range),
    }
}

/// Find axum routes in a Rust source file.
pub fn find_axum_routes(file: &str, text: &str) -> Vec<CodeRoute> {
    let mut out = Vec::new();
    if !text.contains("route") {
        return out;
    }
    let (Some(route_re), Some(method_re), Some(filter_re)) =
        (&*AXUM_ROUTE, &*AXUM_METHOD, &*AXUM_FILTER)
    else {
        return out;
    };
    let index = LineIndex::new(file, text);
    for cap in route_re.captures_iter(text) {
        let (Some(whole), Some(kind), Some(path)) = (cap.get(0), cap.get(1), cap.get(2)) else {
            continue;
        };
        if in_line_comment(text, whole.start(), "//") {
            continue;
        }
        let range = path.start().saturating_sub(1)..path.end() + 1;
        if kind.as_str() == "route_service" {
            out.push(route(
                &index,
                Framework::Axum,
                "ANY",
                path.as_str(),
                "",
                range,
            ));
            continue;
        }
        let (expr, _) = balanced(text, whole.end());
        let mut methods: Vec<String> = method_re
            .captures_iter(expr)
            .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
            .collect();
        methods.extend(
            filter_re
                .captures_iter(expr)
                .filter_map(|c| c.get(1).map(|m| m.as_str().to_string())),
        );
        methods.dedup();
        for m in methods {
            out.push(route(
                &index,
                Framework::Axum,
                &m,
                path.as_str(),
                "",
                range.clone(),
            ));
        }
    }
    out
}

fn first_group<'t>(cap: &regex::Captures<'t>, groups: &[usize]) -> Option<regex::Match<'t>> {
    groups.iter().find_map(|&g| cap.get(g))
}

/// Find Express routes in a JavaScript or TypeScript source file.
pub fn find_express_routes(file: &str, text: &str) -> Vec<CodeRoute> {
    let mut out = Vec::new();
    let (Some(call_re), Some(route_re), Some(chain_re)) =
        (&*EXPRESS_CALL, &*EXPRESS_ROUTE, &*CHAINED_METHOD)
    else {
        return out;
    };
    let mentions_express = text.contains("express");
    let receiver_ok = |r: &str| {
        if HTTP_CLIENTS.contains(&r) {
            return false;
        }
        let lower = r.to_ascii_lowercase();
        mentions_express
            || lower.ends_with("app")
            || lower.ends_with("router")
            || lower.ends_with("routes")
            || lower == "server"
    };
    // `app.use('/api', router)` in the same file prefixes the router's routes.
    let mut prefixes: HashMap<&str, &str> = HashMap::new();
    if let Some(use_re) = &*EXPRESS_USE {
        for c in use_re.captures_iter(text) {
            if let (Some(p), Some(var)) = (first_group(&c, &[1, 2, 3]), c.get(4)) {
                prefixes.insert(var.as_str(), p.as_str());
            }
        }
    }
    let index = LineIndex::new(file, text);
    for cap in call_re.captures_iter(text) {
        let (Some(whole), Some(recv), Some(method), Some(path)) = (
            cap.get(0),
            cap.get(1),
            cap.get(2),
            first_group(&cap, &[3, 4, 5]),
        ) else {
            continue;
        };
        let p = path.as_str();
        if !(p.starts_with('/') || p == "*") || !receiver_ok(recv.as_str()) {
            continue;
        }
        if in_line_comment(text, whole.start(), "//") {
            continue;
        }
        // `app.get('setting')` reads a setting; only paths count (checked above).
        let m = if method.as_str() == "all" {
            "ANY"
        } else {
            method.as_str()
        };
        out.push(route(
            &index,
            Framework::Express,
            m,
            p,
            prefixes.get(recv.as_str()).copied().unwrap_or(""),
            path.start().saturating_sub(1)..path.end() + 1,
        ));
    }
    for cap in route_re.captures_iter(text) {
        let (Some(whole), Some(recv), Some(path)) =
            (cap.get(0), cap.get(1), first_group(&cap, &[2, 3, 4]))
        else {
            continue;
        };
        if !receiver_ok(recv.as_str()) || in_line_comment(text, whole.start(), "//") {
            continue;
        }
        let mut pos = whole.end();
        while let Some(c) = text.get(pos..).and_then(|rest| chain_re.captures(rest)) {
            let (Some(all), Some(method)) = (c.get(0), c.get(1)) else {
                break;
            };
            let m = if method.as_str() == "all" {
                "ANY"
            } else {
                method.as_str()
            };
            out.push(route(
                &index,
                Framework::Express,
                m,
                path.as_str(),
                prefixes.get(recv.as_str()).copied().unwrap_or(""),
                path.start().saturating_sub(1)..path.end() + 1,
            ));
            let (_, after) = balanced(text, pos + all.end());
            pos = after;
        }
    }
    out.sort_by_key(|r| r.at.byte_range.start);
    out
}

fn py_string(args: &str) -> Option<(String, std::ops::Range<usize>)> {
    let c = PY_STRING.as_ref()?.captures(args)?;
    let m = c.get(1).or_else(|| c.get(2))?;
    Some((m.as_str().to_string(), m.start()..m.end()))
}

fn py_methods(args: &str) -> Option<Vec<String>> {
    let c = PY_METHODS.as_ref()?.captures(args)?;
    let list = c.get(1)?.as_str();
    Some(
        list.split(',')
            .map(|m| m.trim().trim_matches(['"', '\'']).to_ascii_uppercase())
            .filter(|m| !m.is_empty())
            .collect(),
    )
}

/// Find FastAPI or Flask routes in a Python source file (the file must import one of them).
pub fn find_python_routes(file: &str, text: &str) -> Vec<CodeRoute> {
    let mut out = Vec::new();
    let framework = if text.contains("fastapi") {
        Framework::FastApi
    } else if text.contains("flask") {
        Framework::Flask
    } else {
        return out;
    };
    let (Some(deco_re), Some(rule_re), Some(prefix_re), Some(prefix_arg)) =
        (&*PY_DECORATOR, &*PY_URL_RULE, &*PY_PREFIX, &*PY_PREFIX_ARG)
    else {
        return out;
    };
    let index = LineIndex::new(file, text);
    let mut prefixes: HashMap<&str, String> = HashMap::new();
    for c in prefix_re.captures_iter(text) {
        if let (Some(var), Some(args)) = (c.get(1), c.get(3))
            && let Some(p) = prefix_arg.captures(args.as_str())
            && let Some(v) = p.get(1).or_else(|| p.get(2))
        {
            prefixes.insert(var.as_str(), v.as_str().to_string());
        }
    }
    // `app.include_router(r, prefix="/v1")` adds to the router's own prefix;
    // `app.register_blueprint(bp, url_prefix="/x")` replaces the blueprint's.
    if let Some(include_re) = &*PY_INCLUDE {
        for c in include_re.captures_iter(text) {
            let (Some(kind), Some(var)) = (c.get(1), c.get(2)) else {
                continue;
            };
            let Some(p) = c
                .get(3)
                .and_then(|args| prefix_arg.captures(args.as_str()))
                .and_then(|p| p.get(1).or_else(|| p.get(2)))
            else {
                continue;
            };
            let own = prefixes.get(var.as_str()).cloned().unwrap_or_default();
            let combined = if kind.as_str() == "include_router" {
                format!("{}{}", p.as_str().trim_end_matches('/'), own)
            } else {
                p.as_str().to_string()
            };
            prefixes.insert(var.as_str(), combined);
        }
    }
    for cap in deco_re.captures_iter(text) {
        let (Some(whole), Some(obj), Some(kind)) = (cap.get(0), cap.get(1), cap.get(2)) else {
            continue;
        };
        let (args, _) = balanced(text, whole.end());
        let Some((path, r)) = py_string(args) else {
            continue;
        };
        let start = whole.end() + r.start;
        let range = start.saturating_sub(1)..whole.end() + r.end + 1;
        let methods = match kind.as_str() {
            "route" | "api_route" => py_methods(args).unwrap_or_else(|| vec!["GET".to_string()]),
            m => vec![m.to_ascii_uppercase()],
        };
        let prefix = prefixes.get(obj.as_str()).map_or("", String::as_str);
        for m in methods {
            out.push(route(&index, framework, &m, &path, prefix, range.clone()));
        }
    }
    for cap in rule_re.captures_iter(text) {
        let (Some(whole), Some(obj)) = (cap.get(0), cap.get(1)) else {
            continue;
        };
        let (args, _) = balanced(text, whole.end());
        let Some((path, r)) = py_string(args) else {
            continue;
        };
        let range = (whole.end() + r.start).saturating_sub(1)..whole.end() + r.end + 1;
        let prefix = prefixes.get(obj.as_str()).map_or("", String::as_str);
        for m in py_methods(args).unwrap_or_else(|| vec!["GET".to_string()]) {
            out.push(route(
                &index,
                Framework::Flask,
                &m,
                &path,
                prefix,
                range.clone(),
            ));
        }
    }
    out.sort_by_key(|r| r.at.byte_range.start);
    out
}

/// Find routes in a source file, choosing the reader by extension. Other files give nothing.
pub fn find_routes(file: &str, text: &str) -> Vec<CodeRoute> {
    let ext = file.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "rs" => find_axum_routes(file, text),
        "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx" => {
            find_express_routes(file, text)
        }
        "py" => find_python_routes(file, text),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(routes: &[CodeRoute]) -> Vec<(String, String, u32)> {
        routes
            .iter()
            .map(|r| (r.method.clone(), r.path.clone(), r.at.line))
            .collect()
    }

    #[test]
    fn regexes_compile() {
        for r in [
            &AXUM_ROUTE,
            &AXUM_METHOD,
            &AXUM_FILTER,
            &EXPRESS_CALL,
            &EXPRESS_ROUTE,
            &CHAINED_METHOD,
            &PY_DECORATOR,
            &PY_URL_RULE,
            &PY_STRING,
            &PY_METHODS,
            &PY_PREFIX,
            &PY_PREFIX_ARG,
        ] {
            assert!(r.is_some());
        }
    }

    #[test]
    fn axum() {
        let text = "let app = Router::new()\n    .route(\"/users/{id}\", get(show).delete(remove))\n    // .route(\"/old\", get(old))\n    .route(\"/x\", on(MethodFilter::PUT, h))\n    .route_service(\"/static\", svc);\n";
        let r = find_axum_routes("main.rs", text);
        assert_eq!(
            summary(&r),
            [
                ("GET".into(), "/users/{}".into(), 2),
                ("DELETE".into(), "/users/{}".into(), 2),
                ("PUT".into(), "/x".into(), 4),
                ("ANY".into(), "/static".into(), 5),
            ]
        );
    }

    #[test]
    fn express() {
        let text = "const express = require('express');\nconst app = express();\napp.get('/users/:id', (req, res) => res.json({}));\nrouter.post(\"/users\", create);\naxios.get('/api/users');\napp.get('env');\napp.route('/books')\n  .get((req, res) => {})\n  .post(add);\nconst adminRouter = express.Router();\nadminRouter.delete('/cache', clear);\napp.use('/admin', adminRouter);\n";
        let r = find_express_routes("app.js", text);
        assert_eq!(
            summary(&r),
            [
                ("GET".into(), "/users/{}".into(), 3),
                ("POST".into(), "/users".into(), 4),
                ("GET".into(), "/books".into(), 7),
                ("POST".into(), "/books".into(), 7),
                ("DELETE".into(), "/admin/cache".into(), 11),
            ]
        );
    }

    #[test]
    fn fastapi_and_flask() {
        let fa = "from fastapi import APIRouter\nrouter = APIRouter(prefix=\"/items\")\n\n@router.get(\"/{item_id}\")\nasync def read(item_id: int): ...\n\n@router.api_route(\"/\", methods=[\"POST\", \"PUT\"])\ndef write(): ...\napp.include_router(router, prefix=\"/v1\")\n";
        assert_eq!(
            summary(&find_python_routes("api.py", fa)),
            [
                ("GET".into(), "/v1/items/{}".into(), 4),
                ("POST".into(), "/v1/items".into(), 7),
                ("PUT".into(), "/v1/items".into(), 7),
            ]
        );
        let fl = "from flask import Flask, Blueprint\nbp = Blueprint('b', __name__, url_prefix='/api')\n@bp.route('/users/<int:id>', methods=['GET', 'DELETE'])\ndef u(id): ...\n@bp.route(\n    '/ping'\n)\ndef p(): ...\napp.add_url_rule('/health', view_func=h)\n";
        assert_eq!(
            summary(&find_python_routes("app.py", fl)),
            [
                ("GET".into(), "/api/users/{}".into(), 3),
                ("DELETE".into(), "/api/users/{}".into(), 3),
                ("GET".into(), "/api/ping".into(), 6),
                ("GET".into(), "/health".into(), 9),
            ]
        );
    }
}
