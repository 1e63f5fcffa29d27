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
        let options = Options {
            allow_widen: true,
            ..Options::default()
        };
        match sgconv::convert(text, from, to, &options) {
            Ok(converted) => {
                let written = converted.render(Format::Json).expect("renders");
                let import = ImportOptions {
                    default_inbound: Some(sgconv::model::Action::Deny),
                    default_outbound: Some(sgconv::model::Action::Deny),
                };
                let mut report = sgconv::Report::new(to, ProviderId::Canonical);
                if let Err(e) = sgconv::import_with(&written, to, None, &import, &mut report) {
                    panic!("{name}: {from} -> {to}: the output does not read back: {e}\n{written}");
                }
            }
            Err(Error::Input { .. } | Error::Shape { .. } | Error::Refused { .. }) => {}
            Err(e) => panic!("{name}: {from} -> {to}: unexpected error kind: {e}"),
        }
    }
}
