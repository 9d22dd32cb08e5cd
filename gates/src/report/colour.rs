//! Whether the human output is coloured, by the conventions terminals and CI systems share,
//! and the streams that carry it (anstream, so Windows consoles render the styles too).
//!
//! In order, the first that applies decides:
//! 1. `--color always|never` on the command line;
//! 2. `CARGO_TERM_COLOR=always|never`, cargo's own setting (this tool runs as `cargo xtask`,
//!    and CI configurations set it for cargo: `auto` or anything else falls through);
//! 3. `CLICOLOR_FORCE` set and not `0`: colour even when not a terminal (bixense.com/clicolors);
//! 4. `NO_COLOR` set and not empty: no colour (no-color.org);
//! 5. `CLICOLOR=0`: no colour;
//! 6. `TERM=dumb`: no colour;
//! 7. otherwise colour exactly when the stream is a terminal.

use std::ffi::OsString;
use std::io::Write;

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Whether a stream gets colour, given the choice, whether it is a terminal, and the
/// environment (`env` reads one variable).
pub fn enabled(choice: ColorChoice, is_tty: bool, env: impl Fn(&str) -> Option<OsString>) -> bool {
    match choice {
        ColorChoice::Always => return true,
        ColorChoice::Never => return false,
        ColorChoice::Auto => {}
    }
    let var = |k: &str| env(k).map(|v| v.to_string_lossy().into_owned());
    match var("CARGO_TERM_COLOR").as_deref() {
        Some("always") => return true,
        Some("never") => return false,
        _ => {}
    }
    if var("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    if var("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if var("CLICOLOR").as_deref() == Some("0") {
        return false;
    }
    if var("TERM").as_deref() == Some("dumb") {
        return false;
    }
    is_tty
}

/// [`enabled`] with this process's environment.
pub fn from_env(choice: ColorChoice, is_tty: bool) -> bool {
    enabled(choice, is_tty, |k| std::env::var_os(k))
}

/// Whether a live, redrawn display fits the terminal: a terminal that is not `TERM=dumb`
/// (which cannot move the cursor).
pub fn live_capable(is_tty: bool) -> bool {
    is_tty && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

fn choice_of(colour: bool) -> anstream::ColorChoice {
    if colour {
        anstream::ColorChoice::Always
    } else {
        anstream::ColorChoice::Never
    }
}

/// Prints `text` on stdout; its styles are rendered for the console, or stripped when
/// `colour` is off.
pub fn print_out(text: &str, colour: bool) {
    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), choice_of(colour));
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// `text` without its styles (for an output that is not coloured).
pub fn strip(text: &str) -> String {
    anstream::adapter::strip_str(text).to_string()
}

/// Like [`print_out`], on stderr.
pub fn print_err(text: &str, colour: bool) {
    let mut err = anstream::AutoStream::new(std::io::stderr().lock(), choice_of(colour));
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| {
            vars.iter()
                .find(|(kk, _)| kk == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_conventions_in_order() {
        use ColorChoice::*;
        type Vars<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(ColorChoice, bool, Vars, bool)] = &[
            // A terminal without settings is coloured; a pipe is not.
            (Auto, true, &[], true),
            (Auto, false, &[], false),
            // --color wins over everything.
            (Always, false, &[("NO_COLOR", "1"), ("TERM", "dumb")], true),
            (Never, true, &[("CLICOLOR_FORCE", "1")], false),
            // CARGO_TERM_COLOR, as cargo reads it; `auto` falls through.
            (Auto, false, &[("CARGO_TERM_COLOR", "always")], true),
            (Auto, true, &[("CARGO_TERM_COLOR", "never")], false),
            (Auto, false, &[("CARGO_TERM_COLOR", "auto")], false),
            (
                Auto,
                true,
                &[("CARGO_TERM_COLOR", "always"), ("NO_COLOR", "1")],
                true,
            ),
            // CLICOLOR_FORCE colours a pipe, but not when it is 0 or empty.
            (Auto, false, &[("CLICOLOR_FORCE", "1")], true),
            (Auto, false, &[("CLICOLOR_FORCE", "0")], false),
            (Auto, false, &[("CLICOLOR_FORCE", "")], false),
            (
                Auto,
                false,
                &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
                true,
            ),
            // NO_COLOR when not empty.
            (Auto, true, &[("NO_COLOR", "1")], false),
            (Auto, true, &[("NO_COLOR", "")], true),
            // CLICOLOR=0, TERM=dumb.
            (Auto, true, &[("CLICOLOR", "0")], false),
            (Auto, true, &[("CLICOLOR", "1")], true),
            (Auto, true, &[("TERM", "dumb")], false),
            (Auto, true, &[("TERM", "xterm-256color")], true),
        ];
        for (choice, tty, vars, want) in cases {
            assert_eq!(
                enabled(*choice, *tty, with(vars)),
                *want,
                "{choice:?} tty={tty} {vars:?}"
            );
        }
    }
}
