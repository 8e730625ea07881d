//! Colours. Every meaning a colour carries is also in the text (the state letter, `[..]`
//! around kernel threads, the fold glyph), so the colourless theme loses nothing.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless NO_COLOR is set (https://no-color.org: any non-empty value).
    pub fn from_env() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    pub fn mono() -> Self {
        Theme { color: false }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn header_label(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn table_header(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    pub fn selected(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::LightBlue)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    pub fn state(&self, s: u8) -> Style {
        match s {
            b'R' => self.fg(Color::Green).add_modifier(Modifier::BOLD),
            b'D' => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            b'Z' | b'X' => self.fg(Color::Magenta),
            b'T' | b't' => self.fg(Color::Yellow),
            _ => Style::new(),
        }
    }
    pub fn kernel(&self) -> Style {
        self.fg(Color::DarkGray)
    }
    pub fn thread(&self) -> Style {
        self.fg(Color::Gray)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    pub fn busy(&self, pct: f64) -> Style {
        if pct >= 50.0 {
            self.fg(Color::Red)
        } else if pct >= 10.0 {
            self.fg(Color::Yellow)
        } else {
            Style::new()
        }
    }
    pub fn bar(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn key(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
    pub fn warning(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
}
