//! Benchmark driver for bench/claims.sh (not a test; prints figures).
//!
//!   claims_bench claims BACKEND WORKERS TASKS   # claims/s with WORKERS threads, one connection each
//!   claims_bench shared BACKEND WORKERS TASKS CONNECTIONS
//!                                               # the same, WORKERS threads sharing one store with
//!                                               # CONNECTIONS claim connections (as behind `mesh
//!                                               # serve`, which uses 2): concurrent claims on a
//!                                               # store are served in batches
//!   claims_bench accept BACKEND TASKS           # time to accept a TASKS-task plan (and re-accept it)
//!   claims_bench prepare TASKS                  # a PostgreSQL schema holding TASKS claimable tasks,
//!                                               # kept for an outside baseline (pgbench); prints its name
//!
//! BACKEND is `sqlite` (a fresh file in a temp dir) or `postgres` (a fresh schema in the database
//! at MESH_TEST_PG_URL, dropped afterwards). Output: one `key=value` line.

use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use mesh_store::{OpenOptions, PlanTask, Store, StoreLocation};

struct Target {
    location: StoreLocation,
    opts: OpenOptions,
    _dir: Option<tempfile::TempDir>,
    drop_schema: Option<(String, String)>,
}

impl Target {
    fn new(backend: &str) -> Result<Target, String> {
        match backend {
            "sqlite" => {
                let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
                Ok(Target {
                    location: StoreLocation::Sqlite(dir.path().join("mesh.db")),
                    opts: OpenOptions {
                        busy_timeout: Duration::from_secs(60),
                        ..OpenOptions::default()
                    },
                    _dir: Some(dir),
                    drop_schema: None,
                })
            }
            "postgres" => {
                let url = std::env::var("MESH_TEST_PG_URL")
                    .map_err(|_| "MESH_TEST_PG_URL is not set (run scripts/pg.sh)".to_string())?;
                let schema = format!("mesh_bench_{}_{}", std::process::id(), fastrand::u32(..));
                Ok(Target {
                    location: StoreLocation::Postgres(url.clone()),
                    opts: OpenOptions {
                        busy_timeout: Duration::from_secs(60),
                        pg_schema: Some(schema.clone()),
                        ..OpenOptions::default()
                    },
                    _dir: None,
                    drop_schema: Some((url, schema)),
                })
            }
            other => Err(format!("unknown backend `{other}`")),
        }
    }

    fn open(&self) -> Result<Store, String> {
        self.open_with(1)
    }

    fn open_with(&self, claim_connections: usize) -> Result<Store, String> {
        let opts = OpenOptions {
            claim_connections,
            ..self.opts.clone()
        };
        Store::open_with(&self.location, &opts).map_err(|e| e.to_string())
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some((url, schema)) = &self.drop_schema
            && let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
        }
    }
}

fn plan(n: usize) -> Vec<PlanTask> {
    let lanes = ["backend", "frontend", "qa", "ops", "docs"];
    (0..n)
        .map(|i| PlanTask {
            key: format!("bench:{i}"),
            title: format!("Benchmark task {i}"),
            lane: lanes[i % lanes.len()].to_string(),
            priority: (i % 4) as i64,
            risk: None,
            trace: format!("US{}", i % 50),
            dod: "done".to_string(),
            // Every tenth task waits for the one before it.
            deps: if i > 0 && i % 10 == 0 {
                vec![format!("bench:{}", i - 1)]
            } else {
                Vec::new()
            },
        })
        .collect()
}

fn claims(
    backend: &str,
    workers: usize,
    tasks: usize,
    shared: Option<usize>,
) -> Result<(), String> {
    let target = Target::new(backend)?;
    let setup = target.open()?;
    // Independent tasks, so every claim succeeds and we time the scheduler alone.
    let mut p = plan(tasks);
    for t in &mut p {
        t.deps.clear();
    }
    setup
        .accept_plan("bench", &p, "bench")
        .map_err(|e| e.to_string())?;
    // Separate: one store (connection) per worker. Shared: one store for all, with `shared`
    // claim connections.
    let stores = match shared {
        None => (0..workers)
            .map(|_| target.open().map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?,
        Some(connections) => vec![Arc::new(target.open_with(connections)?)],
    };
    let barrier = Arc::new(Barrier::new(workers + 1));
    let handles: Vec<_> = (0..workers)
        .map(|i| {
            let store = stores[i % stores.len()].clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || -> Result<usize, String> {
                let name = format!("w{i}");
                barrier.wait();
                let mut n = 0;
                while store
                    .next_task(&name, None, mesh_store::DEFAULT_LEASE)
                    .map_err(|e| e.to_string())?
                    .is_some()
                {
                    n += 1;
                }
                Ok(n)
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let mut total = 0;
    for h in handles {
        total += h.join().map_err(|_| "a worker panicked".to_string())??;
    }
    let secs = start.elapsed().as_secs_f64();
    if total != tasks {
        return Err(format!("claimed {total} of {tasks} tasks"));
    }
    let (batches, batched) = stores.iter().fold((0, 0), |(b, c), s| {
        let st = s.claim_stats();
        (b + st.batches, c + st.claims)
    });
    println!(
        "backend={backend} workers={workers} stores={} claim_connections={} claims={total} seconds={secs:.3} claims_per_sec={:.0} mean_batch={:.1}",
        stores.len(),
        shared.unwrap_or(1),
        total as f64 / secs,
        batched as f64 / batches.max(1) as f64
    );
    Ok(())
}

fn prepare(tasks: usize) -> Result<(), String> {
    let mut target = Target::new("postgres")?;
    let store = target.open()?;
    let mut p = plan(tasks);
    for t in &mut p {
        t.deps.clear();
    }
    store
        .accept_plan("bench", &p, "bench")
        .map_err(|e| e.to_string())?;
    let (_, schema) = target
        .drop_schema
        .take()
        .ok_or_else(|| "no schema".to_string())?;
    println!("{schema}");
    Ok(())
}

fn accept(backend: &str, tasks: usize) -> Result<(), String> {
    let target = Target::new(backend)?;
    let store = target.open()?;
    let p = plan(tasks);
    let start = Instant::now();
    let r = store
        .accept_plan("bench", &p, "bench")
        .map_err(|e| e.to_string())?;
    let first = start.elapsed().as_secs_f64();
    if r.added.len() != tasks {
        return Err(format!("added {} of {tasks}", r.added.len()));
    }
    let start = Instant::now();
    let again = store
        .accept_plan("bench", &p, "bench")
        .map_err(|e| e.to_string())?;
    let second = start.elapsed().as_secs_f64();
    if !again.is_noop() {
        return Err("re-accepting the plan changed the store".into());
    }
    println!(
        "backend={backend} tasks={tasks} accept_seconds={first:.3} reaccept_seconds={second:.3}"
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| -> Result<usize, String> {
        args.get(i)
            .ok_or_else(|| "missing argument".to_string())?
            .parse()
            .map_err(|e| format!("bad number: {e}"))
    };
    let result = match args.first().map(String::as_str) {
        Some("claims") => {
            (|| claims(args.get(1).map_or("", String::as_str), num(2)?, num(3)?, None))()
        }
        Some("shared") => (|| {
            let backend = args.get(1).map_or("", String::as_str);
            claims(backend, num(2)?, num(3)?, Some(num(4)?))
        })(),
        Some("accept") => (|| accept(args.get(1).map_or("", String::as_str), num(2)?))(),
        Some("prepare") => (|| prepare(num(1)?))(),
        _ => Err("usage: claims_bench claims BACKEND WORKERS TASKS | shared BACKEND WORKERS TASKS CONNECTIONS | accept BACKEND TASKS | prepare TASKS".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("claims_bench: {e}");
            ExitCode::from(2)
        }
    }
}
