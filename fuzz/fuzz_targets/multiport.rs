//! The Huawei `multiport` parser: never panics; what it accepts prints and parses back to
//! the same set.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sgconv::model::multiport;

fuzz_target!(|text: &str| {
    if let Ok(set) = multiport::parse(text) {
        let printed = multiport::print(&set);
        assert_eq!(multiport::parse(&printed).ok(), Some(set), "{text:?} -> {printed:?}");
    }
});
