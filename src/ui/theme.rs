//! Colours and glyphs. Every meaning a colour carries is also in the text (the state letter,
//! `[..]` around kernel threads, the fold glyph), so the colourless theme loses nothing; every
//! Unicode glyph has an ASCII stand-in ([`Glyphs::ASCII`]) for terminals without Unicode.

use ratatui::style::{Color, Style};
use ratatui::symbols::border;

pub use crate::palette::{ColorChoice, ColorDepth};
use crate::palette::{Palette, Role};

/// Every glyph the panes draw that is not plain ASCII, and its stand-in.
#[derive(Debug, PartialEq, Eq)]
pub struct Glyphs {
    pub ascii: bool,
    /// Tree guides as the model builds them (`├─`, `└─`, `│ `) and what to draw instead.
    pub guide_tee: &'static str,
    pub guide_last: &'static str,
    pub guide_pipe: &'static str,
    pub folded: &'static str,
    pub unfolded: &'static str,
    pub sort_down: &'static str,
    pub sort_up: &'static str,
    pub times: &'static str,
    pub ellipsis: &'static str,
    pub cursor: &'static str,
    pub separator: &'static str,
    pub no_sample: &'static str,
    pub play: &'static str,
    pub pause: &'static str,
    /// The one-character-per-CPU strip, empty to full.
    pub levels: &'static [char],
    pub border: border::Set<'static>,
}

impl Glyphs {
    pub const UNICODE: Glyphs = Glyphs {
        ascii: false,
        guide_tee: "├─",
        guide_last: "└─",
        guide_pipe: "│ ",
        folded: "▸",
        unfolded: "▾",
        sort_down: "▼",
        sort_up: "▲",
        times: "×",
        ellipsis: "…",
        cursor: "█",
        separator: "·",
        no_sample: "·",
        play: "▶",
        pause: "‖",
        levels: &[' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
        border: border::PLAIN,
    };

    pub const ASCII: Glyphs = Glyphs {
        ascii: true,
        guide_tee: "|-",
        guide_last: "`-",
        guide_pipe: "| ",
        folded: "+",
        unfolded: "-",
        sort_down: "v",
        sort_up: "^",
        times: "x",
        ellipsis: "...",
        cursor: "_",
        separator: "-",
        no_sample: ".",
        play: ">",
        pause: "||",
        levels: &[' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'],
        border: border::Set {
            top_left: "+",
            top_right: "+",
            bottom_left: "+",
            bottom_right: "+",
            vertical_left: "|",
            vertical_right: "|",
            horizontal_top: "-",
            horizontal_bottom: "-",
        },
    };

    /// Text written elsewhere (key names, help lines, the model's tree guides) with this
    /// table's glyphs: unchanged in Unicode mode.
    pub fn text(&self, s: &str) -> String {
        if !self.ascii || s.is_ascii() {
            return s.to_string();
        }
        let mut out = String::with_capacity(s.len());
        for c in s.replace("↓↑", "Down/Up").chars() {
            match c {
                '├' => out.push('|'),
                '└' => out.push('`'),
                '│' => out.push('|'),
                '─' => out.push('-'),
                '▸' | '▶' => out.push('>'),
                '→' => out.push_str("Right"),
                '▾' => out.push('-'),
                '▼' => out.push('v'),
                '▲' => out.push('^'),
                '↑' => out.push_str("Up"),
                '↓' => out.push_str("Down"),
                '←' => out.push_str("Left"),
                '×' => out.push('x'),
                '…' => out.push_str("..."),
                '█' => out.push('_'),
                '·' => out.push('-'),
                '‖' => out.push_str("||"),
                _ => out.push(c),
            }
        }
        out
    }

    /// A tree prefix from the model (`│ ├─`): in ASCII mode, its guides translated.
    pub fn guides(&self, prefix: &str) -> String {
        if !self.ascii {
            return prefix.to_string();
        }
        prefix
            .replace("├─", self.guide_tee)
            .replace("└─", self.guide_last)
            .replace("│ ", self.guide_pipe)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub depth: ColorDepth,
    pub glyphs: &'static Glyphs,
    /// The styles of each role (the `--theme`), its colours within `depth`. Unused without
    /// colour: then every theme is [`Palette::mono`].
    pub palette: &'static Palette,
}

/// What the environment says, read once at start (kept apart so it can be tested).
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub term: Option<String>,
    pub colorterm: Option<String>,
    pub no_color: Option<String>,
    /// `max_colors` of TERM's terminfo entry (`tput colors`; -1: none), if one was found.
    pub colors: Option<i32>,
}

impl Env {
    pub fn read() -> Env {
        let var = |k: &str| std::env::var_os(k).map(|v| v.to_string_lossy().into_owned());
        Env {
            term: var("TERM"),
            colorterm: var("COLORTERM"),
            no_color: var("NO_COLOR"),
            colors: var("TERM").as_deref().and_then(crate::terminfo::max_colors),
        }
    }
}

impl Theme {
    /// As `--color auto` without `--ascii`: colour unless NO_COLOR is set
    /// (<https://no-color.org>: any non-empty value), TERM=dumb, or TERM's terminfo entry
    /// has no colours.
    pub fn from_env() -> Self {
        Theme::detect(ColorChoice::Auto, false, &Env::read())
    }

    /// `--color` and `--ascii` against the environment: ASCII is forced by `--ascii` and
    /// chosen for TERM=linux and TERM=vt100 (consoles whose fonts lack the box glyphs).
    pub fn detect(choice: ColorChoice, ascii: bool, env: &Env) -> Self {
        let term = env.term.as_deref();
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let no_color = env.no_color.as_deref().is_some_and(|v| !v.is_empty());
                // vt100, vt220: terminfo says no colour (`tput colors` is -1).
                let colourless = env.colors.is_some_and(|n| n < 8);
                !no_color && term != Some("dumb") && !colourless
            }
        };
        let ascii = ascii || matches!(term, Some("linux" | "vt100"));
        Theme {
            color,
            depth: ColorDepth::detect(term, env.colorterm.as_deref()),
            glyphs: if ascii {
                &Glyphs::ASCII
            } else {
                &Glyphs::UNICODE
            },
            palette: Palette::dark(),
        }
    }

    /// The same theme with these colours, reduced to what the terminal can show (kept for
    /// the rest of the program: call it once, at start).
    pub fn with_palette(self, palette: &'static Palette) -> Self {
        let reduced = palette.reduced(self.depth);
        let palette = if reduced == *palette {
            palette
        } else {
            Box::leak(Box::new(reduced))
        };
        Theme { palette, ..self }
    }

    pub fn mono() -> Self {
        Theme {
            color: false,
            depth: ColorDepth::Ansi16,
            glyphs: &Glyphs::UNICODE,
            palette: Palette::dark(),
        }
    }

    /// The 16-colour palette with Unicode glyphs.
    pub fn colored() -> Self {
        Theme {
            color: true,
            ..Theme::mono()
        }
    }

    /// The same theme with the ASCII glyphs.
    pub fn ascii(self) -> Self {
        Theme {
            glyphs: &Glyphs::ASCII,
            ..self
        }
    }

    /// The box border every pane draws.
    pub fn block(&self) -> ratatui::widgets::Block<'static> {
        ratatui::widgets::Block::default()
            .borders(ratatui::widgets::Borders::ALL)
            .border_set(self.glyphs.border)
    }

    /// A role's style: the theme's, or the mono theme's when colour is off (so no colour
    /// escape is ever written then, whatever the theme).
    pub fn role(&self, role: Role) -> Style {
        if self.color {
            self.palette.style(role)
        } else {
            Palette::mono().style(role)
        }
    }

    pub fn header_label(&self) -> Style {
        self.role(Role::HeaderLabel)
    }
    pub fn table_header(&self) -> Style {
        self.role(Role::TableHeader)
    }
    pub fn selected(&self) -> Style {
        self.role(Role::Selected)
    }
    pub fn state(&self, s: u8) -> Style {
        match s {
            b'R' => self.role(Role::StateRunning),
            b'D' => self.role(Role::StateBlocked),
            b'Z' | b'X' => self.role(Role::StateZombie),
            b'T' | b't' => self.role(Role::StateStopped),
            _ => Style::new(),
        }
    }
    pub fn kernel(&self) -> Style {
        self.role(Role::Kernel)
    }
    pub fn thread(&self) -> Style {
        self.role(Role::Thread)
    }
    pub fn dim(&self) -> Style {
        self.role(Role::Dim)
    }
    pub fn busy(&self, pct: f64) -> Style {
        if pct >= 50.0 {
            self.role(Role::BusyHigh)
        } else if pct >= 10.0 {
            self.role(Role::BusyMid)
        } else {
            Style::new()
        }
    }
    pub fn bar(&self) -> Style {
        self.role(Role::Bar)
    }
    pub fn key(&self) -> Style {
        self.role(Role::Key)
    }
    pub fn warning(&self) -> Style {
        self.role(Role::Warning)
    }
    /// The colour of CPU `id`'s marks on the placement pane, if the theme has any.
    pub fn cpu_color(&self, id: u32) -> Option<Color> {
        let cpus = &self.palette.cpus;
        if !self.color || cpus.is_empty() {
            return None;
        }
        cpus.get(id as usize % cpus.len()).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(term: &str, colorterm: &str, no_color: &str) -> Env {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Env {
            term: some(term),
            colorterm: some(colorterm),
            no_color: some(no_color),
            colors: None,
        }
    }

    #[test]
    fn colour_follows_the_flag_then_no_color_then_term() {
        let auto = |e: &Env| Theme::detect(ColorChoice::Auto, false, e).color;
        assert!(auto(&env("xterm-256color", "", "")));
        assert!(!auto(&env("xterm-256color", "", "1")));
        assert!(!auto(&env("dumb", "", "")));
        // An empty NO_COLOR does not count (no-color.org).
        assert!(auto(&Env {
            no_color: Some(String::new()),
            ..env("xterm", "", "")
        }));
        // terminfo without max_colors (vt100): no colour, unless asked for.
        let vt100 = Env {
            colors: Some(-1),
            ..env("vt100", "", "")
        };
        assert!(!auto(&vt100));
        assert!(Theme::detect(ColorChoice::Always, false, &vt100).color);
        assert!(auto(&Env {
            colors: Some(8),
            ..env("linux", "", "")
        }));
        let e = env("xterm", "", "1");
        assert!(Theme::detect(ColorChoice::Always, false, &e).color);
        assert!(!Theme::detect(ColorChoice::Never, false, &env("xterm", "", "")).color);
    }

    #[test]
    fn depth_and_glyphs_from_the_terminal() {
        let d = |t: &str, ct: &str| Theme::detect(ColorChoice::Auto, false, &env(t, ct, "")).depth;
        assert_eq!(d("xterm-256color", "truecolor"), ColorDepth::TrueColor);
        assert_eq!(d("xterm", "24bit"), ColorDepth::TrueColor);
        assert_eq!(d("screen-256color", ""), ColorDepth::Ansi256);
        assert_eq!(d("xterm", ""), ColorDepth::Ansi16);
        assert_eq!(d("linux", ""), ColorDepth::Ansi16);
        let ascii = |t: &str, flag: bool| {
            Theme::detect(ColorChoice::Auto, flag, &env(t, "", ""))
                .glyphs
                .ascii
        };
        assert!(ascii("linux", false));
        assert!(ascii("vt100", false));
        assert!(!ascii("xterm-256color", false));
        assert!(ascii("xterm-256color", true));
    }

    #[test]
    fn ascii_glyphs_are_ascii_and_translate_the_model_guides() {
        let g = &Glyphs::ASCII;
        assert_eq!(g.guides("│ │ ├─"), "| | |-");
        assert_eq!(g.guides("  └─"), "  `-");
        assert_eq!(Glyphs::UNICODE.guides("│ └─"), "│ └─");
        assert_eq!(g.text("↓↑ scroll · 2× …"), "Down/Up scroll - 2x ...");
        assert_eq!(g.text("← / h, → / l"), "Left / h, Right / l");
        let all = [
            g.guide_tee,
            g.guide_last,
            g.guide_pipe,
            g.folded,
            g.unfolded,
            g.sort_down,
            g.sort_up,
            g.times,
            g.ellipsis,
            g.cursor,
            g.separator,
            g.no_sample,
            g.play,
            g.pause,
            g.border.top_left,
            g.border.horizontal_top,
            g.border.vertical_left,
        ];
        assert!(all.iter().all(|s| s.is_ascii()), "{all:?}");
        assert!(g.levels.iter().all(char::is_ascii));
    }
}
