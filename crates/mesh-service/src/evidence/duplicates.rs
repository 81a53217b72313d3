//! Repeated code a change adds: blocks of at least [`MIN_BLOCK_LINES`] consecutive normalised
//! (trimmed, non-blank) added lines that also occur elsewhere — in another file of the
//! repository or elsewhere in the same file. Pure: the caller supplies the texts.
//!
//! Every window of [`MIN_BLOCK_LINES`] normalised lines of every file gets a rolling hash
//! (polynomial over per-line FNV-1a hashes), so the whole repository is indexed in one pass.
//! A window of the change matches when a window with the same hash has the same text; windows
//! made only of punctuation (`}`, `);`) are not indexed, so closing braces do not count as
//! duplication. Consecutive matching windows merge into one block.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;

/// The shortest repeated block reported, in normalised lines.
pub const MIN_BLOCK_LINES: usize = 6;

/// One file to index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile<'a> {
    /// Repository-relative path.
    pub path: &'a str,
    pub text: &'a str,
    /// The 1-based line numbers this change added to the file; empty for an unchanged file.
    pub added: BTreeSet<u32>,
}

/// A repeated block the change adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateBlock {
    /// The file the block was added to.
    pub file: String,
    /// 1-based line of its first line.
    pub line: u32,
    /// Its length in normalised (non-blank) lines.
    pub lines: u32,
    /// Where the same code also is (the first match of the block's first window).
    pub also_in: String,
    pub also_line: u32,
}

/// A non-blank line, trimmed, with its 1-based number.
struct Norm<'a> {
    line: u32,
    text: &'a str,
    hash: u64,
    /// Holds a letter or digit.
    substantial: bool,
}

fn fnv1a(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn normalise(text: &str) -> Vec<Norm<'_>> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim();
            (!t.is_empty()).then(|| Norm {
                line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                text: t,
                hash: fnv1a(t),
                substantial: t.chars().any(char::is_alphanumeric),
            })
        })
        .collect()
}

const BASE: u64 = 0x9e37_79b9_7f4a_7c15 | 1;

/// Window hashes of `w` lines: element `i` covers `lines[i..i + w]`.
fn window_hashes(lines: &[Norm<'_>], w: usize) -> Vec<u64> {
    if lines.len() < w || w == 0 {
        return Vec::new();
    }
    // BASE^(w-1), to take the outgoing line out of the rolling sum.
    let top = (1..w).fold(1u64, |acc, _| acc.wrapping_mul(BASE));
    let mut out = Vec::with_capacity(lines.len() + 1 - w);
    let mut h = lines[..w]
        .iter()
        .fold(0u64, |acc, l| acc.wrapping_mul(BASE).wrapping_add(l.hash));
    out.push(h);
    for i in w..lines.len() {
        h = h
            .wrapping_sub(lines[i - w].hash.wrapping_mul(top))
            .wrapping_mul(BASE)
            .wrapping_add(lines[i].hash);
        out.push(h);
    }
    out
}

fn same_text(a: &[Norm<'_>], b: &[Norm<'_>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.text == y.text)
}

/// The repeated blocks the added lines of `files` form, largest first (then by file and line).
/// `min_lines` below 2 is treated as 2.
pub fn find(files: &[SourceFile<'_>], min_lines: usize) -> Vec<DuplicateBlock> {
    let w = min_lines.max(2);
    let norms: Vec<Vec<Norm<'_>>> = files.iter().map(|f| normalise(f.text)).collect();
    let hashes: Vec<Vec<u64>> = norms.iter().map(|n| window_hashes(n, w)).collect();

    // Only windows made of added lines can start a block, so only their hashes are indexed
    // (the index stays small however large the repository).
    let wanted: HashSet<u64> = files
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.added.is_empty())
        .flat_map(|(fi, f)| {
            let lines = &norms[fi];
            hashes[fi]
                .iter()
                .enumerate()
                .filter(move |(pos, _)| {
                    lines[*pos..*pos + w]
                        .iter()
                        .all(|l| f.added.contains(&l.line))
                })
                .map(|(_, h)| *h)
        })
        .collect();
    let mut index: HashMap<u64, Vec<(usize, usize)>> = HashMap::new();
    for (fi, hs) in hashes.iter().enumerate() {
        for (pos, h) in hs.iter().enumerate() {
            if wanted.contains(h) && norms[fi][pos..pos + w].iter().any(|l| l.substantial) {
                index.entry(*h).or_default().push((fi, pos));
            }
        }
    }

    let mut blocks = Vec::new();
    for (fi, file) in files.iter().enumerate() {
        if file.added.is_empty() {
            continue;
        }
        let lines = &norms[fi];
        // For each window of added lines, its first match elsewhere.
        let mut matched: Vec<Option<(usize, usize)>> = vec![None; hashes[fi].len()];
        for (pos, h) in hashes[fi].iter().enumerate() {
            let window = &lines[pos..pos + w];
            if !window.iter().all(|l| file.added.contains(&l.line)) {
                continue;
            }
            let Some(candidates) = index.get(h) else {
                continue;
            };
            matched[pos] = candidates.iter().copied().find(|&(ofi, opos)| {
                let overlaps = ofi == fi && opos.abs_diff(pos) < w;
                !overlaps && same_text(window, &norms[ofi][opos..opos + w])
            });
        }
        let mut pos = 0;
        while pos < matched.len() {
            let Some((ofi, opos)) = matched[pos] else {
                pos += 1;
                continue;
            };
            let start = pos;
            while pos < matched.len() && matched[pos].is_some() {
                pos += 1;
            }
            let len = pos - start + w - 1;
            blocks.push(DuplicateBlock {
                file: file.path.to_string(),
                line: lines[start].line,
                lines: u32::try_from(len).unwrap_or(u32::MAX),
                also_in: files[ofi].path.to_string(),
                also_line: norms[ofi][opos].line,
            });
            // The next block may not reuse this one's lines.
            pos = start + len;
        }
    }
    blocks.sort_by(|a, b| {
        b.lines
            .cmp(&a.lines)
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.line.cmp(&b.line))
    });
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file<'a>(
        path: &'a str,
        text: &'a str,
        added: impl IntoIterator<Item = u32>,
    ) -> SourceFile<'a> {
        SourceFile {
            path,
            text,
            added: added.into_iter().collect(),
        }
    }

    const BLOCK: &str = "let total = items.iter().map(|i| i.price).sum::<u64>();
let tax = total * rate / 100;
if tax > limit {
    return Err(Error::TooMuch(tax));
}
let shipping = if total > 5000 { 0 } else { 499 };
let grand = total + tax + shipping;
log::info!(\"grand total {grand}\");
";

    #[test]
    fn copied_block_in_another_file() {
        let original = format!("fn a() {{\n{BLOCK}}}\n");
        // Indented differently and with blank lines: still the same normalised lines.
        let copy: String = format!(
            "// header\n\nfn b() {{\n{}    done(1);\n}}\n",
            BLOCK
                .lines()
                .map(|l| format!("        {l}\n\n"))
                .collect::<String>()
        );
        let copy_lines = u32::try_from(copy.lines().count()).unwrap_or(0);
        let blocks = find(
            &[
                file("src/a.rs", &original, []),
                file("src/b.rs", &copy, 1..=copy_lines),
            ],
            MIN_BLOCK_LINES,
        );
        assert_eq!(
            blocks,
            vec![DuplicateBlock {
                file: "src/b.rs".into(),
                line: 4,
                lines: 8,
                also_in: "src/a.rs".into(),
                also_line: 2,
            }]
        );
    }

    #[test]
    fn unchanged_copies_and_short_blocks_are_not_reported() {
        let text = format!("{BLOCK}{BLOCK}");
        // Nothing added: nothing reported, however repetitive the file.
        assert!(find(&[file("a.rs", &text, [])], 6).is_empty());
        // Only five lines of the copy added: below the threshold.
        assert!(find(&[file("a.rs", &text, 9..=13)], 6).is_empty());
        // The whole second copy added: one block pointing at the first.
        let blocks = find(&[file("a.rs", &text, 9..=16)], 6);
        assert_eq!(blocks.len(), 1);
        assert_eq!((blocks[0].line, blocks[0].lines), (9, 8));
        assert_eq!(
            (blocks[0].also_in.as_str(), blocks[0].also_line),
            ("a.rs", 1)
        );
    }

    #[test]
    fn both_copies_added_point_at_each_other() {
        let blocks = find(&[file("x.py", BLOCK, 1..=8), file("y.py", BLOCK, 1..=8)], 6);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].also_in, "y.py");
        assert_eq!(blocks[1].also_in, "x.py");
    }

    #[test]
    fn punctuation_and_overlapping_repeats_do_not_count() {
        let braces = "}\n".repeat(20);
        assert!(
            find(
                &[file("a.rs", &braces, 1..=20), file("b.rs", &braces, [])],
                6
            )
            .is_empty()
        );
        // One line repeated seven times overlaps itself; twelve times is two real copies.
        let same = "x += 1;\n".repeat(7);
        assert!(find(&[file("a.rs", &same, 1..=7)], 6).is_empty());
        let twice = "x += 1;\n".repeat(12);
        assert!(!find(&[file("a.rs", &twice, 1..=12)], 6).is_empty());
    }

    #[test]
    fn rolling_hash_matches_direct_hash() {
        let text = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let n = normalise(text);
        let rolled = window_hashes(&n, 3);
        for (i, h) in rolled.iter().enumerate() {
            assert_eq!(*h, window_hashes(&n[i..i + 3], 3)[0]);
        }
        assert!(window_hashes(&n[..2], 3).is_empty());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any files and added lines: no panic; every block is long enough, inside its file,
        /// made of added lines, and its copy says the same.
        #[test]
        fn blocks_are_sound(
            texts in proptest::collection::vec(
                proptest::collection::vec(prop_oneof!["[ab]{1,2}", " *x = [12];", "", "}"], 0..40),
                1..4,
            ),
            added in proptest::collection::vec(proptest::collection::btree_set(1u32..45, 0..40), 4),
        ) {
            let joined: Vec<String> = texts.iter().map(|t| t.join("\n")).collect();
            let paths: Vec<String> = (0..joined.len()).map(|i| format!("f{i}")).collect();
            let files: Vec<SourceFile<'_>> = joined
                .iter()
                .zip(&paths)
                .zip(&added)
                .map(|((text, path), added)| SourceFile { path, text, added: added.clone() })
                .collect();
            for b in find(&files, MIN_BLOCK_LINES) {
                prop_assert!(b.lines as usize >= MIN_BLOCK_LINES);
                let f = files.iter().find(|f| f.path == b.file).unwrap();
                let o = files.iter().find(|f| f.path == b.also_in).unwrap();
                let norm = |text: &str, from: u32| -> Vec<String> {
                    text.lines()
                        .skip(from as usize - 1)
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .take(MIN_BLOCK_LINES)
                        .map(str::to_string)
                        .collect()
                };
                prop_assert!(f.added.contains(&b.line));
                prop_assert_eq!(norm(f.text, b.line), norm(o.text, b.also_line));
            }
        }
    }
}
