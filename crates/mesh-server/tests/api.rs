#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The REST API end to end through the router (no socket): statuses, problem+json for every
//! kind of bad request, roles and claims, the change feed, the cockpit and the OpenAPI document.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use mesh_server::{AppState, Limits, Role};
use mesh_service::project::Project;
use mesh_store::{ManualClock, Store, StoreLocation};

const LOG: &str = "# Decision Log\n\n## Records\n\n| ID | Date | Type | Decision | Rationale | Scope | Task | Status |\n|----|------|------|----------|-----------|-------|------|--------|\n| 001 | 2026-01-01 | INIT | Start <b>here</b> | - | project | - | ✅ |\n<!-- ATOMIC_MESH_APPEND_DECISIONS_BELOW -->\n";

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
    app: Router,
    clock: Arc<ManualClock>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join("DECISION_LOG.md"), LOG).unwrap();
    std::fs::write(
        docs.join("SPEC.md"),
        "# Spec\n\n## Hydration Contract\n- Database: {{DB}}\n",
    )
    .unwrap();
    git_init(dir.path());
    let clock = Arc::new(ManualClock::new(
        jiff::Timestamp::from_second(1_800_000_000).unwrap(),
    ));
    let store = Store::open(&StoreLocation::Sqlite(dir.path().join(".mesh/mesh.db")))
        .unwrap()
        .with_clock(clock.clone());
    let project = Project::open(dir.path(), false).unwrap();
    let state = AppState::new(
        dir.path().to_path_buf(),
        false,
        project,
        store,
        Duration::from_secs(300),
    )
    .unwrap();
    let limits = Limits {
        body_bytes: 4096,
        timeout: Duration::from_secs(5),
    };
    state.set_location(StoreLocation::Sqlite(dir.path().join(".mesh/mesh.db")));
    let app = mesh_server::app(state.clone(), limits, true);
    Fixture {
        _dir: dir,
        state,
        app,
        clock,
    }
}

/// A git repository in `dir` (the review gate judges the working tree's git tree).
fn git_init(dir: &std::path::Path) {
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .unwrap();
    assert!(git.success());
}

/// Record a passing verification of task `id` on the working tree as it is now (the command
/// `true`), as `mesh task verify` would, so that a submit of it is allowed.
fn verified(f: &Fixture, id: i64) {
    let opts = mesh_service::evidence::VerifyOptions {
        command: Some("true".into()),
        timeout: None,
    };
    let ev = mesh_service::evidence::verify(
        f.state.project_dir(),
        &f.state.project(),
        &f.state.store(),
        id,
        "test",
        &opts,
    )
    .unwrap();
    assert!(ev.passed);
}

struct Reply {
    status: StatusCode,
    content_type: String,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    fn problem(&self, status: u16, kind: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(
            self.content_type, "application/problem+json",
            "{}",
            self.body
        );
        let v = self.json();
        assert_eq!(v["status"], status);
        assert_eq!(v["type"], format!("urn:mesh:problem:{kind}"), "{v}");
        assert!(v["title"].is_string() && v["detail"].is_string());
        v
    }
}

async fn send(app: &Router, req: Request<Body>) -> Reply {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        content_type,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn req(method: &str, uri: &str, token: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

fn raw(method: &str, uri: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type)
        .header("x-mesh-worker", "w1")
        .body(body.into())
        .unwrap()
}

async fn create_task(app: &Router, token: Option<&str>, title: &str) -> i64 {
    let r = send(
        app,
        req(
            "POST",
            "/api/tasks",
            token,
            Some(json!({"title": title, "lane": "docs"})),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn status_shows_pipeline_readiness_and_task_counts() {
    let f = fixture();
    let r = send(&f.app, req("GET", "/api/status", None, None)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, "application/json");
    let v = r.json();
    let root = &v["roots"][0];
    assert_eq!(root["root"], "docs");
    assert_eq!(root["mode"], "BOOTSTRAP");
    let stages: Vec<&str> = root["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        ["Context", "Plan", "Work", "Optimize", "Verify", "Ship"]
    );
    assert_eq!(
        root["stages"][1]["state"], "RED",
        "no tasks yet: Plan is red"
    );
    assert_eq!(v["tasks"]["pending"], 0);

    // A write through the API is visible at once (the cache is keyed by the store generation).
    create_task(&f.app, None, "Write the guide").await;
    let v = send(&f.app, req("GET", "/api/status", None, None))
        .await
        .json();
    assert_eq!(v["tasks"]["pending"], 1);
    assert_eq!(v["roots"][0]["stages"][1]["state"], "GREEN");
}

#[tokio::test]
async fn a_task_goes_from_claim_to_review_and_back_in_open_mode() {
    let f = fixture();
    let id = create_task(&f.app, None, "Write the guide").await;
    let claim = |w: &str| {
        Request::builder()
            .method("POST")
            .uri("/api/tasks/next")
            .header("x-mesh-worker", w)
            .body(Body::empty())
            .unwrap()
    };
    let r = send(&f.app, claim("w1")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t = r.json();
    assert_eq!(t["task"]["id"], id);
    assert_eq!(t["task"]["status"], "in_progress");
    assert_eq!(t["task"]["worker"], "w1");
    // Nothing left for another worker.
    assert_eq!(
        send(&f.app, claim("w2")).await.json(),
        json!({"task": null})
    );

    let hb = send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/T-{id}/heartbeat"),
            None,
            Some(json!({"worker": "w1", "lease_secs": 60})),
        ),
    )
    .await;
    assert_eq!(hb.status, StatusCode::OK, "{}", hb.body);
    // Another worker cannot touch the claim.
    send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/submit"),
            None,
            Some(json!({"worker": "w2"})),
        ),
    )
    .await
    .problem(403, "not-your-claim");
    let submit = || {
        req(
            "POST",
            &format!("/api/tasks/{id}/submit"),
            None,
            Some(json!({"worker": "w1", "note": "tests pass: cargo test"})),
        )
    };
    // No verification yet: the gate refuses, as `mesh task submit` does.
    let refused = send(&f.app, submit()).await;
    let p = refused.problem(409, "not-verified");
    assert!(
        p["detail"].as_str().unwrap().contains("Run verify first"),
        "{p}"
    );
    verified(&f, id);
    let s = send(&f.app, submit()).await;
    assert_eq!(s.json()["task"]["status"], "reviewing", "{}", s.body);
    assert_eq!(s.json()["warning"], Value::Null, "{}", s.body);
    send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/review"),
            None,
            Some(json!({"verdict": "maybe", "note": "x"})),
        ),
    )
    .await
    .problem(422, "invalid");
    // Approval goes through the review gate: this task has no trace and no simplification
    // evidence, so the gate refuses and nothing changes.
    send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/review"),
            None,
            Some(json!({"verdict": "approve", "note": "good"})),
        ),
    )
    .await
    .problem(409, "gate-failed");
    let a = send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/review"),
            None,
            Some(json!({"verdict": "reject", "note": "needs an example"})),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["task"]["status"], "pending", "{}", a.body);
    assert_eq!(a.json()["rejections"], 1, "{}", a.body);
    let d = send(&f.app, req("GET", &format!("/api/tasks/{id}"), None, None))
        .await
        .json();
    let moves: Vec<&str> = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(moves, ["pending", "in_progress", "reviewing", "pending"]);
    let list = send(&f.app, req("GET", "/api/tasks?status=pending", None, None))
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_requests_get_problem_json_never_a_bare_500() {
    let f = fixture();
    let id = create_task(&f.app, None, "A task").await;
    let malformed = send(
        &f.app,
        raw("POST", "/api/tasks/next", "application/json", "{\"lane\": "),
    )
    .await;
    malformed.problem(400, "bad-request");
    let unknown_field = send(
        &f.app,
        raw(
            "POST",
            "/api/tasks/next",
            "application/json",
            "{\"lane\": \"docs\", \"sudo\": true}",
        ),
    )
    .await;
    let v = unknown_field.problem(422, "invalid");
    assert!(v["detail"].as_str().unwrap().contains("sudo"), "{v}");
    send(
        &f.app,
        raw("POST", "/api/tasks/next", "text/plain", "lane=docs"),
    )
    .await
    .problem(415, "unsupported-media-type");
    let huge = format!("{{\"note\": \"{}\"}}", "x".repeat(10_000));
    send(
        &f.app,
        raw(
            "POST",
            &format!("/api/tasks/{id}/submit"),
            "application/json",
            huge.clone(),
        ),
    )
    .await
    .problem(413, "too-large");
    // Without a length header (streamed), the limit holds too.
    let stream =
        futures_util::stream::iter(vec![Ok::<_, std::io::Error>(axum::body::Bytes::from(huge))]);
    send(
        &f.app,
        raw(
            "POST",
            &format!("/api/tasks/{id}/submit"),
            "application/json",
            Body::from_stream(stream),
        ),
    )
    .await
    .problem(413, "too-large");
    send(&f.app, req("GET", "/api/tasks/T-999", None, None))
        .await
        .problem(404, "unknown-task");
    send(
        &f.app,
        req(
            "POST",
            "/api/tasks/no-such-key/claim",
            None,
            Some(json!({"worker": "w"})),
        ),
    )
    .await
    .problem(404, "unknown-task");
    send(&f.app, req("GET", "/api/nothing-here", None, None))
        .await
        .problem(404, "not-found");
    send(&f.app, req("DELETE", "/api/status", None, None))
        .await
        .problem(405, "method-not-allowed");
    send(&f.app, req("GET", "/api/tasks?status=sleeping", None, None))
        .await
        .problem(422, "invalid");
    send(&f.app, req("POST", "/api/tasks/next", None, None))
        .await
        .problem(422, "invalid");
    send(
        &f.app,
        req(
            "POST",
            "/api/tasks",
            None,
            Some(json!({"title": "", "lane": "docs"})),
        ),
    )
    .await
    .problem(422, "invalid");
    send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/submit"),
            None,
            Some(json!({"worker": "w1"})),
        ),
    )
    .await
    .problem(409, "illegal-transition");
    send(
        &f.app,
        req(
            "POST",
            "/api/decisions/999/supersede",
            None,
            Some(json!({"decision": "x"})),
        ),
    )
    .await
    .problem(404, "unknown-decision");
    send(
        &f.app,
        req("GET", "/api/decisions?root=elsewhere", None, None),
    )
    .await
    .problem(404, "not-found");
}

#[tokio::test]
async fn an_expired_lease_is_a_conflict() {
    let f = fixture();
    let id = create_task(&f.app, None, "A task").await;
    let r = send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/claim"),
            None,
            Some(json!({"worker": "w1", "lease_secs": 30})),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    f.clock.advance(Duration::from_secs(31));
    let v = send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/heartbeat"),
            None,
            Some(json!({"worker": "w1"})),
        ),
    )
    .await
    .problem(409, "lease-expired");
    assert!(
        v["detail"].as_str().unwrap().contains("claim it again"),
        "{v}"
    );
    send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/claim"),
            None,
            Some(json!({"worker": "w1", "lease_secs": 0})),
        ),
    )
    .await
    .problem(422, "invalid");
}

#[tokio::test]
async fn tokens_gate_roles_and_claims() {
    let f = fixture();
    let store = f.state.store();
    let admin = mesh_server::issue(&store, "boss", Role::Admin)
        .unwrap()
        .token;
    let reader = mesh_server::issue(&store, "viewer", Role::Reader)
        .unwrap()
        .token;
    let alice = mesh_server::issue(&store, "alice", Role::Worker)
        .unwrap()
        .token;
    let bob = mesh_server::issue(&store, "bob", Role::Worker)
        .unwrap()
        .token;
    f.state.reload_tokens().unwrap();

    let r = send(&f.app, req("GET", "/api/status", None, None)).await;
    r.problem(401, "unauthorized");
    assert!(r.headers.get(header::WWW_AUTHENTICATE).is_some());
    send(&f.app, req("GET", "/api/status", Some("mesh_forged"), None))
        .await
        .problem(401, "unauthorized");
    assert_eq!(
        send(&f.app, req("GET", "/api/status", Some(&reader), None))
            .await
            .status,
        StatusCode::OK
    );
    // The public pages stay reachable; the page asks for a token and shows no data.
    let page = send(&f.app, req("GET", "/", None, None)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("token-form") && !page.body.contains("data-stage"));
    assert_eq!(
        send(&f.app, req("GET", "/openapi.json", None, None))
            .await
            .status,
        StatusCode::OK
    );
    send(&f.app, req("GET", "/cockpit/main", None, None))
        .await
        .problem(401, "unauthorized");

    send(
        &f.app,
        req(
            "POST",
            "/api/tasks",
            Some(&alice),
            Some(json!({"title": "t", "lane": "docs"})),
        ),
    )
    .await
    .problem(403, "forbidden");
    let id = create_task(&f.app, Some(&admin), "Shared task").await;
    send(&f.app, req("POST", "/api/tasks/next", Some(&reader), None))
        .await
        .problem(403, "forbidden");
    // A worker acts only as itself.
    send(
        &f.app,
        req(
            "POST",
            "/api/tasks/next",
            Some(&bob),
            Some(json!({"worker": "alice"})),
        ),
    )
    .await
    .problem(403, "forbidden");
    let t = send(&f.app, req("POST", "/api/tasks/next", Some(&alice), None))
        .await
        .json();
    assert_eq!(t["task"]["worker"], "alice");
    send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/heartbeat"),
            Some(&bob),
            None,
        ),
    )
    .await
    .problem(403, "not-your-claim");
    send(
        &f.app,
        req(
            "DELETE",
            &format!("/api/tasks/{id}/lease"),
            Some(&bob),
            None,
        ),
    )
    .await
    .problem(403, "not-your-claim");
    assert_eq!(
        send(
            &f.app,
            req(
                "POST",
                &format!("/api/tasks/{id}/heartbeat"),
                Some(&alice),
                None
            )
        )
        .await
        .status,
        StatusCode::OK
    );
    verified(&f, id);
    assert_eq!(
        send(
            &f.app,
            req(
                "POST",
                &format!("/api/tasks/{id}/submit"),
                Some(&alice),
                Some(json!({"note": "done"}))
            )
        )
        .await
        .status,
        StatusCode::OK
    );
    send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/review"),
            Some(&alice),
            Some(json!({"verdict": "approve", "note": "mine"})),
        ),
    )
    .await
    .problem(403, "forbidden");
    let ok = send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/review"),
            Some(&admin),
            Some(json!({"verdict": "reject", "note": "add tests"})),
        ),
    )
    .await;
    assert_eq!(ok.json()["task"]["status"], "pending", "{}", ok.body);

    // Revoked tokens stop working once reloaded.
    store.revoke_tokens("alice").unwrap();
    f.state.reload_tokens().unwrap();
    send(&f.app, req("GET", "/api/status", Some(&alice), None))
        .await
        .problem(401, "unauthorized");
}

#[tokio::test]
async fn decisions_are_listed_added_and_superseded() {
    let f = fixture();
    let list = send(&f.app, req("GET", "/api/decisions", None, None))
        .await
        .json();
    assert_eq!(list["decisions"][0]["id"], "001");
    let added = send(
        &f.app,
        req(
            "POST",
            "/api/decisions",
            None,
            Some(json!({"type": "ARCH", "decision": "Use axum"})),
        ),
    )
    .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!(added.json()["id"], "002");
    assert_eq!(
        added.json()["path"],
        "docs/DECISION_LOG.md",
        "no server paths"
    );
    let sup = send(
        &f.app,
        req(
            "POST",
            "/api/decisions/002/supersede",
            None,
            Some(json!({"decision": "Use axum 0.8"})),
        ),
    )
    .await;
    assert_eq!(sup.json()["closed"]["id"], "002", "{}", sup.body);
    let active = send(
        &f.app,
        req("GET", "/api/decisions?status=active", None, None),
    )
    .await
    .json();
    let ids: Vec<&str> = active["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["001", "003"]);
    send(
        &f.app,
        req(
            "POST",
            "/api/decisions",
            None,
            Some(json!({"type": "NOPE", "decision": "x"})),
        ),
    )
    .await
    .problem(422, "invalid");
}

#[tokio::test]
async fn documents_hydrate_and_diagnostics_are_served() {
    let f = fixture();
    let docs = send(&f.app, req("GET", "/api/documents", None, None))
        .await
        .json();
    let kinds: Vec<&str> = docs[0]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"SPEC") || kinds.iter().any(|k| k.eq_ignore_ascii_case("spec")),
        "{kinds:?}"
    );
    let h = send(&f.app, req("GET", "/api/hydrate", None, None)).await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.body);
    assert_eq!(h.json()[0]["path"], "docs/ACTIVE_SPEC.md");
    let d = send(&f.app, req("GET", "/api/diagnostics", None, None))
        .await
        .json();
    assert!(
        d["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "DOC005" && x["severity"] == "error"),
        "{d}"
    );
}

#[tokio::test]
async fn the_cockpit_renders_escaped_and_guarded() {
    let f = fixture();
    create_task(&f.app, None, "<script>alert(1)</script>").await;
    let r = send(&f.app, req("GET", "/", None, None)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.starts_with("text/html"));
    let csp = r
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    for stage in ["Context", "Plan", "Work", "Optimize", "Verify", "Ship"] {
        assert!(
            r.body.contains(&format!("data-stage=\"{stage}\"")),
            "{stage}"
        );
    }
    assert!(r.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!r.body.contains("<script>alert"));
    assert!(
        r.body.contains("Start &lt;b&gt;here&lt;/b&gt;"),
        "decision text escaped"
    );
    assert!(r.body.contains("data-status=\"pending\""));
    assert!(
        r.body.contains("docs/SPEC.md:4"),
        "unfilled item with its line"
    );
    let js = send(&f.app, req("GET", "/assets/cockpit.js", None, None)).await;
    assert!(js.content_type.starts_with("text/javascript") && js.body.contains("/api/events"));
}

#[tokio::test]
async fn the_change_feed_reports_task_changes_and_ends_on_shutdown() {
    let f = fixture();
    let resp = f
        .app
        .clone()
        .oneshot(req("GET", "/api/events", None, None))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut body = resp.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: ready"));
    create_task(&f.app, None, "Something new").await;
    let next = tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .into_data()
        .unwrap();
    let text = String::from_utf8_lossy(&next).to_string();
    assert!(
        text.contains("event: change") && text.contains("\"tasks\""),
        "{text}"
    );
    f.state.shutdown_token().cancel();
    let end = tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .unwrap();
    assert!(end.is_none(), "the stream ends on shutdown");
}

#[tokio::test]
async fn the_watcher_sees_other_processes() {
    let f = fixture();
    tokio::spawn(f.state.clone().watch(Duration::from_millis(20)));
    let mut rx = f.state.subscribe();
    tokio::time::sleep(Duration::from_millis(60)).await;
    // Another process adds a task directly in the store file.
    let dir = f.state.project_dir().to_path_buf();
    let other = Store::open(&StoreLocation::Sqlite(dir.join(".mesh/mesh.db"))).unwrap();
    other
        .add_task(
            &mesh_store::NewTask {
                title: "From the CLI".into(),
                lane: "qa".into(),
                ..Default::default()
            },
            "cli",
        )
        .unwrap();
    let change = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(change, mesh_server::state::Change::Tasks);
    let v = send(&f.app, req("GET", "/api/status", None, None))
        .await
        .json();
    assert_eq!(v["tasks"]["pending"], 1);
    // And a document edit.
    std::fs::write(dir.join("docs/INBOX.md"), "# Inbox\n- a note\n").unwrap();
    let change = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(change, mesh_server::state::Change::Documents);
    f.state.shutdown_token().cancel();
}

#[test]
fn openapi_lists_exactly_the_routes_of_the_router() {
    // The router's routes, read from its source the way the API drift rule reads code.
    let src = include_str!("../src/api.rs");
    let mut in_code: Vec<(String, String)> = Vec::new();
    for line in src
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with(".route(\""))
    {
        let path = line.split('"').nth(1).unwrap().to_string();
        let rest = &line[line.find("\",").unwrap()..];
        for m in ["get", "post", "delete", "put", "patch"] {
            if rest.contains(&format!("{m}(")) {
                in_code.push((m.to_string(), path.clone()));
            }
        }
    }
    for m in ["get", "post", "delete"] {
        in_code.push((m.into(), "/mcp".into()));
    }
    in_code.sort();
    let mut documented: Vec<(String, String)> = mesh_server::ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    documented.sort();
    assert_eq!(in_code, documented);

    let doc = mesh_server::openapi::document();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for (m, p) in &documented {
        assert!(
            paths[p.as_str()][m.as_str()]["responses"].is_object(),
            "{m} {p}"
        );
    }
    assert!(paths["/api/tasks/next"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["lane"].is_object());
}

#[tokio::test]
async fn plans_are_drafted_and_accepted_once() {
    let f = fixture();
    send(&f.app, req("POST", "/api/plans/draft", None, None))
        .await
        .problem(409, "not-ready");
    let d = send(
        &f.app,
        req(
            "POST",
            "/api/plans/draft",
            None,
            Some(json!({"force": true})),
        ),
    )
    .await;
    assert_eq!(d.status, StatusCode::CREATED, "{}", d.body);
    assert!(
        d.json()[0]["path"]
            .as_str()
            .unwrap()
            .starts_with("docs/PLANS/draft-"),
        "{}",
        d.body
    );

    let plans = f.state.project_dir().join("docs/PLANS");
    std::fs::write(
        plans.join("sprint.md"),
        "# Plan: sprint\n\n- [ ] Docs: Write the guide — DoD: the guide exists | Trace: US1 | K: docs:guide\n",
    )
    .unwrap();
    let body = json!({"file": "docs/PLANS/sprint.md"});
    let a = send(&f.app, req("POST", "/api/plans", None, Some(body.clone()))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["added"][0]["key"], "docs:guide");
    assert_eq!(a.json()["file"], "docs/PLANS/sprint.md");
    let again = send(&f.app, req("POST", "/api/plans", None, Some(body)))
        .await
        .json();
    assert_eq!(again["added"].as_array().unwrap().len(), 0);
    assert_eq!(again["unchanged"][0], "docs:guide");
    send(
        &f.app,
        req(
            "POST",
            "/api/plans",
            None,
            Some(json!({"file": "../outside.md"})),
        ),
    )
    .await
    .problem(422, "invalid");
    send(
        &f.app,
        req(
            "POST",
            "/api/plans",
            None,
            Some(json!({"file": "docs/PLANS/none.md"})),
        ),
    )
    .await
    .problem(422, "invalid");

    let t = send(&f.app, req("GET", "/api/trace", None, None)).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    assert_eq!(t.json()[0]["root"], "docs");
}

#[tokio::test]
async fn a_worker_asks_a_clarification_and_its_task_waits() {
    let f = fixture();
    let store = f.state.store();
    let admin = mesh_server::issue(&store, "boss", Role::Admin)
        .unwrap()
        .token;
    let reader = mesh_server::issue(&store, "viewer", Role::Reader)
        .unwrap()
        .token;
    let alice = mesh_server::issue(&store, "alice", Role::Worker)
        .unwrap()
        .token;
    let bob = mesh_server::issue(&store, "bob", Role::Worker)
        .unwrap()
        .token;
    f.state.reload_tokens().unwrap();
    let id = create_task(&f.app, Some(&admin), "Build checkout").await;
    let t = send(&f.app, req("POST", "/api/tasks/next", Some(&alice), None))
        .await
        .json();
    assert_eq!(t["task"]["id"], id);
    let uri = format!("/api/tasks/{id}/clarifications");
    let mut rx = f.state.subscribe();

    send(
        &f.app,
        req(
            "POST",
            &uri,
            Some(&reader),
            Some(json!({"question": "Which currency?"})),
        ),
    )
    .await
    .problem(403, "forbidden");
    send(
        &f.app,
        req(
            "POST",
            &uri,
            Some(&bob),
            Some(json!({"question": "Which currency?"})),
        ),
    )
    .await
    .problem(403, "not-your-claim");
    send(
        &f.app,
        req("POST", &uri, Some(&alice), Some(json!({"question": "  "}))),
    )
    .await
    .problem(422, "invalid");
    send(
        &f.app,
        req(
            "POST",
            &uri,
            Some(&alice),
            Some(json!({"question": "q", "extra": 1})),
        ),
    )
    .await
    .problem(422, "invalid");
    send(
        &f.app,
        req(
            "POST",
            "/api/tasks/T-999/clarifications",
            Some(&alice),
            Some(json!({"question": "q"})),
        ),
    )
    .await
    .problem(404, "unknown-task");
    let inbox = f.state.project_dir().join("docs/INBOX.md");
    assert!(!inbox.exists(), "refused questions write nothing");

    let r = send(
        &f.app,
        req(
            "POST",
            &uri,
            Some(&alice),
            Some(json!({"question": "Which currency do prices use?"})),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    assert_eq!(v["blocked"]["id"], id);
    assert_eq!(v["blocked"]["status"], "blocked");
    assert_eq!(v["clarification"]["status"], "pending");
    assert_eq!(v["clarification"]["priority"], 0);
    assert_eq!(v["inbox"]["path"], "docs/INBOX.md");
    let text = std::fs::read_to_string(&inbox).unwrap();
    let line = v["inbox"]["text"].as_str().unwrap();
    assert_eq!(
        text.lines()
            .nth(v["inbox"]["line"].as_u64().unwrap() as usize - 1),
        Some(line)
    );
    assert!(line.starts_with(&format!(
        "- [ ] OPEN QUESTION: Which currency do prices use? (T-{id}, asked by alice; answer in T-{}",
        v["clarification"]["id"]
    )));
    // The live feed and the status see both changes.
    let mut seen = Vec::new();
    while let Ok(Ok(c)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
        seen.push(c);
    }
    assert!(
        seen.contains(&mesh_server::state::Change::Tasks),
        "{seen:?}"
    );
    assert!(
        seen.contains(&mesh_server::state::Change::Documents),
        "{seen:?}"
    );
    let s = send(&f.app, req("GET", "/api/status", Some(&reader), None))
        .await
        .json();
    assert_eq!(s["tasks"]["blocked"], 1);
    assert_eq!(s["tasks"]["pending"], 1);
    // The claim is gone: alice cannot go on with the task.
    send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/heartbeat"),
            Some(&alice),
            None,
        ),
    )
    .await
    .problem(409, "illegal-transition");
}

#[tokio::test]
async fn an_admin_overrides_a_claim_and_workers_still_cannot() {
    let f = fixture();
    let store = f.state.store();
    let admin = mesh_server::issue(&store, "boss", Role::Admin)
        .unwrap()
        .token;
    let alice = mesh_server::issue(&store, "alice", Role::Worker)
        .unwrap()
        .token;
    let bob = mesh_server::issue(&store, "bob", Role::Worker)
        .unwrap()
        .token;
    f.state.reload_tokens().unwrap();
    let id = create_task(&f.app, Some(&admin), "Shared task").await;
    let lease = format!("/api/tasks/{id}/lease");
    let t = send(&f.app, req("POST", "/api/tasks/next", Some(&alice), None))
        .await
        .json();
    assert_eq!(t["task"]["worker"], "alice");

    // Workers cannot touch alice's claim, neither by release nor by reassignment.
    send(&f.app, req("DELETE", &lease, Some(&bob), None))
        .await
        .problem(403, "not-your-claim");
    send(
        &f.app,
        req("DELETE", &format!("{lease}?worker=alice"), Some(&bob), None),
    )
    .await
    .problem(403, "forbidden");
    send(
        &f.app,
        req("PUT", &lease, Some(&bob), Some(json!({"worker": "bob"}))),
    )
    .await
    .problem(403, "forbidden");
    // An admin naming the wrong holder is refused; the claim stays.
    send(
        &f.app,
        req("DELETE", &format!("{lease}?worker=bob"), Some(&admin), None),
    )
    .await
    .problem(403, "not-your-claim");

    let r = send(
        &f.app,
        req(
            "DELETE",
            &format!("{lease}?note=alice%20is%20away"),
            Some(&admin),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "pending");
    assert_eq!(r.json()["worker"], Value::Null);
    let d = send(
        &f.app,
        req("GET", &format!("/api/tasks/{id}"), Some(&bob), None),
    )
    .await
    .json();
    let last = d["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["reason"],
        "released by admin boss (override): alice is away"
    );
    // Nothing left to release.
    send(&f.app, req("DELETE", &lease, Some(&admin), None))
        .await
        .problem(409, "illegal-transition");

    // Reassign: alice claims again, the admin gives the task to bob.
    send(&f.app, req("POST", "/api/tasks/next", Some(&alice), None)).await;
    send(&f.app, req("PUT", &lease, Some(&admin), Some(json!({}))))
        .await
        .problem(422, "invalid");
    send(
        &f.app,
        req(
            "PUT",
            "/api/tasks/T-999/lease",
            Some(&admin),
            Some(json!({"worker": "bob"})),
        ),
    )
    .await
    .problem(404, "unknown-task");
    let r = send(
        &f.app,
        req(
            "PUT",
            &lease,
            Some(&admin),
            Some(json!({"worker": "bob", "lease_secs": 60, "note": "alice is away"})),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "in_progress");
    assert_eq!(r.json()["worker"], "bob");
    send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/heartbeat"),
            Some(&alice),
            None,
        ),
    )
    .await
    .problem(403, "not-your-claim");
    assert_eq!(
        send(
            &f.app,
            req(
                "POST",
                &format!("/api/tasks/{id}/heartbeat"),
                Some(&bob),
                None
            )
        )
        .await
        .status,
        StatusCode::OK
    );

    // Both overrides are in the ledger, by the admin.
    let ledger = send(&f.app, req("GET", "/api/ledger", Some(&bob), None))
        .await
        .json();
    assert_eq!(ledger["verification"]["ok"], true);
    let overrides: Vec<(String, String, String)> = ledger["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "override")
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["data"]["action"].as_str().unwrap().to_string(),
                e["data"]["from"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        overrides,
        [
            ("boss".into(), "release".into(), "alice".into()),
            ("boss".into(), "reassign".into(), "alice".into())
        ]
    );
}

/// A project in a real git repository whose test command is `true`, with its store in `.mesh/`
/// (which git ignores), so evidence and the review gate can judge its tree.
fn git_fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join("DECISION_LOG.md"), LOG).unwrap();
    std::fs::write(
        docs.join("SPEC.md"),
        "# Spec\n\n## Hydration Contract\n- Database: SQLite\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("mesh.toml"),
        "[verify]\ncommand = \"true\"\n",
    )
    .unwrap();
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .unwrap();
    assert!(git.success());
    let location = StoreLocation::Sqlite(dir.path().join(".mesh/mesh.db"));
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
    let store = Store::open(&location).unwrap();
    let project = Project::open(dir.path(), false).unwrap();
    let state = AppState::new(
        dir.path().to_path_buf(),
        false,
        project,
        store,
        Duration::from_secs(300),
    )
    .unwrap();
    state.set_location(location);
    let limits = Limits {
        body_bytes: 4096,
        timeout: Duration::from_secs(5),
    };
    let app = mesh_server::app(state.clone(), limits, true);
    Fixture {
        _dir: dir,
        state,
        app,
        clock,
    }
}

async fn wait_for_evidence(app: &Router, id: i64, kind: &str) -> Value {
    for _ in 0..200 {
        let list = send(
            app,
            req("GET", &format!("/api/tasks/{id}/evidence"), None, None),
        )
        .await
        .json();
        if let Some(e) = list.as_array().unwrap().iter().find(|e| e["kind"] == kind) {
            return e.clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no {kind} evidence for T-{id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_gate_approves_with_evidence_or_an_override() {
    let f = git_fixture();
    let id = create_task(&f.app, None, "Write the guide").await;
    let t = send(
        &f.app,
        req(
            "POST",
            "/api/tasks/next",
            None,
            Some(json!({"worker": "w1"})),
        ),
    )
    .await
    .json();
    assert_eq!(t["task"]["id"], id);
    let ev = send(
        &f.app,
        req("GET", &format!("/api/tasks/{id}/evidence"), None, None),
    )
    .await;
    assert_eq!(ev.json(), json!([]));
    send(&f.app, req("GET", "/api/tasks/T-999/evidence", None, None))
        .await
        .problem(404, "unknown-task");

    // Verification runs in the background; its evidence appears when it ends.
    let r = send(
        &f.app,
        req("POST", &format!("/api/tasks/{id}/verify"), None, None),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.json()["command"], "true");
    assert_eq!(r.json()["command_source"], "config");
    assert_eq!(r.json()["evidence"], format!("/api/tasks/{id}/evidence"));
    let v = wait_for_evidence(&f.app, id, "verify").await;
    assert_eq!(v["passed"], true);
    assert_eq!(v["data"]["exit_code"], 0);

    let s = send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/submit"),
            None,
            Some(json!({"worker": "w1", "note": "written"})),
        ),
    )
    .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);

    // Without simplification evidence the gate refuses, says why, and changes nothing.
    let approve = |extra: Value| {
        let mut body = json!({"verdict": "approve", "note": "reads well"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        req("POST", &format!("/api/tasks/{id}/review"), None, Some(body))
    };
    let refused = send(&f.app, approve(json!({}))).await;
    let p = refused.problem(409, "gate-failed");
    let conditions = p["conditions"].as_array().unwrap();
    let by_name = |n: &str| conditions.iter().find(|c| c["name"] == n).unwrap().clone();
    assert_eq!(by_name("verification")["ok"], true, "{p}");
    assert_eq!(by_name("simplification")["ok"], false, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("simplification"));
    let still = send(&f.app, req("GET", &format!("/api/tasks/{id}"), None, None))
        .await
        .json();
    assert_eq!(still["status"], "reviewing");

    let simp = send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/simplify"),
            None,
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(simp.status, StatusCode::CREATED, "{}", simp.body);
    assert_eq!(simp.json()["kind"], "simplify");
    send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/simplify"),
            None,
            Some(json!({"base": "no-such-rev"})),
        ),
    )
    .await
    .problem(422, "invalid");

    // What still fails (the task traces to nothing) passes only with an override.
    let refused = send(&f.app, approve(json!({}))).await;
    let p = refused.problem(409, "gate-failed");
    let failed: Vec<&str> = p["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        !failed.contains(&"simplification") && !failed.is_empty(),
        "{p}"
    );
    let ok = send(
        &f.app,
        approve(json!({"override": "a guide has no requirement to trace to"})),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let done = ok.json();
    assert_eq!(done["approved"], true);
    assert_eq!(done["task"]["status"], "completed");
    assert!(done["override"]["decision"].is_string(), "{done}");
    let ledger = send(&f.app, req("GET", "/api/ledger", None, None))
        .await
        .json();
    let kinds: Vec<&str> = ledger["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"override") && kinds.contains(&"review"),
        "{kinds:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_gather_evidence_only_for_their_own_task() {
    let f = git_fixture();
    let store = f.state.store();
    let admin = mesh_server::issue(&store, "boss", Role::Admin)
        .unwrap()
        .token;
    let reader = mesh_server::issue(&store, "viewer", Role::Reader)
        .unwrap()
        .token;
    let alice = mesh_server::issue(&store, "alice", Role::Worker)
        .unwrap()
        .token;
    let bob = mesh_server::issue(&store, "bob", Role::Worker)
        .unwrap()
        .token;
    f.state.reload_tokens().unwrap();
    let id = create_task(&f.app, Some(&admin), "Alice's task").await;
    send(&f.app, req("POST", "/api/tasks/next", Some(&alice), None)).await;
    let verify = format!("/api/tasks/{id}/verify");
    let simplify = format!("/api/tasks/{id}/simplify");
    send(&f.app, req("POST", &verify, Some(&reader), None))
        .await
        .problem(403, "forbidden");
    send(&f.app, req("POST", &verify, Some(&bob), None))
        .await
        .problem(403, "not-your-claim");
    send(&f.app, req("POST", &simplify, Some(&bob), None))
        .await
        .problem(403, "not-your-claim");
    send(
        &f.app,
        req(
            "POST",
            &format!("/api/tasks/{id}/review"),
            Some(&alice),
            Some(json!({"verdict": "approve"})),
        ),
    )
    .await
    .problem(403, "forbidden");
    let r = send(&f.app, req("POST", &verify, Some(&alice), None)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let r = send(&f.app, req("POST", &simplify, Some(&alice), None)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["actor"], "alice");
    for _ in 0..200 {
        let list = send(
            &f.app,
            req(
                "GET",
                &format!("/api/tasks/{id}/evidence"),
                Some(&reader),
                None,
            ),
        )
        .await
        .json();
        if list
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "verify")
        {
            let v = list
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["kind"] == "verify")
                .unwrap();
            assert_eq!(v["actor"], "alice");
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("alice's verification left no evidence");
}

#[tokio::test]
async fn a_cached_status_follows_a_document_edited_on_disk() {
    let f = fixture();
    tokio::spawn(f.state.clone().watch(Duration::from_millis(20)));
    let mut rx = f.state.subscribe();
    let doc = |v: &Value, kind: &str| {
        v["roots"][0]["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == kind)
            .unwrap()
            .clone()
    };
    let before = send(&f.app, req("GET", "/api/status", None, None))
        .await
        .json();
    assert_eq!(doc(&before, "PRD")["exists"], false, "{before}");
    // Served from the cache while nothing changes.
    let again = send(&f.app, req("GET", "/api/status", None, None)).await;
    assert_eq!(again.json(), before);
    tokio::time::sleep(Duration::from_millis(60)).await;

    // Someone writes PRD.md outside the server: the watcher invalidates the cached status.
    let dir = f.state.project_dir().to_path_buf();
    std::fs::write(
        dir.join("docs/PRD.md"),
        "# PRD: shop\n\n## One-liner\nA shop that sells books.\n",
    )
    .unwrap();
    let change = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(change, mesh_server::state::Change::Documents);
    let after = send(&f.app, req("GET", "/api/status", None, None))
        .await
        .json();
    assert_eq!(doc(&after, "PRD")["exists"], true, "{after}");
    f.state.shutdown_token().cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_over_rest_needs_a_verification_of_the_current_tree() {
    let f = git_fixture();
    let id = create_task(&f.app, None, "Write the guide").await;
    send(
        &f.app,
        req(
            "POST",
            "/api/tasks/next",
            None,
            Some(json!({"worker": "w1"})),
        ),
    )
    .await;
    let submit = || {
        req(
            "POST",
            &format!("/api/tasks/{id}/submit"),
            None,
            Some(json!({"worker": "w1", "note": "written"})),
        )
    };
    let p = send(&f.app, submit()).await.problem(409, "not-verified");
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("no verification was recorded"), "{p}");
    assert!(detail.contains(&format!("/api/tasks/T-{id}/verify")), "{p}");

    // A failing verification, then a change to the tree: stale, refused again.
    let failing = mesh_service::evidence::VerifyOptions {
        command: Some("exit 3".into()),
        timeout: None,
    };
    let ev = mesh_service::evidence::verify(
        f.state.project_dir(),
        &f.state.project(),
        &f.state.store(),
        id,
        "w1",
        &failing,
    )
    .unwrap();
    assert!(!ev.passed);
    std::fs::write(f.state.project_dir().join("guide.md"), "# Guide\n").unwrap();
    let p = send(&f.app, submit()).await.problem(409, "not-verified");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("the code changed since"),
        "{p}"
    );
    let still = send(&f.app, req("GET", &format!("/api/tasks/{id}"), None, None)).await;
    assert_eq!(still.json()["status"], "in_progress", "{}", still.body);

    // Failing again on the current tree: accepted, with the warning in the response.
    mesh_service::evidence::verify(
        f.state.project_dir(),
        &f.state.project(),
        &f.state.store(),
        id,
        "w1",
        &failing,
    )
    .unwrap();
    let s = send(&f.app, submit()).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let v = s.json();
    assert_eq!(v["task"]["status"], "reviewing", "{v}");
    assert_eq!(v["verification"]["passed"], false, "{v}");
    assert!(v["warning"].as_str().unwrap().contains("failed"), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mcp_operations_verify_synchronously_then_submit() {
    let f = git_fixture();
    let id = create_task(&f.app, None, "Write the guide").await;
    let other = create_task(&f.app, None, "Someone else's").await;
    send(
        &f.app,
        req(
            "POST",
            "/api/tasks/next",
            None,
            Some(json!({"worker": "w1"})),
        ),
    )
    .await;
    // Not the caller's task: refused before anything runs.
    let p = mesh_server::ops::verify_now(&f.state, format!("T-{other}"), "w1".into())
        .await
        .unwrap_err();
    assert_eq!(p.status, 403, "{p:?}");
    let refused = mesh_server::ops::submit(&f.state, format!("T-{id}"), "w1".into(), None)
        .await
        .unwrap_err();
    assert_eq!(refused.status, 409, "{refused:?}");
    let v = mesh_server::ops::verify_now(&f.state, format!("T-{id}"), "w1".into())
        .await
        .unwrap();
    assert!(v.passed, "{v:?}");
    assert!(v.summary.starts_with("passed"), "{v:?}");
    assert_eq!(v.command, "true");
    assert!(v.tree.as_deref().is_some_and(|t| t.len() >= 40), "{v:?}");
    // The evidence is recorded, and the running mark is cleared (a second run may start).
    let list = send(
        &f.app,
        req("GET", &format!("/api/tasks/{id}/evidence"), None, None),
    )
    .await
    .json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(f.state.start_verifying(id));
    f.state.done_verifying(id);
    let done = mesh_server::ops::submit(
        &f.state,
        format!("T-{id}"),
        "w1".into(),
        Some("done".into()),
    )
    .await
    .unwrap();
    assert_eq!(done.task.status, mesh_store::Status::Reviewing);
    assert!(done.warning.is_none());
    assert_eq!(done.verification.id, v.evidence);
}
