//! The provider of an input whose flag (`--from`, or `diff`'s `--to`) was left out: the one
//! provider that reads it whole ([`sgconv::detect_provider`]); none or several is a usage
//! error that lists them.

use sgconv::{Options, ProviderId};

use super::args::ProviderArg;

/// `given`, or the one provider that reads `text` (called `what` in messages) whole.
pub(crate) fn provider(
    given: Option<ProviderArg>,
    text: &str,
    options: &Options,
    flag: &str,
    what: &str,
) -> Result<ProviderId, String> {
    if let Some(p) = given {
        return Ok(p.0);
    }
    let detected = sgconv::detect_provider(text, options);
    if let Some(one) = detected.provider() {
        return Ok(one);
    }
    let names: Vec<&str> = detected.candidates.iter().map(|p| p.name()).collect();
    if names.is_empty() {
        let mut message = format!(
            "no {flag} given, and no provider reads {what} whole; give {flag} PROVIDER. Each \
             provider's reading:"
        );
        for (p, why) in &detected.others {
            message.push_str(&format!("\n  {p}: {why}"));
        }
        return Err(message);
    }
    let list = match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    };
    Err(format!(
        "no {flag} given, and {list} each read {what} whole; give {flag} with the one it is"
    ))
}
