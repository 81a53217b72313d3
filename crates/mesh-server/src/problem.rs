//! Errors as RFC 7807 `application/problem+json`, and the mapping from the service layer's
//! errors. A failure inside the server is logged in full and answered with a short, generic
//! detail: no internals (paths, SQL, driver messages) reach a client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use mesh_service::decide::DecideError;
use mesh_service::hydrate::HydrateError;
use mesh_store::StoreError;

/// The media type of a problem document.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 7807 problem document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `urn:mesh:problem:<slug>`; the slug is stable and names the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong for this request and what to do.
    pub detail: String,
    /// An extension member: the review gate's conditions, when the gate refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<serde_json::Value>,
}

impl Problem {
    /// A problem of kind `slug` with `status`, `title` and `detail`.
    pub fn new(
        status: StatusCode,
        slug: &str,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> Problem {
        Problem {
            kind: format!("urn:mesh:problem:{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            conditions: None,
        }
    }

    /// The review gate refused: each failed condition with what to do, and every condition
    /// as the `conditions` member.
    pub fn gate_failed(gate: &mesh_service::review::Gate) -> Problem {
        let failed: Vec<String> = gate
            .conditions
            .iter()
            .filter(|c| !c.ok)
            .map(|c| match &c.help {
                Some(h) => format!("{}: {} ({h})", c.name, c.detail),
                None => format!("{}: {}", c.name, c.detail),
            })
            .collect();
        let mut p = Problem::new(
            StatusCode::CONFLICT,
            "gate-failed",
            "The review gate refused",
            format!(
                "{} was not approved; nothing changed. Failed: {}. Fix them, or pass them with `override` (a decision row and a ledger entry)",
                gate.task,
                failed.join("; ")
            ),
        );
        p.conditions = serde_json::to_value(&gate.conditions).ok();
        p
    }

    /// The status as a `StatusCode`.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// 400: the request cannot be read.
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    /// 401: no or an unknown token.
    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        )
    }

    /// 403: the caller may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 422: well-formed but refused input.
    pub fn invalid(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Invalid request",
            detail,
        )
    }

    /// 500 with a generic detail; the cause goes to the log only.
    pub fn internal(cause: &dyn std::fmt::Display) -> Problem {
        tracing::error!(error = %cause, "internal error");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the server could not complete the request; the cause is in the server log",
        )
    }

    /// A problem for a bare status (used for responses produced by layers: 404, 405, 408, 413 …).
    pub fn for_status(status: StatusCode) -> Problem {
        let (slug, detail) = match status {
            StatusCode::NOT_FOUND => ("not-found", "no such resource; /openapi.json lists the API"),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method-not-allowed",
                "this resource does not accept that method; /openapi.json lists the API",
            ),
            StatusCode::REQUEST_TIMEOUT => (
                "timeout",
                "the request took too long and was stopped; retry",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "too-large",
                "the request body is larger than the server accepts",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported-media-type",
                "send the body as application/json",
            ),
            s if s.is_server_error() => (
                "internal",
                "the server could not complete the request; the cause is in the server log",
            ),
            _ => ("error", "the request failed"),
        };
        Problem::new(
            status,
            slug,
            status.canonical_reason().unwrap_or("Error"),
            detail,
        )
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.title, self.status, self.detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut resp = (status, body).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"mesh\""),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        resp
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        let msg = e.to_string();
        match &e {
            StoreError::UnknownTask(_) => {
                Problem::new(StatusCode::NOT_FOUND, "unknown-task", "Unknown task", msg)
            }
            StoreError::UnknownDependency { .. }
            | StoreError::Cycle(_)
            | StoreError::Invalid(_) => Problem::invalid(msg),
            StoreError::IllegalTransition { .. } => Problem::new(
                StatusCode::CONFLICT,
                "illegal-transition",
                "Not allowed from the task's status",
                msg,
            ),
            StoreError::DependenciesNotCompleted { .. } => Problem::new(
                StatusCode::CONFLICT,
                "dependencies-open",
                "Dependencies not completed",
                msg,
            ),
            StoreError::NotYourClaim { .. } => Problem::new(
                StatusCode::FORBIDDEN,
                "not-your-claim",
                "Claimed by another worker",
                msg,
            ),
            StoreError::LeaseExpired { .. } => {
                Problem::new(StatusCode::CONFLICT, "lease-expired", "Lease expired", msg)
            }
            StoreError::Busy(_) | StoreError::Locked { .. } => {
                tracing::warn!(error = %msg, "store busy");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "Store busy",
                    "the task store is busy; retry in a moment",
                )
            }
            StoreError::Unreachable { .. } => {
                tracing::error!(error = %msg, "store unreachable");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store-unavailable",
                    "Store unavailable",
                    "the task store cannot be reached; the cause is in the server log",
                )
            }
            _ => Problem::internal(&e),
        }
    }
}

impl From<DecideError> for Problem {
    fn from(e: DecideError) -> Problem {
        use mesh_docs::decision_edit::EditError;
        match &e {
            DecideError::Missing { .. } => Problem::new(
                StatusCode::NOT_FOUND,
                "no-decision-log",
                "No decision log",
                "this document root has no DECISION_LOG.md; run `mesh init` in the project",
            ),
            DecideError::Edit {
                error: EditError::UnknownId { .. },
                ..
            } => Problem::new(
                StatusCode::NOT_FOUND,
                "unknown-decision",
                "Unknown decision",
                e.to_string(),
            ),
            DecideError::Edit {
                error: EditError::Internal(_),
                ..
            } => Problem::internal(&e),
            DecideError::Edit { .. } => Problem::invalid(e.to_string()),
            DecideError::Unreadable { .. } => Problem::new(
                StatusCode::CONFLICT,
                "unreadable-document",
                "Unreadable document",
                e.to_string(),
            ),
            DecideError::Lock { .. } | DecideError::Write(_) => Problem::internal(&e),
        }
    }
}

impl From<mesh_service::clarify::ClarifyError> for Problem {
    fn from(e: mesh_service::clarify::ClarifyError) -> Problem {
        use mesh_service::clarify::ClarifyError;
        match e {
            ClarifyError::Store(s) => s.into(),
            ClarifyError::Question(m) => Problem::invalid(m),
            ClarifyError::Unreadable { .. } => Problem::new(
                StatusCode::CONFLICT,
                "unreadable-document",
                "Unreadable document",
                e.to_string(),
            ),
            ClarifyError::Lock { .. } | ClarifyError::Write(_) => Problem::internal(&e),
        }
    }
}

impl From<mesh_service::lease::LeaseError> for Problem {
    fn from(e: mesh_service::lease::LeaseError) -> Problem {
        use mesh_service::lease::LeaseError;
        match e {
            LeaseError::Store(s) => s.into(),
            LeaseError::Ledger(l) => l.into(),
            LeaseError::Taken { .. } => Problem::new(
                StatusCode::CONFLICT,
                "claimed-meanwhile",
                "Claimed by another worker meanwhile",
                e.to_string(),
            ),
        }
    }
}

impl From<mesh_service::evidence::EvidenceError> for Problem {
    fn from(e: mesh_service::evidence::EvidenceError) -> Problem {
        use mesh_service::evidence::EvidenceError as E;
        match e {
            E::Store(s) => s.into(),
            E::Decide(d) => d.into(),
            E::Invalid(m) => Problem::invalid(m),
            E::BadRevision { .. } => Problem::invalid(e.to_string()),
            E::NoCommand { .. } | E::NoRoot | E::NotARepository { .. } => Problem::new(
                StatusCode::CONFLICT,
                "not-configured",
                "The project cannot provide this evidence",
                e.to_string(),
            ),
            E::GitMissing(_) | E::Git { .. } | E::Io { .. } => Problem::internal(&e),
        }
    }
}

impl From<mesh_service::review::ReviewError> for Problem {
    fn from(e: mesh_service::review::ReviewError) -> Problem {
        use mesh_service::review::ReviewError as E;
        match e {
            E::Store(s) => s.into(),
            E::Evidence(x) => x.into(),
            E::Ledger(l) => l.into(),
            E::Decide(d) => d.into(),
            E::NotVerified { task, why } => Problem::new(
                StatusCode::CONFLICT,
                "not-verified",
                "No verification on the current tree",
                format!(
                    "{task} cannot be submitted: {why}. Run verify first: `POST /api/tasks/{task}/verify` (REST), the `verify` tool (MCP) or `mesh task verify {task}`, then submit again"
                ),
            ),
            E::NotReviewing { .. } | E::NotInProgress { .. } => Problem::new(
                StatusCode::CONFLICT,
                "illegal-transition",
                "Not allowed from the task's status",
                e.to_string(),
            ),
            E::SelfOverride { .. } => Problem::forbidden(e.to_string()),
            E::Invalid(m) => Problem::invalid(m),
            E::TickAfterApproval { .. } => {
                tracing::error!(error = %e, "approved but not ticked");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "approved-not-ticked",
                    "Approved, but the checklist item was not ticked",
                    e.to_string(),
                )
            }
            E::Git(_) | E::History(_) | E::Write(_) => Problem::internal(&e),
        }
    }
}

impl From<HydrateError> for Problem {
    fn from(e: HydrateError) -> Problem {
        match &e {
            HydrateError::NoSources { .. } => Problem::new(
                StatusCode::NOT_FOUND,
                "no-sources",
                "Nothing to hydrate from",
                e.to_string(),
            ),
            HydrateError::Unreadable { .. } | HydrateError::Markers { .. } => Problem::new(
                StatusCode::CONFLICT,
                "unreadable-document",
                "Documents cannot be hydrated",
                e.to_string(),
            ),
            HydrateError::Write(_) => Problem::internal(&e),
        }
    }
}

impl From<mesh_service::ledger::LedgerError> for Problem {
    fn from(e: mesh_service::ledger::LedgerError) -> Problem {
        match &e {
            mesh_service::ledger::LedgerError::Damaged { .. } => Problem::new(
                StatusCode::CONFLICT,
                "ledger-damaged",
                "Ledger damaged",
                e.to_string(),
            ),
            _ => Problem::internal(&e),
        }
    }
}

impl From<mesh_service::plan::PlanError> for Problem {
    fn from(e: mesh_service::plan::PlanError) -> Problem {
        use mesh_service::plan::PlanError as E;
        use mesh_service::store::OpenStoreError;
        match e {
            E::Store(s) | E::OpenStore(OpenStoreError::Store(s)) => s.into(),
            E::NotReady(_) => Problem::new(
                StatusCode::CONFLICT,
                "not-ready",
                "The documents are not ready to plan",
                e.to_string(),
            ),
            E::Invalid { .. } | E::Read { .. } => Problem::invalid(e.to_string()),
            E::NoPlan(_) | E::NoRoots(_) => Problem::not_found(e.to_string()),
            other => Problem::internal(&other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_map_to_statuses_without_internals() {
        let p: Problem = StoreError::UnknownTask("T-9".into()).into();
        assert_eq!(p.status, 404);
        assert!(p.detail.contains("T-9"));
        let p: Problem = StoreError::NotYourClaim {
            task: 3,
            worker: "bob".into(),
            holder: Some("alice".into()),
        }
        .into();
        assert_eq!(
            (p.status, p.kind.as_str()),
            (403, "urn:mesh:problem:not-your-claim")
        );
        let p: Problem = StoreError::Database("syntax error near SELECT secret".into()).into();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("SELECT"), "{}", p.detail);
        let p: Problem = StoreError::Unreachable {
            url: "postgres://u:***@db/x".into(),
            reason: "refused".into(),
        }
        .into();
        assert_eq!(p.status, 503);
        assert!(!p.detail.contains("postgres://"));
    }
}
