//! The OpenAPI 3.1 document, generated from the route table ([`crate::api::ROUTES`]) so that it
//! cannot drift from the router (a test compares the table with the router's source).

use serde_json::{Map, Value, json};

use crate::api::ROUTES;

fn path_params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            json!({
                "name": name,
                "in": "path",
                "required": true,
                "schema": {"type": "string"},
                "description": if name == "id" { "a task id (12, T-12) or key, or a decision ID" } else { name },
            })
        })
        .collect()
}

fn query_params(schema: &Value) -> Vec<Value> {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, s)| {
            let description = s.get("description").cloned().unwrap_or(Value::Null);
            let mut p = json!({
                "name": name,
                "in": "query",
                "required": false,
                "schema": {"type": "string"},
            });
            if !description.is_null()
                && let Some(o) = p.as_object_mut()
            {
                o.insert("description".into(), description);
            }
            p
        })
        .collect()
}

fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_string();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        id.push('_');
        id.push_str(&seg.replace(['{', '}'], "").replace(['.', '-'], "_"));
    }
    if path == "/" {
        id.push_str("_cockpit");
    }
    id
}

/// The OpenAPI 3.1 document of the server.
pub fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for r in ROUTES {
        let mut responses = Map::new();
        let (code, media) = r.success;
        responses.insert(
            code.to_string(),
            json!({"description": "success", "content": {media: {"schema": {}}}}),
        );
        for (code, what) in [
            ("400", "malformed request (bad JSON)"),
            ("401", "no token, or an unknown or revoked one"),
            ("403", "the token's role or worker may not do this"),
            ("404", "unknown task, decision, root or path"),
            (
                "409",
                "the task's status, lease or dependencies do not allow it",
            ),
            ("413", "the body is too large"),
            ("422", "well-formed but refused input"),
            ("503", "the store is busy or unreachable; retry"),
        ] {
            responses.insert(
                code.into(),
                json!({"description": what, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}),
            );
        }
        let mut op = json!({
            "operationId": operation_id(r.method, r.path),
            "summary": r.summary,
            "responses": responses,
        });
        let Some(obj) = op.as_object_mut() else {
            continue;
        };
        let mut params = path_params(r.path);
        if let Some(q) = r.query {
            params.extend(query_params(&q()));
        }
        if !params.is_empty() {
            obj.insert("parameters".into(), Value::Array(params));
        }
        if let Some(body) = r.body {
            obj.insert(
                "requestBody".into(),
                json!({"required": false, "content": {"application/json": {"schema": body()}}}),
            );
        }
        match r.role {
            None => {
                obj.insert("security".into(), json!([]));
            }
            Some(role) => {
                obj.insert("x-mesh-role".into(), json!(role.as_str()));
            }
        }
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        if let Some(e) = entry.as_object_mut() {
            e.insert(r.method.to_string(), op);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Atomic Mesh",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The pipeline, readiness, documents, diagnostics, hydration, decisions and tasks of one project. Errors are RFC 7807 problem documents. `x-mesh-role` names the least role an operation needs (reader < worker < admin); without configured tokens the server runs open on loopback only.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "detail"],
                    "properties": {
                        "type": {"type": "string", "description": "urn:mesh:problem:<kind>"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string", "description": "what went wrong and what to do"},
                    },
                },
            },
        },
        "security": [{"bearer": []}],
    })
}
