use super::*;
use proptest::prelude::*;

fn k(code: KeyCode) -> Event {
    key(code, KeyModifiers::NONE)
}

fn km(code: KeyCode, m: KeyModifiers) -> Event {
    key(code, m)
}

fn c(ch: char) -> Event {
    char_key(ch)
}

fn all(bytes: &[u8]) -> Vec<Event> {
    let mut d = Decoder::new();
    let mut out = d.feed(bytes);
    out.extend(d.flush());
    out
}

fn click(kind: MouseEventKind, column: u16, row: u16, modifiers: KeyModifiers) -> Event {
    Event::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers,
    })
}

#[test]
fn keys_decode_as_crossterm_reports_them() {
    let ctrl = KeyModifiers::CONTROL;
    let alt = KeyModifiers::ALT;
    let shift = KeyModifiers::SHIFT;
    let cases: Vec<(&[u8], Vec<Event>)> = vec![
        (b"q", vec![c('q')]),
        (b"Q", vec![km(KeyCode::Char('Q'), shift)]),
        (b"\r", vec![k(KeyCode::Enter)]),
        (b"\t", vec![k(KeyCode::Tab)]),
        (b"\x7f", vec![k(KeyCode::Backspace)]),
        (b"\x03", vec![km(KeyCode::Char('c'), ctrl)]),
        (b"\x08", vec![km(KeyCode::Char('h'), ctrl)]),
        (b"\x0a", vec![km(KeyCode::Char('j'), ctrl)]),
        (b"\x1c", vec![km(KeyCode::Char('4'), ctrl)]),
        (b"\x00", vec![km(KeyCode::Char(' '), ctrl)]),
        ("é€😀".as_bytes(), vec![c('é'), c('€'), c('😀')]),
        (
            b"\x1b[A\x1b[B\x1b[C\x1b[D",
            vec![
                k(KeyCode::Up),
                k(KeyCode::Down),
                k(KeyCode::Right),
                k(KeyCode::Left),
            ],
        ),
        (
            b"\x1bOA\x1bOH\x1bOF\x1bOP\x1bOS",
            vec![
                k(KeyCode::Up),
                k(KeyCode::Home),
                k(KeyCode::End),
                k(KeyCode::F(1)),
                k(KeyCode::F(4)),
            ],
        ),
        (
            b"\x1b[H\x1b[F\x1b[1~\x1b[4~\x1b[7~\x1b[8~",
            vec![
                k(KeyCode::Home),
                k(KeyCode::End),
                k(KeyCode::Home),
                k(KeyCode::End),
                k(KeyCode::Home),
                k(KeyCode::End),
            ],
        ),
        (
            b"\x1b[2~\x1b[3~\x1b[5~\x1b[6~",
            vec![
                k(KeyCode::Insert),
                k(KeyCode::Delete),
                k(KeyCode::PageUp),
                k(KeyCode::PageDown),
            ],
        ),
        (
            b"\x1b[11~\x1b[15~\x1b[17~\x1b[21~\x1b[23~\x1b[24~",
            vec![
                k(KeyCode::F(1)),
                k(KeyCode::F(5)),
                k(KeyCode::F(6)),
                k(KeyCode::F(10)),
                k(KeyCode::F(11)),
                k(KeyCode::F(12)),
            ],
        ),
        (b"\x1b[[A\x1b[[E", vec![k(KeyCode::F(1)), k(KeyCode::F(5))]),
        (b"\x1b[Z", vec![km(KeyCode::BackTab, shift)]),
        (
            b"\x1b[1;5A\x1b[1;2D\x1b[1;3H",
            vec![
                km(KeyCode::Up, ctrl),
                km(KeyCode::Left, shift),
                km(KeyCode::Home, alt),
            ],
        ),
        (
            b"\x1b[5A\x1b[2C",
            vec![km(KeyCode::Up, ctrl), km(KeyCode::Right, shift)],
        ),
        (b"\x1b[5;~", vec![k(KeyCode::PageUp)]),
        (
            b"\x1b[5;5~\x1b[3;2~",
            vec![km(KeyCode::PageUp, ctrl), km(KeyCode::Delete, shift)],
        ),
        (
            b"\x1bq\x1bQ\x1b\x03",
            vec![
                km(KeyCode::Char('q'), alt),
                km(KeyCode::Char('Q'), alt | shift),
                km(KeyCode::Char('c'), alt | ctrl),
            ],
        ),
        // ESC ESC is two presses of Esc, and ESC then an arrow is Esc then the arrow.
        (b"\x1b\x1b", vec![k(KeyCode::Esc), k(KeyCode::Esc)]),
        (b"\x1b\x1b[B", vec![k(KeyCode::Esc), k(KeyCode::Down)]),
        // Replies, focus and paste markers are no keys.
        (
            b"\x1b[12;40R\x1b[?62;22c\x1b[I\x1b[O\x1b[200~x\x1b[201~",
            vec![c('x')],
        ),
    ];
    for (bytes, want) in cases {
        assert_eq!(all(bytes), want, "{bytes:?}");
    }
}

#[test]
fn release_and_repeat_kinds_are_kept() {
    let ev = all(b"\x1b[1;1:3A");
    let Event::Key(k) = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(k.kind, KeyEventKind::Release);
}

#[test]
fn mouse_reports_in_the_three_encodings() {
    let none = KeyModifiers::NONE;
    let left = MouseButton::Left;
    // SGR: press at column 10, row 5 (1-based on the wire), release, wheel, drag.
    assert_eq!(
        all(b"\x1b[<0;10;5M\x1b[<0;10;5m\x1b[<64;1;1M\x1b[<65;1;1M\x1b[<32;3;4M"),
        vec![
            click(MouseEventKind::Down(left), 9, 4, none),
            click(MouseEventKind::Up(left), 9, 4, none),
            click(MouseEventKind::ScrollUp, 0, 0, none),
            click(MouseEventKind::ScrollDown, 0, 0, none),
            click(MouseEventKind::Drag(left), 2, 3, none),
        ]
    );
    // Ctrl+click in SGR.
    assert_eq!(
        all(b"\x1b[<16;2;2M"),
        vec![click(
            MouseEventKind::Down(left),
            1,
            1,
            KeyModifiers::CONTROL
        )]
    );
    // X10: three raw bytes offset by 32.
    assert_eq!(
        all(&[0x1b, b'[', b'M', 32, 32 + 10, 32 + 5]),
        vec![click(MouseEventKind::Down(left), 9, 4, none)]
    );
    // rxvt.
    assert_eq!(
        all(b"\x1b[32;10;5M"),
        vec![click(MouseEventKind::Down(left), 9, 4, none)]
    );
    // Column 0 does not exist: dropped, not wrapped.
    assert_eq!(all(b"\x1b[<0;0;5M"), vec![]);
}

#[test]
fn a_sequence_split_across_reads_waits_for_its_end() {
    let mut d = Decoder::new();
    assert_eq!(d.feed(b"\x1b"), vec![]);
    assert!(d.pending());
    assert_eq!(d.feed(b"[1;"), vec![]);
    assert_eq!(
        d.feed(b"5B"),
        vec![km(KeyCode::Down, KeyModifiers::CONTROL)]
    );
    assert!(!d.pending());
    // Half a UTF-8 character.
    assert_eq!(d.feed(&"€".as_bytes()[..2]), vec![]);
    assert_eq!(d.feed(&"€".as_bytes()[2..]), vec![c('€')]);
}

#[test]
fn flushing_makes_a_lone_esc_the_key_and_drops_an_unfinished_sequence() {
    let mut d = Decoder::new();
    assert_eq!(d.feed(b"x\x1b"), vec![c('x')]);
    assert_eq!(d.flush(), vec![k(KeyCode::Esc)]);
    assert!(!d.pending());
    assert_eq!(d.feed(b"\x1b[1;"), vec![]);
    assert_eq!(d.flush(), vec![], "no `1` pressed");
    assert!(!d.pending());
    assert_eq!(d.feed(b"q"), vec![c('q')]);
}

#[test]
fn a_pasted_burst_gives_every_key_in_one_feed() {
    let mut burst = "zq".repeat(1500).into_bytes();
    burst.push(b'\r');
    let mut d = Decoder::new();
    let ev = d.feed(&burst);
    assert_eq!(ev.len(), 3001);
    assert_eq!(ev.last(), Some(&k(KeyCode::Enter)));
    assert!(!d.pending());
}

#[test]
fn endless_parameters_are_dropped_not_buffered() {
    let mut d = Decoder::new();
    let mut junk = b"\x1b[".to_vec();
    junk.extend(std::iter::repeat_n(b'1', 10_000));
    assert_eq!(d.feed(&junk), vec![]);
    assert!(d.buf.len() <= MAX_SEQUENCE + 1, "{}", d.buf.len());
    assert_eq!(d.feed(b"q"), vec![c('q')]);
}

/// Bytes a terminal sends: keys, sequences, mouse reports, text.
fn terminal_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        proptest::collection::vec(0x20u8..0x7f, 1..4),
        Just(b"\x1b[A".to_vec()),
        Just(b"\x1b[1;5C".to_vec()),
        Just(b"\x1bOP".to_vec()),
        Just(b"\x1b[6~".to_vec()),
        Just(b"\x1b[<0;12;7M".to_vec()),
        Just(vec![0x1b, b'[', b'M', 32, 40, 50]),
        Just("ü€".as_bytes().to_vec()),
        Just(b"\r\t\x7f\x03".to_vec()),
        Just(b"\x1bx".to_vec()),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    /// However the bytes are split into reads, the keys are the same.
    #[test]
    fn reads_split_anywhere_give_the_same_events(
        bytes in terminal_bytes(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let whole = all(&bytes);
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        at.sort_unstable();
        let mut d = Decoder::new();
        let mut got = Vec::new();
        let mut from = 0;
        for to in at.into_iter().chain([bytes.len()]) {
            got.extend(d.feed(&bytes[from..to]));
            from = to;
        }
        got.extend(d.flush());
        prop_assert_eq!(got, whole);
    }

    /// Any bytes at all: no panic, the buffer stays bounded, and a key after a flush is
    /// read as that key.
    #[test]
    fn any_bytes_are_survived(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut d = Decoder::new();
        let _ = d.feed(&bytes);
        prop_assert!(d.buf.len() <= MAX_SEQUENCE + 1);
        let _ = d.flush();
        prop_assert!(!d.pending());
        prop_assert_eq!(d.feed(b"q"), vec![c('q')]);
    }
}
