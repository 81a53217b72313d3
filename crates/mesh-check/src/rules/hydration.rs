//! Shared by the HYD rules: the ACTIVE_SPEC document of a root, its marked parts and what
//! hydration would write now. Not a rule.

use std::sync::OnceLock;

use mesh_docs::hydrate::{self, Generated, RegionId, Scan};
use mesh_docs::markdown::Span;
use mesh_docs::{DocKind, DocSet, Document};

use crate::context::Context;

/// ACTIVE_SPEC.md as the HYD rules see it.
pub struct Hydration<'a> {
    pub doc: &'a Document,
    pub scan: Scan,
    docs: &'a DocSet,
    generated: OnceLock<Generated>,
}

/// `None` when there is no ACTIVE_SPEC.md, or nothing to hydrate it from. Computed once per
/// root and kept in the context: each of the four HYD rules used to scan and generate again.
pub fn of<'c, 'a>(ctx: &'c Context<'a>) -> Option<&'c Hydration<'a>> {
    ctx.hydration.get_or_init(|| compute(ctx)).as_ref()
}

fn compute<'a>(ctx: &Context<'a>) -> Option<Hydration<'a>> {
    let doc = ctx.docs.get(DocKind::ActiveSpec)?;
    if ![DocKind::Prd, DocKind::Spec, DocKind::DecisionLog]
        .iter()
        .any(|k| ctx.docs.get(*k).is_some())
    {
        return None;
    }
    Some(Hydration {
        doc,
        scan: hydrate::scan_parsed(&doc.text, &doc.md),
        docs: ctx.docs,
        generated: OnceLock::new(),
    })
}

/// The span of 1-based line `n` of `doc` (without its terminator).
pub fn line_span(doc: &Document, n: u32) -> Span {
    let idx = (n as usize).saturating_sub(1);
    let start = doc.md.line_starts.get(idx).copied().unwrap_or(0);
    let mut start = start;
    if idx == 0 && doc.text.starts_with('\u{feff}') {
        start = 3;
    }
    Span {
        start,
        end: start + doc.line_text(n).trim_start_matches('\u{feff}').len(),
        line: n,
    }
}

impl Hydration<'_> {
    /// What `mesh hydrate` would write now, generated on first use: HYD001 needs it only for
    /// an ACTIVE_SPEC hydrated before, HYD002 only for a part edited by hand, HYD003 and HYD004
    /// never.
    pub fn generated(&self) -> &Generated {
        self.generated.get_or_init(|| hydrate::generate(self.docs))
    }

    /// Which of `kinds` changed since the last hydration, by the hashes the provenance part
    /// recorded; all of `kinds` when that cannot be told.
    pub fn changed(&self, kinds: &[DocKind]) -> Vec<DocKind> {
        let recorded = |kind: DocKind| -> Option<Option<String>> {
            let body = &self.scan.get(RegionId::Provenance)?.body;
            let tick = format!("`{}`", kind.file_name());
            let line = body
                .lines()
                .find(|l| l.trim_start_matches("- ").starts_with(&tick))?;
            Some(
                line.split_once("sha256:")
                    .map(|(_, h)| h.trim().to_string()),
            )
        };
        let now = |kind: DocKind| -> Option<Option<String>> {
            let line = self
                .generated()
                .body(RegionId::Provenance)
                .lines()
                .find(|l| l.contains(&format!("`{}`", kind.file_name())))?
                .to_string();
            Some(
                line.split_once("sha256:")
                    .map(|(_, h)| h.trim().to_string()),
            )
        };
        let changed: Vec<DocKind> = kinds
            .iter()
            .copied()
            .filter(|k| match (recorded(*k), now(*k)) {
                (Some(a), Some(b)) => a != b,
                _ => true,
            })
            .collect();
        if changed.is_empty() {
            kinds.to_vec()
        } else {
            changed
        }
    }
}

/// `PRD.md and SPEC.md`, for messages.
pub fn sources(kinds: &[DocKind]) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.file_name()).collect();
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
pub mod testing {
    //! Run the HYD rules over documents given as text; render findings for snapshots.

    use std::path::PathBuf;

    use mesh_docs::{DocKind, DocSet, Document};

    use crate::config::Config;
    use crate::context::Root;
    use crate::diagnostic::Diagnostic;
    use crate::engine::{Selection, run_rules};
    use crate::load::LoadedRoot;
    use crate::readiness::assess;

    pub const BOOKSHOP: [(DocKind, &str); 4] = [
        (
            DocKind::Prd,
            include_str!("../../../../tests/fixtures/projects/bookshop-gen15/docs/PRD.md"),
        ),
        (
            DocKind::Spec,
            include_str!("../../../../tests/fixtures/projects/bookshop-gen15/docs/SPEC.md"),
        ),
        (
            DocKind::DecisionLog,
            include_str!("../../../../tests/fixtures/projects/bookshop-gen15/docs/DECISION_LOG.md"),
        ),
        (
            DocKind::ActiveSpec,
            include_str!("../../../../tests/fixtures/projects/bookshop-gen15/docs/ACTIVE_SPEC.md"),
        ),
    ];

    pub const OLD_HYDRATOR: [(DocKind, &str); 4] = [
        (
            DocKind::Prd,
            include_str!("../../../../tests/fixtures/hydrate/old-hydrator/docs/PRD.md"),
        ),
        (
            DocKind::Spec,
            include_str!("../../../../tests/fixtures/hydrate/old-hydrator/docs/SPEC.md"),
        ),
        (
            DocKind::DecisionLog,
            include_str!("../../../../tests/fixtures/hydrate/old-hydrator/docs/DECISION_LOG.md"),
        ),
        (
            DocKind::ActiveSpec,
            include_str!("../../../../tests/fixtures/hydrate/old-hydrator/docs/ACTIVE_SPEC.md"),
        ),
    ];

    pub fn docset(files: &[(DocKind, String)]) -> DocSet {
        DocSet::new(
            files
                .iter()
                .map(|(k, t)| Document::parse(*k, format!("docs/{}", k.file_name()), t.clone()))
                .collect(),
        )
    }

    /// The fixture's texts, with ACTIVE_SPEC replaced by `active` when given.
    pub fn files(set: &[(DocKind, &str)], active: Option<&str>) -> Vec<(DocKind, String)> {
        set.iter()
            .map(|(k, t)| match (k, active) {
                (DocKind::ActiveSpec, Some(a)) => (*k, a.to_string()),
                _ => (*k, t.to_string()),
            })
            .collect()
    }

    /// ACTIVE_SPEC as `mesh hydrate` writes it for these sources.
    pub fn hydrated(files: &[(DocKind, String)]) -> String {
        let set = docset(files);
        let active = files
            .iter()
            .find(|(k, _)| *k == DocKind::ActiveSpec)
            .map(|(_, t)| t.as_str());
        mesh_docs::hydrate::hydrate(active, &set)
            .expect("hydrate")
            .text
    }

    /// Findings of rule `code` only.
    pub fn run(files: &[(DocKind, String)], code: &str) -> Vec<Diagnostic> {
        let set = docset(files);
        let config = Config::default();
        let root = Root {
            dir: PathBuf::from("docs"),
            display: "docs".into(),
        };
        let readiness = assess(&set, &config.readiness, &[], &|k: DocKind| {
            root.file_display(k)
        });
        let loaded = LoadedRoot {
            docs: set,
            ..LoadedRoot::default()
        };
        let selection = Selection {
            select: vec![code.to_string()],
            ignore: Vec::new(),
        };
        run_rules(&root, &loaded, &readiness, &config, &selection)
    }

    /// One line per finding, with help and related locations, for snapshots.
    pub fn render(diags: &[Diagnostic]) -> String {
        let mut s = String::new();
        for d in diags {
            s.push_str(&format!(
                "{} {} {}:{}:{} {}\n",
                d.code,
                d.severity.as_str(),
                d.location.file,
                d.location.line,
                d.location.column,
                d.message
            ));
            if let Some(h) = &d.help {
                s.push_str(&format!("  help: {h}\n"));
            }
            for r in &d.related {
                s.push_str(&format!(
                    "  related: {}:{} {}\n",
                    r.location.file, r.location.line, r.message
                ));
            }
        }
        s
    }
}
