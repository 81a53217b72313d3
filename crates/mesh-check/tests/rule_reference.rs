//! The rule reference in docs/reference/rules.md is generated from the rules; fail when stale.
//! Regenerate with `MESH_UPDATE_REFERENCE=1 cargo test -p mesh-check --test rule_reference`.

use std::path::PathBuf;

#[test]
fn rule_reference_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/reference/rules.md");
    let expected = mesh_check::rules::reference_markdown();
    if std::env::var_os("MESH_UPDATE_REFERENCE").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/reference/rules.md is stale: run MESH_UPDATE_REFERENCE=1 cargo test -p mesh-check --test rule_reference"
    );
}
