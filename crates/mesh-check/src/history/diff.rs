//! Line diffs of long documents: the common head and tail are cut off by comparing bytes before
//! the lines in between are diffed, so that appending one row to a 450 KB decision log costs a
//! memory comparison and a diff of a few lines, not a diff of every line.

use std::ops::Range;

use mesh_git::LineDiff;

/// One hunk of a line diff with absolute 0-based line ranges (end exclusive) in both texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block<'a> {
    /// Lines of the old text that were replaced.
    pub old: Range<u32>,
    /// Lines of the new text that replaced them.
    pub new: Range<u32>,
    /// The old lines' text (without terminators).
    pub old_lines: Vec<&'a str>,
    /// The new lines' text (without terminators).
    pub new_lines: Vec<&'a str>,
}

/// The changed blocks between `old` and `new`, in order. Lines are compared without their
/// terminators (as [`LineDiff`] does).
pub fn blocks<'a>(old: &'a str, new: &'a str) -> Vec<Block<'a>> {
    let (head, head_lines) = common_head(old.as_bytes(), new.as_bytes());
    let tail = common_tail(&old.as_bytes()[head..], &new.as_bytes()[head..]);
    let old_mid = old.get(head..old.len() - tail).unwrap_or_default();
    let new_mid = new.get(head..new.len() - tail).unwrap_or_default();
    let diff = LineDiff::new(old_mid, new_mid);
    let offset = head_lines;
    diff.hunks()
        .iter()
        .map(|h| Block {
            old: h.old.start + offset..h.old.end + offset,
            new: h.new.start + offset..h.new.end + offset,
            old_lines: slice(diff.old_lines(), &h.old),
            new_lines: slice(diff.new_lines(), &h.new),
        })
        .collect()
}

fn slice<'a>(lines: &[&'a str], r: &Range<u32>) -> Vec<&'a str> {
    lines
        .get(r.start as usize..r.end as usize)
        .map(<[&str]>::to_vec)
        .unwrap_or_default()
}

/// Length of the longest common prefix of `a` and `b`, compared in chunks (memcmp) first.
fn prefix_len(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 1024;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + CHUNK <= n && a[i..i + CHUNK] == b[i..i + CHUNK] {
        i += CHUNK;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// Length of the longest common suffix of `a` and `b`.
fn suffix_len(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 1024;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + CHUNK <= n
        && a[a.len() - i - CHUNK..a.len() - i] == b[b.len() - i - CHUNK..b.len() - i]
    {
        i += CHUNK;
    }
    while i < n && a[a.len() - 1 - i] == b[b.len() - 1 - i] {
        i += 1;
    }
    i
}

/// The common head, cut after its last complete line: (bytes, lines).
fn common_head(a: &[u8], b: &[u8]) -> (usize, u32) {
    let p = prefix_len(a, b);
    let cut = a[..p]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    let lines = a[..cut].iter().filter(|&&c| c == b'\n').count();
    (cut, u32::try_from(lines).unwrap_or(u32::MAX))
}

/// The common tail, starting at the beginning of a line in both texts: bytes.
fn common_tail(a: &[u8], b: &[u8]) -> usize {
    let s = suffix_len(a, b);
    // The tail must start right after a newline in both texts (or at the very start of both).
    let mut s = s;
    loop {
        if s == 0 {
            return 0;
        }
        let at_a = a.len() - s;
        let at_b = b.len() - s;
        let line_start = |t: &[u8], at: usize| at == 0 || t[at - 1] == b'\n';
        if line_start(a, at_a) && line_start(b, at_b) {
            // A line whose start is in the tail may not be shared as a whole when one text
            // ends without the other's final newline; that is fine: lines compare without it.
            return s;
        }
        // Move the cut forward to the next line start inside the tail.
        match a[at_a..].iter().position(|&c| c == b'\n') {
            Some(i) => s = s.saturating_sub(i + 1),
            None => return 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Owned = (Range<u32>, Range<u32>, Vec<String>, Vec<String>);

    fn lines(bs: &[Block<'_>]) -> Vec<Owned> {
        bs.iter()
            .map(|b| {
                (
                    b.old.clone(),
                    b.new.clone(),
                    b.old_lines.iter().map(|s| s.to_string()).collect(),
                    b.new_lines.iter().map(|s| s.to_string()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn same_hunks_as_a_full_diff() {
        let cases = [
            ("a\nb\nc\n", "a\nb\nc\nd\n"),
            ("a\nb\nc\n", "a\nB\nc\n"),
            ("a\nb\nc\n", "b\nc\n"),
            ("", "x\n"),
            ("x\n", ""),
            ("a\nb", "a\nb\n"),
            ("a\r\nb\r\n", "a\r\nc\r\n"),
            ("ab\ncd\n", "ab\ncx\ncd\n"),
            ("x\nsame\n", "y\nsame\n"),
            ("same\nab\n", "same\nb\n"),
            ("l1\nl2\nl3\nl4\n", "l1\nl2\nnew\nl3\nl4\n"),
        ];
        for (old, new) in cases {
            let full = LineDiff::new(old, new);
            let expect: Vec<_> = full
                .hunks()
                .iter()
                .map(|h| {
                    (
                        h.old.clone(),
                        h.new.clone(),
                        slice(full.old_lines(), &h.old)
                            .iter()
                            .map(|s| s.to_string())
                            .collect::<Vec<_>>(),
                        slice(full.new_lines(), &h.new)
                            .iter()
                            .map(|s| s.to_string())
                            .collect::<Vec<_>>(),
                    )
                })
                .collect();
            assert_eq!(lines(&blocks(old, new)), expect, "{old:?} -> {new:?}");
        }
    }

    #[test]
    fn long_texts_with_one_appended_line() {
        let mut old = String::new();
        for i in 0..5000 {
            old.push_str(&format!("| {i:05} | row {i} |\n"));
        }
        let mut new = old.clone();
        new.push_str("| 05000 | row 5000 |\n");
        let b = blocks(&old, &new);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].old, 5000..5000);
        assert_eq!(b[0].new, 5000..5001);
        assert_eq!(b[0].new_lines, vec!["| 05000 | row 5000 |"]);
        let edited = new.replace("| 02500 | row 2500 |", "| 02500 | row 2500 edited |");
        let b = blocks(&new, &edited);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].old, 2500..2501);
        assert_eq!(b[0].old_lines, vec!["| 02500 | row 2500 |"]);
    }
}
