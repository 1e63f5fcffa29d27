//! Files and pipes: reading the input, writing the output and the report. stdout carries
//! data only.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

/// Print `message` as an error on stderr and give the exit code.
pub(crate) fn fail(message: impl std::fmt::Display, code: u8) -> std::process::ExitCode {
    eprintln!("sgconv: error: {message}");
    std::process::ExitCode::from(code)
}

/// The input text: a file, or stdin for `None` and `-`.
pub(crate) fn read_input(path: Option<&Path>) -> Result<String, String> {
    let mut bytes = Vec::new();
    match path {
        None => read_stdin(&mut bytes)?,
        Some(p) if p == Path::new("-") => read_stdin(&mut bytes)?,
        Some(p) => bytes = std::fs::read(p).map_err(|e| format!("reading {}: {e}", p.display()))?,
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "the input is not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

fn read_stdin(bytes: &mut Vec<u8>) -> Result<(), String> {
    io::stdin()
        .read_to_end(bytes)
        .map(|_| ())
        .map_err(|e| format!("reading stdin: {e}"))
}

/// Write `bytes` to `path`. A regular file (or a new path) is replaced atomically: written to
/// a temporary file created exclusively beside it, with the old file's permissions, then
/// renamed over it, so readers never see a partial file. Anything else (a device such as
/// `/dev/null`, a FIFO, a terminal) is opened and written in place: renaming over it would
/// replace the special file with a regular one.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let failed = |e: io::Error| format!("writing {}: {e}", path.display());
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(failed)?;
            file.write_all(bytes)
                .and_then(|()| file.flush())
                .map_err(failed)
        }
        existing => {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile::Builder::new()
                .prefix(".sgconv-")
                .suffix(".tmp")
                .tempfile_in(dir)
                .map_err(failed)?;
            if let Ok(meta) = existing {
                tmp.as_file()
                    .set_permissions(meta.permissions())
                    .map_err(failed)?;
            }
            write_all(tmp.as_file_mut(), bytes).map_err(failed)?;
            tmp.persist(path).map(|_| ()).map_err(|e| failed(e.error))
        }
    }
}

fn write_all(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, file);
    out.write_all(bytes)?;
    out.flush()
}

/// Write to stdout; a closed pipe (`sgconv ... | head`) ends quietly, like ripgrep.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    write_stdout_with(|out| out.write_all(bytes))
}

/// Write to stdout through `write` as it goes (buffered, nothing held whole), as
/// [`write_stdout`] does.
pub(crate) fn write_stdout_with(
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), String> {
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("writing stdout: {e}")),
        _ => Ok(()),
    }
}

/// Write the report as JSON to `path` (`-`: stderr).
pub(crate) fn write_report(path: &Path, report: &sgconv::Report) -> Result<(), String> {
    let mut json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    json.push('\n');
    if path == Path::new("-") {
        io::stderr()
            .write_all(json.as_bytes())
            .map_err(|e| format!("writing the report: {e}"))
    } else {
        write_file(path, json.as_bytes())
    }
}
