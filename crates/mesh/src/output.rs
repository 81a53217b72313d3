//! Shared output helpers: writing to stdout without panicking on a closed pipe, and error reports.

use std::io::{self, Write};
use std::process::ExitCode;

/// Exit code for usage, configuration and internal errors.
pub const EXIT_ERROR: u8 = 2;

/// Write `text` to stdout. A closed pipe (`mesh check | head`) is not an error.
pub fn print(text: &str) -> anyhow::Result<()> {
    print_with(|out| out.write_all(text.as_bytes()))
}

/// Write to a buffered stdout through `write` (for output too large to build as one string);
/// a closed pipe (`mesh check | head`) is not an error.
pub fn print_with(
    write: impl FnOnce(&mut io::BufWriter<io::StdoutLock<'static>>) -> io::Result<()>,
) -> anyhow::Result<()> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Print an error chain as `error: ...` with causes, and return exit code 2.
pub fn report_error(err: &anyhow::Error) -> ExitCode {
    if err.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::SUCCESS;
    }
    let mut msg = format!("error: {err}");
    for cause in err.chain().skip(1) {
        msg.push_str(&format!("\n  caused by: {cause}"));
    }
    let _ = writeln!(io::stderr().lock(), "{msg}");
    ExitCode::from(EXIT_ERROR)
}
