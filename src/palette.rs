//! Colours: `--color`, the terminal's colour depth, and themes: the style of every role the
//! panes draw with, parsed from a TOML file's text (config reads the files, the panes get
//! the parsed palette). Below both config and ui, so neither imports the other.
//!
//! Themes are read from a TOML file. The built-in
//! themes are files under `assets/themes/`, embedded; users add their own in
//! `$XDG_CONFIG_HOME/threadtop/themes/NAME.toml` or anywhere with a path.
//!
//! A theme file is a table per role, each with `fg`, `bg` (a colour: a name such as
//! `"light-blue"`, `"#rrggbb"` or an index 0-255) and `modifiers` (`bold`, `dim`, `italic`,
//! `underlined`, `reversed`, `crossed-out`), plus `cpus`, the colours of the placement
//! pane's per-CPU marks, and `base`, a built-in theme whose roles fill in the ones not
//! given. Colours the terminal cannot show are reduced to the nearest it can
//! ([`Palette::reduced`]).

use std::sync::LazyLock;

use ratatui::style::{Color, Modifier, Style};

use crate::toml_file::{Doc, FileError};

/// Every style the panes ask the theme for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    HeaderLabel,
    TableHeader,
    Selected,
    StateRunning,
    StateBlocked,
    StateZombie,
    StateStopped,
    Kernel,
    Thread,
    Dim,
    BusyHigh,
    BusyMid,
    Bar,
    Key,
    Warning,
}

impl Role {
    pub const ALL: [Role; 15] = [
        Role::HeaderLabel,
        Role::TableHeader,
        Role::Selected,
        Role::StateRunning,
        Role::StateBlocked,
        Role::StateZombie,
        Role::StateStopped,
        Role::Kernel,
        Role::Thread,
        Role::Dim,
        Role::BusyHigh,
        Role::BusyMid,
        Role::Bar,
        Role::Key,
        Role::Warning,
    ];

    /// The name in a theme file.
    pub fn name(self) -> &'static str {
        match self {
            Role::HeaderLabel => "header_label",
            Role::TableHeader => "table_header",
            Role::Selected => "selected",
            Role::StateRunning => "state_running",
            Role::StateBlocked => "state_blocked",
            Role::StateZombie => "state_zombie",
            Role::StateStopped => "state_stopped",
            Role::Kernel => "kernel",
            Role::Thread => "thread",
            Role::Dim => "dim",
            Role::BusyHigh => "busy_high",
            Role::BusyMid => "busy_mid",
            Role::Bar => "bar",
            Role::Key => "key",
            Role::Warning => "warning",
        }
    }
}

/// A theme, read and checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Palette {
    styles: [Style; Role::ALL.len()],
    /// The placement pane's colours for CPU marks, cycled by CPU id; empty for none.
    pub cpus: Vec<Color>,
}

/// The built-in themes: name and file.
pub const BUILTIN: [(&str, &str); 4] = [
    ("dark", include_str!("../assets/themes/dark.toml")),
    ("light", include_str!("../assets/themes/light.toml")),
    (
        "high-contrast",
        include_str!("../assets/themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../assets/themes/mono.toml")),
];

static BUILTINS: LazyLock<Vec<Palette>> = LazyLock::new(|| {
    // The files are part of the program and tested to parse; a broken one would show as
    // plain text rather than stop threadtop.
    BUILTIN
        .iter()
        .map(|(name, text)| parse(&format!("built-in theme {name}"), text).unwrap_or_default())
        .collect()
});

/// Why a theme could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThemeError {
    /// No such theme, or its file could not be read: the caller says where it was asked for.
    Unknown(String),
    /// The theme file is wrong: the error names that file, line and key.
    File(FileError),
}

impl Palette {
    pub fn builtin(name: &str) -> Option<&'static Palette> {
        let i = BUILTIN.iter().position(|(n, _)| *n == name)?;
        BUILTINS.get(i)
    }

    /// The default theme: the colours threadtop always had.
    pub fn dark() -> &'static Palette {
        static EMPTY: Palette = Palette {
            styles: [Style::new(); Role::ALL.len()],
            cpus: Vec::new(),
        };
        Palette::builtin("dark").unwrap_or(&EMPTY)
    }

    /// No colour: bold and reverse video only. Also what every theme becomes when colour is
    /// off (`--color never`, NO_COLOR).
    pub fn mono() -> &'static Palette {
        Palette::builtin("mono").unwrap_or(Palette::dark())
    }

    pub fn style(&self, role: Role) -> Style {
        self.styles[role as usize]
    }

    /// Whether any role or CPU mark has a colour.
    pub fn has_color(&self) -> bool {
        !self.cpus.is_empty() || self.styles.iter().any(|s| s.fg.is_some() || s.bg.is_some())
    }

    /// The same theme with every colour the terminal cannot show replaced by the nearest
    /// one it can: 24-bit to the 256-colour palette, either to the 16 named colours.
    pub fn reduced(&self, depth: ColorDepth) -> Palette {
        let c = |c: Option<Color>| c.map(|c| reduce(c, depth));
        let mut out = self.clone();
        for s in &mut out.styles {
            s.fg = c(s.fg);
            s.bg = c(s.bg);
        }
        for x in &mut out.cpus {
            *x = reduce(*x, depth);
        }
        out
    }
}

/// Parses a theme file. `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Palette, FileError> {
    let (doc, table) = Doc::parse(file, text)?;
    let mut known: Vec<&str> = vec!["base", "cpus"];
    known.extend(Role::ALL.iter().map(|r| r.name()));
    let entries = doc.entries(&table, "", &known)?;
    let mut out = Palette::default();
    // `base` first, wherever it is in the file: the roles given then replace its styles.
    if let Some(e) = entries.iter().find(|e| e.key == "base") {
        let name = doc.str(e)?;
        let base = BUILTIN
            .iter()
            .position(|(n, _)| *n == name)
            // Built-in themes have no base: BUILTINS is not needed to parse them.
            .and_then(|i| BUILTINS.get(i))
            .ok_or_else(|| {
                let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
                doc.error(
                    e.value.span(),
                    &e.key,
                    format!(
                        "unknown built-in theme {name:?} (one of: {})",
                        names.join(", ")
                    ),
                )
            })?;
        out = base.clone();
    }
    for e in &entries {
        if e.key == "base" {
            continue;
        }
        if e.key == "cpus" {
            let Some(items) = e.value.get_ref().as_array() else {
                return Err(doc.error(
                    e.value.span(),
                    &e.key,
                    format!(
                        "expected an array of colours, found {}",
                        e.value.get_ref().type_str()
                    ),
                ));
            };
            out.cpus = items
                .iter()
                .map(|item| color(&doc, &e.key, item))
                .collect::<Result<_, _>>()?;
            continue;
        }
        let Some(role) = Role::ALL.into_iter().find(|r| r.name() == e.key) else {
            continue;
        };
        let t = doc.table(e)?;
        let mut style = Style::new();
        for f in doc.entries(t, &e.key, &["fg", "bg", "modifiers"])? {
            if f.key.ends_with(".modifiers") {
                for (name, span) in doc.strings(&f)? {
                    let m = modifier(name).ok_or_else(|| {
                        doc.error(
                            span,
                            &f.key,
                            format!(
                                "unknown modifier {name:?} (one of: {})",
                                MODIFIERS.map(|(n, _)| n).join(", ")
                            ),
                        )
                    })?;
                    style = style.add_modifier(m);
                }
            } else {
                let c = color(&doc, &f.key, f.value)?;
                style = if f.key.ends_with(".fg") {
                    style.fg(c)
                } else {
                    style.bg(c)
                };
            }
        }
        out.styles[role as usize] = style;
    }
    Ok(out)
}

/// `--color`: whether to colour the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour unless NO_COLOR is set (non-empty), TERM=dumb, or terminfo says TERM has no colours (vt100)
    #[default]
    Auto,
    /// Always colour, even with NO_COLOR
    Always,
    /// Never colour: no colour escape sequences at all (bold and reverse video stay)
    Never,
}

/// How many colours the terminal can show, from COLORTERM and TERM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorDepth {
    /// The 16 named ANSI colours: all the palette uses today.
    Ansi16,
    /// TERM contains `256color`.
    Ansi256,
    /// COLORTERM is `truecolor` or `24bit`.
    TrueColor,
}

impl ColorDepth {
    pub fn detect(term: Option<&str>, colorterm: Option<&str>) -> ColorDepth {
        if matches!(colorterm, Some("truecolor" | "24bit")) {
            ColorDepth::TrueColor
        } else if term.is_some_and(|t| t.contains("256color")) {
            ColorDepth::Ansi256
        } else {
            ColorDepth::Ansi16
        }
    }
}

const MODIFIERS: [(&str, Modifier); 6] = [
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("crossed-out", Modifier::CROSSED_OUT),
];

fn modifier(name: &str) -> Option<Modifier> {
    MODIFIERS.iter().find(|(n, _)| *n == name).map(|&(_, m)| m)
}

/// The 16 named colours, in ANSI index order.
const NAMED: [(&str, Color); 16] = [
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("dark-gray", Color::DarkGray),
    ("light-red", Color::LightRed),
    ("light-green", Color::LightGreen),
    ("light-yellow", Color::LightYellow),
    ("light-blue", Color::LightBlue),
    ("light-magenta", Color::LightMagenta),
    ("light-cyan", Color::LightCyan),
    ("white", Color::White),
];

/// The usual (xterm) values of the 16 named colours, to find the nearest.
const NAMED_RGB: [(u8, u8, u8); 16] = [
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
    (127, 127, 127),
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (92, 92, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
];

/// A colour in a theme file: a name, `"#rrggbb"`, or an integer 0-255.
fn color(
    doc: &Doc<'_>,
    key: &str,
    v: &toml::Spanned<toml::de::DeValue<'_>>,
) -> Result<Color, FileError> {
    let bad = |m: String| doc.error(v.span(), key, m);
    match v.get_ref() {
        toml::de::DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .and_then(|n| u8::try_from(n).ok())
            .map(Color::Indexed)
            .ok_or_else(|| bad(format!("colour index {i} is not 0 to 255"))),
        toml::de::DeValue::String(s) => parse_color(s).ok_or_else(|| {
            bad(format!(
                "unknown colour {s:?} (a name: {}, default; \"#rrggbb\"; or an index 0-255)",
                NAMED.map(|(n, _)| n).join(", ")
            ))
        }),
        other => Err(bad(format!(
            "expected a colour (a name, \"#rrggbb\" or 0-255), found {}",
            other.type_str()
        ))),
    }
}

/// `"light-blue"` (also `light_blue`, `lightblue`, `grey`), `"default"`, `"#rrggbb"`.
pub fn parse_color(s: &str) -> Option<Color> {
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let n = u32::from_str_radix(hex, 16).ok()?;
        return Some(Color::Rgb((n >> 16) as u8, (n >> 8) as u8, n as u8));
    }
    let norm = s
        .trim()
        .to_ascii_lowercase()
        .replace('_', "-")
        .replace("grey", "gray");
    if norm == "default" || norm == "reset" {
        return Some(Color::Reset);
    }
    NAMED
        .iter()
        .find(|(n, _)| *n == norm || n.replace('-', "") == norm)
        .map(|&(_, c)| c)
}

/// The nearest colour `depth` can show.
pub fn reduce(c: Color, depth: ColorDepth) -> Color {
    match (c, depth) {
        (_, ColorDepth::TrueColor) => c,
        (Color::Rgb(r, g, b), ColorDepth::Ansi256) => Color::Indexed(nearest_256(r, g, b)),
        (Color::Rgb(r, g, b), ColorDepth::Ansi16) => nearest_16(r, g, b),
        (Color::Indexed(i), ColorDepth::Ansi16) => match NAMED.get(usize::from(i)) {
            Some(&(_, named)) => named,
            None => {
                let (r, g, b) = index_rgb(i);
                nearest_16(r, g, b)
            }
        },
        _ => c,
    }
}

fn distance((r1, g1, b1): (u8, u8, u8), (r2, g2, b2): (u8, u8, u8)) -> u32 {
    let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).unsigned_abs().pow(2);
    d(r1, r2) + d(g1, g2) + d(b1, b2)
}

fn nearest_16(r: u8, g: u8, b: u8) -> Color {
    let i = (0..16)
        .min_by_key(|&i| distance(NAMED_RGB[i], (r, g, b)))
        .unwrap_or(0);
    NAMED[i].1
}

/// The colour cube's six levels.
const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];

/// The RGB of a 256-palette index (16-231 the cube, 232-255 the greys).
fn index_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => NAMED_RGB[usize::from(i)],
        16..=231 => {
            let n = i - 16;
            (
                LEVELS[usize::from(n / 36)],
                LEVELS[usize::from(n / 6 % 6)],
                LEVELS[usize::from(n % 6)],
            )
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

/// The nearest of the cube and grey entries (16-255: the first 16 vary by terminal).
fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    (16..=255u8)
        .min_by_key(|&i| distance(index_rgb(i), (r, g, b)))
        .unwrap_or(16)
}

#[cfg(test)]
mod tests;
