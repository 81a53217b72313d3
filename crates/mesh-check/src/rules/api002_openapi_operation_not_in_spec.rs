use std::collections::HashSet;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{RouteKey, code_loc, facts, operation_keys, spec, spec_endpoints};

declare_rule! {
    /// Compares the OpenAPI documents of the code with SPEC.md's endpoints the other way round:
    /// every operation must be an endpoint of SPEC (same matching as API001: methods, path
    /// parameters by position, `servers` prefixes). Reported at the operation, with SPEC's
    /// endpoint list as a related location. Quiet when the code has no OpenAPI document or SPEC
    /// lists no endpoint.
    ///
    /// Why: SPEC is the constitution. An operation that exists only in the OpenAPI document
    /// was added without a decision, and the planner and reviewers do not know about it.
    ///
    /// Example: openapi.yaml has `post` under `/books/{id}/reviews`; SPEC does not.
    ///
    /// Fix: add the endpoint to SPEC's API section with a decision row, or remove the operation.
    pub struct OpenapiOperationNotInSpec => API002, "openapi-operation-not-in-spec", Api, Error, "An OpenAPI operation is missing from SPEC.";
}

impl Rule for OpenapiOperationNotInSpec {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(facts), Some((doc, spec))) = (facts(ctx), spec(ctx)) else {
            return;
        };
        if facts.openapi.is_empty() || spec.endpoints.is_empty() {
            return;
        }
        let endpoints = spec_endpoints(spec);
        let keys: HashSet<&RouteKey> = endpoints.iter().map(|(_, k)| k).collect();
        let listed = loc(doc, spec.endpoints[0].span);
        for (d, op) in facts.operations() {
            if operation_keys(d, op).iter().any(|k| keys.contains(k)) {
                continue;
            }
            out.push(
                self.diag(
                    code_loc(&op.at),
                    format!(
                        "the OpenAPI operation `{} {}` is not an endpoint of SPEC",
                        op.method, op.raw_path
                    ),
                )
                .with_help(format!(
                    "add `{} {}` to SPEC's API section with a decision row, or remove the operation",
                    op.method, op.raw_path
                ))
                .with_related(listed.clone(), "SPEC's endpoints are listed here"),
            );
        }
    }
}
