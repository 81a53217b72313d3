//! Atomic Mesh checks: diagnostics, the rule registry (one file per rule), readiness, loading
//! document roots from disk and the output renderers.

pub mod code;
pub mod config;
pub mod context;
pub mod diagnostic;
pub mod emit;
pub mod engine;
pub mod history;
pub mod load;
pub mod pipeline;
pub mod readiness;
pub mod rule;
pub mod rules;
pub mod trace;

pub use diagnostic::{Diagnostic, Location, Severity};
