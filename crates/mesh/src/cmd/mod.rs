//! One module per subcommand.

pub mod check;
pub mod hydrate;
pub mod decide;
pub mod init;
pub mod ledger;
pub mod rules;
pub mod status;
