//! `mesh ledger verify|show`: the tamper-evident ledger at `.mesh/ledger.jsonl`.

use std::path::PathBuf;
use std::process::ExitCode;

use mesh_service::ledger;
use serde_json::json;

use crate::output;

/// Inspect the hash-chained ledger of review decisions, overrides, plan acceptances and ships.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh ledger verify            # exit 1 and the first damaged line when an entry was edited, removed, reordered or truncated\n  mesh ledger show --format json"
)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Recompute the hash chain; exit 1 when it is broken.
    Verify(Common),
    /// Print the entries.
    Show(Common),
}

#[derive(Debug, clap::Args)]
pub struct Common {
    /// Project directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Verify(c) => {
            let v = ledger::verify(&ledger::path_in(&c.dir))?;
            let text = match c.format {
                Format::Json => format!(
                    "{}\n",
                    serde_json::to_string_pretty(&json!({"schema_version": 1, "verification": v}))?
                ),
                Format::Human => match &v.problem {
                    None => format!(
                        "ledger {}: {} entries, chain intact (head {})\n",
                        v.path,
                        v.entries,
                        &v.head[..12]
                    ),
                    Some(p) => format!(
                        "ledger {}: BROKEN at line {}: {}\n  {} entries verify before it. Restore the file from a backup or version control.\n",
                        v.path, p.line, p.detail, v.entries
                    ),
                },
            };
            output::print(&text)?;
            Ok(if v.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Action::Show(c) => {
            let entries = ledger::entries(&ledger::path_in(&c.dir))?;
            let text = match c.format {
                Format::Json => format!(
                    "{}\n",
                    serde_json::to_string_pretty(
                        &json!({"schema_version": 1, "entries": entries})
                    )?
                ),
                Format::Human => {
                    let mut s = String::new();
                    for e in &entries {
                        s.push_str(&format!(
                            "{:>5}  {}  {:<12} {:<16} {}\n",
                            e.seq, e.ts, e.kind, e.actor, e.data
                        ));
                    }
                    if entries.is_empty() {
                        s.push_str("the ledger is empty\n");
                    }
                    s
                }
            };
            output::print(&text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
