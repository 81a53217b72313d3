//! What changed in a range: the net change per watched file, and the commits in between.

use std::sync::Arc;

use gix::ObjectId;

use crate::error::Result;
use crate::repo::Repo;
use crate::walk::{ChangeKind, CommitChanges, FileChange, WalkEnd, WalkOptions};
use crate::watch::Watch;

/// The changes of a range `base..tip` (first-parent line of `tip`).
#[derive(Debug, Clone)]
pub struct RangeChanges {
    /// The base (`None`: the whole history).
    pub base: Option<ObjectId>,
    /// The tip.
    pub tip: ObjectId,
    /// Net change per watched file over the whole range: content at the base (following renames
    /// back) against content at the tip. Files changed and changed back are absent. Sorted by
    /// path.
    pub files: Vec<FileChange>,
    /// The commits that changed a watched file, newest first, each with its own changes against
    /// its first parent (for `policy.decision_scope = "commit"`).
    pub commits: Vec<CommitChanges>,
    /// How many commits the range holds on the first-parent line (changed or not).
    pub commits_walked: u64,
    /// Why the walk stopped.
    pub end: Option<WalkEnd>,
}

/// One file followed through the range (newest change first).
struct Identity {
    /// Side at the tip: path, blob id, content (`None`: absent at the tip).
    newest: Option<(String, ObjectId, Arc<[u8]>)>,
    /// Side before the oldest change seen so far.
    oldest: Option<(String, ObjectId, Arc<[u8]>)>,
    /// The path this file had before the oldest change seen (or the path it was added at).
    slot: String,
}

impl Repo {
    /// The changes between `base` and `tip` (the first-parent commits after `base` up to and
    /// including `tip`). `base: None` takes the whole history (the root is compared with the
    /// empty tree). A SPEC moved from `docs/SPEC.md` to `spec/SPEC.md` inside the range shows as
    /// one [`ChangeKind::Renamed`] file, not an addition.
    ///
    /// This walks the range; for long histories stream [`Repo::walk`] instead.
    pub fn range_changes(
        &self,
        base: Option<ObjectId>,
        tip: ObjectId,
        watch: &Watch,
    ) -> Result<RangeChanges> {
        let mut walk = self.walk(WalkOptions::new(tip, base, watch.clone()))?;
        let mut commits = Vec::new();
        for item in walk.by_ref() {
            commits.push(item?);
        }
        let files = net_changes(&commits);
        Ok(RangeChanges {
            base,
            tip,
            files,
            commits,
            commits_walked: walk.visited(),
            end: walk.end(),
        })
    }
}

/// Compose per-commit changes (newest first) into one net change per file.
pub(crate) fn net_changes(commits: &[CommitChanges]) -> Vec<FileChange> {
    let mut ids: Vec<Identity> = Vec::new();
    for commit in commits {
        for ch in &commit.changes {
            let old = side(&ch.old_path, ch.old_id, &ch.old);
            let new = side(&ch.new_path, ch.new_id, &ch.new);
            let found = ids.iter_mut().find(|i| match (&new, &i.oldest) {
                (Some((q, ..)), Some((p, ..))) => p == q,
                (None, None) => ch.old_path.as_deref() == Some(i.slot.as_str()),
                _ => false,
            });
            let slot = ch
                .old_path
                .clone()
                .or_else(|| ch.new_path.clone())
                .unwrap_or_default();
            match found {
                Some(i) => {
                    i.oldest = old;
                    i.slot = slot;
                }
                None => ids.push(Identity {
                    newest: new,
                    oldest: old,
                    slot,
                }),
            }
        }
    }
    let mut out: Vec<FileChange> = ids
        .into_iter()
        .filter_map(|i| {
            let kind = match (&i.oldest, &i.newest) {
                (None, None) => return None,
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), None) => ChangeKind::Deleted,
                (Some((op, oid, _)), Some((np, nid, _))) => {
                    if op != np {
                        ChangeKind::Renamed
                    } else if oid == nid {
                        return None;
                    } else {
                        ChangeKind::Modified
                    }
                }
            };
            let (old_path, old_id, old) = split(i.oldest);
            let (new_path, new_id, new) = split(i.newest);
            Some(FileChange {
                kind,
                old_path,
                new_path,
                old_id,
                new_id,
                old,
                new,
            })
        })
        .collect();
    out.sort_by(|a, b| a.path().cmp(b.path()));
    out
}

type Side = Option<(String, ObjectId, Arc<[u8]>)>;

fn side(path: &Option<String>, id: Option<ObjectId>, content: &Option<Arc<[u8]>>) -> Side {
    match (path, id) {
        (Some(p), Some(id)) => Some((
            p.clone(),
            id,
            content.clone().unwrap_or_else(|| Arc::from(&[][..])),
        )),
        _ => None,
    }
}

fn split(s: Side) -> (Option<String>, Option<ObjectId>, Option<Arc<[u8]>>) {
    match s {
        Some((p, id, c)) => (Some(p), Some(id), Some(c)),
        None => (None, None, None),
    }
}
