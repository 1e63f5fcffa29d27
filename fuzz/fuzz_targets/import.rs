//! Every importer, JSON and YAML: never panics; an error is a located input error, never an
//! internal one. The first byte picks the provider and the format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sgconv::{Error, Format, Options, ProviderId};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let providers = ProviderId::ALL;
    let from = providers[usize::from(pick) % providers.len()];
    let format = if pick & 0x80 == 0 { Format::Json } else { Format::Yaml };
    match sgconv::import(text, from, &Options::default().with_input_format(Some(format))) {
        Ok(_) | Err(Error::Input { .. }) | Err(Error::Shape { .. }) => {}
        Err(e) => panic!("{from}: unexpected error kind: {e}"),
    }
});
