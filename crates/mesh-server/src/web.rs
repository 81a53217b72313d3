//! The web cockpit: server-rendered HTML (readable without JavaScript), a small script for live
//! updates over the change feed, and a style sheet — all embedded in the binary. Every piece of
//! document or task text is escaped; the page sets a Content-Security-Policy that allows only
//! its own script and style, no inline code.

use std::fmt::Write as _;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use mesh_service::decide::DecisionList;
use mesh_store::{Status, Task};

use crate::auth::{Caller, Role};
use crate::ops;
use crate::problem::Problem;
use crate::state::{AppState, StatusView};

const SCRIPT: &str = include_str!("../assets/cockpit.js");
const STYLE: &str = include_str!("../assets/cockpit.css");
const ICON: &str = include_str!("../assets/favicon.svg");
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html(body: String) -> Response {
    let mut resp = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        body,
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// Everything the cockpit shows.
pub struct CockpitData {
    pub status: StatusView,
    pub tasks: Vec<Task>,
    pub decisions: Vec<(String, Result<DecisionList, Problem>)>,
    pub ledger: Result<ops::LedgerView, Problem>,
}

async fn gather(state: &AppState) -> Result<CockpitData, Problem> {
    let status = state.status().await?.view.clone();
    let tasks = ops::list_tasks(state, mesh_store::TaskFilter::default()).await?;
    let mut decisions = Vec::new();
    for root in &state.project().roots {
        let list = ops::decisions(state, Some(&root.display), None).await;
        decisions.push((root.display.clone(), list));
    }
    let ledger = ops::ledger(state).await;
    Ok(CockpitData {
        status,
        tasks,
        decisions,
        ledger,
    })
}

/// `GET /`: the whole page. Without a token when tokens are in force, a page that asks for one
/// (the script keeps it in memory only).
pub async fn page(State(state): State<AppState>, caller: Option<Extension<Caller>>) -> Response {
    let main = match caller {
        Some(Extension(c)) if c.require(Role::Reader).is_ok() => match gather(&state).await {
            Ok(data) => render_main(&data),
            Err(p) => return p.into_response(),
        },
        _ => token_form(),
    };
    html(shell(&main))
}

/// `GET /cockpit/main`: the content alone, for live refresh.
pub async fn main_fragment(State(state): State<AppState>) -> Response {
    match gather(&state).await {
        Ok(data) => html(render_main(&data)),
        Err(p) => p.into_response(),
    }
}

pub async fn script() -> Response {
    let mut r = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        SCRIPT,
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

pub async fn icon() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=86400"),
            ),
        ],
        ICON,
    )
        .into_response()
}

pub async fn style() -> Response {
    let mut r = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        STYLE,
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

fn shell(main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Atomic Mesh cockpit</title>\n<link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\">\n<link rel=\"stylesheet\" href=\"/assets/cockpit.css\">\n<script src=\"/assets/cockpit.js\" defer></script>\n</head>\n<body>\n<header><h1>Atomic Mesh</h1><p class=\"live\" id=\"live\">static page: reload to update</p></header>\n<main id=\"main\">\n{main}</main>\n</body>\n</html>\n"
    )
}

fn token_form() -> String {
    "<section id=\"login\"><h2>Token required</h2>\
     <p>This server requires a bearer token. Enter a reader, worker or admin token; the page keeps it in memory only \
     (it is lost on reload). Without JavaScript, use the API with <code>Authorization: Bearer &lt;token&gt;</code>.</p>\
     <form id=\"token-form\"><label for=\"token\">Token</label> \
     <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required> \
     <button type=\"submit\">Open the cockpit</button></form></section>\n"
        .to_string()
}

fn state_class(state: &str) -> &'static str {
    match state {
        "GREEN" => "green",
        "YELLOW" => "yellow",
        "RED" => "red",
        _ => "gray",
    }
}

/// The cockpit's content: pipeline, readiness, task board, decisions.
pub fn render_main(data: &CockpitData) -> String {
    let mut out = String::new();
    for root in &data.status.roots {
        let _ = write!(
            out,
            "<section class=\"root\" data-root=\"{r}\">\n<h2>Pipeline <small>{r} · mode {mode}</small></h2>\n<ol class=\"pipeline\" id=\"pipeline\">\n",
            r = esc(&root.root),
            mode = esc(root.readiness.mode.as_str()),
        );
        for st in &root.stages {
            let s = st.state.as_str();
            let _ = writeln!(
                out,
                "<li class=\"stage {cls}\" data-stage=\"{name}\" data-state=\"{s}\"><span class=\"name\">{name}</span> <span class=\"state\">{s}</span><p class=\"reason\">{reason}</p></li>",
                cls = state_class(s),
                name = esc(st.name),
                reason = esc(&st.reason),
            );
        }
        let _ = writeln!(
            out,
            "</ol>\n<p class=\"next\"><strong>Next:</strong> {}</p>",
            esc(&root.next)
        );
        out.push_str("<h2>Readiness</h2>\n<table class=\"readiness\"><thead><tr><th>Document</th><th>Score</th><th>Threshold</th><th>State</th><th>Unfilled</th></tr></thead><tbody>\n");
        for d in &root.readiness.documents {
            let state = if !d.exists {
                "missing"
            } else if d.threshold.is_none() {
                "not scored"
            } else if d.ready {
                "ready"
            } else {
                "not ready"
            };
            let _ = write!(
                out,
                "<tr data-doc=\"{kind}\" data-ready=\"{ready}\"><td>{path}</td><td>{score}</td><td>{th}</td><td class=\"doc-state st-{slug}\">{state}</td><td>",
                kind = esc(d.kind.as_str()),
                ready = d.ready,
                path = esc(&d.path),
                score = d.score,
                th = d
                    .threshold
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "—".into()),
                slug = state.replace(' ', "-"),
            );
            if d.unfilled.is_empty() {
                out.push('0');
            } else {
                let _ = write!(
                    out,
                    "<details><summary>{} unfilled</summary><ul class=\"unfilled\">",
                    d.unfilled.len()
                );
                for u in &d.unfilled {
                    let _ = write!(
                        out,
                        "<li><code>{path}:{line}</code> <em>{reason}</em> {text}</li>",
                        path = esc(&d.path),
                        line = u.line,
                        reason = esc(u.reason.as_str()),
                        text = esc(&u.text),
                    );
                }
                out.push_str("</ul></details>");
            }
            out.push_str("</td></tr>\n");
        }
        out.push_str("</tbody></table>\n</section>\n");
    }
    render_board(&mut out, &data.tasks);
    for (root, list) in &data.decisions {
        let _ = writeln!(
            out,
            "<section class=\"decisions\"><h2>Decisions <small>{}</small></h2>",
            esc(root)
        );
        match list {
            Ok(l) if l.decisions.is_empty() => out.push_str("<p>No decisions recorded.</p>\n"),
            Ok(l) => {
                out.push_str("<table><thead><tr><th>ID</th><th>Date</th><th>Type</th><th>Decision</th><th>Status</th></tr></thead><tbody>\n");
                for d in &l.decisions {
                    let status = match (&d.superseded_by, &d.reverted_by) {
                        (Some(by), _) => format!("{} by {}", d.status, by),
                        (_, Some(by)) => format!("{} by {}", d.status, by),
                        _ => d.status.to_string(),
                    };
                    let _ = writeln!(
                        out,
                        "<tr data-decision=\"{id}\" class=\"dec-{st}\"><td>{id}</td><td>{date}</td><td>{kind}</td><td>{text}</td><td>{status}</td></tr>",
                        id = esc(&d.id),
                        st = esc(d.status),
                        date = esc(d.date.as_deref().unwrap_or("")),
                        kind = esc(d.kind.as_deref().unwrap_or("")),
                        text = esc(&d.decision),
                        status = esc(&status),
                    );
                }
                out.push_str("</tbody></table>\n");
            }
            Err(p) => {
                let _ = writeln!(out, "<p class=\"problem\">{}</p>", esc(&p.detail));
            }
        }
        out.push_str("</section>\n");
    }
    render_ledger(&mut out, &data.ledger);
    out
}

/// How many ledger entries the page shows (the newest).
const LEDGER_SHOWN: usize = 50;

fn render_ledger(out: &mut String, ledger: &Result<ops::LedgerView, Problem>) {
    out.push_str("<section class=\"ledger\" id=\"ledger\"><h2>Ledger</h2>\n");
    match ledger {
        Err(p) => {
            let _ = writeln!(out, "<p class=\"problem\">{}</p>", esc(&p.detail));
        }
        Ok(l) => {
            match &l.verification.problem {
                None => {
                    let _ = writeln!(
                        out,
                        "<p data-chain=\"intact\">{} entries, chain intact.</p>",
                        l.verification.entries
                    );
                }
                Some(p) => {
                    let _ = writeln!(
                        out,
                        "<p class=\"problem\" data-chain=\"broken\">The chain is broken at line {}: {}. Run <code>mesh ledger verify</code>.</p>",
                        p.line,
                        esc(&p.detail)
                    );
                }
            }
            if !l.entries.is_empty() {
                out.push_str("<table><thead><tr><th>#</th><th>Time</th><th>Kind</th><th>Actor</th><th>Data</th></tr></thead><tbody>\n");
                for e in l.entries.iter().rev().take(LEDGER_SHOWN) {
                    let _ = writeln!(
                        out,
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                        e.seq,
                        esc(&e.ts),
                        esc(&e.kind),
                        esc(&e.actor),
                        esc(&e.data.to_string()),
                    );
                }
                out.push_str("</tbody></table>\n");
            }
        }
    }
    out.push_str("</section>\n");
}

const BOARD_COLUMNS: [Status; 7] = [
    Status::Pending,
    Status::InProgress,
    Status::Reviewing,
    Status::Blocked,
    Status::Completed,
    Status::Failed,
    Status::Cancelled,
];

fn render_board(out: &mut String, tasks: &[Task]) {
    let _ = writeln!(
        out,
        "<section class=\"board\" id=\"board\"><h2>Task board <small>{} tasks</small></h2>",
        tasks.len()
    );
    if tasks.is_empty() {
        out.push_str("<p>No tasks yet: accept a plan (<code>mesh plan accept</code>) or create tasks through the API.</p>\n</section>\n");
        return;
    }
    let mut lanes: Vec<&str> = tasks.iter().map(|t| t.lane.as_str()).collect();
    lanes.sort_unstable();
    lanes.dedup();
    out.push_str("<table><thead><tr><th>Lane</th>");
    for s in BOARD_COLUMNS {
        let _ = write!(out, "<th>{}</th>", s.as_str().replace('_', " "));
    }
    out.push_str("</tr></thead><tbody>\n");
    for lane in lanes {
        let _ = write!(out, "<tr data-lane=\"{l}\"><th>{l}</th>", l = esc(lane));
        for s in BOARD_COLUMNS {
            let _ = write!(out, "<td data-column=\"{}\">", s.as_str());
            for t in tasks.iter().filter(|t| t.lane == lane && t.status == s) {
                let _ = write!(
                    out,
                    "<div class=\"card risk-{risk}\" data-task-id=\"{id}\" data-status=\"{st}\"><span class=\"tid\">T-{id}</span> {title}",
                    risk = t.risk.as_str().to_ascii_lowercase(),
                    id = t.id,
                    st = t.status.as_str(),
                    title = esc(&t.title),
                );
                if let Some(w) = &t.worker {
                    let _ = write!(out, " <span class=\"worker\">@{}</span>", esc(w));
                }
                out.push_str("</div>");
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }
}
