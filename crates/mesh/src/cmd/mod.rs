//! One module per subcommand.

pub mod check;
pub mod init;
pub mod rules;
pub mod status;
