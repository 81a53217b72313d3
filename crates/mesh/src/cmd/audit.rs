//! `mesh audit`: the change policy over the whole git history (or a range).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mesh_service::audit::{self, AuditReport, AuditRequest, Progress};

use crate::output;
use crate::project;

/// Walk the history and report every commit that changed SPEC without a decision row, every
/// decision row removed or rewritten, and the compliance rate.
///
/// Exit status: 0 when the audit ran (violations are reported, not fatal; see --strict), 1 with
/// --strict and at least one violation, 2 when the history cannot be read.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh audit                          # the whole history of HEAD\n  mesh audit --range v1.0..HEAD\n  mesh audit --format json > audit.json"
)]
pub struct Args {
    /// Project directory (holding docs/ or mesh.toml), inside a git repository.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Only these commits: `A..B` (after A up to B), `A..` (up to HEAD) or `B` (all up to B).
    #[arg(long, value_name = "A..B")]
    pub range: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit 1 when there is any violation.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let project = project::open(&args.dir, false)?;
    let req = AuditRequest {
        dir: &args.dir,
        roots: &project.roots,
        policy: &project.config.policy,
        range: args.range.as_deref(),
    };
    let mut bar = Bar::default();
    let report = audit::audit(&req, &mut |p| bar.on(p));
    bar.stop();
    let report = report?;
    let text = match args.format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
        Format::Human => human(&report),
    };
    output::print(&text)?;
    Ok(if args.strict && !report.violations.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A progress bar on stderr, only when stderr is a terminal; a thread polls the walk's counter
/// so the walk itself pays nothing for it.
#[derive(Default)]
struct Bar {
    ticker: Option<(ProgressBar, Arc<AtomicBool>, JoinHandle<()>)>,
}

impl Bar {
    fn on(&mut self, p: Progress) {
        match p {
            Progress::Start { total, counter } => {
                if std::io::stderr().is_terminal() {
                    self.start(total, counter);
                }
            }
            Progress::Done => self.stop(),
        }
    }

    fn start(&mut self, total: Option<u64>, counter: Arc<AtomicU64>) {
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        let template = if total.is_some() {
            "{spinner} auditing history {wide_bar} {pos}/{len} commits ({eta} left)"
        } else {
            "{spinner} auditing history: {pos} commits"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.tick(); // drawn at once, however short the walk
        let stop = Arc::new(AtomicBool::new(false));
        let (b, s) = (bar.clone(), Arc::clone(&stop));
        let handle = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                b.set_position(counter.load(Ordering::Relaxed));
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        self.ticker = Some((bar, stop, handle));
    }

    fn stop(&mut self) {
        if let Some((bar, stop, handle)) = self.ticker.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
            bar.finish_and_clear();
        }
    }
}

fn human(r: &AuditReport) -> String {
    let mut s = String::new();
    let scope = if r.range == "HEAD" {
        "the whole history".to_string()
    } else {
        format!("range {}", r.range)
    };
    s.push_str(&format!(
        "Audited {} commit{} ({scope}, tip {}).\n",
        r.commits_walked,
        if r.commits_walked == 1 { "" } else { "s" },
        short(&r.tip)
    ));
    s.push_str(&format!(
        "SPEC changed in {} commit{}, {} with a decision row: compliance {:.1}%.\n",
        r.spec_changes,
        if r.spec_changes == 1 { "" } else { "s" },
        r.with_decision,
        r.compliance * 100.0
    ));
    s.push_str(&format!(
        "Decision rows removed: {}, rewritten: {}.\n",
        r.rows_removed, r.rows_rewritten
    ));
    if r.violations.is_empty() {
        s.push_str("No violations.\n");
    } else {
        s.push_str(&format!(
            "\nViolations ({}), newest first:\n",
            r.violations.len()
        ));
        for v in &r.violations {
            s.push_str(&format!(
                "  {}  {:<28}  {}  ({})\n",
                short(&v.commit),
                v.kind.as_str(),
                v.detail,
                v.summary
            ));
        }
    }
    for n in &r.notes {
        s.push_str(&format!("note: {n}\n"));
    }
    s
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}
