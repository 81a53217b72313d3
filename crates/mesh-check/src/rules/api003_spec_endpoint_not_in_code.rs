use std::collections::HashMap;

use mesh_deps::CodeRoute;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{code_loc, facts, route_serves, server_prefixes, spec, spec_endpoints};

declare_rule! {
    /// Compares SPEC.md's endpoints with the routes declared in code, found by pattern for
    /// axum (`.route("/p", get(h))`), Express (`app.get("/p", …)`, `router.post(…)`), FastAPI
    /// (`@app.get("/p")`, `APIRouter(prefix=…)`) and Flask (`@app.route("/p", methods=[…])`).
    /// A route for every method (`ANY`) serves every method. Quiet when no route was found or
    /// SPEC lists no endpoint.
    ///
    /// Best effort: a prefix added in another file (a nested router, `app.use("/api", r)`,
    /// `include_router(prefix=…)`) and routes built at run time are not followed, so this rule
    /// is a warning. When routes live under a prefix set elsewhere, prefer an OpenAPI document
    /// (API001) or turn this rule off with `[rules.severity] API003 = "off"`.
    ///
    /// Why: an endpoint SPEC promises and no code serves is unbuilt or was removed silently.
    ///
    /// Example: SPEC has `` `POST /api/plans` `` and the axum router has no `/api/plans` route.
    ///
    /// Fix: add the route, or remove the endpoint from SPEC with a decision row.
    pub struct SpecEndpointNotInCode => API003, "spec-endpoint-not-in-code", Api, Warning, "A SPEC endpoint has no route in the code.";
}

impl Rule for SpecEndpointNotInCode {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(facts), Some((doc, spec))) = (facts(ctx), spec(ctx)) else {
            return;
        };
        if facts.routes.is_empty() || spec.endpoints.is_empty() {
            return;
        }
        let mut by_path: HashMap<&str, Vec<&CodeRoute>> = HashMap::new();
        for r in &facts.routes {
            by_path.entry(r.path.as_str()).or_default().push(r);
        }
        let prefixes = server_prefixes(facts);
        for (e, k) in spec_endpoints(spec) {
            let mut candidates = vec![k.clone()];
            for p in &prefixes {
                candidates.push((
                    k.0.clone(),
                    mesh_deps::normalize_route_path(&format!("{p}/{}", k.1)),
                ));
            }
            let served = candidates.iter().any(|c| {
                by_path
                    .get(c.1.as_str())
                    .is_some_and(|rs| rs.iter().any(|r| route_serves(r, c)))
            });
            if served {
                continue;
            }
            let mut d = self
                .diag(
                    loc(doc, e.span),
                    format!(
                        "SPEC's endpoint `{} {}` has no route in the code",
                        e.method, e.path
                    ),
                )
                .with_help(
                    "add the route, or remove the endpoint from SPEC with a decision row (routes \
                     are found by pattern; prefixes set in other files are not followed)",
                );
            d = match by_path.get(k.1.as_str()).and_then(|rs| rs.first()) {
                Some(r) => d.with_related(
                    code_loc(&r.at),
                    format!("the path is routed for `{}` here", r.method),
                ),
                None => d.with_related(
                    code_loc(&facts.routes[0].at),
                    format!("{} routes were found, from here on", facts.routes.len()),
                ),
            };
            out.push(d);
        }
    }
}
