//! Terminal input bytes → keys and clicks, decoded here rather than by crossterm's reader.
//!
//! Why our own: crossterm's reader parses a whole read (up to 1,024 bytes) at once and
//! hands the events out one per `poll`. A `poll` whose timeout has run out before it
//! looks (the thread was descheduled for the 1 ms we gave it) returns "nothing" while
//! parsed events wait inside it, and stdin, already drained, never wakes us for them: a
//! pasted burst lost its final Enter that way on a loaded CI machine. Decoding is pure
//! here; the caller owns the reads, so nothing can sit where it is not seen.
//!
//! The sequences are those xterm-compatible terminals send without any keyboard
//! enhancement asked for, decoded as crossterm decodes them (the app matches crossterm's
//! `KeyEvent`s): SS3 and CSI cursor and function keys with xterm modifiers, `~` keys,
//! Alt as an ESC prefix, control bytes as Ctrl+letter, UTF-8 text, and mouse reports in
//! the SGR (1006), rxvt (1015) and X10 (1000) encodings. Replies (cursor position,
//! device attributes), focus reports and paste markers are consumed and dropped.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers, MouseButton, MouseEvent,
    MouseEventKind,
};

/// A CSI longer than this without its final byte is garbage, not a slow terminal: it is
/// dropped so that the buffer stays bounded (the longest real one, an SGR mouse report
/// at column and row 65,535, is 20 bytes).
const MAX_SEQUENCE: usize = 64;

/// What the bytes at the head of the buffer are.
#[derive(Debug, PartialEq)]
enum Step {
    /// An event, from this many bytes.
    Event(Event, usize),
    /// This many bytes that mean nothing to us (a reply, a focus report, garbage).
    Skip(usize),
    /// The start of something longer: more bytes are needed.
    Need,
}

/// Bytes in, events out. Bytes that may be the start of a sequence wait for the next
/// [`Decoder::feed`] or for [`Decoder::flush`].
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `bytes` and returns every event they complete, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        self.buf.extend_from_slice(bytes);
        self.drain(false)
    }

    /// Bytes are waiting for the rest of a sequence.
    pub fn pending(&self) -> bool {
        !self.buf.is_empty()
    }

    /// No more bytes are coming soon: a waiting lone ESC is the Esc key, and the start of
    /// a sequence that never finished is dropped (read as keys, `ESC [ 1 ;` would press
    /// `1`).
    pub fn flush(&mut self) -> Vec<Event> {
        self.drain(true)
    }

    fn drain(&mut self, flush: bool) -> Vec<Event> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < self.buf.len() {
            match step(&self.buf[at..]) {
                Step::Event(ev, n) => {
                    out.push(ev);
                    at += n;
                }
                Step::Skip(n) => at += n,
                Step::Need if !flush => break,
                Step::Need => {
                    if self.buf[at..].starts_with(b"\x1b[") || self.buf[at..].starts_with(b"\x1bO")
                    {
                        // An unfinished sequence: dropped whole.
                        at = self.buf.len();
                    } else if self.buf[at] == 0x1b {
                        out.push(key(KeyCode::Esc, KeyModifiers::NONE));
                        at += 1;
                    } else {
                        // An unfinished UTF-8 character.
                        at = self.buf.len();
                    }
                }
            }
        }
        self.buf.drain(..at);
        out
    }
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, modifiers))
}

/// Decodes the head of `b` (not empty).
fn step(b: &[u8]) -> Step {
    match b[0] {
        0x1b => escape(b),
        _ => plain(b),
    }
}

/// A byte or UTF-8 character that is not ESC.
fn plain(b: &[u8]) -> Step {
    let none = KeyModifiers::NONE;
    let ctrl = KeyModifiers::CONTROL;
    let ev = match b[0] {
        b'\r' => key(KeyCode::Enter, none),
        b'\t' => key(KeyCode::Tab, none),
        0x7f => key(KeyCode::Backspace, none),
        0 => key(KeyCode::Char(' '), ctrl),
        c @ 0x01..=0x1a => key(KeyCode::Char((c - 1 + b'a') as char), ctrl),
        c @ 0x1c..=0x1f => key(KeyCode::Char((c - 0x1c + b'4') as char), ctrl),
        c if c < 0x80 => char_key(c as char),
        lead => {
            let len = match lead {
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf4 => 4,
                _ => return Step::Skip(1),
            };
            let have = b.len().min(len);
            if b[1..have].iter().any(|&c| c & 0xc0 != 0x80) {
                return Step::Skip(1);
            }
            if have < len {
                return Step::Need;
            }
            return match std::str::from_utf8(&b[..len])
                .ok()
                .and_then(|s| s.chars().next())
            {
                Some(c) => Step::Event(char_key(c), len),
                // An overlong or surrogate encoding.
                None => Step::Skip(1),
            };
        }
    };
    Step::Event(ev, 1)
}

/// A typed character; an uppercase one carries Shift, as crossterm reports it.
fn char_key(c: char) -> Event {
    let m = if c.is_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    key(KeyCode::Char(c), m)
}

/// What starts with ESC.
fn escape(b: &[u8]) -> Step {
    let Some(&next) = b.get(1) else {
        return Step::Need;
    };
    match next {
        b'[' => csi(b),
        b'O' => match b.get(2) {
            None => Step::Need,
            Some(&f) => match cursor_key(f) {
                Some(code) => Step::Event(key(code, KeyModifiers::NONE), 3),
                None => Step::Skip(3),
            },
        },
        // ESC ESC: the first is the Esc key; the second starts again.
        0x1b => Step::Event(key(KeyCode::Esc, KeyModifiers::NONE), 1),
        // Alt+key: the key, one more byte in.
        _ => match plain(&b[1..]) {
            Step::Event(Event::Key(mut k), n) => {
                k.modifiers |= KeyModifiers::ALT;
                Step::Event(Event::Key(k), n + 1)
            }
            Step::Event(_, n) | Step::Skip(n) => Step::Skip(n + 1),
            Step::Need => Step::Need,
        },
    }
}

/// The final byte of an SS3 or unparameterised CSI cursor or F1-F4 key.
fn cursor_key(f: u8) -> Option<KeyCode> {
    Some(match f {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'P' => KeyCode::F(1),
        b'Q' => KeyCode::F(2),
        b'R' => KeyCode::F(3),
        b'S' => KeyCode::F(4),
        _ => return None,
    })
}

/// `ESC [ …`: parameters, intermediates, one final byte (ECMA-48), with the two
/// exceptions terminals really send: X10 mouse (`ESC [ M` and three raw bytes) and the
/// Linux console's F1-F5 (`ESC [ [ A`…`E`).
fn csi(b: &[u8]) -> Step {
    match b.get(2) {
        None => Step::Need,
        Some(b'M') => {
            if b.len() < 6 {
                return Step::Need;
            }
            match mouse(b[3].wrapping_sub(32), b[4], b[5], false, 32) {
                Some(ev) => Step::Event(ev, 6),
                None => Step::Skip(6),
            }
        }
        Some(b'[') => match b.get(3) {
            None => Step::Need,
            Some(&f @ b'A'..=b'E') => {
                Step::Event(key(KeyCode::F(1 + f - b'A'), KeyModifiers::NONE), 4)
            }
            Some(_) => Step::Skip(4),
        },
        Some(_) => {
            let body = &b[2..];
            let Some(end) = body.iter().position(|&c| !(0x20..=0x3f).contains(&c)) else {
                return if b.len() > MAX_SEQUENCE {
                    Step::Skip(b.len())
                } else {
                    Step::Need
                };
            };
            let fin = body[end];
            let len = 2 + end + 1;
            if !(0x40..=0x7e).contains(&fin) {
                // Not a CSI after all (a control byte inside): drop what came before it.
                return Step::Skip(2 + end);
            }
            match csi_event(&body[..end], fin) {
                Some(ev) => Step::Event(ev, len),
                None => Step::Skip(len),
            }
        }
    }
}

/// A complete CSI: its parameter bytes and its final byte.
fn csi_event(params: &[u8], fin: u8) -> Option<Event> {
    let text = std::str::from_utf8(params).ok()?;
    if let Some(sgr) = text.strip_prefix('<') {
        // SGR mouse: `ESC [ < b ; x ; y M` (pressed) or `m` (released).
        if fin != b'M' && fin != b'm' {
            return None;
        }
        let mut it = sgr.split(';');
        let cb: u8 = it.next()?.parse().ok()?;
        let x: u16 = it.next()?.parse().ok()?;
        let y: u16 = it.next()?.parse().ok()?;
        let ev = sgr_mouse(cb, x, y)?;
        return Some(match (ev, fin) {
            (
                Event::Mouse(MouseEvent {
                    kind: MouseEventKind::Down(button),
                    column,
                    row,
                    modifiers,
                }),
                b'm',
            ) => Event::Mouse(MouseEvent {
                kind: MouseEventKind::Up(button),
                column,
                row,
                modifiers,
            }),
            (ev, _) => ev,
        });
    }
    if text.starts_with(['?', '>', '=']) {
        // Replies to queries (device attributes, keyboard flags): not keys.
        return None;
    }
    let mut fields = text.split(';');
    let first = fields.next().unwrap_or("");
    let (modifiers, kind) = match fields.next() {
        // An empty field is no modifier (`ESC [ 5 ; ~`).
        Some("") => (KeyModifiers::NONE, KeyEventKind::Press),
        Some(m) => modifier_field(m)?,
        None => (KeyModifiers::NONE, KeyEventKind::Press),
    };
    let code = match fin {
        b'~' => match first.parse::<u16>().ok()? {
            1 | 7 => KeyCode::Home,
            2 => KeyCode::Insert,
            3 => KeyCode::Delete,
            4 | 8 => KeyCode::End,
            5 => KeyCode::PageUp,
            6 => KeyCode::PageDown,
            v @ 11..=15 => KeyCode::F((v - 10) as u8),
            v @ 17..=21 => KeyCode::F((v - 11) as u8),
            v @ 23..=26 => KeyCode::F((v - 12) as u8),
            v @ 28..=29 => KeyCode::F((v - 15) as u8),
            v @ 31..=34 => KeyCode::F((v - 17) as u8),
            // 200 and 201 (paste markers) and anything else.
            _ => return None,
        },
        b'Z' if text.is_empty() => KeyCode::BackTab,
        b'M' if !text.is_empty() => {
            // rxvt mouse: `ESC [ b ; x ; y M`, b offset by 32.
            let mut it = text.split(';');
            let cb: u8 = it.next()?.parse().ok()?;
            let x: u16 = it.next()?.parse().ok()?;
            let y: u16 = it.next()?.parse().ok()?;
            return mouse(cb.checked_sub(32)?, 0, 0, true, 0).and_then(|ev| place(ev, x, y));
        }
        // Cursor position reports (`ESC [ row ; col R`) look like Shift+F3 and are
        // replies: only a bare `ESC [ R`-less F3 comes from SS3 above.
        b'R' => return None,
        // Focus in and out.
        b'I' | b'O' if text.is_empty() => return None,
        f => {
            // `ESC [ A` or `ESC [ 1 ; 5 A`: the key with xterm's modifiers; older xterms
            // send the modifier alone, `ESC [ 5 A` (as crossterm reads it too).
            let code = cursor_key(f)?;
            if !first.is_empty() && first != "1" {
                if text.contains(';') {
                    return None;
                }
                let (m, _) = modifier_field(first)?;
                return Some(Event::Key(KeyEvent::new(code, m)));
            }
            code
        }
    };
    let modifiers = if code == KeyCode::BackTab {
        KeyModifiers::SHIFT
    } else {
        modifiers
    };
    Some(Event::Key(KeyEvent::new_with_kind_and_state(
        code,
        modifiers,
        kind,
        KeyEventState::NONE,
    )))
}

/// xterm's modifier field, `1 + bits` with an optional `:kind` (1 press, 2 repeat, 3
/// release).
fn modifier_field(field: &str) -> Option<(KeyModifiers, KeyEventKind)> {
    let mut parts = field.split(':');
    let mask: u8 = parts.next()?.parse().ok()?;
    let bits = mask.saturating_sub(1);
    let mut m = KeyModifiers::NONE;
    for (bit, flag) in [
        (1, KeyModifiers::SHIFT),
        (2, KeyModifiers::ALT),
        (4, KeyModifiers::CONTROL),
        (8, KeyModifiers::SUPER),
        (16, KeyModifiers::HYPER),
        (32, KeyModifiers::META),
    ] {
        if bits & bit != 0 {
            m |= flag;
        }
    }
    let kind = match parts.next().and_then(|k| k.parse::<u8>().ok()) {
        Some(2) => KeyEventKind::Repeat,
        Some(3) => KeyEventKind::Release,
        _ => KeyEventKind::Press,
    };
    Some((m, kind))
}

/// SGR coordinates are 1-based decimal.
fn sgr_mouse(cb: u8, x: u16, y: u16) -> Option<Event> {
    mouse(cb, 0, 0, true, 0).and_then(|ev| place(ev, x, y))
}

fn place(ev: Event, x: u16, y: u16) -> Option<Event> {
    match ev {
        Event::Mouse(mut m) => {
            m.column = x.checked_sub(1)?;
            m.row = y.checked_sub(1)?;
            Some(Event::Mouse(m))
        }
        other => Some(other),
    }
}

/// The button byte `cb` (offset already removed); X10 coordinates are raw bytes offset
/// by `offset` and 1-based, ignored when `placed_later`.
fn mouse(cb: u8, x: u8, y: u8, placed_later: bool, offset: u8) -> Option<Event> {
    let button = (cb & 0b11) | ((cb & 0b1100_0000) >> 4);
    let dragging = cb & 0b10_0000 != 0;
    let kind = match (button, dragging) {
        (0, false) => MouseEventKind::Down(MouseButton::Left),
        (1, false) => MouseEventKind::Down(MouseButton::Middle),
        (2, false) => MouseEventKind::Down(MouseButton::Right),
        (0, true) => MouseEventKind::Drag(MouseButton::Left),
        (1, true) => MouseEventKind::Drag(MouseButton::Middle),
        (2, true) => MouseEventKind::Drag(MouseButton::Right),
        (3, false) => MouseEventKind::Up(MouseButton::Left),
        (3..=5, true) => MouseEventKind::Moved,
        (4, false) => MouseEventKind::ScrollUp,
        (5, false) => MouseEventKind::ScrollDown,
        (6, false) => MouseEventKind::ScrollLeft,
        (7, false) => MouseEventKind::ScrollRight,
        _ => return None,
    };
    let mut modifiers = KeyModifiers::NONE;
    if cb & 0b100 != 0 {
        modifiers |= KeyModifiers::SHIFT;
    }
    if cb & 0b1000 != 0 {
        modifiers |= KeyModifiers::ALT;
    }
    if cb & 0b1_0000 != 0 {
        modifiers |= KeyModifiers::CONTROL;
    }
    let (column, row) = if placed_later {
        (0, 0)
    } else {
        (
            u16::from(x.checked_sub(offset)?.checked_sub(1)?),
            u16::from(y.checked_sub(offset)?.checked_sub(1)?),
        )
    };
    Some(Event::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers,
    }))
}

#[cfg(test)]
mod tests;
