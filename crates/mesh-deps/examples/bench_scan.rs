//! Time `mesh_deps::scan` plus `detect_stack` on a directory, best of N runs (used by
//! bench/deps.sh): `bench_scan DIR [RUNS]`. Prints one line of `key=value` figures.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| ".".to_string());
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5).max(1);
    let opts = mesh_deps::ScanOptions::default();
    let mut best = f64::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let facts = mesh_deps::scan(std::path::Path::new(&dir), &opts);
        let stack = mesh_deps::detect_stack(&facts);
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        last = Some((facts, stack));
    }
    let Some((facts, stack)) = last else {
        return;
    };
    let locked = facts
        .dependencies
        .iter()
        .filter(|d| d.locked_version.is_some())
        .count();
    println!(
        "scan_ms={best:.1} dependencies={} locked={locked} operations={} routes={} tables={} \
         problems={} stack_values={}",
        facts.dependencies.len(),
        facts.operations().count(),
        facts.routes.len(),
        facts.tables.len(),
        facts.problems.len(),
        stack.len()
    );
    for p in facts.problems.iter().take(5) {
        eprintln!("problem {}:{} {}", p.at.file, p.at.line, p.message);
    }
}
