//! Every input a fuzz target ever crashed on (`tests/fuzz_regressions/<target>/`), replayed
//! with the target's own checks, so a fixed crash stays fixed.

use sgconv::{Error, Format, ImportOptions, Options, ProviderId};

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).expect("read")))
        .collect()
}

/// The `convert` target: any pair, no internal error, and the output reads back.
#[test]
fn convert_crashes_stay_fixed() {
    for (name, data) in inputs("convert") {
        let Some((&pick, rest)) = data.split_first() else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(rest) else {
            continue;
        };
        let all = ProviderId::ALL;
        let from = all[usize::from(pick & 0x0f) % all.len()];
        let to = all[usize::from(pick >> 4) % all.len()];
        let options = Options::default()
            .with_allow_widen(true)
            .with_allow_unread(true);
        match sgconv::convert(text, from, to, &options) {
            Ok(converted) => {
                let Ok(output) = converted.output() else {
                    continue;
                };
                let written = output.render(Format::Json).expect("renders");
                let import = ImportOptions::default().with_defaults(
                    Some(sgconv::model::Action::Deny),
                    Some(sgconv::model::Action::Deny),
                );
                let read_back = Options::default().with_import(import);
                if let Err(e) = sgconv::import(&written, to, &read_back) {
                    panic!("{name}: {from} -> {to}: the output does not read back: {e}\n{written}");
                }
            }
            Err(Error::Input { .. } | Error::Shape { .. }) => {}
            Err(e) => panic!("{name}: {from} -> {to}: unexpected error kind: {e}"),
        }
    }
}
