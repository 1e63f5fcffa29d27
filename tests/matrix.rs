//! Every fixture of every provider converted to every provider, snapshotted with its report.
//!
//! Snapshot names: `matrix@<from>__<fixture>__<to>.snap` in the top-level `snapshots/`.
//! Each fixture must import (no error) for its own provider.

mod common;

use sgconv::{Options, ProviderId};

#[test]
fn every_fixture_to_every_target() {
    let mut seen = 0;
    for &from in ProviderId::ALL {
        for path in common::fixtures(from) {
            let text = std::fs::read_to_string(&path).expect("fixture readable");
            for &to in ProviderId::ALL {
                let value = common::outcome(&text, from, to, &Options::default());
                let name = format!("matrix@{}__{}__{}", from, common::stem(&path), to);
                common::settings().bind(|| insta::assert_yaml_snapshot!(name, value));
                seen += 1;
            }
        }
    }
    assert!(seen > 0, "no fixtures found");
}

#[test]
fn every_fixture_imports() {
    for &from in ProviderId::ALL {
        for path in common::fixtures(from) {
            let text = std::fs::read_to_string(&path).expect("fixture readable");
            if let Err(e) =
                sgconv::import(&text, from, &sgconv::Options::default()).map(|i| i.document)
            {
                panic!("{} does not import: {e}", path.display());
            }
        }
    }
}
