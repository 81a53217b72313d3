//! `mesh serve`: the REST API, the web cockpit and MCP over HTTP (mesh-server).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use mesh_store::StoreLocation;

use crate::output;

/// Serve the project: a REST JSON API under /api/, the web cockpit at /, live updates, an
/// OpenAPI document at /openapi.json and MCP (streamable HTTP) at /mcp.
///
/// Without tokens (`mesh token create`) the server runs open and only on a loopback address;
/// with tokens every request needs `Authorization: Bearer <token>`. Logs are JSON lines on
/// stderr (level from MESH_LOG, default info). Ctrl-C or SIGTERM stops it gracefully.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh serve                                  # http://127.0.0.1:7878\n  mesh serve --addr 0.0.0.0:7878 --store postgres://mesh@db/mesh   # a team server (needs tokens)\n  MESH_LOG=warn mesh serve --addr 127.0.0.1:0  # any free port, quiet"
)]
pub struct Args {
    /// Project directory (holding docs/ or mesh.toml).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Address to listen on; a non-loopback address needs tokens.
    #[arg(long, default_value = "127.0.0.1:7878")]
    pub addr: SocketAddr,
    /// The task store: a SQLite path or postgres:// URL (default: MESH_STORE, then [store] url
    /// in mesh.toml, then .mesh/mesh.db).
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Also serve every folder below DIR that holds a SPEC.md.
    #[arg(long)]
    pub discover: bool,
    /// Lease a claim gets unless the request asks for another (seconds).
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub lease_secs: u64,
    /// Largest request body accepted (bytes).
    #[arg(long, default_value_t = 256 * 1024, value_name = "BYTES")]
    pub max_body: usize,
    /// Longest time a request may take to answer (seconds).
    #[arg(long, default_value_t = 15, value_name = "SECS")]
    pub timeout_secs: u64,
}

/// The store location for a project directory: `--store`, then MESH_STORE, then `[store] url`
/// in DIR/mesh.toml, then DIR/.mesh/mesh.db (resolved by [`mesh_service::store::location`]).
/// mesh.toml is read only when neither the flag nor MESH_STORE names a store, so a broken
/// mesh.toml does not stand in the way of an explicit store.
pub fn store_location(dir: &Path, flag: Option<&str>) -> anyhow::Result<StoreLocation> {
    let named = |v: Option<&str>| v.is_some_and(|s| !s.trim().is_empty());
    let config = if named(flag) || named(std::env::var("MESH_STORE").ok().as_deref()) {
        mesh_check::config::Config::default()
    } else {
        mesh_check::config::Config::load(dir)
            .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join("mesh.toml").display()))?
    };
    let (location, _) = mesh_service::store::location(dir, &config, flag)?;
    Ok(location)
}

/// A multi-threaded runtime for the server.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.lease_secs == 0 || args.timeout_secs == 0 || args.max_body == 0 {
        anyhow::bail!("--lease-secs, --timeout-secs and --max-body must be greater than 0");
    }
    mesh_server::init_logging();
    let store = store_location(&args.dir, args.store.as_deref())?;
    let opts = mesh_server::ServeOptions {
        addr: args.addr,
        project_dir: args.dir,
        discover: args.discover,
        store,
        limits: mesh_server::Limits {
            body_bytes: args.max_body,
            timeout: Duration::from_secs(args.timeout_secs),
        },
        lease: Duration::from_secs(args.lease_secs),
        poll: Duration::from_millis(500),
    };
    runtime()?.block_on(mesh_server::serve(opts, |addr| {
        let _ = output::print(&format!("mesh serve: listening on http://{addr}\n"));
    }))?;
    Ok(ExitCode::SUCCESS)
}
