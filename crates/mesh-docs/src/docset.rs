//! The documents of one root, parsed together, with typed views computed once.

use std::sync::OnceLock;

use crate::decision::DecisionLog;
use crate::document::{DocKind, Document};
use crate::prd::Prd;
use crate::spec::Spec;
use crate::techstack::TechStack;

/// One root's documents. Any of them may be absent.
#[derive(Debug, Clone, Default)]
pub struct DocSet {
    pub docs: Vec<Document>,
    pub prd: Option<Prd>,
    pub spec: Option<Spec>,
    pub decisions: Option<DecisionLog>,
    /// TECH_STACK's view, built on first use ([`DocSet::tech_stack`]): only the dependency
    /// rules read it, and they stop early when there is no code to compare.
    tech_stack: OnceLock<Option<TechStack>>,
}

impl DocSet {
    /// Build from parsed documents (at most one per kind is expected; the first wins).
    pub fn new(docs: Vec<Document>) -> DocSet {
        let mut set = DocSet {
            docs,
            ..DocSet::default()
        };
        if let Some(d) = set.get(DocKind::Prd) {
            set.prd = Some(Prd::from_document(d));
        }
        if let Some(d) = set.get(DocKind::Spec) {
            set.spec = Some(Spec::from_document(d));
        }
        if let Some(d) = set.get(DocKind::DecisionLog) {
            set.decisions = Some(DecisionLog::from_document(d));
        }
        set
    }

    /// TECH_STACK.md as a typed value, when the root has one.
    pub fn tech_stack(&self) -> Option<&TechStack> {
        self.tech_stack
            .get_or_init(|| self.get(DocKind::TechStack).map(TechStack::from_document))
            .as_ref()
    }

    pub fn get(&self, kind: DocKind) -> Option<&Document> {
        self.docs.iter().find(|d| d.kind == kind)
    }
}
