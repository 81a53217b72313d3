//! `mesh rules [CODE]`: list the rules or explain one.

use std::process::ExitCode;

use anyhow::bail;
use mesh_check::rules;
use serde_json::json;

use crate::output;

/// List every rule, or explain one (what it finds, why, an example and how to fix it).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh rules            # every rule with its code, name and default severity\n  mesh rules DOC002     # explain one rule\n  mesh rules --format json"
)]
pub struct Args {
    /// A rule code such as DOC002 (or a prefix such as DOC to list a group).
    pub code: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    /// The Markdown rule reference (docs/reference/rules.md is generated from this).
    Markdown,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let metas = rules::metas();
    let chosen: Vec<_> = match &args.code {
        None => metas,
        Some(c) => {
            if let Some(r) = rules::by_code(c) {
                vec![r.meta()]
            } else {
                let group: Vec<_> = metas
                    .into_iter()
                    .filter(|m| m.code.starts_with(&c.to_ascii_uppercase()))
                    .collect();
                if group.is_empty() {
                    bail!("no rule has the code `{c}`; run `mesh rules` to list them");
                }
                group
            }
        }
    };
    let text = match args.format {
        Format::Json => {
            let v: Vec<_> = chosen
                .iter()
                .map(|m| {
                    json!({"code": m.code, "name": m.name, "group": m.group.prefix(), "severity": m.severity.as_str(), "summary": m.summary, "explanation": m.explanation.trim()})
                })
                .collect();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&json!({"schema_version": 1, "rules": v}))?
            )
        }
        Format::Markdown => rules::reference_markdown(),
        Format::Human
            if chosen.len() == 1
                && args
                    .code
                    .as_ref()
                    .is_some_and(|c| rules::by_code(c).is_some()) =>
        {
            let m = chosen[0];
            format!(
                "{} ({}) — {} [{}, default severity {}]\n\n{}\n",
                m.code,
                m.name,
                m.summary,
                m.group.describe(),
                m.severity.as_str(),
                m.explanation.trim_end()
            )
        }
        Format::Human => {
            let mut s = String::new();
            for m in &chosen {
                s.push_str(&format!(
                    "{:<7} {:<30} {:<8} {}\n",
                    m.code,
                    m.name,
                    m.severity.as_str(),
                    m.summary
                ));
            }
            s.push_str("\nRun `mesh rules CODE` for what a rule finds, why, and how to fix it.\n");
            s
        }
    };
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}
