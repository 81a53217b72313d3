//! `mesh`: the Atomic Mesh command line. One module per subcommand under `cmd/`; each is thin and
//! calls library crates. Exit codes: 0 clean, 1 findings at error severity, 2 usage/config/internal.

mod cmd;
mod env;
mod output;
mod project;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: a check builds many small strings and tables, and
/// glibc's malloc and free were about 30 % of the CPU of a 2,000-root check (bench/README.md).
/// Built without transparent huge pages (`no_thp`, decision 026): with them, the first page of
/// each thread's heap made the kernel clear 2 MB, a quarter of a single project's check.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keep a repository's spec documents an enforced constitution.
///
/// Atomic Mesh reads docs/PRD.md, SPEC.md, ACTIVE_SPEC.md, DECISION_LOG.md, TECH_STACK.md and
/// INBOX.md, tells what is unfilled, checks them (and the code) against their own rules, and
/// coordinates the work that follows from them.
#[derive(Debug, Parser)]
#[command(name = "mesh", version, propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scaffold docs/ (PRD, SPEC, ACTIVE_SPEC, DECISION_LOG, TECH_STACK, INBOX) and mesh.toml.
    Init(cmd::init::Args),
    /// Show readiness per document, the mode and the pipeline, with the one next step.
    Status(cmd::status::Args),
    /// Check the documents (and, where configured, git history and code) against the rules.
    Check(cmd::check::Args),
    /// List the rules, or explain one: `mesh rules DOC001`.
    Rules(cmd::rules::Args),
    /// Verify or show the tamper-evident ledger (.mesh/ledger.jsonl).
    Ledger(cmd::ledger::Args),
    /// Requirements → tasks → tests: the traceability matrix and its rules.
    Trace(cmd::trace::Args),
    /// Regenerate ACTIVE_SPEC.md's derived parts from PRD, SPEC and DECISION_LOG.
    Hydrate(cmd::hydrate::Args),
    /// Record, supersede, revert and list decisions in DECISION_LOG.md.
    Decide(cmd::decide::Args),
    /// Audit the git history: SPEC changes without a decision, decision rows removed or rewritten.
    Audit(cmd::audit::Args),
    /// Install or remove the git hooks (pre-commit, pre-push) that run `mesh check`.
    Hooks(cmd::hooks::Args),
    /// Work with tasks: list, add, next (pick and claim), heartbeat, submit, review ….
    Task(cmd::task::Args),
    /// Plan the work: draft a plan from the documents, accept it into the store, draw its graph.
    Plan(cmd::plan::Args),
    /// Ship the batch: check every gate, record a ship entry in the ledger, tag HEAD.
    Ship(cmd::ship::Args),
    /// Serve the REST API, the web cockpit and MCP over HTTP.
    Serve(cmd::serve::Args),
    /// Serve MCP over stdio for a coding agent.
    Mcp(cmd::mcp::Args),
    /// Create, list and revoke the server's bearer tokens.
    Token(cmd::token::Args),
}

/// The same command line with `check` as its only subcommand. Building clap's whole tree (17
/// subcommands, `task` alone has 14) costs about half a millisecond at every start; `mesh check`
/// runs in git hooks, so when it is the first argument only its own part is built. A test holds
/// its parses, help and errors equal to [`Cli`]'s.
#[derive(Debug, Parser)]
#[command(name = "mesh", version, propagate_version = true, max_term_width = 100)]
struct CheckCli {
    #[command(subcommand)]
    command: CheckOnly,
}

#[derive(Debug, Subcommand)]
enum CheckOnly {
    /// Check the documents (and, where configured, git history and code) against the rules.
    Check(cmd::check::Args),
}

/// Print clap's help, version or usage error: help and version on stdout (exit 0), usage errors
/// on stderr (exit 2).
fn clap_exit(err: clap::Error) -> ExitCode {
    let code = if err.use_stderr() { 2 } else { 0 };
    let _ = err.print();
    ExitCode::from(code)
}

fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(err) => output::report_error(&err),
    }
}

fn main() -> ExitCode {
    if std::env::args_os().nth(1).is_some_and(|a| a == "check") {
        return match CheckCli::try_parse() {
            Ok(CheckCli {
                command: CheckOnly::Check(args),
            }) => finish(cmd::check::run(args)),
            Err(err) => clap_exit(err),
        };
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return clap_exit(err),
    };
    let result = match cli.command {
        Command::Init(args) => cmd::init::run(args),
        Command::Status(args) => cmd::status::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Rules(args) => cmd::rules::run(args),
        Command::Ledger(args) => cmd::ledger::run(args),
        Command::Trace(args) => cmd::trace::run(args),
        Command::Hydrate(args) => cmd::hydrate::run(args),
        Command::Decide(args) => cmd::decide::run(args),
        Command::Audit(args) => cmd::audit::run(args),
        Command::Hooks(args) => cmd::hooks::run(args),
        Command::Task(args) => cmd::task::run(args),
        Command::Plan(args) => cmd::plan::run(args),
        Command::Ship(args) => cmd::ship::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Mcp(args) => cmd::mcp::run(args),
        Command::Token(args) => cmd::token::run(args),
    };
    finish(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a parse gives, comparable across the two parsers.
    fn outcome(parsed: Result<cmd::check::Args, clap::Error>) -> String {
        match parsed {
            Ok(args) => format!("ok {args:?}"),
            Err(err) => format!("err {:?} {}", err.kind(), err.render()),
        }
    }

    #[test]
    fn the_check_only_parser_parses_helps_and_fails_as_the_whole_one_does() {
        let lines: &[&[&str]] = &[
            &["check"],
            &["check", "some/dir", "--format", "json"],
            &[
                "check",
                "--format=sarif",
                "--select",
                "DOC,DEC002",
                "--ignore",
                "DOC004",
            ],
            &["check", "--discover", "--color", "never", "--explain-stack"],
            &["check", "--base", "origin/main", "--tip", "HEAD~1"],
            &["check", "--help"],
            &["check", "-h"],
            &["check", "--version"],
            &["check", "-V"],
            &["check", "--format", "xml"],
            &["check", "--tip", "HEAD"],
            &["check", "--bogus"],
            &["check", "a", "b"],
            &["check", "--select"],
            &["check", "--format"],
        ];
        for line in lines {
            let argv = std::iter::once("mesh").chain(line.iter().copied());
            let whole = Cli::try_parse_from(argv.clone()).map(|cli| match cli.command {
                Command::Check(args) => args,
                other => panic!("{line:?} parsed as {other:?}"),
            });
            let only = CheckCli::try_parse_from(argv).map(|cli| match cli.command {
                CheckOnly::Check(args) => args,
            });
            assert_eq!(outcome(only), outcome(whole), "{line:?}");
        }
    }
}
