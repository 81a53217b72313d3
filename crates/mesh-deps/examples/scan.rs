//! Print what `mesh_deps::scan` finds in a directory (for exploring fixtures by hand):
//! `cargo run -p mesh-deps --example scan -- <dir>`.

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".to_string());
    let facts = mesh_deps::scan(
        std::path::Path::new(&dir),
        &mesh_deps::ScanOptions::default(),
    );
    for d in &facts.dependencies {
        println!(
            "dep {:<5} {:<7} {:<28} req={:<18} locked={:<14} {:?} {:?} {}:{}{}",
            d.ecosystem.as_str(),
            if d.direct { "direct" } else { "trans" },
            d.name,
            d.requirement.as_deref().unwrap_or("-"),
            d.locked_version.as_deref().unwrap_or("-"),
            d.kind,
            d.source,
            d.declared_at.file,
            d.declared_at.line,
            if d.features.is_empty() {
                String::new()
            } else {
                format!(" features={:?}", d.features)
            },
        );
    }
    for (doc, op) in facts.operations() {
        println!(
            "api {} {} {} ({}) {}:{}",
            doc.version, op.method, op.path, op.raw_path, op.at.file, op.at.line
        );
    }
    for r in &facts.routes {
        println!(
            "route {} {} {} {}:{}",
            r.framework.as_str(),
            r.method,
            r.path,
            r.at.file,
            r.at.line
        );
    }
    for t in &facts.tables {
        let cols: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
        let fks: Vec<_> = t
            .foreign_keys
            .iter()
            .map(|f| format!("{:?}->{}", f.columns, f.references_table))
            .collect();
        println!(
            "table {} {:?} fks={:?} {}:{}",
            t.name, cols, fks, t.at.file, t.at.line
        );
    }
    for f in &facts.files {
        println!("file {:?} {}", f.kind, f.path);
    }
    for p in &facts.problems {
        println!(
            "problem {:?} {}:{}:{} {}",
            p.severity, p.at.file, p.at.line, p.at.column, p.message
        );
    }
    for s in mesh_deps::detect_stack(&facts) {
        let ev: Vec<_> = s
            .evidence
            .iter()
            .map(|e| format!("{}@{}:{}", e.package, e.at.file, e.at.line))
            .collect();
        println!("stack {}={} {:?}", s.category, s.value, ev);
    }
}
