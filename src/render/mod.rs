//! Everything the user sees is formatted here. Other modules return data and events.

pub mod lesson;
pub mod output;
pub mod reply;
pub mod stream;
pub mod table;

pub use crate::escape::{Escaping, Shape, escape_control_bytes, escape_controls};

use std::io::IsTerminal;

/// `--color` as the user chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Decides colour once for the whole program: `--color`, then NO_COLOR, then whether stdout is a
/// terminal.
pub fn init_color(choice: ColorChoice) -> bool {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    colored::control::set_override(on);
    on
}

pub use crate::terminal::{restore as restore_terminal, save as save_terminal};

/// Text with `code` spans highlighted and *emphasis* / **strong** shown in bold, for lesson
/// prose written in markdown-ish style.
/// The lesson's control characters are shown escaped (see [`escape_controls`]).
pub fn prose(text: &str) -> String {
    use colored::Colorize;
    let text = escape_controls(text, Shape::Lines);
    let mut out = String::new();
    for (i, part) in text.trim_end().split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&part.cyan().to_string());
        } else {
            out.push_str(&emphasis(&part.replace("**", "*")));
        }
    }
    out
}

/// `*word*` in bold, as markdown does: the stars must sit at word boundaries, so `2 * 3` and
/// `O(N*K) + O(M*log M)` are left alone.
fn emphasis(text: &str) -> String {
    use colored::Colorize;
    static EMPHASIS: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = EMPHASIS.get_or_init(|| {
        regex::Regex::new(r#"(^|[\s(\["'])\*([^*\s](?:[^*]*[^*\s])?)\*($|[\s.,;:!?)\]"'])"#)
            .expect("valid regex")
    });
    re.replace_all(text, |caps: &regex::Captures| {
        format!("{}{}{}", &caps[1], caps[2].bold(), &caps[3])
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_marks_emphasis_and_leaves_arithmetic_alone() {
        colored::control::set_override(false);
        assert_eq!(prose("a *big* win and **more**"), "a big win and more");
        assert_eq!(prose("2 * 3 * 4"), "2 * 3 * 4");
        assert_eq!(
            prose("cost O(N*K) + O(M*log M)."),
            "cost O(N*K) + O(M*log M)."
        );
        assert_eq!(prose("(*really*)"), "(really)");
        assert_eq!(prose("`KEYS *` is slow"), "KEYS * is slow");
    }

    #[test]
    fn prose_shows_the_lessons_control_characters_escaped() {
        colored::control::set_override(false);
        assert_eq!(
            prose("Hi\x1b]0;pwned\x07 `\x1b[2J` *\u{9b}*\n\tnext"),
            "Hi\\x1b]0;pwned\\a \\x1b[2J \\xc2\\x9b\n\tnext"
        );
    }
}
