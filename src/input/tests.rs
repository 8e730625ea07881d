use super::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::io::Write;
use std::time::Instant;

fn pipe() -> (TtyReader, std::fs::File) {
    let (r, w) = std::io::pipe().expect("pipe");
    (
        TtyReader::on(r.into()),
        std::fs::File::from(OwnedFd::from(w)),
    )
}

fn key(code: KeyCode, m: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, m))
}

#[test]
fn one_read_returns_every_key_it_read() {
    // The CI failure this module exists for: 3,000 characters and Enter in one write; the
    // Enter must come out of the same call, not wait for more input.
    let (mut reader, mut w) = pipe();
    let mut burst = "zq".repeat(1500).into_bytes();
    burst.push(b'\r');
    w.write_all(&burst).expect("write");
    let ev = reader.read().expect("read");
    assert_eq!(ev.len(), 3001);
    assert_eq!(ev.last(), Some(&key(KeyCode::Enter, KeyModifiers::NONE)));
}

#[test]
fn a_sequence_split_between_writes_is_waited_for_and_a_lone_esc_is_esc_after_the_wait() {
    let (mut reader, mut w) = pipe();
    // The second half comes 20 ms later; waited for up to a minute, so that a loaded
    // machine delaying the writer cannot fail the test.
    reader.wait = Duration::from_secs(60);
    w.write_all(b"\x1b[1;").expect("write");
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        w.write_all(b"5B").expect("write");
        w
    });
    let ev = reader.read().expect("read");
    assert_eq!(ev, vec![key(KeyCode::Down, KeyModifiers::CONTROL)]);
    let mut w = writer.join().expect("writer");
    // A lone ESC at the end of what came: Esc, once the wait has passed with nothing.
    reader.wait = SEQUENCE_WAIT;
    w.write_all(b"\x1b").expect("write");
    let t = Instant::now();
    let ev = reader.read().expect("read");
    assert_eq!(ev, vec![key(KeyCode::Esc, KeyModifiers::NONE)]);
    assert!(
        t.elapsed() >= SEQUENCE_WAIT,
        "it waited for a sequence first"
    );
}

#[test]
fn end_of_input_is_the_terminal_gone() {
    let (mut reader, w) = pipe();
    drop(w);
    let err = reader.read().expect_err("closed");
    assert!(err.contains("closed"), "{err}");
}
