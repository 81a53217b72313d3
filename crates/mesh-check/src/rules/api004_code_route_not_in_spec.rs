use std::collections::HashSet;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{
    RouteKey, code_loc, facts, route_in_api_scope, server_prefixes, spec, spec_endpoints,
};

declare_rule! {
    /// Finds routes declared in code (axum, Express, FastAPI, Flask; found by pattern, see
    /// API003) that are not endpoints of SPEC.md. Left out: the root page `/`, static files
    /// (a last segment with an extension, `/assets/app.js`), and, when every SPEC endpoint
    /// starts with the same segment (`/api`), the routes outside it. Quiet when no route was
    /// found or SPEC lists no endpoint.
    ///
    /// Best effort, so a warning: a route whose prefix is set in another file is seen without
    /// it and may be reported although SPEC lists it with the prefix.
    ///
    /// Why: an endpoint served but not in SPEC was added without a decision; reviewers and the
    /// planner do not know it exists, and nobody threat-modelled it.
    ///
    /// Example: `.route("/api/admin/reset", post(reset))` in the axum router, not in SPEC.
    ///
    /// Fix: add the endpoint to SPEC's API section with a decision row, or remove the route.
    pub struct CodeRouteNotInSpec => API004, "code-route-not-in-spec", Api, Warning, "A route in the code is not a SPEC endpoint.";
}

impl Rule for CodeRouteNotInSpec {
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
        let endpoints = spec_endpoints(spec);
        let keys: HashSet<&RouteKey> = endpoints.iter().map(|(_, k)| k).collect();
        let paths: HashSet<&str> = endpoints.iter().map(|(_, k)| k.1.as_str()).collect();
        let spec_paths: Vec<String> = endpoints.iter().map(|(_, k)| k.1.clone()).collect();
        let prefixes = server_prefixes(facts);
        let listed = loc(doc, spec.endpoints[0].span);
        for r in facts
            .routes
            .iter()
            .filter(|r| route_in_api_scope(r, &spec_paths))
        {
            let mut candidates = vec![r.path.clone()];
            for p in &prefixes {
                if let Some(rest) = r.path.strip_prefix(p.as_str())
                    && rest.starts_with('/')
                {
                    candidates.push(rest.to_string());
                }
            }
            let listed_in_spec = candidates.iter().any(|path| {
                if r.method == "ANY" {
                    paths.contains(path.as_str())
                } else {
                    keys.contains(&(r.method.clone(), path.clone()))
                }
            });
            if listed_in_spec {
                continue;
            }
            out.push(
                self.diag(
                    code_loc(&r.at),
                    format!(
                        "the {} route `{} {}` is not an endpoint of SPEC",
                        r.framework.as_str(),
                        r.method,
                        r.raw_path
                    ),
                )
                .with_help(
                    "add the endpoint to SPEC's API section with a decision row, or remove the \
                     route (routes are found by pattern; a prefix set in another file is not seen)",
                )
                .with_related(listed.clone(), "SPEC's endpoints are listed here"),
            );
        }
    }
}
