use std::collections::{HashMap, HashSet};

use mesh_deps::ApiOperation;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Location};
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{RouteKey, code_loc, facts, operation_keys, spec, spec_endpoints};

declare_rule! {
    /// Compares SPEC.md's endpoints with the OpenAPI documents of the code (3.0 and 3.1, YAML
    /// or JSON, found in the repository or named in `[openapi] paths`): every endpoint of SPEC
    /// must be an operation of some document. Methods compare upper-case; path parameters
    /// compare by position whatever their names or syntax (`{id}`, `:id`, `<id>`); trailing
    /// slashes do not count; a SPEC path may include a document's `servers` prefix (`/api/v1`).
    /// Quiet when the code has no OpenAPI document or SPEC lists no endpoint.
    ///
    /// Why: the OpenAPI document is what clients are generated from; an endpoint SPEC promises
    /// but the document lacks is either not built yet or was dropped without SPEC following.
    ///
    /// Example: SPEC has `` `DELETE /books/{id}` `` and openapi.yaml has only `get` and `put`
    /// under `/books/{bookId}`.
    ///
    /// Fix: add the operation to the OpenAPI document (and the code), or remove the endpoint
    /// from SPEC with a decision row.
    pub struct SpecEndpointNotInOpenapi => API001, "spec-endpoint-not-in-openapi", Api, Error, "A SPEC endpoint is missing from the OpenAPI document.";
}

impl Rule for SpecEndpointNotInOpenapi {
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
        let mut keys: HashSet<RouteKey> = HashSet::new();
        let mut by_path: HashMap<String, &ApiOperation> = HashMap::new();
        for (d, op) in facts.operations() {
            for k in operation_keys(d, op) {
                by_path.entry(k.1.clone()).or_insert(op);
                keys.insert(k);
            }
        }
        let files: Vec<&str> = facts.openapi.iter().map(|d| d.file.as_str()).collect();
        for (e, k) in spec_endpoints(spec) {
            if keys.contains(&k) {
                continue;
            }
            let mut d = self
                .diag(
                    loc(doc, e.span),
                    format!(
                        "SPEC's endpoint `{} {}` is not an operation of the OpenAPI document",
                        e.method, e.path
                    ),
                )
                .with_help(format!(
                    "add `{} {}` to {}, or remove the endpoint from SPEC with a decision row",
                    e.method.to_ascii_lowercase(),
                    e.path,
                    files.join(", ")
                ));
            d = match by_path.get(&k.1) {
                Some(op) => d.with_related(
                    code_loc(&op.at),
                    format!("the path has `{} {}` here", op.method, op.raw_path),
                ),
                None => d.with_related(
                    Location::file(files.first().copied().unwrap_or_default()),
                    "the OpenAPI document",
                ),
            };
            out.push(d);
        }
    }
}
