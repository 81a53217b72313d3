//! Opening a project directory: its mesh.toml and its document roots.

use std::path::Path;

use mesh_check::config::{CONFIG_FILE_NAME, Config, ConfigError};
use mesh_check::context::Root;
use mesh_check::emit;

/// Why a project could not be opened; the CLI prints it and exits 2.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{}", render_config_error(.0))]
    Config(ConfigError),
    #[error("{0}")]
    Roots(String),
}

fn render_config_error(e: &ConfigError) -> String {
    let d = e.to_diagnostic();
    let text = std::fs::read_to_string(&e.file).unwrap_or_default();
    let mut map = std::collections::HashMap::new();
    map.insert(e.file.clone(), text);
    emit::human(&[d], &map, false).trim_end().to_string()
}

/// A project: the checked directory, its configuration and its roots.
#[derive(Debug)]
pub struct Project {
    pub config: Config,
    pub roots: Vec<Root>,
}

impl Project {
    pub fn open(dir: &Path, discover: bool) -> Result<Project, OpenError> {
        let mut config = Config::load(dir).map_err(|mut e| {
            e.file = dir.join(CONFIG_FILE_NAME).to_string_lossy().to_string();
            OpenError::Config(e)
        })?;
        if discover {
            config.docs.discover = true;
        }
        let mut roots = mesh_check::load::roots(dir, &config, false).map_err(|e| {
            OpenError::Roots(format!(
                "{e}; give the project directory (the one holding docs/ or mesh.toml)"
            ))
        })?;
        // Show paths the way the user named the directory (`mesh check ../shop` → `../shop/docs/SPEC.md`).
        let given = dir.to_string_lossy().replace('\\', "/");
        let given = given.trim_end_matches('/');
        if !given.is_empty() && given != "." {
            for r in &mut roots {
                r.display = mesh_check::context::join_display(given, &r.display);
            }
        }
        Ok(Project { config, roots })
    }
}
