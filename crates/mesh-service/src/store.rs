//! Finding and opening the task store of a project, the one way every command does it.

use std::path::Path;

use mesh_check::config::Config;
use mesh_store::{LocationSource, Store, StoreLocation};

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenStoreError {
    #[error("cannot read the current directory: {0}")]
    Cwd(std::io::Error),
    #[error(transparent)]
    Store(#[from] mesh_store::StoreError),
}

/// The store location for the project at `dir`: `flag` (`--store`), else `MESH_STORE`, else
/// `[store] url` in mesh.toml, else `<dir>/.mesh/mesh.db`.
pub fn location(
    dir: &Path,
    config: &Config,
    flag: Option<&str>,
) -> Result<(StoreLocation, LocationSource), OpenStoreError> {
    let cwd = std::env::current_dir().map_err(OpenStoreError::Cwd)?;
    let env = std::env::var("MESH_STORE").ok();
    Ok(StoreLocation::resolve(
        flag,
        env.as_deref(),
        config.store.url.as_deref(),
        dir,
        &cwd,
    )?)
}

/// Open the project's store, creating it on first use.
pub fn open(dir: &Path, config: &Config, flag: Option<&str>) -> Result<Store, OpenStoreError> {
    let (loc, _) = location(dir, config, flag)?;
    Ok(Store::open(&loc)?)
}

/// Open the store only if it already exists (a SQLite file that is there, or any PostgreSQL
/// URL); status displays never create a store.
pub fn open_existing(
    dir: &Path,
    config: &Config,
    flag: Option<&str>,
) -> Result<Option<Store>, OpenStoreError> {
    let (loc, _) = location(dir, config, flag)?;
    if let StoreLocation::Sqlite(p) = &loc
        && !p.exists()
    {
        return Ok(None);
    }
    Ok(Some(Store::open(&loc)?))
}
