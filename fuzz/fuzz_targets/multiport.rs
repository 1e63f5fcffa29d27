//! The Huawei `multiport` parser, through the Huawei importer: never panics; what it accepts
//! converts to Huawei and reads back with the same packets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sgconv::{Options, ProviderId};

fuzz_target!(|text: &str| {
    let rule = serde_json::json!({"security_group_rule": {"direction": "ingress", "protocol": "tcp",
        "multiport": text, "action": "allow", "priority": 1}});
    let doc = rule.to_string();
    let Ok(c) = sgconv::convert(&doc, ProviderId::Huawei, ProviderId::Huawei, &Options::default()) else {
        return;
    };
    assert_ne!(c.report.verdict, sgconv::report::Verdict::Widened, "{text:?}");
});
