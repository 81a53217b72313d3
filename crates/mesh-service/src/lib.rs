//! The one service layer. The CLI, the REST API and the MCP tools call these functions and get
//! the same types back; handlers stay thin and hold no business logic.
//!
//! Operations work on a project directory (documents on disk) and, where needed, the task store.
//! Pure logic lives in the inner crates (mesh-docs, mesh-check); this crate adds the I/O:
//! reading, locking, atomic writes.

pub mod audit;
pub mod clarify;
pub mod decide;
pub mod evidence;
pub mod fsio;
pub mod hydrate;
pub mod lease;
pub mod ledger;
pub mod plan;
pub mod project;
pub mod review;
pub mod ship;
pub mod status;
pub mod store;
pub mod trace;
