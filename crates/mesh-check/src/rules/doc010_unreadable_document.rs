use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Reports documents that exist but cannot be used: not readable, a directory named like a
    /// document, a binary file, a file over 8 MiB, or text that is not valid UTF-8 (with the line
    /// and column of the first invalid byte).
    ///
    /// Why: a document the tool cannot read is a document nobody is checking.
    ///
    /// Example: docs/SPEC.md saved as Latin-1 with an `é`.
    ///
    /// Fix: re-save the file as UTF-8 Markdown text (e.g. `iconv -f latin1 -t utf-8`).
    pub struct UnreadableDocument => DOC010, "unreadable-document", Doc, Error, "A document cannot be read as UTF-8 Markdown.";
}

impl Rule for UnreadableDocument {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        out.extend(
            ctx.load_problems
                .iter()
                .filter(|d| d.code == Self::META.code)
                .cloned(),
        );
    }
}
