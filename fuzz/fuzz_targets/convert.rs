//! The whole conversion, every provider pair: never panics; exporters never meet a rule the
//! lowering pass left unfit (no internal errors); whatever is written reads back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sgconv::{Error, Format, Options, ProviderId};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let providers = ProviderId::ALL;
    let from = providers[usize::from(pick & 0x0f) % providers.len()];
    let to = providers[usize::from(pick >> 4) % providers.len()];
    let mut options = Options::default();
    options.allow_widen = true;
    match sgconv::convert(text, from, to, &options) {
        Ok(converted) => {
            let written = converted.render(Format::Json).expect("renders");
            let mut report = sgconv::Report::new(to, ProviderId::Canonical);
            let mut import = sgconv::ImportOptions::default();
            import.default_inbound = Some(sgconv::model::Action::Deny);
            import.default_outbound = Some(sgconv::model::Action::Deny);
            if let Err(e) = sgconv::import_with(&written, to, None, &import, &mut report) {
                panic!("{from} -> {to}: the output does not read back: {e}\n{written}");
            }
        }
        Err(Error::Input { .. } | Error::Shape { .. } | Error::Refused { .. }) => {}
        Err(e) => panic!("{from} -> {to}: unexpected error kind: {e}"),
    }
});
