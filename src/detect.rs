//! Telling a document's provider when none is named: a provider is a candidate when its
//! importer reads the document whole, with no error and no key left unread.
//!
//! The top-level keys alone rarely decide: `rules` is a Gcore v2 group body and a Scaleway
//! rule list, `security_group_rules` a Gcore v1 group and a Huawei rule list, `direction` a
//! rule of any of them, and Gcore v1 and v2 share every key. Reading the document with each
//! importer also looks at the rules' own keys (`multiport`, `dest_port_from`, ...) and values
//! (Gcore v1's `"any"`), and it is the reading a conversion would then use.

use crate::convert::{Options, import};
use crate::id::ProviderId;
use crate::model::Action;
use crate::report::{Entry, Kind};

/// What each provider's importer made of a document, from [`detect_provider`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Detected {
    /// The providers whose importer reads the document whole (no error, nothing unread), in
    /// [`ProviderId::ALL`] order. The document names its provider when exactly one does.
    pub candidates: Vec<ProviderId>,
    /// Every other provider, with why it is not a candidate: its importer's error, or the
    /// parts it left unread.
    pub others: Vec<(ProviderId, String)>,
}

impl Detected {
    /// The provider, when exactly one reads the document whole.
    pub fn provider(&self) -> Option<ProviderId> {
        match self.candidates.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

/// How many unread paths a reason names before "...".
const PATHS_NAMED: usize = 3;

/// Read `text` with every provider's importer (with `options`' input format and import
/// options) and tell which read it whole.
///
/// ```
/// use sgconv::{detect_provider, Options, ProviderId};
/// let huawei = r#"{"security_group_rule": {"direction": "ingress", "protocol": "tcp", "multiport": "22"}}"#;
/// assert_eq!(detect_provider(huawei, &Options::default()).provider(), Some(ProviderId::Huawei));
///
/// // A plain rule body is the same in Gcore v1 and v2: two candidates, no provider.
/// let body = r#"{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp"}"#;
/// let detected = detect_provider(body, &Options::default());
/// assert!(detected.provider().is_none());
/// assert!(detected.candidates.contains(&ProviderId::GcoreV1));
/// ```
pub fn detect_provider(text: &str, options: &Options) -> Detected {
    // A rule list without its group (Scaleway's) is read only with its group's settings: the
    // conversion asks for them; any value shows whether the importer reads the shape.
    let mut options = options.clone();
    let given = &mut options.import;
    given.default_inbound.get_or_insert(Action::Deny);
    given.default_outbound.get_or_insert(Action::Allow);
    given.stateful.get_or_insert(true);
    let mut detected = Detected {
        candidates: Vec::new(),
        others: Vec::new(),
    };
    for &id in ProviderId::ALL {
        match import(text, id, &options) {
            Err(e) => detected.others.push((id, e.to_string())),
            Ok(read) => {
                let unread: Vec<&Entry> = read
                    .report
                    .entries
                    .iter()
                    .filter(|e| e.kind == Kind::Unread)
                    .collect();
                if unread.is_empty() {
                    detected.candidates.push(id);
                } else {
                    detected.others.push((id, unread_reason(&unread)));
                }
            }
        }
    }
    detected
}

/// "2 keys not read: `a`, `b`".
fn unread_reason(unread: &[&Entry]) -> String {
    let mut paths: Vec<String> = unread
        .iter()
        .take(PATHS_NAMED)
        .map(|e| format!("`{}`", e.path.as_deref().unwrap_or("?")))
        .collect();
    if unread.len() > PATHS_NAMED {
        paths.push("...".into());
    }
    let keys = if unread.len() == 1 { "key" } else { "keys" };
    format!("{} {keys} not read: {}", unread.len(), paths.join(", "))
}
