//! What a rule sees: one document root, its parsed documents, the configuration and readiness.

use std::path::PathBuf;
use std::sync::OnceLock;

use mesh_docs::markdown::Span;
use mesh_docs::{DocKind, DocSet, Document};

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Location};
use crate::history::RootHistory;
use crate::readiness::Readiness;
use crate::rules::{Occurrence, occurrences};
use crate::trace::TraceFacts;

/// A document root as found on disk.
#[derive(Debug, Clone)]
pub struct Root {
    /// Absolute or caller-relative directory holding the documents.
    pub dir: PathBuf,
    /// The root as shown to the user, relative to the checked directory (`docs`, `svc/a/docs`).
    pub display: String,
}

impl Root {
    /// The path of a document of this root as shown to the user.
    pub fn file_display(&self, kind: DocKind) -> String {
        join_display(&self.display, kind.file_name())
    }
}

/// `a` + `/` + `b`, or `b` alone when `a` is `.` or empty.
pub fn join_display(a: &str, b: &str) -> String {
    if a.is_empty() || a == "." {
        b.to_string()
    } else {
        format!("{}/{}", a.trim_end_matches('/'), b)
    }
}

/// Everything a rule may read for one root.
pub struct Context<'a> {
    pub root: &'a Root,
    pub docs: &'a DocSet,
    pub config: &'a Config,
    pub readiness: &'a Readiness,
    /// Documents that exist but could not be read.
    pub unreadable: &'a [DocKind],
    /// Diagnostics produced while reading (re-emitted by DOC010 so select/ignore apply).
    pub load_problems: &'a [Diagnostic],
    /// What git says changed for this root (`mesh check --base REV`, or the staged changes);
    /// `None` when the history rules do not run. Set with [`Context::with_history`].
    pub history: Option<&'a RootHistory>,
    /// Tasks and test tags for the TRC rules (`mesh trace`); `None` elsewhere.
    pub trace: Option<&'a TraceFacts>,
    /// What the code beside this root declares and uses (dependencies, OpenAPI operations,
    /// routes, SQL tables) for the drift rules DEP, STK, API and DAT010+; `None` when the code
    /// was not read. Set with [`Context::with_code`].
    pub code: Option<&'a mesh_deps::RepoFacts>,
    markers: OnceLock<Vec<(DocKind, Vec<Occurrence<'a>>)>>,
    /// What hydration would write now, shared by the four HYD rules (see
    /// [`crate::rules::hydration::of`]).
    pub(crate) hydration: OnceLock<Option<crate::rules::hydration::Hydration<'a>>>,
}

impl<'a> Context<'a> {
    pub fn new(
        root: &'a Root,
        docs: &'a DocSet,
        config: &'a Config,
        readiness: &'a Readiness,
        unreadable: &'a [DocKind],
        load_problems: &'a [Diagnostic],
    ) -> Self {
        Context {
            root,
            docs,
            config,
            readiness,
            unreadable,
            load_problems,
            history: None,
            trace: None,
            code: None,
            markers: OnceLock::new(),
            hydration: OnceLock::new(),
        }
    }

    /// The same context with history facts for the GOV and DEC020+ rules.
    pub fn with_history(mut self, history: Option<&'a RootHistory>) -> Self {
        self.history = history;
        self
    }

    /// The same context with trace facts for the TRC rules.
    pub fn with_trace(mut self, trace: Option<&'a TraceFacts>) -> Self {
        self.trace = trace;
        self
    }

    /// The same context with code facts for the drift rules (see [`crate::code`]).
    pub fn with_code(mut self, code: Option<&'a mesh_deps::RepoFacts>) -> Self {
        self.code = code;
        self
    }

    pub fn doc(&self, kind: DocKind) -> Option<&Document> {
        self.docs.get(kind)
    }

    /// Unfilled markers of a document (computed once, shared by the marker rules).
    pub fn markers(&self, kind: DocKind) -> &[Occurrence<'a>] {
        let all = self.markers.get_or_init(|| {
            self.docs
                .docs
                .iter()
                .map(|d| (d.kind, occurrences(d)))
                .collect()
        });
        all.iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// Whether byte `offset` of `kind` lies in a Hydration Contract value (reported by DOC011).
    pub fn is_contract_value(&self, kind: DocKind, offset: usize) -> bool {
        if kind != DocKind::Spec {
            return false;
        }
        let Some(spec) = &self.docs.spec else {
            return false;
        };
        spec.contract
            .fields()
            .iter()
            .filter_map(|(_, _, f)| *f)
            .any(|f| {
                f.value.is_none()
                    && f.span.start <= offset
                    && offset < f.span.end.max(f.span.start + 1)
            })
    }
}

/// The location of `span` in `doc`, with end line and column.
pub fn loc(doc: &Document, span: Span) -> Location {
    let (line, column) = doc.line_col(span.start);
    let (end_line, end_column) = doc.line_col(span.end.max(span.start));
    let mut l = Location::new(doc.path.clone(), line, column);
    if span.end > span.start {
        l.end_line = Some(end_line);
        l.end_column = Some(end_column);
    }
    l.byte_range = Some(span.start..span.end.max(span.start));
    l
}

/// The location of a byte range relative to a span start (for markers inside an item).
pub fn loc_in(doc: &Document, base: usize, start: usize, end: usize) -> Location {
    let s = base + start;
    let e = base + end;
    loc(
        doc,
        Span {
            start: s,
            end: e,
            line: 0,
        },
    )
}
