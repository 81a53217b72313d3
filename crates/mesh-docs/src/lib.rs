//! The Atomic Mesh document model.
//!
//! Pure code: `&str` in, typed values out, never a panic. Every item keeps its byte span and
//! line so diagnostics can point at the exact place.
//!
//! - [`markdown`]: the tolerant line-oriented Markdown reader (sections, lists, tables, fences,
//!   comments) with spans.
//! - [`inline`]: unfilled markers inside text (`{{placeholders}}`, option lists, hints, TODO).
//! - [`document`]: the six document kinds and shared metadata (stub marker, template version,
//!   generation-16 preamble).
//! - [`prd`], [`spec`], [`decision`], [`techstack`]: typed views of each document.
//! - [`decision_edit`]: appending, superseding and reverting decision rows as text edits.
//! - [`docset`]: the documents of one root, as read together.
//! - [`plan`]: the plan line grammar of draft plans (parse, check, render, graph).
//! - [`planner`]: the deterministic planner, documents in, plan out.
//! - [`hydrate`]: ACTIVE_SPEC's derived parts from PRD + SPEC + DECISION_LOG, and the markers.

pub mod decision;
pub mod decision_edit;
pub mod docset;
pub mod document;
pub mod hydrate;
pub mod inline;
pub mod markdown;
pub mod plan;
pub mod planner;
pub mod prd;
pub mod spec;
pub mod techstack;
pub mod templates;

pub use decision::DecisionLog;
pub use docset::DocSet;
pub use document::{DocKind, Document};
pub use markdown::{Markdown, Span};
pub use prd::Prd;
pub use spec::Spec;
pub use techstack::TechStack;
