//! Telling a document's provider (`detect_provider`): every fixture is read whole by its own
//! provider, and a provider told alone is always the right one.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sgconv::{Detected, Options, ProviderId, detect_provider};

/// Every fixture with its provider, including Scaleway's rule lists (read with their group's
/// settings supplied, which detection does not need).
fn fixtures() -> Vec<(ProviderId, PathBuf)> {
    let mut all: Vec<(ProviderId, PathBuf)> = ProviderId::ALL
        .iter()
        .flat_map(|p| common::fixtures(*p).into_iter().map(|f| (*p, f)))
        .collect();
    let lists = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scaleway-rule-lists");
    let mut files: Vec<PathBuf> = std::fs::read_dir(lists)
        .expect("rule lists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    all.extend(files.into_iter().map(|f| (ProviderId::Scaleway, f)));
    all
}

/// Why `provider` does not read the document whole.
fn reason(detected: &Detected, provider: ProviderId) -> Option<&str> {
    detected
        .others
        .iter()
        .find(|(p, _)| *p == provider)
        .map(|(_, why)| why.as_str())
}

#[test]
fn each_fixture_is_read_whole_by_its_provider_and_never_told_as_another() {
    let mut table = String::new();
    let all = fixtures();
    assert!(all.len() > 30, "fixtures found: {}", all.len());
    for (provider, path) in all {
        let text = std::fs::read_to_string(&path).expect("fixture");
        let detected = detect_provider(&text, &Options::default());
        assert!(
            detected.candidates.contains(&provider),
            "{}: {provider} does not read it whole: {:?}",
            path.display(),
            detected.others
        );
        if let Some(told) = detected.provider() {
            assert_eq!(told, provider, "{}", path.display());
        }
        let names: Vec<&str> = detected.candidates.iter().map(|p| p.name()).collect();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let _ = writeln!(table, "{}: {}", name.unwrap_or_default(), names.join(", "));
    }
    common::settings().bind(|| insta::assert_snapshot!("detect@fixtures", table));
}

/// A Scaleway group object without its rules is refused by Scaleway's importer (its rules
/// come separately): no candidate, and Scaleway's reason says why.
#[test]
fn a_refused_shape_has_no_candidate_and_says_why() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scaleway-without-rules/security_group.json");
    let text = std::fs::read_to_string(path).expect("fixture");
    let detected = detect_provider(&text, &Options::default());
    assert!(detected.candidates.is_empty(), "{:?}", detected.candidates);
    assert_eq!(detected.provider(), None);
    let scaleway = reason(&detected, ProviderId::Scaleway);
    assert!(
        scaleway.is_some_and(|w| w.contains("without its rules")),
        "{scaleway:?}"
    );
}

#[test]
fn every_provider_is_either_a_candidate_or_has_a_reason() {
    for text in [
        r#"{"nope": 1}"#,
        r#"{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp"}"#,
        "[]",
    ] {
        let detected = detect_provider(text, &Options::default());
        let mut seen: Vec<ProviderId> = detected.candidates.clone();
        seen.extend(detected.others.iter().map(|(p, _)| *p));
        seen.sort();
        assert_eq!(seen, ProviderId::ALL, "{text}");
        assert!(detected.others.iter().all(|(_, why)| !why.is_empty()));
    }
}

/// A key no importer knows leaves the provider unread, so it is no candidate: a typo never
/// tips the choice to a provider that would read less.
#[test]
fn an_unread_key_is_named_in_the_reason() {
    let text = r#"{"security_group_rule": {"direction": "ingress", "protocol": "tcp", "multiport": "22", "remote_ip_prefx": "10.0.0.0/8"}}"#;
    let detected = detect_provider(text, &Options::default());
    assert!(detected.candidates.is_empty(), "{:?}", detected.candidates);
    let huawei = reason(&detected, ProviderId::Huawei);
    assert_eq!(
        huawei,
        Some("1 key not read: `security_group_rule.remote_ip_prefx`")
    );
}
