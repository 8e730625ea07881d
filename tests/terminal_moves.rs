//! The terminal backend over frames whose rows move (a process appears or goes and every
//! row under it shifts): whatever it sends, moved lines and all, a terminal emulator
//! (vt100) shows exactly the frame ratatui drew, text, colours and attributes; and a
//! moved block costs fewer bytes than rewriting it.

use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use threadtop::terminal_backend::LeanBackend;

const W: u16 = 48;
const H: u16 = 14;

/// Rows as different as a process list's, some with box-drawing guides, one with a wide
/// name, in a few styles.
fn pool_row(i: usize) -> Line<'static> {
    let styles = [
        Style::default(),
        Style::default().fg(Color::Red),
        Style::default()
            .bg(Color::Blue)
            .add_modifier(Modifier::BOLD),
        Style::default().add_modifier(Modifier::REVERSED),
    ];
    let c = char::from(b'a' + (i % 26) as u8);
    let name = match i % 7 {
        0 => "├─kworker/0:1".to_string(),
        3 => "└─界面线程".to_string(),
        _ => c.to_string().repeat(10 + i % 9),
    };
    Line::from(vec![
        Span::styled(format!("{:>6} ", 1000 + i * 37), styles[i % 4]),
        Span::raw(format!("{:>5.1} ", i as f64 * 1.5)),
        Span::styled(name, styles[(i / 4) % 4]),
    ])
}

fn emulator() -> vt100::Parser {
    let nz = |n: u16| std::num::NonZeroU16::new(n).expect("not zero");
    vt100::Parser::new(nz(H), nz(W), 0)
}

fn draw(term: &mut Terminal<LeanBackend<Vec<u8>>>, rows: &[usize]) -> Buffer {
    let mut lines: Vec<Line> = rows.iter().map(|&i| pool_row(i)).collect();
    lines.push(Line::from("footer: q quit ? help"));
    let frame = term
        .draw(|f| f.render_widget(Paragraph::new(lines), f.area()))
        .expect("draw into a Vec");
    frame.buffer.clone()
}

fn vt_color(c: Color) -> vt100::Color {
    match c {
        Color::Reset => vt100::Color::Default,
        Color::Red => vt100::Color::Idx(1),
        Color::Blue => vt100::Color::Idx(4),
        other => panic!("no such colour in these rows: {other:?}"),
    }
}

/// The emulator shows `buf`: every cell's text, colours, bold and reverse video.
fn assert_shows(vt: &vt100::Parser, buf: &Buffer) -> Result<(), TestCaseError> {
    let screen = vt.screen();
    for y in 0..H {
        let mut x = 0;
        while x < W {
            let want = &buf[(x, y)];
            let got = screen.cell(y, x).expect("a cell");
            let width = unicode_width::UnicodeWidthStr::width(want.symbol()).max(1);
            let text = if want.symbol() == " " {
                ""
            } else {
                want.symbol()
            };
            // A cell written with a space and one never written read the same.
            let got_text = if got.contents() == " " {
                ""
            } else {
                got.contents()
            };
            prop_assert_eq!(got_text, text, "text at ({}, {})", x, y);
            if !text.is_empty() {
                prop_assert_eq!(got.fgcolor(), vt_color(want.fg), "fg at ({}, {})", x, y);
                prop_assert_eq!(got.bold(), want.modifier.contains(Modifier::BOLD));
                prop_assert_eq!(got.inverse(), want.modifier.contains(Modifier::REVERSED));
            }
            prop_assert_eq!(got.bgcolor(), vt_color(want.bg), "bg at ({}, {})", x, y);
            x += width as u16;
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Edit {
    /// Row `at` goes; a new one comes in at the end.
    Remove(usize),
    /// A new row comes in at `at`; the last one falls off.
    Insert(usize, usize),
    /// Row `at` becomes another.
    Replace(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..12usize).prop_map(Edit::Remove),
        (0..12usize, 0..40usize).prop_map(|(a, r)| Edit::Insert(a, r)),
        (0..12usize, 0..40usize).prop_map(|(a, r)| Edit::Replace(a, r)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn frames_whose_rows_move_show_exactly_as_drawn(edits in proptest::collection::vec(proptest::collection::vec(edit(), 1..4), 1..8)) {
        let backend = LeanBackend::new(Vec::new(), W, H, true).with_fixed_size(W, H);
        let mut term = Terminal::new(backend).expect("terminal");
        let mut vt = emulator();
        let mut rows: Vec<usize> = (0..(H as usize - 1)).collect();
        let mut next = 100;
        let buf = draw(&mut term, &rows);
        vt.process(term.backend().writer());
        term.backend_mut().writer_mut().clear();
        assert_shows(&vt, &buf)?;
        for frame in edits {
            for e in frame {
                let n = rows.len();
                match e {
                    Edit::Remove(at) => {
                        rows.remove(at % n);
                        rows.push(next);
                        next += 1;
                    }
                    Edit::Insert(at, r) => {
                        rows.insert(at % n, r + 200);
                        rows.pop();
                    }
                    Edit::Replace(at, r) => rows[at % n] = r + 300,
                }
            }
            let buf = draw(&mut term, &rows);
            vt.process(term.backend().writer());
            term.backend_mut().writer_mut().clear();
            assert_shows(&vt, &buf)?;
        }
    }
}

/// One row gone from the middle of twelve: the rows under it move up with a scroll region
/// and a deleted line, which costs less than rewriting them, and shows the same.
#[test]
fn a_row_gone_is_a_deleted_line_and_cheaper_than_rewriting() {
    let backend = LeanBackend::new(Vec::new(), W, H, true).with_fixed_size(W, H);
    let mut term = Terminal::new(backend).expect("terminal");
    let mut vt = emulator();
    // No wide names among them (a row holding one is never matched, see the backend).
    let rows: Vec<usize> = (0..13).map(|i| i * 7 + 1).collect();
    let old = draw(&mut term, &rows);
    vt.process(term.backend().writer());
    term.backend_mut().writer_mut().clear();
    let mut gone = rows.clone();
    gone.remove(2);
    gone.push(99 * 7 + 1);
    let buf = draw(&mut term, &gone);
    let sent = term.backend().writer().clone();
    vt.process(&sent);
    assert_shows(&vt, &buf).expect("the frame as drawn");
    let text = String::from_utf8_lossy(&sent);
    assert!(text.contains("\x1b[3;13r"), "a scroll region: {text:?}");
    assert!(
        text.contains("\x1b[3;1H\x1b[M"),
        "a line deleted at its top: {text:?}"
    );
    // Without the move, every cell that changed would be written again: a byte at least.
    let changed = (0..H)
        .flat_map(|y| (0..W).map(move |x| (x, y)))
        .filter(|&p| old[p] != buf[p])
        .count();
    assert!(
        sent.len() * 2 < changed,
        "{} bytes sent, {changed} cells changed",
        sent.len()
    );
}
