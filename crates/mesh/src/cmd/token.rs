//! `mesh token`: bearer tokens for `mesh serve` (only their SHA-256 hashes are stored).

use std::path::PathBuf;
use std::process::ExitCode;

use mesh_server::Role;
use mesh_store::Store;

use crate::cmd::serve::store_location;
use crate::output;

/// Create, list and revoke the server's bearer tokens.
///
/// Roles: `reader` reads everything; `worker` also claims, renews, releases and submits its own
/// tasks (the token's name is the worker) and records decisions; `admin` also creates and
/// reviews tasks, supersedes decisions and may act for any worker. Once a token exists, the
/// server requires one on every request.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh token create --role admin --name alice\n  export MESH_TOKEN=$(mesh token create --role worker --name claude-1)\n  mesh token list\n  mesh token revoke claude-1"
)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Create a token; prints it once on stdout (only its hash is kept).
    Create(CreateArgs),
    /// List the tokens (never their secrets).
    List(Common),
    /// Revoke the token with this id, or every token of this name.
    Revoke(RevokeArgs),
}

/// Where the store is.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// Project directory (holding docs/ or mesh.toml).
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// The task store: a SQLite path or postgres:// URL (default: MESH_STORE, then [store] url
    /// in mesh.toml, then .mesh/mesh.db).
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// reader, worker or admin.
    #[arg(long)]
    pub role: Role,
    /// Who the token speaks for; for a worker token, the worker name its claims carry.
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct RevokeArgs {
    /// A token id (from `mesh token list`) or a name.
    pub token: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

fn open(c: &Common) -> anyhow::Result<Store> {
    Ok(Store::open(&store_location(&c.dir, c.store.as_deref())?)?)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Create(a) => {
            let store = open(&a.common)?;
            let issued = mesh_server::issue(&store, &a.name, a.role)?;
            match a.common.format {
                Format::Json => {
                    output::print(&format!("{}\n", serde_json::to_string_pretty(&issued)?))?
                }
                Format::Human => {
                    output::print(&format!("{}\n", issued.token))?;
                    eprintln!(
                        "created token {} for {} ({}); it is shown only this once: keep it secret, pass it as `Authorization: Bearer <token>`",
                        issued.record.id, issued.record.name, issued.record.role
                    );
                }
            }
        }
        Action::List(c) => {
            let tokens = open(&c)?.list_tokens()?;
            let text = match c.format {
                Format::Json => format!(
                    "{}\n",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"schema_version": 1, "tokens": tokens})
                    )?
                ),
                Format::Human if tokens.is_empty() => {
                    "no tokens: the server runs open, on loopback only\n".to_string()
                }
                Format::Human => tokens
                    .iter()
                    .map(|t| {
                        format!(
                            "{:>4}  {:<7} {:<24} created {}{}\n",
                            t.id,
                            t.role,
                            t.name,
                            t.created_at,
                            t.revoked_at
                                .map(|r| format!(", revoked {r}"))
                                .unwrap_or_default()
                        )
                    })
                    .collect(),
            };
            output::print(&text)?;
        }
        Action::Revoke(a) => {
            let n = open(&a.common)?.revoke_tokens(&a.token)?;
            output::print(&format!(
                "revoked {n} token{} (a running server stops accepting within a second)\n",
                if n == 1 { "" } else { "s" }
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
