//! The documents of one root, parsed together, with typed views computed once.

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
    pub tech_stack: Option<TechStack>,
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
        if let Some(d) = set.get(DocKind::TechStack) {
            set.tech_stack = Some(TechStack::from_document(d));
        }
        set
    }

    pub fn get(&self, kind: DocKind) -> Option<&Document> {
        self.docs.iter().find(|d| d.kind == kind)
    }
}
