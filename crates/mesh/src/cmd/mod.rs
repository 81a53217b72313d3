//! One module per subcommand.

pub mod audit;
pub mod check;
pub mod hooks;
pub mod hydrate;
pub mod decide;
pub mod init;
pub mod mcp;
pub mod ledger;
pub mod rules;
pub mod serve;
pub mod status;
pub mod task;
pub mod token;
