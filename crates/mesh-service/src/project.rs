//! Opening a project directory: its mesh.toml and its document roots.

use std::path::Path;

use mesh_check::config::{CONFIG_FILE_NAME, Config, ConfigError};
use mesh_check::context::{Root, join_display};

/// Why a project could not be opened (nothing can be judged: the CLI exits 2).
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// mesh.toml is unreadable or invalid; `file` in the error is the path as given.
    #[error("{0}")]
    Config(ConfigError),
    #[error("{0}; give the project directory (the one holding docs/ or mesh.toml)")]
    Roots(String),
}

/// A project: its configuration and its document roots.
#[derive(Debug, Clone)]
pub struct Project {
    pub config: Config,
    pub roots: Vec<Root>,
}

impl Project {
    /// Open `dir`: read mesh.toml (defaults when absent) and find the roots. Root and file paths
    /// are shown the way the caller named `dir` (`../shop` → `../shop/docs/SPEC.md`).
    pub fn open(dir: &Path, discover: bool) -> Result<Project, OpenError> {
        let mut config = Config::load(dir).map_err(|mut e| {
            e.file = dir.join(CONFIG_FILE_NAME).to_string_lossy().to_string();
            OpenError::Config(e)
        })?;
        if discover {
            config.docs.discover = true;
        }
        let mut roots = mesh_check::load::roots(dir, &config, false)
            .map_err(|e| OpenError::Roots(e.to_string()))?;
        let given = dir.to_string_lossy().replace('\\', "/");
        let given = given.trim_end_matches('/');
        if !given.is_empty() && given != "." {
            for r in &mut roots {
                r.display = join_display(given, &r.display);
            }
        }
        Ok(Project { config, roots })
    }
}
