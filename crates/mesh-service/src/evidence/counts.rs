//! Pass/fail counts from the output of the common test runners, and the runner a command or a
//! SPEC `Testing:` convention names. Pure functions: text in, values out.

use serde::Serialize;

/// The test runner whose output was recognised (or whose command was run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Runner {
    /// `cargo test` (libtest's `test result:` lines).
    Cargo,
    /// `cargo nextest run` (its `Summary` line).
    Nextest,
    /// pytest (its closing `N passed, M failed in 0.12s` line).
    Pytest,
    /// jest or vitest, usually through `npm test` (their `Tests:` line).
    Npm,
    /// `go test` (its `--- PASS:` / `--- FAIL:` lines; needs `-v` for the passed ones).
    Go,
    /// Anything else.
    Unknown,
}

impl Runner {
    /// The name stored in evidence data: cargo, nextest, pytest, npm, go, unknown.
    pub fn as_str(self) -> &'static str {
        match self {
            Runner::Cargo => "cargo",
            Runner::Nextest => "nextest",
            Runner::Pytest => "pytest",
            Runner::Npm => "npm",
            Runner::Go => "go",
            Runner::Unknown => "unknown",
        }
    }
}

/// How many tests passed, failed (errors and timeouts included) and were skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        bump(&mut self.passed, other.passed);
        bump(&mut self.failed, other.failed);
        bump(&mut self.ignored, other.ignored);
    }
}

/// Add without overflowing: a runner's figures are text, and text can say anything.
fn bump(slot: &mut u64, n: u64) {
    *slot = slot.saturating_add(n);
}

/// The runner a shell command runs, judged from its words.
pub fn runner_of_command(command: &str) -> Runner {
    let c = command.to_ascii_lowercase();
    let words: Vec<&str> = c
        .split(|ch: char| ch.is_whitespace() || matches!(ch, ';' | '&' | '|' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| words.contains(&w);
    let follows = |a: &str, b: &str| words.windows(2).any(|p| p[0] == a && p[1] == b);
    if has("nextest") {
        Runner::Nextest
    } else if has("cargo") {
        Runner::Cargo
    } else if has("pytest") || words.iter().any(|w| w.ends_with("/pytest")) {
        Runner::Pytest
    } else if ["npm", "npx", "yarn", "pnpm", "jest", "vitest", "bun"]
        .iter()
        .any(|w| has(w))
    {
        Runner::Npm
    } else if follows("go", "test") {
        Runner::Go
    } else {
        Runner::Unknown
    }
}

/// The test command a SPEC Hydration Contract `Testing:` value implies: cargo nextest when
/// nextest is named anywhere; otherwise the runner named first — cargo test for Rust or cargo,
/// pytest, npm test for jest, vitest or npm, `go test -v ./...` for Go (verbose, so that the
/// passed tests can be counted). `None` when the value names none of these.
pub fn command_for_testing(testing: &str) -> Option<&'static str> {
    let t = testing.to_ascii_lowercase();
    let words: Vec<&str> = t
        .split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    if words
        .iter()
        .any(|w| *w == "nextest" || *w == "cargo-nextest")
    {
        return Some("cargo nextest run");
    }
    if words == ["go"] {
        return Some("go test -v ./...");
    }
    words.iter().enumerate().find_map(|(i, w)| match *w {
        "cargo" | "rust" | "libtest" => Some("cargo test"),
        "pytest" => Some("pytest"),
        "jest" | "vitest" | "npm" => Some("npm test"),
        "golang" => Some("go test -v ./..."),
        "go" if words.get(i + 1) == Some(&"test") => Some("go test -v ./..."),
        _ => None,
    })
}

/// Remove ANSI escape sequences (colours, cursor moves) so coloured output parses too.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('[') => {
                chars.next();
                // CSI: parameter and intermediate bytes, then one final byte in @..~; anything
                // else (a line break) ends a broken sequence and is kept.
                while chars.next_if(|c| (' '..='?').contains(c)).is_some() {}
                chars.next_if(|c| ('@'..='~').contains(c));
            }
            Some(']') => {
                chars.next();
                // OSC: up to BEL or ESC \ (or the end of the line, when broken).
                while let Some(c) = chars.next_if(|c| *c != '\n') {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' {
                        chars.next_if(|c| *c == '\\');
                        break;
                    }
                }
            }
            // A two-character escape; a line break after a lone ESC is kept.
            Some(_) => {
                chars.next_if(|c| *c != '\n');
            }
            None => {}
        }
    }
    out
}

type Parser = fn(&str) -> Option<Counts>;

/// The counts in a runner's output and which runner printed them: nextest, cargo test, go test
/// (verbose), pytest, jest or vitest, tried in that order. `None` when none is recognised.
pub fn parse_counts(output: &str) -> Option<(Runner, Counts)> {
    let text = strip_ansi(output);
    let parsers: [(Runner, Parser); 5] = [
        (Runner::Nextest, parse_nextest),
        (Runner::Cargo, parse_cargo),
        (Runner::Go, parse_go),
        (Runner::Pytest, parse_pytest),
        (Runner::Npm, parse_jest_vitest),
    ];
    parsers
        .iter()
        .find_map(|(runner, parse)| parse(&text).map(|c| (*runner, c)))
}

/// `12 passed` → (12, "passed"); the word is the first one after the number.
fn number_word(part: &str) -> Option<(u64, &str)> {
    let mut it = part.split_whitespace();
    let n = it.next()?.parse().ok()?;
    let word = it.next()?;
    Some((n, word.trim_end_matches(|c: char| !c.is_alphanumeric())))
}

/// libtest: the sum over every `test result: ok. 4 passed; 0 failed; 1 ignored; …` line (one
/// per test binary and one for doc tests).
pub fn parse_cargo(text: &str) -> Option<Counts> {
    let mut total: Option<Counts> = None;
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("test result:") else {
            continue;
        };
        // `ok. 4 passed; …` / `FAILED. 3 passed; …`
        let Some((_, figures)) = rest.split_once('.') else {
            continue;
        };
        let mut counts = Counts::default();
        let mut seen = false;
        for part in figures.split(';') {
            match number_word(part) {
                Some((n, "passed")) => {
                    counts.passed = n;
                    seen = true;
                }
                Some((n, "failed")) => counts.failed = n,
                Some((n, "ignored")) => counts.ignored = n,
                _ => {}
            }
        }
        if seen {
            total.get_or_insert_with(Counts::default).add(counts);
        }
    }
    total
}

/// cargo-nextest: the last `Summary [ 0.5s] 22 tests run: 20 passed, 2 failed, 1 skipped` line
/// (`timed out` counts as failed; `(1 slow)`, `(2 flaky)` remarks are ignored).
pub fn parse_nextest(text: &str) -> Option<Counts> {
    text.lines().rev().find_map(|line| {
        let rest = line.trim_start().strip_prefix("Summary")?;
        let rest = rest.trim_start().strip_prefix('[')?;
        let (_, rest) = rest.split_once(']')?;
        let (_, figures) = rest.split_once(" run:")?;
        let mut counts = Counts::default();
        let mut seen = false;
        for part in figures.split(',') {
            let Some((n, word)) = number_word(part) else {
                continue;
            };
            seen = true;
            match word {
                "passed" => bump(&mut counts.passed, n),
                "skipped" => bump(&mut counts.ignored, n),
                w if w.starts_with("fail") || w == "timed" || w == "exec" => {
                    bump(&mut counts.failed, n)
                }
                _ => {}
            }
        }
        seen.then_some(counts)
    })
}

/// pytest: the last summary line, `=== 1 failed, 2 passed, 1 skipped, 3 warnings in 0.12s ===`
/// (also without the `=` rule, as `-q` prints it). Errors count as failed, xfailed as ignored,
/// xpassed as passed; `no tests ran` is all zero.
pub fn parse_pytest(text: &str) -> Option<Counts> {
    text.lines().rev().find_map(|line| {
        let body = line.trim().trim_matches('=').trim();
        let (figures, time) = body.rsplit_once(" in ")?;
        let secs = time.split_whitespace().next()?;
        let secs = secs.strip_suffix('s')?;
        if secs.parse::<f64>().is_err() {
            return None;
        }
        if figures == "no tests ran" {
            return Some(Counts::default());
        }
        let mut counts = Counts::default();
        let mut known = false;
        for part in figures.split(", ") {
            let (n, word) = number_word(part)?;
            if part.split_whitespace().count() != 2 {
                return None;
            }
            match word {
                "passed" | "xpassed" => bump(&mut counts.passed, n),
                "failed" | "error" | "errors" => bump(&mut counts.failed, n),
                "skipped" | "xfailed" | "deselected" => bump(&mut counts.ignored, n),
                "warning" | "warnings" | "rerun" | "reruns" => {}
                _ => return None,
            }
            known = true;
        }
        known.then_some(counts)
    })
}

/// jest: the last `Tests:       1 failed, 2 passed, 3 total` line; vitest: the last
/// `Tests  1 failed | 3 passed (4)` line. Skipped and todo count as ignored.
pub fn parse_jest_vitest(text: &str) -> Option<Counts> {
    text.lines().rev().find_map(|line| {
        let line = line.trim();
        let (figures, sep) = if let Some(rest) = line.strip_prefix("Tests:") {
            (rest, ',')
        } else if let Some(rest) = line.strip_prefix("Tests ") {
            let (figures, _) = rest.rsplit_once('(')?;
            (figures, '|')
        } else {
            return None;
        };
        let mut counts = Counts::default();
        let mut known = false;
        for part in figures.split(sep) {
            let (n, word) = number_word(part)?;
            match word {
                "passed" => bump(&mut counts.passed, n),
                "failed" => bump(&mut counts.failed, n),
                "skipped" | "todo" | "pending" => bump(&mut counts.ignored, n),
                "total" => {}
                _ => return None,
            }
            known = true;
        }
        known.then_some(counts)
    })
}

/// `go test -v`: one `--- PASS:`, `--- FAIL:` or `--- SKIP:` line per test and subtest.
/// Without `-v` go prints no line for a passed test, so output without `=== RUN` lines is not
/// counted (`None`), rather than counted wrong.
pub fn parse_go(text: &str) -> Option<Counts> {
    let mut counts = Counts::default();
    let mut verbose = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("=== RUN") {
            verbose = true;
        } else if t.starts_with("--- PASS:") {
            counts.passed += 1;
        } else if t.starts_with("--- FAIL:") {
            counts.failed += 1;
        } else if t.starts_with("--- SKIP:") {
            counts.ignored += 1;
        }
    }
    verbose.then_some(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(passed: u64, failed: u64, ignored: u64) -> Counts {
        Counts {
            passed,
            failed,
            ignored,
        }
    }

    const CARGO: &str = "\
   Compiling shop v0.1.0 (/src/shop)
    Finished `test` profile [unoptimized + debuginfo] target(s) in 1.02s
     Running unittests src/lib.rs (target/debug/deps/shop-6f1b)

running 3 tests
test cart::tests::adds ... ok
test cart::tests::removes ... FAILED
test cart::tests::slow ... ignored

failures:

---- cart::tests::removes stdout ----
thread 'cart::tests::removes' panicked at src/cart.rs:40:9:
assertion `left == right` failed

failures:
    cart::tests::removes

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s

     Running tests/api.rs (target/debug/deps/api-01ab)

running 4 tests
test a ... ok
test b ... ok
test c ... ok
test d ... ok

test result: ok. 4 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s

   Doc-tests shop

running 1 test
test src/lib.rs - add (line 3) ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.15s

error: test failed, to rerun pass `--lib`
";

    #[test]
    fn cargo_sums_every_binary() {
        assert_eq!(parse_cargo(CARGO), Some(c(6, 1, 1)));
        assert_eq!(parse_counts(CARGO), Some((Runner::Cargo, c(6, 1, 1))));
        assert_eq!(parse_cargo("running 0 tests\n"), None);
    }

    const NEXTEST: &str = "\
    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.05s
────────────
 Nextest run ID 1b2c with nextest profile: default
    Starting 5 tests across 2 binaries (1 test skipped)
        PASS [   0.003s] shop cart::tests::adds
        FAIL [   0.004s] shop cart::tests::removes
     TIMEOUT [  60.002s] shop cart::tests::hangs
        PASS [   0.002s] shop::api a
        PASS [   0.002s] shop::api b
────────────
     Summary [  60.010s] 5 tests run: 3 passed (1 slow), 1 failed, 1 timed out, 1 skipped
        FAIL [   0.004s] shop cart::tests::removes
     TIMEOUT [  60.002s] shop cart::tests::hangs
error: test run failed
";

    #[test]
    fn nextest_summary() {
        assert_eq!(parse_nextest(NEXTEST), Some(c(3, 2, 1)));
        assert_eq!(parse_counts(NEXTEST), Some((Runner::Nextest, c(3, 2, 1))));
        let one = "     Summary [   0.004s] 1 test run: 1 passed, 0 skipped\n";
        assert_eq!(parse_nextest(one), Some(c(1, 0, 0)));
    }

    const PYTEST: &str = "\
============================= test session starts ==============================
platform linux -- Python 3.11.2, pytest-8.3.3, pluggy-1.5.0
rootdir: /src/shop
collected 6 items

tests/test_cart.py ..F.sx                                                [100%]

=================================== FAILURES ===================================
_________________________________ test_remove __________________________________

    def test_remove():
>       assert remove(1) == 0
E       assert 1 == 0

tests/test_cart.py:9: AssertionError
=========================== short test summary info ============================
FAILED tests/test_cart.py::test_remove - assert 1 == 0
============= 1 failed, 3 passed, 1 skipped, 1 xfailed, 2 warnings in 0.05s =============
";

    #[test]
    fn pytest_summary() {
        assert_eq!(parse_pytest(PYTEST), Some(c(3, 1, 2)));
        assert_eq!(parse_counts(PYTEST), Some((Runner::Pytest, c(3, 1, 2))));
        assert_eq!(
            parse_pytest("2 passed, 1 error in 1.30s\n"),
            Some(c(2, 1, 0))
        );
        assert_eq!(
            parse_pytest("======= 12 passed in 61.02s (0:01:01) =======\n"),
            Some(c(12, 0, 0))
        );
        assert_eq!(
            parse_pytest("============ no tests ran in 0.01s ============\n"),
            Some(c(0, 0, 0))
        );
        // Prose with " in " is not a summary.
        assert_eq!(parse_pytest("wrote 3 files in 2s\n"), None);
    }

    const JEST: &str = "\
> shop@1.0.0 test
> jest

 FAIL  src/cart.test.js
  ● cart › removes

    expect(received).toBe(expected) // Object.is equality

 PASS  src/api.test.js

Test Suites: 1 failed, 1 passed, 2 total
Tests:       1 failed, 1 skipped, 4 passed, 6 total
Snapshots:   0 total
Time:        0.412 s
Ran all test suites.
";

    const VITEST: &str = "\
 RUN  v2.1.4 /src/shop

 ❯ src/cart.test.ts (3 tests | 1 failed) 5ms
   × cart > removes 3ms
 ✓ src/api.test.ts (2 tests) 2ms

 Test Files  1 failed | 1 passed (2)
      Tests  1 failed | 4 passed | 1 todo (6)
   Start at  10:20:01
   Duration  312ms (transform 40ms, setup 0ms, collect 51ms, tests 7ms)
";

    #[test]
    fn jest_and_vitest() {
        assert_eq!(parse_jest_vitest(JEST), Some(c(4, 1, 1)));
        assert_eq!(parse_counts(JEST), Some((Runner::Npm, c(4, 1, 1))));
        assert_eq!(parse_jest_vitest(VITEST), Some(c(4, 1, 1)));
        let coloured = "\u{1b}[2m      Tests \u{1b}[22m \u{1b}[1m\u{1b}[32m7 passed\u{1b}[39m\u{1b}[22m\u{1b}[90m (7)\u{1b}[39m\n";
        assert_eq!(parse_counts(coloured), Some((Runner::Npm, c(7, 0, 0))));
    }

    const GO: &str = "\
=== RUN   TestAdd
--- PASS: TestAdd (0.00s)
=== RUN   TestRemove
    cart_test.go:14: got 1, want 0
--- FAIL: TestRemove (0.00s)
=== RUN   TestTable
=== RUN   TestTable/empty
=== RUN   TestTable/full
    cart_test.go:30: slow
--- PASS: TestTable (0.00s)
    --- PASS: TestTable/empty (0.00s)
    --- SKIP: TestTable/full (0.00s)
FAIL
FAIL\texample.com/shop/cart\t0.003s
=== RUN   TestServe
--- PASS: TestServe (0.01s)
PASS
ok  \texample.com/shop/api\t0.015s
?   \texample.com/shop/cmd\t[no test files]
FAIL
";

    #[test]
    fn go_verbose_only() {
        assert_eq!(parse_go(GO), Some(c(4, 1, 1)));
        assert_eq!(parse_counts(GO), Some((Runner::Go, c(4, 1, 1))));
        let quiet = "--- FAIL: TestRemove (0.00s)\nFAIL\nFAIL\texample.com/shop\t0.003s\nok  \texample.com/shop/api\t0.015s\n";
        assert_eq!(parse_go(quiet), None);
        assert_eq!(parse_counts(quiet), None);
    }

    #[test]
    fn unrecognised_output() {
        assert_eq!(parse_counts(""), None);
        assert_eq!(parse_counts("all good\nexit 0\n"), None);
        assert_eq!(parse_counts("Tests: many\n"), None);
    }

    #[test]
    fn runners_of_commands() {
        assert_eq!(
            runner_of_command("cargo nextest run --workspace"),
            Runner::Nextest
        );
        assert_eq!(runner_of_command("cargo test --workspace"), Runner::Cargo);
        assert_eq!(runner_of_command("python -m pytest -q"), Runner::Pytest);
        assert_eq!(runner_of_command(".venv/bin/pytest"), Runner::Pytest);
        assert_eq!(runner_of_command("npm test"), Runner::Npm);
        assert_eq!(runner_of_command("npx vitest run"), Runner::Npm);
        assert_eq!(runner_of_command("cd svc && go test ./..."), Runner::Go);
        assert_eq!(runner_of_command("make check"), Runner::Unknown);
    }

    #[test]
    fn testing_conventions() {
        assert_eq!(
            command_for_testing("cargo test + proptest; nextest in CI"),
            Some("cargo nextest run")
        );
        assert_eq!(
            command_for_testing("Rust unit tests beside the code, insta snapshots"),
            Some("cargo test")
        );
        assert_eq!(
            command_for_testing("pytest with coverage >= 80%"),
            Some("pytest")
        );
        assert_eq!(
            command_for_testing("Jest for units, Playwright e2e"),
            Some("npm test")
        );
        assert_eq!(command_for_testing("Vitest"), Some("npm test"));
        assert_eq!(
            command_for_testing("go test, table-driven"),
            Some("go test -v ./...")
        );
        assert_eq!(command_for_testing("Go"), Some("go test -v ./..."));
        // Values from real SPECs (tests/fixtures/projects): the runner named first wins.
        assert_eq!(
            command_for_testing(
                "go test + testcontainers-go; Vitest and Playwright for the web UI"
            ),
            Some("go test -v ./...")
        );
        assert_eq!(
            command_for_testing("go test with golden files, plus native Go fuzzing"),
            Some("go test -v ./...")
        );
        assert_eq!(
            command_for_testing("Jest for the app, pgTAP for database policies"),
            Some("npm test")
        );
        assert_eq!(
            command_for_testing("vitest with testcontainers for PostgreSQL"),
            Some("npm test")
        );
        assert_eq!(command_for_testing("PHPUnit + Laravel Dusk"), None);
        assert_eq!(command_for_testing("tests go beside the code"), None);
        assert_eq!(command_for_testing("JUnit 5"), None);
        assert_eq!(command_for_testing(""), None);
    }

    #[test]
    fn ansi_is_stripped() {
        assert_eq!(strip_ansi("\u{1b}[1m\u{1b}[32mok\u{1b}[0m"), "ok");
        assert_eq!(strip_ansi("a\u{1b}]8;;http://x\u{7}b"), "ab");
        assert_eq!(strip_ansi("trailing\u{1b}"), "trailing");
        assert_eq!(strip_ansi("broken\u{1b}[\nnext"), "broken\nnext");
        assert_eq!(strip_ansi("\u{1b}[38;5;10mgreen"), "green");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any output, however odd, parses without a panic, and colours never change counts.
        #[test]
        fn any_output_parses(lines in proptest::collection::vec(
            prop_oneof![
                ".{0,40}",
                "test result: (ok|FAILED)\\. [0-9]{1,3} passed; [0-9]{1,3} failed; [0-9]{1,3} ignored",
                " *Summary \\[ *[0-9.]+s\\] [0-9]+ tests? run: [0-9]+ passed(, [0-9]+ (failed|skipped|timed out))*",
                "=* ?([0-9]+ (passed|failed|error|skipped), )*[0-9]+ passed in [0-9.]+s ?=*",
                " *Tests:? +[0-9]+ (passed|failed)(, [0-9]+ total)?",
                " *--- (PASS|FAIL|SKIP): [A-Za-z]+ \\(0.00s\\)",
                "\u{1b}\\[[0-9;]{0,6}[A-Za-z@~]?",
            ],
            0..12,
        )) {
            let text = lines.join("\n");
            let plain = parse_counts(&text);
            let coloured: String = lines
                .iter()
                .map(|l| format!("\u{1b}[32m{l}\u{1b}[0m\n"))
                .collect();
            prop_assert_eq!(parse_counts(&coloured), plain);
            let _ = command_for_testing(&text);
            let _ = runner_of_command(&text);
        }
    }
}
