use mesh_docs::DocKind;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds threats in SPEC's Threat Model with no mitigation: neither a `+ mitigation`,
    /// `— mitigated by …`, `Mitigation:` part in the item, a nested `Mitigation:` bullet, nor a
    /// filled Mitigation column in a threat table.
    ///
    /// Why: a threat written down without a mitigation is a known hole; reviewers and the
    /// security lane need to know what stops it.
    ///
    /// Example: `- [ ] Threat 1: stolen session tokens`.
    ///
    /// Fix: add the mitigation on the same line: `Threat 1: stolen session tokens + httpOnly,
    /// SameSite=strict cookies with 15-minute expiry`.
    pub struct ThreatWithoutMitigation => SEC001, "threat-without-mitigation", Sec, Error, "A threat has no mitigation.";
}

impl Rule for ThreatWithoutMitigation {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(doc), Some(spec)) = (ctx.doc(DocKind::Spec), ctx.docs.spec.as_ref()) else {
            return;
        };
        for t in spec.threats.iter().filter(|t| t.mitigation.is_none()) {
            out.push(
                self.diag(loc(doc, t.span), format!("threat has no mitigation: {}", t.text))
                    .with_help("add how it is mitigated, e.g. `<threat> + <mitigation>` or a nested `Mitigation:` bullet"),
            );
        }
    }
}
