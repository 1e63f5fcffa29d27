//! Progress of a long conversion on stderr: one line, redrawn in place, from about a second
//! into the run until the conversion returns; then erased, so the summary starts on a clean
//! line. Only on a terminal and without `-q` (the caller decides); plain text, no escape codes
//! (`\r` and spaces redraw it).

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sgconv::progress::{Event, Progress};

/// How long a run goes before its progress is shown.
const AFTER: Duration = Duration::from_secs(1);

/// How often the line is redrawn while nothing new happens (the clock moves on).
const TICK: Duration = Duration::from_millis(250);

/// The environment variable that replaces [`AFTER`], in milliseconds: for the tests, which
/// cannot wait for a conversion slow enough.
const AFTER_VAR: &str = "SGCONV_PROGRESS_AFTER_MS";

/// What the line shows, and what it drew last.
struct State {
    start: Instant,
    after: Duration,
    last: Option<Event>,
    /// Rules read, kept past the events that do not repeat it.
    rules: usize,
    /// Characters of the line drawn last (0: nothing on screen).
    drawn: usize,
    done: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> Option<MutexGuard<'_, State>> {
        self.state.lock().ok()
    }
}

/// The progress line of one conversion: hand [`Drawer::hook`] to the library, and drop the
/// drawer (or call [`Drawer::finish`]) when the conversion returns.
pub(crate) struct Drawer {
    shared: Arc<Shared>,
    ticker: Option<JoinHandle<()>>,
}

impl Drawer {
    /// Start the clock and the thread that redraws the line while a stage runs.
    pub(crate) fn start() -> Drawer {
        let after = std::env::var(AFTER_VAR)
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(AFTER, Duration::from_millis);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                start: Instant::now(),
                after,
                last: None,
                rules: 0,
                drawn: 0,
                done: false,
            }),
            wake: Condvar::new(),
        });
        let ticking = Arc::clone(&shared);
        let ticker = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || tick(&ticking))
            .ok();
        Drawer { shared, ticker }
    }

    /// The library's hook: record the event, and draw it once the run is old enough.
    pub(crate) fn hook(&self) -> Progress {
        let shared = Arc::clone(&self.shared);
        Progress::new(move |event| {
            if let Some(mut state) = shared.lock() {
                if let Event::Read { rules, .. } = event {
                    state.rules = rules;
                }
                state.last = Some(event);
                if state.start.elapsed() >= state.after {
                    draw(&mut state);
                }
            }
        })
    }

    /// Stop redrawing and erase the line.
    pub(crate) fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(mut state) = self.shared.lock() {
            state.done = true;
        }
        self.shared.wake.notify_all();
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
        if let Some(mut state) = self.shared.lock()
            && state.drawn > 0
        {
            let blank = " ".repeat(state.drawn);
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{blank}\r");
            let _ = err.flush();
            state.drawn = 0;
        }
    }
}

impl Drop for Drawer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Redraw every [`TICK`] from `after` on, until the conversion is done.
fn tick(shared: &Shared) {
    let Some(mut state) = shared.lock() else {
        return;
    };
    loop {
        if state.done {
            return;
        }
        let wait = match state.after.checked_sub(state.start.elapsed()) {
            Some(left) if !left.is_zero() => left,
            _ => {
                draw(&mut state);
                TICK
            }
        };
        state = match shared.wake.wait_timeout(state, wait) {
            Ok((state, _)) => state,
            Err(_) => return,
        };
    }
}

/// Draw the line over the last one.
fn draw(state: &mut State) {
    let line = line(state);
    let width = line.chars().count();
    let pad = " ".repeat(state.drawn.saturating_sub(width));
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r{line}{pad}");
    let _ = err.flush();
    state.drawn = width;
}

/// `sgconv: 100000 rules read, fitting 3/10 groups (2.5 s)`.
fn line(state: &State) -> String {
    let rules = state.rules;
    let what = match state.last {
        None | Some(Event::Reading { .. }) => "reading the input".to_owned(),
        Some(Event::Read { groups, .. }) => {
            format!("{rules} rules read, fitting 0/{groups} groups")
        }
        Some(Event::Fitted { done, groups }) if done < groups => {
            format!("{rules} rules read, fitting {done}/{groups} groups")
        }
        Some(Event::Fitted { done, groups }) => {
            format!("fitted {done}/{groups} groups, writing the output")
        }
        Some(Event::Exported { rules }) => format!("{rules} rules written, verifying"),
        Some(Event::ReadBack { groups }) => format!("verifying 0/{groups} groups"),
        Some(Event::Verified { done, groups }) => format!("verifying {done}/{groups} groups"),
        Some(_) => "converting".to_owned(),
    };
    format!(
        "sgconv: {what} ({:.1} s)",
        state.start.elapsed().as_secs_f64()
    )
}
