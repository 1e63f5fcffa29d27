//! Colour in the human summary on stderr: on a terminal only, and not when `NO_COLOR` is set to
//! anything but the empty string (<https://no-color.org>), unless `--color always` says so.

use std::io::IsTerminal;

use anstyle::{AnsiColor, Style};

/// When to colour, as ripgrep's `--color` says it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// Whether text for stderr is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paint(bool);

/// A verdict or entry that lost allowed traffic, or a part not read.
pub(crate) const WARN: Style = AnsiColor::Yellow.on_default().bold();
/// A verdict or entry that gained traffic, and a refusal.
pub(crate) const BAD: Style = AnsiColor::Red.on_default().bold();
/// An exact verdict.
pub(crate) const GOOD: Style = AnsiColor::Green.on_default().bold();

impl Paint {
    /// The choice for stderr: `auto` colours a terminal when `NO_COLOR` is unset or empty.
    pub(crate) fn stderr(choice: ColorChoice) -> Paint {
        Paint(match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stderr().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        })
    }

    /// `text` in `style`, or as it is without colour.
    pub(crate) fn paint(self, text: &str, style: Style) -> String {
        if self.0 {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }
}
