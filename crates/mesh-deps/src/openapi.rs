//! OpenAPI 3.0 / 3.1 documents in YAML or JSON (Swagger 2.0 paths are read the same way).
//! YAML operations get the exact line of their method key; JSON ones are located by finding
//! the path and method keys in the text (best effort, falling back to the path key, then to
//! the `paths` key, then to line 1).

use serde_json::Value;

use crate::model::{ApiOperation, OpenApiDoc, ParseError, SourceLoc};
use crate::names::normalize_route_path;
use crate::text::{JsonKeys, LineIndex, blank_bom};
use crate::yaml;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// True when a text looks like an OpenAPI or Swagger document (a top-level `openapi:` or
/// `swagger:` key in YAML, an `"openapi":` / `"swagger":` key in JSON). Cheap; used to pick
/// candidate files before parsing them.
pub fn looks_like_openapi(text: &str) -> bool {
    if !(text.contains("openapi") || text.contains("swagger")) {
        return false;
    }
    text.lines().any(|l| {
        let l = l.trim_end();
        for key in ["openapi", "swagger"] {
            // YAML: a top-level key.
            if let Some(rest) = l.strip_prefix(key)
                && rest.trim_start().starts_with(':')
            {
                return true;
            }
            // JSON: the key anywhere (top level in practice).
            let quoted = format!("\"{key}\"");
            if let Some(i) = l.find(&quoted)
                && l[i + quoted.len()..].trim_start().starts_with(':')
            {
                return true;
            }
        }
        false
    })
}

/// The path part of a server URL: `https://api.x.com/v1/` → `/v1`, `/api` → `/api`,
/// `{scheme}://host/base` → `/base`. Empty paths give `None`.
fn server_path(url: &str) -> Option<String> {
    let url = url.trim();
    let after_scheme = match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            match rest.find('/') {
                Some(j) => &rest[j..],
                None => "",
            }
        }
        None => url,
    };
    let p = normalize_route_path(after_scheme);
    (p != "/").then_some(p)
}

/// Parse an OpenAPI document. `Ok(None)` when the text is valid YAML/JSON but not an
/// OpenAPI/Swagger document (no top-level `openapi`/`swagger` key).
pub fn parse_openapi(file: &str, text: &str) -> Result<Option<OpenApiDoc>, ParseError> {
    let is_json =
        file.to_ascii_lowercase().ends_with(".json") || text.trim_start().starts_with('{');
    if is_json {
        parse_json(file, text)
    } else {
        parse_yaml(file, text)
    }
}

fn parse_yaml(file: &str, text: &str) -> Result<Option<OpenApiDoc>, ParseError> {
    let index = LineIndex::new(file, text);
    let root = yaml::load(&index, text)?;
    let Some(version) = yaml::get(&root, "openapi")
        .or_else(|| yaml::get(&root, "swagger"))
        .and_then(yaml::scalar)
    else {
        return Ok(None);
    };
    let mut doc = OpenApiDoc {
        file: file.to_string(),
        version: version.to_string(),
        title: yaml::get(&root, "info")
            .and_then(|i| yaml::get(i, "title"))
            .and_then(yaml::scalar)
            .map(str::to_string),
        server_paths: Vec::new(),
        operations: Vec::new(),
    };
    if let Some(servers) = yaml::get(&root, "servers") {
        doc.server_paths = yaml::items(servers)
            .filter_map(|s| yaml::get(s, "url").and_then(yaml::scalar))
            .filter_map(server_path)
            .collect();
    }
    if let Some(base) = yaml::get(&root, "basePath").and_then(yaml::scalar) {
        doc.server_paths.extend(server_path(base));
    }
    let Some(paths) = yaml::get(&root, "paths") else {
        return Ok(Some(doc));
    };
    for (raw_path, _, item) in yaml::entries(paths) {
        for (method, key_node, op) in yaml::entries(item) {
            if !METHODS.contains(&method) {
                continue;
            }
            doc.operations.push(ApiOperation {
                method: method.to_ascii_uppercase(),
                path: normalize_route_path(raw_path),
                raw_path: raw_path.to_string(),
                operation_id: yaml::get(op, "operationId")
                    .and_then(yaml::scalar)
                    .map(str::to_string),
                summary: yaml::get(op, "summary")
                    .and_then(yaml::scalar)
                    .map(str::to_string),
                at: index.loc(yaml::range(&index, key_node)),
            });
        }
    }
    Ok(Some(doc))
}

fn parse_json(file: &str, text: &str) -> Result<Option<OpenApiDoc>, ParseError> {
    let had_bom = text.starts_with('\u{feff}');
    let text = blank_bom(text);
    let index = LineIndex::new(file, &text).with_bom(had_bom);
    let root: Value = serde_json::from_str(&text).map_err(|e| {
        let offset = index.offset_of(e.line(), e.column().saturating_sub(1));
        index.error(
            offset..offset,
            format!("invalid JSON: {e}; fix the syntax so the file can be read"),
        )
    })?;
    let Some(version) = root
        .get("openapi")
        .or_else(|| root.get("swagger"))
        .and_then(Value::as_str)
    else {
        return Ok(None);
    };
    let mut doc = OpenApiDoc {
        file: file.to_string(),
        version: version.to_string(),
        title: root
            .get("info")
            .and_then(|i| i.get("title"))
            .and_then(Value::as_str)
            .map(str::to_string),
        server_paths: root
            .get("servers")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.get("url").and_then(Value::as_str))
                    .filter_map(server_path)
                    .collect()
            })
            .unwrap_or_default(),
        operations: Vec::new(),
    };
    if let Some(base) = root.get("basePath").and_then(Value::as_str) {
        doc.server_paths.extend(server_path(base));
    }
    let Some(paths) = root.get("paths").and_then(Value::as_object) else {
        return Ok(Some(doc));
    };
    let keys = JsonKeys::new(&text);
    let key_range = |key: &str, at: usize| at..at + key.len() + 2;
    let paths_start = keys.first_after("paths", 0);
    let fallback: SourceLoc = index.loc(paths_start.map_or(0..0, |o| key_range("paths", o)));
    for (raw_path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        let path_key = paths_start.and_then(|p| keys.first_after(raw_path, p));
        for (method, op) in item {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let at = match path_key {
                Some(p) => match keys.first_after(method, p) {
                    Some(m) => index.loc(key_range(method, m)),
                    None => index.loc(key_range(raw_path, p)),
                },
                None => fallback.clone(),
            };
            doc.operations.push(ApiOperation {
                method: method.to_ascii_uppercase(),
                path: normalize_route_path(raw_path),
                raw_path: raw_path.clone(),
                operation_id: op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                summary: op
                    .get("summary")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                at,
            });
        }
    }
    doc.operations.sort_by_key(|o| o.at.byte_range.start);
    Ok(Some(doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_operations_have_exact_lines() {
        let text = "openapi: 3.0.3\ninfo:\n  title: T\n  version: '1'\nservers:\n  - url: https://api.example.com/v1\npaths:\n  /users/{id}:\n    parameters: []\n    get:\n      operationId: getUser\n    delete:\n      summary: Remove\n";
        let doc = parse_openapi("api.yaml", text).unwrap().unwrap();
        assert_eq!(doc.version, "3.0.3");
        assert_eq!(doc.server_paths, ["/v1"]);
        assert_eq!(doc.operations.len(), 2);
        assert_eq!(doc.operations[0].method, "GET");
        assert_eq!(doc.operations[0].path, "/users/{}");
        assert_eq!(doc.operations[0].at.line, 10);
        assert_eq!(doc.operations[0].operation_id.as_deref(), Some("getUser"));
        assert_eq!(doc.operations[1].at.line, 12);
    }

    #[test]
    fn not_openapi_is_none() {
        assert_eq!(parse_openapi("x.yaml", "a: 1\n").unwrap(), None);
        assert!(!looks_like_openapi("name: x\n"));
        assert!(looks_like_openapi("openapi: 3.1.0\n"));
        assert!(looks_like_openapi("{\n  \"openapi\" : \"3.1.0\"}"));
    }
}
