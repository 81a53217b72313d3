//! The server's shared state: the project, the store, the tokens in force, the cached status
//! and the change feed that drives live updates.
//!
//! `/api/status` is served from a cache keyed by two generations: one moves when a document
//! (or mesh.toml) changes on disk, the other when the task store changes. Changes made through
//! this server move the store generation at once; a watcher polls file sizes and modification
//! times and the store's change marker to notice what other processes did. After a change, one
//! recomputation runs at a time; requests arriving meanwhile get the previous status.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use mesh_check::config::CONFIG_FILE_NAME;
use mesh_check::pipeline::{Facts, TaskCounts};
use mesh_docs::DocKind;
use mesh_service::project::Project;
use mesh_service::status::RootStatus;
use mesh_store::{Status, Store};

use crate::auth::TokenSet;
use crate::problem::Problem;

/// What changed, as sent to live clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Documents,
    Tasks,
}

/// `/api/status`: every root's readiness and pipeline, and the task counts behind it.
#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    pub schema_version: u32,
    pub roots: Vec<RootStatus>,
    pub tasks: TaskCounts,
}

/// A computed status and its serialized body.
#[derive(Debug)]
pub struct CachedStatus {
    key: (u64, u64),
    pub view: StatusView,
    pub json: axum::body::Bytes,
}

struct Inner {
    project_dir: PathBuf,
    discover: bool,
    project: RwLock<Arc<Project>>,
    store: Arc<Store>,
    tokens: RwLock<Arc<TokenSet>>,
    docs_gen: AtomicU64,
    store_gen: AtomicU64,
    status: RwLock<Option<Arc<CachedStatus>>>,
    /// Held by the one status computation that runs (owned by the task computing it, so a
    /// request that goes away does not let a second one start beside it).
    compute: Arc<tokio::sync::Mutex<()>>,
    changes: broadcast::Sender<Change>,
    shutdown: CancellationToken,
    lease: Duration,
    location: RwLock<Option<mesh_store::StoreLocation>>,
    /// Tasks whose verification runs now (one at a time per task).
    verifying: std::sync::Mutex<std::collections::HashSet<i64>>,
}

/// Cheap to clone; shared by every handler, the MCP server and the watcher.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("project_dir", &self.0.project_dir)
            .field("store", &self.0.store)
            .finish()
    }
}

impl AppState {
    /// State over an opened project and store. Loads the tokens in force.
    pub fn new(
        project_dir: PathBuf,
        discover: bool,
        project: Project,
        store: Store,
        lease: Duration,
    ) -> Result<AppState, mesh_store::StoreError> {
        let project = relative_roots(project, &project_dir);
        let tokens = TokenSet::from_records(&store.active_tokens()?);
        let (changes, _) = broadcast::channel(64);
        Ok(AppState(Arc::new(Inner {
            project_dir,
            discover,
            project: RwLock::new(Arc::new(project)),
            store: Arc::new(store),
            tokens: RwLock::new(Arc::new(tokens)),
            docs_gen: AtomicU64::new(0),
            store_gen: AtomicU64::new(0),
            status: RwLock::new(None),
            compute: Arc::new(tokio::sync::Mutex::new(())),
            changes,
            shutdown: CancellationToken::new(),
            lease,
            location: RwLock::new(None),
            verifying: std::sync::Mutex::new(std::collections::HashSet::new()),
        })))
    }

    pub fn project(&self) -> Arc<Project> {
        self.0
            .project
            .read()
            .map(|p| p.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Record where the store is (for services that open it themselves, such as plan
    /// acceptance).
    pub fn set_location(&self, location: mesh_store::StoreLocation) {
        if let Ok(mut slot) = self.0.location.write() {
            *slot = Some(location);
        }
    }

    /// Where the store is, when known.
    pub fn location(&self) -> Option<mesh_store::StoreLocation> {
        self.0.location.read().ok().and_then(|l| l.clone())
    }

    pub fn store(&self) -> Arc<Store> {
        self.0.store.clone()
    }

    pub fn tokens(&self) -> Arc<TokenSet> {
        self.0
            .tokens
            .read()
            .map(|t| t.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// The lease a claim gets unless the request asks for another.
    pub fn lease(&self) -> Duration {
        self.0.lease
    }

    /// Cancelled when the server shuts down (ends live streams).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.0.shutdown.clone()
    }

    /// Subscribe to changes.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.0.changes.subscribe()
    }

    /// Record that the tasks changed (called after every write through the server).
    pub fn tasks_changed(&self) {
        self.0.store_gen.fetch_add(1, Ordering::SeqCst);
        let _ = self.0.changes.send(Change::Tasks);
    }

    /// Record that the documents changed.
    pub fn documents_changed(&self) {
        self.0.docs_gen.fetch_add(1, Ordering::SeqCst);
        let _ = self.0.changes.send(Change::Documents);
    }

    fn key(&self) -> (u64, u64) {
        (
            self.0.docs_gen.load(Ordering::SeqCst),
            self.0.store_gen.load(Ordering::SeqCst),
        )
    }

    fn cached(&self, key: (u64, u64)) -> Option<Arc<CachedStatus>> {
        let guard = self.0.status.read().ok()?;
        guard.as_ref().filter(|c| c.key == key).cloned()
    }

    /// The last computed status, whatever changed since.
    fn latest(&self) -> Option<Arc<CachedStatus>> {
        self.0.status.read().ok()?.clone()
    }

    /// The status, from the cache when nothing changed since it was computed. After a change,
    /// the request that finds no computation running starts one and waits for it (so a client
    /// sees its own writes); requests arriving while it runs get the previous status at once
    /// (stale while revalidating). Never two computations at once; the first request of all
    /// waits, there being nothing to serve yet.
    pub async fn status(&self) -> Result<Arc<CachedStatus>, Problem> {
        let key = self.key();
        if let Some(c) = self.cached(key) {
            return Ok(c);
        }
        let guard = match self.0.compute.clone().try_lock_owned() {
            Ok(g) => g,
            Err(_) => {
                if let Some(stale) = self.latest() {
                    return Ok(stale);
                }
                self.0.compute.clone().lock_owned().await
            }
        };
        let key = self.key();
        if let Some(c) = self.cached(key) {
            return Ok(c);
        }
        let this = self.clone();
        // The computation owns the lock and stores its result even if this request is dropped.
        let run = tokio::spawn(async move {
            let _guard = guard;
            let worker = this.clone();
            let computed = Arc::new(blocking(move || worker.compute_status(key)).await??);
            if let Ok(mut slot) = this.0.status.write() {
                *slot = Some(computed.clone());
            }
            Ok::<_, Problem>(computed)
        });
        run.await.map_err(|e| Problem::internal(&e))?
    }

    fn compute_status(&self, key: (u64, u64)) -> Result<CachedStatus, Problem> {
        let counts = task_counts(&self.0.store)?;
        let project = self.project();
        let facts: Facts =
            mesh_service::status::facts(&project, Some(&self.0.store), &self.0.project_dir);
        let view = StatusView {
            schema_version: 1,
            roots: mesh_service::status::collect(&project, &facts),
            tasks: counts,
        };
        let json = serde_json::to_vec(&view).map_err(|e| Problem::internal(&e))?;
        Ok(CachedStatus {
            key,
            view,
            json: json.into(),
        })
    }

    /// Re-read the tokens in force from the store.
    pub fn reload_tokens(&self) -> Result<(), mesh_store::StoreError> {
        let set = TokenSet::from_records(&self.0.store.active_tokens()?);
        if let Ok(mut slot) = self.0.tokens.write() {
            *slot = Arc::new(set);
        }
        Ok(())
    }

    /// Poll for changes made by other processes until shutdown: document files and mesh.toml
    /// (size and modification time), the store's change marker, and the tokens in force.
    pub async fn watch(self, every: Duration) {
        let mut last_docs = None;
        let mut last_marker = None;
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = self.0.shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            let this = self.clone();
            let polled = blocking(move || {
                let docs = this.docs_fingerprint();
                let marker = this.0.store.change_marker().ok();
                let _ = this.reload_tokens();
                (docs, marker)
            })
            .await;
            let Ok((docs, marker)) = polled else { continue };
            if last_docs.is_some() && last_docs.as_ref() != Some(&docs) {
                if docs.config_changed(last_docs.as_ref()) {
                    self.reopen_project();
                }
                self.documents_changed();
            }
            last_docs = Some(docs);
            if marker.is_some() && last_marker.is_some() && marker != last_marker {
                self.tasks_changed();
            }
            if marker.is_some() {
                last_marker = marker;
            }
        }
    }

    fn reopen_project(&self) {
        match Project::open(&self.0.project_dir, self.0.discover) {
            Ok(p) => {
                let p = relative_roots(p, &self.0.project_dir);
                if let Ok(mut slot) = self.0.project.write() {
                    *slot = Arc::new(p);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "mesh.toml changed but cannot be used; keeping the previous configuration")
            }
        }
    }

    fn docs_fingerprint(&self) -> Fingerprint {
        let project = self.project();
        let mut files = vec![
            stamp(&self.0.project_dir.join(CONFIG_FILE_NAME)),
            stamp(&mesh_service::ledger::path_in(&self.0.project_dir)),
        ];
        for root in &project.roots {
            for kind in DocKind::ALL {
                files.push(stamp(&root.dir.join(kind.file_name())));
            }
        }
        Fingerprint(files)
    }

    /// Mark `task` as being verified; false when a verification of it already runs.
    pub fn start_verifying(&self, task: i64) -> bool {
        self.0
            .verifying
            .lock()
            .map(|mut set| set.insert(task))
            .unwrap_or(false)
    }

    /// The verification of `task` ended.
    pub fn done_verifying(&self, task: i64) {
        if let Ok(mut set) = self.0.verifying.lock() {
            set.remove(&task);
        }
    }

    /// The project directory as given.
    pub fn project_dir(&self) -> &Path {
        &self.0.project_dir
    }
}

/// Show roots relative to the project directory (`docs`, `svc/a/docs`) whatever path the server
/// was given: clients name roots that way, and the server's own paths stay private.
fn relative_roots(mut project: Project, dir: &Path) -> Project {
    let given = dir.to_string_lossy().replace('\\', "/");
    let prefix = format!("{}/", given.trim_end_matches('/'));
    for r in &mut project.roots {
        if let Some(rest) = r.display.strip_prefix(&prefix) {
            r.display = rest.to_string();
        } else if r.display == given.trim_end_matches('/') {
            r.display = ".".to_string();
        }
    }
    project
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint(Vec<Option<(u64, SystemTime)>>);

impl Fingerprint {
    fn config_changed(&self, before: Option<&Fingerprint>) -> bool {
        before.is_none_or(|b| b.0.first() != self.0.first())
    }
}

fn stamp(path: &Path) -> Option<(u64, SystemTime)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// The store's counts by status, as the pipeline wants them.
pub fn task_counts(store: &Store) -> Result<TaskCounts, Problem> {
    let mut c = TaskCounts::default();
    for (status, n) in store.status_counts()? {
        let n = usize::try_from(n).unwrap_or(0);
        match status {
            Status::Pending => c.pending = n,
            Status::InProgress => c.in_progress = n,
            Status::Reviewing => c.reviewing = n,
            Status::Completed => c.completed = n,
            Status::Blocked => c.blocked = n,
            Status::Failed => c.failed = n,
            Status::Cancelled => c.cancelled = n,
        }
    }
    Ok(c)
}

/// Run blocking work (the store, the file system) off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Problem::internal(&e))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn prd_exists(status: &CachedStatus) -> bool {
        let v = serde_json::to_value(&status.view).unwrap();
        v["roots"][0]["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == "PRD")
            .map(|d| d["exists"] == true)
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn status_is_served_stale_while_one_recomputation_runs() {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("SPEC.md"), "# Spec\n").unwrap();
        let store = Store::open(&mesh_store::StoreLocation::Sqlite(
            dir.path().join(".mesh/mesh.db"),
        ))
        .unwrap();
        let project = Project::open(dir.path(), false).unwrap();
        let state = AppState::new(
            dir.path().to_path_buf(),
            false,
            project,
            store,
            Duration::from_secs(300),
        )
        .unwrap();

        let first = state.status().await.unwrap();
        assert!(!prd_exists(&first));
        // Unchanged: the very same cached value.
        assert!(Arc::ptr_eq(&first, &state.status().await.unwrap()));

        std::fs::write(docs.join("PRD.md"), "# PRD\n").unwrap();
        state.documents_changed();
        // While a recomputation runs (it holds the lock), requests get the previous status at
        // once instead of starting a second one or queueing behind it.
        let running = state.0.compute.clone().lock_owned().await;
        let during = futures_util::future::join_all((0..8).map(|_| state.status()));
        let during: Vec<_> = tokio::time::timeout(Duration::from_secs(10), during)
            .await
            .expect("requests queued behind the running computation instead of served stale")
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert!(during.iter().all(|s| Arc::ptr_eq(s, &first)));
        drop(running);

        // Once none runs, the change is seen.
        let after = state.status().await.unwrap();
        assert!(!Arc::ptr_eq(&after, &first));
        assert!(prd_exists(&after));
        assert!(Arc::ptr_eq(&after, &state.status().await.unwrap()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_after_a_change_all_end_seeing_it() {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("SPEC.md"), "# Spec\n").unwrap();
        let store = Store::open(&mesh_store::StoreLocation::Sqlite(
            dir.path().join(".mesh/mesh.db"),
        ))
        .unwrap();
        let project = Project::open(dir.path(), false).unwrap();
        let state = AppState::new(
            dir.path().to_path_buf(),
            false,
            project,
            store,
            Duration::from_secs(300),
        )
        .unwrap();
        // No status yet: every concurrent first request waits for the one computation.
        let firsts = futures_util::future::join_all((0..8).map(|_| state.status())).await;
        let first = firsts[0].as_ref().unwrap().clone();
        assert!(
            firsts
                .iter()
                .all(|s| Arc::ptr_eq(s.as_ref().unwrap(), &first))
        );
        std::fs::write(docs.join("PRD.md"), "# PRD\n").unwrap();
        state.documents_changed();
        let replies = futures_util::future::join_all((0..16).map(|_| state.status())).await;
        // Some may be stale (served while the recomputation ran), at least the one that
        // recomputed is fresh, and the next request is fresh.
        assert!(replies.iter().any(|r| prd_exists(r.as_ref().unwrap())));
        assert!(prd_exists(&state.status().await.unwrap()));
    }
}
