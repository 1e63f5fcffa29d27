//! Progress of a conversion, for a program that shows it: the pipeline calls a hook with an
//! [`Event`] as each stage starts or moves on. The library draws nothing; without a hook
//! nothing is built or called.

use std::fmt;
use std::sync::Arc;

/// One step of a conversion, with counts. Events come in the order listed; a stage that does
/// not run (verification with `no_verify`, the stages after a refusal) sends none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Reading the input began: `bytes` of text (a document built in code sends none).
    Reading {
        /// The input's size.
        bytes: usize,
    },
    /// The input was read; fitting it to the target begins.
    Read {
        /// Groups read.
        groups: usize,
        /// Rules read (all groups).
        rules: usize,
    },
    /// One more group was fitted to the target (a target that holds everything, the
    /// canonical model, takes the document as it is: one event for all its groups).
    Fitted {
        /// Groups fitted so far.
        done: usize,
        /// Groups in all.
        groups: usize,
    },
    /// The output was written; verification (reading it back) begins, unless it is off.
    Exported {
        /// Rules written (all groups).
        rules: usize,
    },
    /// The output was read back; comparing packet sets group by group begins.
    ReadBack {
        /// Groups to compare.
        groups: usize,
    },
    /// One more group's packet sets were compared.
    Verified {
        /// Groups compared so far.
        done: usize,
        /// Groups in all.
        groups: usize,
    },
}

/// A hook that receives a conversion's [`Event`]s as they happen, on the thread that runs
/// the conversion (set with [`crate::Options::with_progress`]). It should return quickly:
/// the conversion waits for it.
///
/// Two hooks are equal when they are the same hook (clones of one [`Progress`]).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use sgconv::progress::{Event, Progress};
/// use sgconv::{convert, Options, ProviderId};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = Arc::clone(&seen);
/// let options = Options::default()
///     .with_progress(Some(Progress::new(move |e| sink.lock().unwrap().push(e))));
/// let rule = r#"[{"direction": "ingress", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22}]"#;
/// let _ = convert(rule, ProviderId::GcoreV2, ProviderId::Huawei, &options).unwrap();
/// assert_eq!(seen.lock().unwrap()[1], Event::Read { groups: 1, rules: 1 });
/// ```
#[derive(Clone)]
pub struct Progress(Arc<dyn Fn(Event) + Send + Sync>);

impl Progress {
    /// A hook calling `f` with each event.
    pub fn new(f: impl Fn(Event) + Send + Sync + 'static) -> Progress {
        Progress(Arc::new(f))
    }

    /// Send `event` to the hook.
    pub(crate) fn send(&self, event: Event) {
        (self.0)(event);
    }
}

/// Send `event` to `hook`, if there is one; `event` is built only then.
pub(crate) fn send(hook: Option<&Progress>, event: impl FnOnce() -> Event) {
    if let Some(hook) = hook {
        hook.send(event());
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress(..)")
    }
}

impl PartialEq for Progress {
    fn eq(&self, other: &Progress) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Progress {}
