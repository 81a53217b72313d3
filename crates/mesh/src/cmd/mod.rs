//! One module per subcommand.

pub mod audit;
pub mod check;
pub mod decide;
pub mod hooks;
pub mod hydrate;
pub mod init;
pub mod ledger;
pub mod mcp;
pub mod plan;
pub mod rules;
pub mod serve;
pub mod ship;
pub mod status;
pub mod task;
pub mod token;
pub mod trace;
