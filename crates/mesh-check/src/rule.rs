//! What a rule is: metadata plus a `check` function that only emits diagnostics.
//!
//! Each rule lives in its own file under `rules/` and is declared with [`declare_rule!`], whose
//! doc comment is the rule's explanation (shown by `mesh rules CODE` and in the generated rule
//! reference), so the explanation cannot drift from the code.

use crate::context::Context;
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::emit::RuleDescriptor;

/// Rule groups, by domain. The code prefix names the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// Documents and readiness.
    Doc,
    /// Hydration of ACTIVE_SPEC.
    Hyd,
    /// The decision log.
    Dec,
    /// Change policy and history.
    Gov,
    /// Dependencies against SPEC and TECH_STACK.
    Dep,
    /// The Hydration Contract against the code's stack.
    Stk,
    /// Endpoints against OpenAPI and code routes.
    Api,
    /// The data model against migrations.
    Dat,
    /// The security section.
    Sec,
    /// Plans.
    Pln,
    /// Traceability: requirements → tasks → tests.
    Trc,
}

impl Group {
    pub fn prefix(self) -> &'static str {
        match self {
            Group::Doc => "DOC",
            Group::Hyd => "HYD",
            Group::Dec => "DEC",
            Group::Gov => "GOV",
            Group::Dep => "DEP",
            Group::Stk => "STK",
            Group::Api => "API",
            Group::Dat => "DAT",
            Group::Sec => "SEC",
            Group::Pln => "PLN",
            Group::Trc => "TRC",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Group::Doc => "documents and readiness",
            Group::Hyd => "ACTIVE_SPEC hydration",
            Group::Dec => "decision log",
            Group::Gov => "change policy and history",
            Group::Dep => "dependencies",
            Group::Stk => "stack",
            Group::Api => "API",
            Group::Dat => "data model",
            Group::Sec => "security",
            Group::Pln => "plans",
            Group::Trc => "traceability",
        }
    }
}

/// A rule's fixed description.
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    /// `DOC002`. Never reused once published.
    pub code: &'static str,
    /// Kebab-case, reads well after "allow": `unfilled-placeholder`.
    pub name: &'static str,
    pub group: Group,
    pub severity: Severity,
    /// One line: what it finds.
    pub summary: &'static str,
    /// The rule's doc comment: what it does, why, an example, how to fix.
    pub explanation: &'static str,
}

impl RuleMeta {
    pub fn descriptor(&self) -> RuleDescriptor {
        RuleDescriptor {
            code: self.code,
            name: self.name,
            summary: self.summary,
            explanation: self.explanation,
            default_severity: self.severity,
        }
    }
}

/// A rule: metadata and a check over one document root.
pub trait Rule: Sync + Send {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>);

    /// A diagnostic of this rule at `location` with its default severity.
    fn diag(&self, location: Location, message: impl Into<String>) -> Diagnostic
    where
        Self: Sized,
    {
        let m = self.meta();
        Diagnostic::new(m.code, m.severity, location, message)
    }
}

/// Declare a rule type with its metadata; the doc comment becomes the explanation.
///
/// ```
/// mesh_check::declare_rule! {
///     /// Finds X. ...
///     pub struct Example => DOC999, "example", Doc, Warning, "one-line summary";
/// }
/// assert_eq!((Example::META.code, Example::META.name), ("DOC999", "example"));
/// ```
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident => $code:ident, $kebab:literal, $group:ident, $sev:ident, $summary:literal;
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;

        impl $name {
            pub const META: $crate::rule::RuleMeta = $crate::rule::RuleMeta {
                code: stringify!($code),
                name: $kebab,
                group: $crate::rule::Group::$group,
                severity: $crate::diagnostic::Severity::$sev,
                summary: $summary,
                explanation: concat!($($doc, "\n"),*),
            };
        }
    };
}
