//! Link the `mesh` executable at a fixed address (not position-independent) on Linux.
//!
//! `mesh check` runs in git hooks, so its start-up counts. A position-independent executable of
//! this size carries about 45,000 relocations that the dynamic loader applies at every start,
//! writing to some 200 pages of pointer tables (vtables, static string tables): half of the
//! process's page faults, about 2 ms on the 2-core development VM. Linked at a fixed address,
//! those pointers are final in the file and the pages are shared from the page cache.
//!
//! The cost is that the executable's own code is not placed at a random address (libraries,
//! heap and stack still are). See decision 026 in docs/DECISION_LOG.md.
//!
//! Only the binaries of this package are affected (`rustc-link-arg-bins`): libraries, tests'
//! helper dylibs and proc-macros are linked as before.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MESH_PIE");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    // `MESH_PIE=1` keeps the default (a position-independent executable), for packagers who
    // require one.
    let keep_pie = std::env::var_os("MESH_PIE").is_some_and(|v| v == "1");
    if os == "linux" && env == "gnu" && !keep_pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
