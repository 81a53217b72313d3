//! `mesh mcp`: the MCP server over stdio, for coding agents (Claude Code, Codex, Cursor, …).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::cmd::serve::{runtime, store_location};

/// Serve MCP over stdio: tools (active_spec, readiness, next_task, heartbeat, submit,
/// log_decision, check) and the documents as resources. The agent works as --worker (default:
/// MESH_WORKER, then the git user name). Logs go to stderr (MESH_LOG, default warn); stdout
/// carries only the protocol.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh mcp                       # in the project directory\n  mesh mcp --worker claude-1 ~/src/shop\n  claude mcp add mesh -- mesh mcp --worker claude"
)]
pub struct Args {
    /// Project directory (holding docs/ or mesh.toml).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The worker this agent is (claims and submissions are recorded under this name).
    #[arg(long, env = "MESH_WORKER", value_name = "NAME")]
    pub worker: Option<String>,
    /// The task store: a SQLite path or postgres:// URL (default: MESH_STORE, then [store] url
    /// in mesh.toml, then .mesh/mesh.db).
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Also serve every folder below DIR that holds a SPEC.md.
    #[arg(long)]
    pub discover: bool,
    /// Lease a claim gets unless the agent asks for another (seconds).
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub lease_secs: u64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.lease_secs == 0 {
        anyhow::bail!("--lease-secs must be greater than 0");
    }
    mesh_server::init_logging_with_default("warn");
    let worker = args
        .worker
        .filter(|w| !w.trim().is_empty())
        .or_else(|| crate::env::git_user_name(&args.dir))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "say which worker this agent is: --worker NAME or MESH_WORKER (no git user name to default to)"
            )
        })?;
    let store = store_location(&args.dir, args.store.as_deref())?;
    let state = mesh_server::open_state(
        args.dir,
        args.discover,
        &store,
        Duration::from_secs(args.lease_secs),
    )?;
    runtime()?.block_on(mesh_server::mcp::serve_stdio(state, worker))?;
    Ok(ExitCode::SUCCESS)
}
