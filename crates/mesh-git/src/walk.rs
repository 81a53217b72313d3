//! The history walk: first-parent, newest first, streaming the commits that changed a watched
//! file.
//!
//! Cost model (the hot path of `mesh audit`):
//! - parents and root trees come from the commit-graph when there is one (no commit object is
//!   decoded for a commit that changed nothing watched);
//! - with changed-path Bloom filters and exact watched paths, a commit whose filter rules out every
//!   watched path costs one filter probe and nothing else;
//! - otherwise only the trees along each watched path are read, and a directory whose tree id is
//!   the same as in the child commit is not read again (no whole-tree diff);
//! - blobs are read only for files that changed, and each blob once (the new side of an older
//!   change is the old side of the newer one);
//! - watched file *names* (any directory) need a tree diff, pruned at equal subtrees.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::commitgraph::Position;
use gix::objs::{FindExt, tree::EntryMode};

use crate::error::{GitError, GixContext, Result};
use crate::graph::{BloomKeys, Maybe};
use crate::repo::{Repo, find_in_tree};
use crate::watch::{Watch, file_name};

/// A commit's identity and metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// The commit id.
    pub id: ObjectId,
    /// All parents; the first is the one changes are judged against.
    pub parents: Vec<ObjectId>,
    /// Committer time, seconds since the Unix epoch.
    pub time: i64,
    /// Author name.
    pub author: String,
    /// First line of the message.
    pub summary: String,
}

impl CommitInfo {
    /// Whether this is a merge commit (judged against its first parent only).
    pub fn is_merge(&self) -> bool {
        self.parents.len() > 1
    }

    /// Whether this is a root commit (judged against the empty tree).
    pub fn is_root(&self) -> bool {
        self.parents.is_empty()
    }
}

/// How a watched file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The file appeared.
    Added,
    /// The file disappeared.
    Deleted,
    /// The content (or mode) changed in place.
    Modified,
    /// The file moved (`old_path` → `new_path`), possibly with content changes.
    Renamed,
}

/// One changed watched file. Content is shared (`Arc`) between the changes that mention it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// How it changed.
    pub kind: ChangeKind,
    /// The path before (absent for [`ChangeKind::Added`]).
    pub old_path: Option<String>,
    /// The path after (absent for [`ChangeKind::Deleted`]).
    pub new_path: Option<String>,
    /// Blob id before.
    pub old_id: Option<ObjectId>,
    /// Blob id after.
    pub new_id: Option<ObjectId>,
    /// Content before.
    pub old: Option<Arc<[u8]>>,
    /// Content after.
    pub new: Option<Arc<[u8]>>,
}

impl FileChange {
    /// The path after the change, or before it for a deletion.
    pub fn path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or_default()
    }

    /// Content before, or empty.
    pub fn old_bytes(&self) -> &[u8] {
        self.old.as_deref().unwrap_or_default()
    }

    /// Content after, or empty.
    pub fn new_bytes(&self) -> &[u8] {
        self.new.as_deref().unwrap_or_default()
    }

    /// Content before as text (lossy UTF-8).
    pub fn old_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.old_bytes())
    }

    /// Content after as text (lossy UTF-8).
    pub fn new_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.new_bytes())
    }
}

/// A commit that changed at least one watched file, with those changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitChanges {
    /// The commit.
    pub commit: CommitInfo,
    /// The watched files it changed, against its first parent (or the empty tree for a root).
    pub changes: Vec<FileChange>,
}

/// What to walk.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Newest commit; the walk starts here.
    pub tip: ObjectId,
    /// Stop before this commit (it is not reported), or before the first commit on the tip's
    /// first-parent line that is an ancestor of it; `None` walks to the root.
    pub base: Option<ObjectId>,
    /// The watched files.
    pub watch: Watch,
    /// Use the commit-graph's changed-path Bloom filters when present (default `true`;
    /// `false` gives the same results, slower: for tests and benchmarks).
    pub use_bloom: bool,
}

impl WalkOptions {
    /// Walk from `tip` back to `base` (or the root) watching `watch`.
    pub fn new(tip: ObjectId, base: Option<ObjectId>, watch: Watch) -> Self {
        WalkOptions {
            tip,
            base,
            watch,
            use_bloom: true,
        }
    }
}

/// Why a walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkEnd {
    /// It reached the base (or an ancestor of it).
    Base(ObjectId),
    /// It reached the root commit (the root itself was judged against the empty tree).
    Root,
    /// It reached the shallow boundary of a shallow clone: this commit's parents are absent, so
    /// it was not judged. Only without a base (with a base this is an error).
    Shallow(ObjectId),
}

/// One watched exact path and what it was in the child commit.
#[derive(Debug, Clone)]
struct Tracked {
    path: String,
    keys: BloomKeys,
    /// The entry in the child commit.
    entry: Option<Entry>,
    /// Tree ids along the path in the child commit (root first), when known.
    dirs: Vec<ObjectId>,
}

/// A tree entry: id and mode.
type Entry = (ObjectId, EntryMode);

/// A resolved path: its entry (if a file) and the tree ids along it (root first).
type Resolved = (Option<Entry>, Vec<ObjectId>);

/// A test whether a deletion and an addition are one file moved.
type Pairing = dyn Fn(&DiffEntry, &DiffEntry) -> bool;

/// Per-commit data read from the commit-graph or the commit object.
struct Node {
    id: ObjectId,
    pos: Option<Position>,
    tree: ObjectId,
    parents: Vec<ObjectId>,
    parent1_pos: Option<Position>,
    generation: Option<u32>,
    time: i64,
}

/// The streaming history walk. Iterate it for the commits that changed a watched file, newest
/// first; after the last item, [`HistoryWalk::end`] tells why it stopped.
pub struct HistoryWalk<'r> {
    repo: &'r Repo,
    watch: Watch,
    tracked: Vec<Tracked>,
    /// Whether `tracked[..].entry` describe `next` (else they must be resolved).
    known: bool,
    next: Option<(ObjectId, Option<Position>)>,
    base: Option<ObjectId>,
    /// Whether the base shares history with the tip (else it is never reached).
    related: bool,
    base_generation: Option<u32>,
    base_time: Option<i64>,
    tip: ObjectId,
    use_bloom: bool,
    visited: Arc<AtomicU64>,
    bloom_skipped: u64,
    estimated_total: Option<u64>,
    end: Option<WalkEnd>,
    failed: bool,
    tree_buf: Vec<u8>,
    commit_buf: Vec<u8>,
    blobs: VecDeque<(ObjectId, Arc<[u8]>)>,
    trees: VecDeque<(ObjectId, Vec<u8>)>,
    /// A second object handle for blobs, with its own delta-base cache: tree reads would
    /// otherwise evict the bases of the large document blobs, and each blob would be rebuilt
    /// from the start of its delta chain.
    blob_odb: gix::OdbHandle,
    blob_buf: Vec<u8>,
}

const BLOB_CACHE: usize = 8;
const TREE_CACHE: usize = 16;

impl Repo {
    /// Start a first-parent history walk. Nothing is read until the first `next()`.
    pub fn walk(&self, opts: WalkOptions) -> Result<HistoryWalk<'_>> {
        let graph = self.graph();
        let tip_gen = graph.and_then(|g| g.graph.commit_by_id(opts.tip).map(|c| c.generation()));
        let (base_generation, base_time) = match opts.base {
            Some(b) => match graph.and_then(|g| g.graph.commit_by_id(b)) {
                Some(c) => (Some(c.generation()), None),
                None if !self.has_object(b) => return Err(self.missing_rev(&b.to_string())),
                None => (None, Some(self.commit_info(b)?.time)),
            },
            None => (None, None),
        };
        let estimated_total = match (tip_gen, base_generation, opts.base) {
            (Some(t), Some(b), _) => Some(u64::from(t.saturating_sub(b))),
            (Some(t), None, None) => Some(u64::from(t)),
            _ => None,
        };
        let tracked = opts
            .watch
            .exact_paths()
            .iter()
            .map(|p| Tracked {
                path: p.clone(),
                keys: BloomKeys::new(p),
                entry: None,
                dirs: Vec::new(),
            })
            .collect();
        let tip_pos = graph.and_then(|g| g.graph.lookup(opts.tip));
        // A base with no history in common with the tip can never be reached: know it now
        // rather than asking, commit by commit, all the way to the root.
        let related = match opts.base {
            Some(base) if base != opts.tip && !self.is_shallow() => self
                .repo
                .merge_base(opts.tip, base)
                .ctx(|| format!("cannot compute the merge base of {} and {base}", opts.tip))?
                .is_some(),
            _ => true,
        };
        Ok(HistoryWalk {
            repo: self,
            watch: opts.watch,
            tracked,
            known: false,
            next: Some((opts.tip, tip_pos)),
            base: opts.base,
            related,
            base_generation,
            base_time,
            tip: opts.tip,
            use_bloom: opts.use_bloom,
            visited: Arc::new(AtomicU64::new(0)),
            bloom_skipped: 0,
            estimated_total,
            end: None,
            failed: false,
            tree_buf: Vec::new(),
            commit_buf: Vec::new(),
            blobs: VecDeque::with_capacity(BLOB_CACHE),
            trees: VecDeque::with_capacity(TREE_CACHE),
            blob_odb: self.repo.objects.clone(),
            blob_buf: Vec::new(),
        })
    }
}

impl Iterator for HistoryWalk<'_> {
    type Item = Result<CommitChanges>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            let (id, pos) = self.next?;
            match self.step(id, pos) {
                Ok(Some(item)) => return Some(Ok(item)),
                Ok(None) => {}
                Err(e) => {
                    self.failed = true;
                    self.next = None;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl<'r> HistoryWalk<'r> {
    /// Commits examined so far (changed or not).
    pub fn visited(&self) -> u64 {
        self.visited.load(Ordering::Relaxed)
    }

    /// A counter of examined commits that another thread (a progress bar) can poll.
    pub fn progress_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.visited)
    }

    /// An upper bound of the commits the walk will examine, from commit-graph generation
    /// numbers; `None` without a commit-graph.
    pub fn estimated_total(&self) -> Option<u64> {
        self.estimated_total
    }

    /// Why the walk stopped, once it has (`None` while running or after an error).
    pub fn end(&self) -> Option<WalkEnd> {
        self.end
    }

    /// Commits ruled out by a Bloom filter without reading any tree.
    pub fn skipped_by_bloom(&self) -> u64 {
        self.bloom_skipped
    }

    /// Whether the Bloom filters are being used.
    pub fn uses_bloom(&self) -> bool {
        self.use_bloom
            && self.watch.file_names().is_empty()
            && self.repo.graph().is_some_and(|g| g.has_bloom())
    }

    /// Examine one commit; `Some` if it changed a watched file.
    fn step(&mut self, id: ObjectId, pos: Option<Position>) -> Result<Option<CommitChanges>> {
        let pos = pos.or_else(|| self.repo.graph().and_then(|g| g.graph.lookup(id)));
        // A shallow boundary commit can only be the base itself: whether it is an ancestor of
        // the base cannot be known without the history beyond it.
        let boundary = self.repo.is_shallow_boundary(&id);
        let reached = if boundary {
            self.base == Some(id)
        } else {
            self.reached_base(id, pos)?
        };
        if reached {
            self.end = self.base.map(WalkEnd::Base);
            self.next = None;
            return Ok(None);
        }
        if boundary {
            self.next = None;
            if let Some(base) = self.base {
                return Err(GitError::ShallowHistory {
                    tip: self.tip.to_string(),
                    base: base.to_string(),
                    boundary: id.to_string(),
                });
            }
            self.end = Some(WalkEnd::Shallow(id));
            return Ok(None);
        }
        let node = self.node(id, pos)?;
        self.visited.fetch_add(1, Ordering::Relaxed);
        let parent = node.parents.first().copied();
        self.next = parent.map(|p| (p, node.parent1_pos));
        if parent.is_none() {
            self.end = Some(WalkEnd::Root);
        }

        let changes = if self.watch.file_names().is_empty() {
            self.exact_changes(&node, parent)?
        } else {
            self.diff_changes(&node, parent)?
        };
        if changes.is_empty() {
            return Ok(None);
        }
        let changes = changes
            .into_iter()
            .map(|c| self.load_contents(c))
            .collect::<Result<Vec<_>>>()?;
        let commit = self.commit_info(&node)?;
        Ok(Some(CommitChanges { commit, changes }))
    }

    /// Whether `id` is the base or an ancestor of it (the walk stops there).
    fn reached_base(&self, id: ObjectId, pos: Option<Position>) -> Result<bool> {
        let Some(base) = self.base else {
            return Ok(false);
        };
        if id == base {
            return Ok(true);
        }
        if !self.related {
            return Ok(false);
        }
        // Only a commit older than the base can be its ancestor: generation numbers (or commit
        // time, without a commit-graph) gate the costly merge-base query.
        let in_graph = pos.and_then(|p| self.repo.graph().map(|g| g.graph.commit_at(p)));
        let candidate = match (self.base_generation, in_graph) {
            (Some(bg), Some(c)) => c.generation() < bg,
            // The graph holds the base and every ancestor of it, but not this commit.
            (Some(_), None) => false,
            (None, in_graph) => match self.base_time {
                Some(bt) => {
                    let t = match in_graph {
                        Some(c) => i64::try_from(c.committer_timestamp()).unwrap_or(i64::MAX),
                        None => self.commit_time(id)?,
                    };
                    t <= bt
                }
                None => true,
            },
        };
        if !candidate {
            return Ok(false);
        }
        let mb = self
            .repo
            .repo
            .merge_base(id, base)
            .ctx(|| format!("cannot compute the merge base of {id} and {base}"))?;
        Ok(mb.is_some_and(|m| m.detach() == id))
    }

    fn commit_time(&self, id: ObjectId) -> Result<i64> {
        let mut buf = Vec::new();
        let iter = self
            .repo
            .repo
            .objects
            .find_commit_iter(&id, &mut buf)
            .ctx(|| format!("cannot read commit {id}"))?;
        Ok(iter.committer().map(|c| c.seconds()).unwrap_or_default())
    }

    /// Read a commit's parents and tree, from the graph when possible.
    fn node(&mut self, id: ObjectId, pos: Option<Position>) -> Result<Node> {
        let graph = self.repo.graph();
        let pos = pos.or_else(|| graph.and_then(|g| g.graph.lookup(id)));
        if let (Some(g), Some(p)) = (graph, pos) {
            let c = g.graph.commit_at(p);
            let mut parents = Vec::new();
            let mut parent1_pos = None;
            for (i, pp) in c.iter_parents().enumerate() {
                let pp = pp.ctx(|| format!("the commit-graph entry of {id} is corrupt; run `git commit-graph write --reachable`"))?;
                if i == 0 {
                    parent1_pos = Some(pp);
                }
                parents.push(g.graph.id_at(pp).to_owned());
            }
            return Ok(Node {
                id,
                pos: Some(p),
                tree: c.root_tree_id().to_owned(),
                parents,
                parent1_pos,
                generation: Some(c.generation()),
                time: i64::try_from(c.committer_timestamp()).unwrap_or_default(),
            });
        }
        let mut iter = self
            .repo
            .repo
            .objects
            .find_commit_iter(&id, &mut self.commit_buf)
            .ctx(|| format!("cannot read commit {id}"))?;
        let tree = iter.tree_id().ctx(|| format!("cannot parse commit {id}"))?;
        let parents: Vec<ObjectId> = iter.parent_ids().collect();
        Ok(Node {
            id,
            pos: None,
            tree,
            parents,
            parent1_pos: None,
            generation: None,
            time: 0,
        })
    }

    fn commit_info(&mut self, node: &Node) -> Result<CommitInfo> {
        let commit = self
            .repo
            .repo
            .objects
            .find_commit(&node.id, &mut self.commit_buf)
            .ctx(|| format!("cannot read commit {}", node.id))?;
        let author = commit
            .author()
            .map(|a| a.name.to_str_lossy().trim().to_owned())
            .unwrap_or_default();
        let time = match node.generation {
            Some(_) => node.time,
            None => commit.committer().map(|c| c.seconds()).unwrap_or_default(),
        };
        Ok(CommitInfo {
            id: node.id,
            parents: node.parents.clone(),
            time,
            author,
            summary: commit.message().summary().to_str_lossy().into_owned(),
        })
    }

    /// Exact watched paths: compare the entries along each path between the commit and its first
    /// parent.
    fn exact_changes(&mut self, node: &Node, parent: Option<ObjectId>) -> Result<Vec<RawChange>> {
        if self.tracked.is_empty() {
            return Ok(Vec::new());
        }
        if self.use_bloom
            && parent.is_some()
            && let (Some(g), Some(pos)) = (self.repo.graph(), node.pos)
            && g.has_bloom()
            && g.maybe_changed(pos, self.tracked.iter().map(|t| &t.keys)) == Maybe::No
        {
            self.bloom_skipped += 1;
            // Same entries in the parent; their tree ids are unknown there.
            for t in &mut self.tracked {
                t.dirs.clear();
            }
            return Ok(Vec::new());
        }
        if !self.known {
            for i in 0..self.tracked.len() {
                let (entry, dirs) = self.resolve(node.tree, i, None)?;
                self.tracked[i].entry = entry;
                self.tracked[i].dirs = dirs;
            }
        }
        let parent_tree = match parent {
            Some(p) => Some(self.parent_tree(p, node)?),
            None => None,
        };
        let mut parent_state = Vec::with_capacity(self.tracked.len());
        for i in 0..self.tracked.len() {
            match parent_tree {
                Some(pt) => {
                    let prev = (self.tracked[i].entry, self.tracked[i].dirs.clone());
                    parent_state.push(self.resolve(pt, i, Some(prev))?);
                }
                None => parent_state.push((None, Vec::new())),
            }
        }
        let mut changes = Vec::new();
        let mut added = Vec::new();
        let mut deleted = Vec::new();
        for (i, (pentry, _)) in parent_state.iter().enumerate() {
            let t = &self.tracked[i];
            match (pentry, t.entry) {
                (None, None) => {}
                (Some(a), Some(b)) if *a == b => {}
                (Some(a), Some(b)) => changes.push(RawChange {
                    kind: ChangeKind::Modified,
                    old: Some((t.path.clone(), a.0)),
                    new: Some((t.path.clone(), b.0)),
                }),
                (None, Some(b)) => added.push((i, b.0)),
                (Some(a), None) => deleted.push((i, a.0)),
            }
        }
        // Renames: a watched file that appears here while another file disappears.
        if !added.is_empty() || !deleted.is_empty() {
            let diff = match parent_tree {
                Some(pt) => self.tree_diff(pt, node.tree)?,
                None => Vec::new(),
            };
            let mut consumed_deletions: Vec<String> = Vec::new();
            for (i, new_id) in added {
                let path = self.tracked[i].path.clone();
                let candidate =
                    pick_counterpart(&diff, &path, new_id, DiffSide::Deleted, &consumed_deletions);
                match candidate {
                    Some((old_path, old_id, old_mode)) => {
                        consumed_deletions.push(old_path.clone());
                        changes.push(RawChange {
                            kind: ChangeKind::Renamed,
                            old: Some((old_path.clone(), old_id)),
                            new: Some((path.clone(), new_id)),
                        });
                        // Older commits: follow the file under its old name.
                        self.tracked[i].path = old_path.clone();
                        self.tracked[i].keys = BloomKeys::new(&old_path);
                        parent_state[i] = (Some((old_id, old_mode)), Vec::new());
                    }
                    None => changes.push(RawChange {
                        kind: ChangeKind::Added,
                        old: None,
                        new: Some((path, new_id)),
                    }),
                }
            }
            for (i, old_id) in deleted {
                let path = self.tracked[i].path.clone();
                if consumed_deletions.contains(&path) {
                    continue;
                }
                let tracked_paths: Vec<String> =
                    self.tracked.iter().map(|t| t.path.clone()).collect();
                match pick_counterpart(&diff, &path, old_id, DiffSide::Added, &tracked_paths) {
                    Some((new_path, new_id, _)) => changes.push(RawChange {
                        kind: ChangeKind::Renamed,
                        old: Some((path, old_id)),
                        new: Some((new_path, new_id)),
                    }),
                    None => changes.push(RawChange {
                        kind: ChangeKind::Deleted,
                        old: Some((path, old_id)),
                        new: None,
                    }),
                }
            }
            self.dedupe_tracked(&mut parent_state);
        }
        for (t, (entry, dirs)) in self.tracked.iter_mut().zip(parent_state) {
            t.entry = entry;
            t.dirs = dirs;
        }
        self.known = true;
        Ok(changes)
    }

    /// After a rename, two tracked entries may name the same path: keep one.
    fn dedupe_tracked(&mut self, state: &mut Vec<Resolved>) {
        let mut i = 0;
        while i < self.tracked.len() {
            let dup = self.tracked[..i]
                .iter()
                .any(|t| t.path == self.tracked[i].path);
            if dup {
                self.tracked.remove(i);
                state.remove(i);
            } else {
                i += 1;
            }
        }
    }

    /// The parent's root tree.
    fn parent_tree(&mut self, parent: ObjectId, node: &Node) -> Result<ObjectId> {
        if let (Some(g), Some(pp)) = (self.repo.graph(), node.parent1_pos) {
            return Ok(g.graph.commit_at(pp).root_tree_id().to_owned());
        }
        if self.repo.is_shallow_boundary(&node.id) {
            // Not reached: boundary commits end the walk before their parents are needed.
            return Err(GitError::ShallowHistory {
                tip: self.tip.to_string(),
                base: self
                    .base
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "the root".into()),
                boundary: node.id.to_string(),
            });
        }
        let mut iter = self
            .repo
            .repo
            .objects
            .find_commit_iter(&parent, &mut self.commit_buf)
            .ctx(|| {
                format!(
                    "cannot read commit {parent} (the first parent of {})",
                    node.id
                )
            })?;
        iter.tree_id()
            .ctx(|| format!("cannot parse commit {parent}"))
    }

    /// Resolve tracked path `i` below `root`, reusing `prev` (the child's entry and tree ids)
    /// wherever a directory's tree id is unchanged.
    fn resolve(&mut self, root: ObjectId, i: usize, prev: Option<Resolved>) -> Result<Resolved> {
        let path = self.tracked[i].path.clone();
        let components: Vec<&str> = path.split('/').collect();
        let mut dirs = Vec::with_capacity(components.len());
        let mut current = root;
        for (depth, name) in components.iter().enumerate() {
            if let Some((pentry, pdirs)) = &prev
                && pdirs.len() == components.len()
                && pdirs.get(depth) == Some(&current)
            {
                dirs.extend_from_slice(&pdirs[depth..]);
                return Ok((*pentry, dirs));
            }
            dirs.push(current);
            let found = self.lookup_cached(current, name)?;
            let last = depth + 1 == components.len();
            match found {
                None => return Ok((None, Vec::new())),
                Some((id, mode)) if last => {
                    let entry = mode.is_blob_or_symlink().then_some((id, mode));
                    return Ok((entry, dirs));
                }
                Some((id, mode)) if mode.is_tree() => current = id,
                Some(_) => return Ok((None, Vec::new())),
            }
        }
        Ok((None, Vec::new()))
    }

    /// Look an entry up in a tree, keeping the last few trees' data.
    fn lookup_cached(
        &mut self,
        tree: ObjectId,
        name: &str,
    ) -> Result<Option<(ObjectId, EntryMode)>> {
        let hash_kind = self.repo.repo.object_hash();
        if let Some((_, data)) = self.trees.iter().find(|(id, _)| *id == tree) {
            return find_in_tree(gix::objs::TreeRefIter::from_bytes(data, hash_kind), name);
        }
        let iter = self.repo.tree_iter(tree, &mut self.tree_buf)?;
        let found = find_in_tree(iter, name)?;
        if self.trees.len() == TREE_CACHE {
            self.trees.pop_front();
        }
        self.trees.push_back((tree, self.tree_buf.clone()));
        Ok(found)
    }

    /// Watched file names: a tree diff (pruned at equal subtrees) filtered by the watch.
    fn diff_changes(&mut self, node: &Node, parent: Option<ObjectId>) -> Result<Vec<RawChange>> {
        let parent_tree = match parent {
            Some(p) => Some(self.parent_tree(p, node)?),
            None => None,
        };
        if parent_tree == Some(node.tree) {
            return Ok(Vec::new());
        }
        let empty = ObjectId::empty_tree(self.repo.repo.object_hash());
        let diff = self.tree_diff(parent_tree.unwrap_or(empty), node.tree)?;
        Ok(pair_renames(
            diff.into_iter()
                .filter(|d| self.watch.matches(&d.path))
                .collect(),
        ))
    }

    /// Blob changes between two trees.
    fn tree_diff(&mut self, old: ObjectId, new: ObjectId) -> Result<Vec<DiffEntry>> {
        tree_diff(self.repo, old, new)
    }

    fn load_contents(&mut self, raw: RawChange) -> Result<FileChange> {
        let old = match &raw.old {
            Some((_, id)) => Some(self.blob(*id)?),
            None => None,
        };
        let new = match &raw.new {
            Some((_, id)) => Some(self.blob(*id)?),
            None => None,
        };
        Ok(FileChange {
            kind: raw.kind,
            old_id: raw.old.as_ref().map(|o| o.1),
            new_id: raw.new.as_ref().map(|n| n.1),
            old_path: raw.old.map(|o| o.0),
            new_path: raw.new.map(|n| n.0),
            old,
            new,
        })
    }

    fn blob(&mut self, id: ObjectId) -> Result<Arc<[u8]>> {
        if let Some((_, b)) = self.blobs.iter().find(|(bid, _)| *bid == id) {
            return Ok(Arc::clone(b));
        }
        let blob = self
            .blob_odb
            .find_blob(&id, &mut self.blob_buf)
            .ctx(|| format!("cannot read blob {id}"))?;
        let b: Arc<[u8]> = Arc::from(blob.data);
        if self.blobs.len() == BLOB_CACHE {
            self.blobs.pop_front();
        }
        self.blobs.push_back((id, Arc::clone(&b)));
        Ok(b)
    }
}

/// A change before its contents are read.
#[derive(Debug, Clone)]
pub(crate) struct RawChange {
    pub(crate) kind: ChangeKind,
    pub(crate) old: Option<(String, ObjectId)>,
    pub(crate) new: Option<(String, ObjectId)>,
}

/// One blob-level entry of a tree diff.
#[derive(Debug, Clone)]
pub(crate) struct DiffEntry {
    pub(crate) path: String,
    pub(crate) side: DiffSide,
    pub(crate) old: Option<(ObjectId, EntryMode)>,
    pub(crate) new: Option<(ObjectId, EntryMode)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DiffSide {
    Added,
    Deleted,
    Modified,
}

/// Blob changes (files and symlinks) between two trees, descending only into differing subtrees.
pub(crate) fn tree_diff(repo: &Repo, old: ObjectId, new: ObjectId) -> Result<Vec<DiffEntry>> {
    use gix::diff::tree::recorder::Change;
    let mut old_buf = Vec::new();
    let mut new_buf = Vec::new();
    let objects = &repo.repo.objects;
    let lhs = repo.tree_iter(old, &mut old_buf)?;
    let rhs = repo.tree_iter(new, &mut new_buf)?;
    let mut recorder = gix::diff::tree::Recorder::default();
    gix::diff::tree(
        lhs,
        rhs,
        gix::diff::tree::State::default(),
        objects,
        &mut recorder,
    )
    .map_err(|e| {
        GitError::git(
            format!("cannot diff trees {old} and {new}"),
            gix::Error::from_error(e),
        )
    })?;
    let mut out = Vec::new();
    for change in recorder.records {
        match change {
            Change::Addition {
                entry_mode,
                oid,
                path,
                ..
            } if entry_mode.is_blob_or_symlink() => out.push(DiffEntry {
                path: path.to_str_lossy().into_owned(),
                side: DiffSide::Added,
                old: None,
                new: Some((oid, entry_mode)),
            }),
            Change::Deletion {
                entry_mode,
                oid,
                path,
                ..
            } if entry_mode.is_blob_or_symlink() => out.push(DiffEntry {
                path: path.to_str_lossy().into_owned(),
                side: DiffSide::Deleted,
                old: Some((oid, entry_mode)),
                new: None,
            }),
            Change::Modification {
                previous_entry_mode,
                previous_oid,
                entry_mode,
                oid,
                path,
            } => {
                let path = path.to_str_lossy().into_owned();
                let was = previous_entry_mode.is_blob_or_symlink();
                let is = entry_mode.is_blob_or_symlink();
                let side = match (was, is) {
                    (true, true) => DiffSide::Modified,
                    (false, true) => DiffSide::Added,
                    (true, false) => DiffSide::Deleted,
                    (false, false) => continue,
                };
                out.push(DiffEntry {
                    path,
                    side,
                    old: was.then_some((previous_oid, previous_entry_mode)),
                    new: is.then_some((oid, entry_mode)),
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Find the other side of a rename of `path` among a diff's entries on `side`: an entry with the
/// same content and file name, else the same file name, else the same content. Paths in
/// `exclude` are not candidates.
pub(crate) fn pick_counterpart(
    diff: &[DiffEntry],
    path: &str,
    id: ObjectId,
    side: DiffSide,
    exclude: &[String],
) -> Option<(String, ObjectId, EntryMode)> {
    let name = file_name(path);
    let candidates: Vec<(&DiffEntry, ObjectId, EntryMode)> = diff
        .iter()
        .filter(|d| d.side == side && d.path != path && !exclude.contains(&d.path))
        .filter_map(|d| {
            let (cid, mode) = if side == DiffSide::Deleted {
                d.old?
            } else {
                d.new?
            };
            Some((d, cid, mode))
        })
        .collect();
    let by = |f: &dyn Fn(&DiffEntry, ObjectId) -> bool| {
        candidates
            .iter()
            .find(|(d, cid, _)| f(d, *cid))
            .map(|(d, cid, mode)| (d.path.clone(), *cid, *mode))
    };
    by(&|d, cid| cid == id && file_name(&d.path) == name)
        .or_else(|| by(&|d, _| file_name(&d.path) == name))
        .or_else(|| by(&|_, cid| cid == id))
}

/// Turn filtered diff entries into changes, pairing deletions with additions of the same content
/// or file name as renames.
pub(crate) fn pair_renames(entries: Vec<DiffEntry>) -> Vec<RawChange> {
    let mut changes = Vec::new();
    let mut deleted: Vec<DiffEntry> = Vec::new();
    let mut added: Vec<DiffEntry> = Vec::new();
    for e in entries {
        match e.side {
            DiffSide::Modified => changes.push(RawChange {
                kind: ChangeKind::Modified,
                old: e.old.map(|o| (e.path.clone(), o.0)),
                new: e.new.map(|n| (e.path.clone(), n.0)),
            }),
            DiffSide::Added => added.push(e),
            DiffSide::Deleted => deleted.push(e),
        }
    }
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let passes: [&Pairing; 2] = [
        &|d, a| {
            d.old.map(|o| o.0) == a.new.map(|n| n.0) && file_name(&d.path) == file_name(&a.path)
        },
        &|d, a| file_name(&d.path) == file_name(&a.path),
    ];
    for pass in passes {
        for (ai, a) in added.iter().enumerate() {
            if pairs.iter().any(|(_, x)| *x == ai) {
                continue;
            }
            if let Some(di) = deleted
                .iter()
                .enumerate()
                .find(|(di, d)| !pairs.iter().any(|(x, _)| x == di) && pass(d, a))
                .map(|(di, _)| di)
            {
                pairs.push((di, ai));
            }
        }
    }
    for (di, ai) in &pairs {
        let (d, a) = (&deleted[*di], &added[*ai]);
        changes.push(RawChange {
            kind: ChangeKind::Renamed,
            old: d.old.map(|o| (d.path.clone(), o.0)),
            new: a.new.map(|n| (a.path.clone(), n.0)),
        });
    }
    for (ai, a) in added.iter().enumerate() {
        if !pairs.iter().any(|(_, x)| *x == ai) {
            changes.push(RawChange {
                kind: ChangeKind::Added,
                old: None,
                new: a.new.map(|n| (a.path.clone(), n.0)),
            });
        }
    }
    for (di, d) in deleted.iter().enumerate() {
        if !pairs.iter().any(|(x, _)| *x == di) {
            changes.push(RawChange {
                kind: ChangeKind::Deleted,
                old: d.old.map(|o| (d.path.clone(), o.0)),
                new: None,
            });
        }
    }
    changes
}
