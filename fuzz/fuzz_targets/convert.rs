//! The whole conversion, every provider pair: never panics; exporters never meet a rule the
//! lowering pass left unfit (no internal errors); whatever is written reads back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sgconv::{Error, Format, ImportOptions, Options, ProviderId};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let providers = ProviderId::ALL;
    let from = providers[usize::from(pick & 0x0f) % providers.len()];
    let to = providers[usize::from(pick >> 4) % providers.len()];
    let options = Options::default().with_allow_widen(true).with_allow_unread(true);
    match sgconv::convert(text, from, to, &options) {
        Ok(converted) => {
            let Ok(output) = converted.output() else { return };
            let written = output.render(Format::Json).expect("renders");
            let deny = Some(sgconv::model::Action::Deny);
            let import = ImportOptions::default().with_defaults(deny, deny);
            if let Err(e) = sgconv::import(&written, to, &Options::default().with_import(import)) {
                panic!("{from} -> {to}: the output does not read back: {e}\n{written}");
            }
        }
        Err(Error::Input { .. } | Error::Shape { .. }) => {}
        Err(e) => panic!("{from} -> {to}: unexpected error kind: {e}"),
    }
});
