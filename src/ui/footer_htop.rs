//! The footer's lines for the prompts htop users know: the search line (F3) and the user
//! filter (`u`).

use ratatui::text::{Line, Span};

use super::footer::FooterPane;
use crate::keymap::Mode;

/// The prompt line of the search or user mode; `None` in other modes.
pub fn prompt(f: &FooterPane, cursor: &'static str) -> Option<Line<'static>> {
    let t = f.theme;
    let (label, tail) = match f.mode {
        // A search's message ("no match", "wrapped") is about what was just typed: it
        // goes after the text instead of replacing the line.
        Mode::Search => (
            "Search: ",
            f.status
                .map(|m| format!("  {m}"))
                .unwrap_or_else(|| "  F3 next, Enter keep (then n or F3), Esc close".into()),
        ),
        Mode::User => (
            "User: ",
            "  ↑/↓ the users of listed processes, Enter show only theirs (empty: all)".into(),
        ),
        _ => return None,
    };
    Some(Line::from(vec![
        Span::styled(label, t.header_label()),
        Span::raw(f.filter_text.to_string()),
        Span::raw(cursor),
        Span::styled(tail, t.dim()),
    ]))
}
