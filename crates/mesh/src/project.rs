//! Opening a project for a command, with errors rendered for a terminal.

use std::collections::HashMap;
use std::path::Path;

use mesh_check::emit;
use mesh_service::project::OpenError;
pub use mesh_service::project::Project;

/// Open `dir` (see [`Project::open`]); a broken mesh.toml is shown like a diagnostic, with its
/// source line.
pub fn open(dir: &Path, discover: bool) -> anyhow::Result<Project> {
    Project::open(dir, discover).map_err(|e| match e {
        OpenError::Config(c) => {
            let text = std::fs::read_to_string(&c.file).unwrap_or_default();
            let mut map = HashMap::new();
            map.insert(c.file.clone(), text);
            anyhow::anyhow!(
                "{}",
                emit::human(&[c.to_diagnostic()], &map, false).trim_end()
            )
        }
        other => anyhow::anyhow!("{other}"),
    })
}
