#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Load generator for `bench/serve-load.sh`: many concurrent HTTP/1.1 keep-alive clients against
//! a running `mesh serve`, at a fixed total rate (or as fast as possible), reporting throughput
//! and latency percentiles. Latency is measured from each request's scheduled send time, so a
//! server that falls behind is charged for the wait (no coordinated omission).
//!
//!   load seed  STORE N                     # add N pending tasks in lane `bench` to a SQLite store
//!   load read  URL CLIENTS RATE SECONDS    # GET /api/status
//!   load floor URL CLIENTS RATE SECONDS    # GET /assets/favicon.svg: the same server, router
//!                                          # and middleware serving static bytes, the baseline
//!   load claim URL CLIENTS RATE SECONDS    # POST /api/tasks/next, then its heartbeat, repeatedly
//!
//! RATE is requests per second for all clients together; 0 means as fast as possible.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: u64,
    statuses: std::collections::BTreeMap<u16, u64>,
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: &str) -> Sender {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).ok();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender
}

async fn send(
    sender: &mut Sender,
    host: &str,
    method: &str,
    path: &str,
    worker: &str,
    body: &'static str,
) -> (u16, Bytes) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", host)
        .header("content-type", "application/json")
        .header("x-mesh-worker", worker)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap();
    match sender.send_request(req).await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            (status, bytes)
        }
        Err(_) => (0, Bytes::new()),
    }
}

fn task_id(body: &[u8]) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v["task"]["id"].as_i64()
}

async fn client(
    i: usize,
    addr: String,
    mode: String,
    interval: Option<Duration>,
    start: Instant,
    stop: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut sender = connect(&addr).await;
    let worker = format!("load-{i}");
    let mut held: Option<i64> = None;
    let mut k: u32 = 0;
    // Spread the clients' first sends over one interval.
    let offset = interval
        .map(|iv| iv.mul_f64(i as f64 / 64.0))
        .unwrap_or_default();
    loop {
        let scheduled = match interval {
            Some(iv) => start + offset + iv * k,
            None => Instant::now(),
        };
        if scheduled >= stop {
            break;
        }
        tokio::time::sleep_until(scheduled.into()).await;
        k += 1;
        let (status, body) = match (mode.as_str(), held) {
            ("read", _) => send(&mut sender, &addr, "GET", "/api/status", &worker, "").await,
            ("floor", _) => {
                send(
                    &mut sender,
                    &addr,
                    "GET",
                    "/assets/favicon.svg",
                    &worker,
                    "",
                )
                .await
            }
            (_, None) => {
                let r = send(
                    &mut sender,
                    &addr,
                    "POST",
                    "/api/tasks/next",
                    &worker,
                    "{\"lane\":\"bench\"}",
                )
                .await;
                held = task_id(&r.1);
                r
            }
            (_, Some(id)) => {
                let path = format!("/api/tasks/{id}/heartbeat");
                held = None;
                send(&mut sender, &addr, "POST", &path, &worker, "").await
            }
        };
        let took = scheduled.elapsed();
        *tally.statuses.entry(status).or_default() += 1;
        if (200..300).contains(&status) {
            tally
                .latencies_us
                .push(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
        } else {
            tally.errors += 1;
            if status == 0 {
                sender = connect(&addr).await;
            }
        }
        if mode == "claim" && status == 200 && held.is_none() && body.starts_with(b"{\"task\":null")
        {
            // The store ran out of tasks: seed more for longer runs.
            tally.errors += 1;
        }
    }
    tally
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)] as f64 / 1000.0
}

fn seed(store: &str, n: usize) {
    let s =
        mesh_store::Store::open(&mesh_store::StoreLocation::Sqlite(store.into())).expect("store");
    let tasks: Vec<mesh_store::PlanTask> = (0..n)
        .map(|i| mesh_store::PlanTask {
            key: format!("bench:{i}"),
            title: format!("Benchmark task {i}"),
            lane: "bench".into(),
            priority: 2,
            risk: None,
            trace: String::new(),
            dod: String::new(),
            deps: Vec::new(),
        })
        .collect();
    let report = s.accept_plan("bench", &tasks, "bench").expect("seed");
    println!("seeded {} tasks", report.added.len());
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("seed") if args.len() == 4 => {
            seed(&args[2], args[3].parse().expect("N"));
            return;
        }
        Some(mode @ ("read" | "floor" | "claim")) if args.len() == 6 => {
            let url = args[2]
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_string();
            let clients: usize = args[3].parse().expect("CLIENTS");
            let rate: f64 = args[4].parse().expect("RATE");
            let secs: f64 = args[5].parse().expect("SECONDS");
            let interval = (rate > 0.0).then(|| Duration::from_secs_f64(clients as f64 / rate));
            let start = Instant::now() + Duration::from_millis(200);
            let stop = start + Duration::from_secs_f64(secs);
            let handles: Vec<_> = (0..clients)
                .map(|i| {
                    tokio::spawn(client(
                        i,
                        url.clone(),
                        mode.to_string(),
                        interval,
                        start,
                        stop,
                    ))
                })
                .collect();
            let mut all = Tally::default();
            for h in handles {
                let t = h.await.expect("client");
                all.latencies_us.extend(t.latencies_us);
                all.errors += t.errors;
                for (s, n) in t.statuses {
                    *all.statuses.entry(s).or_default() += n;
                }
            }
            let elapsed = start.elapsed().as_secs_f64();
            all.latencies_us.sort_unstable();
            let ok = all.latencies_us.len();
            println!(
                "{mode}: clients={clients} target={} duration={secs}s ok={ok} errors={} statuses={:?}",
                if rate > 0.0 {
                    format!("{rate} req/s")
                } else {
                    "max".into()
                },
                all.errors,
                all.statuses
            );
            println!(
                "{mode}: throughput={:.0} req/s  p50={:.2} ms  p90={:.2} ms  p99={:.2} ms  max={:.2} ms",
                ok as f64 / elapsed,
                pct(&all.latencies_us, 0.50),
                pct(&all.latencies_us, 0.90),
                pct(&all.latencies_us, 0.99),
                pct(&all.latencies_us, 1.0),
            );
            return;
        }
        _ => {}
    }
    eprintln!("usage: load seed STORE N | load read|floor|claim URL CLIENTS RATE SECONDS");
    std::process::exit(2);
}
