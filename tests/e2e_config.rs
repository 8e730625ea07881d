//! The config file through the real binary: its delay, sort, columns and theme take effect,
//! a bad one stops threadtop with the file, line and key named, and `--print-config`
//! written back as the config is accepted unchanged.

mod support;

use std::path::Path;
use std::time::Duration;

use support::{assert_restored, command, sets_colour, spawn};

/// The suite's wait for a state (generous: see `DEFAULT_TIMEOUT`).
const WAIT: Duration = support::DEFAULT_TIMEOUT;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write config");
    p.to_str().expect("utf-8 temp path").to_string()
}

fn header(screen: &str) -> &str {
    screen
        .lines()
        .find(|l| l.contains("NAME"))
        .unwrap_or_default()
}

const THEME: &str = "base = \"dark\"\n[table_header]\nfg = \"#010203\"\nbg = \"#fedcba\"\n";

/// The table header's background in the test theme, as a 24-bit SGR parameter.
const HEADER_BG: &[u8] = b"48;2;254;220;186";

#[test]
fn delay_sort_columns_and_theme_from_the_file_take_effect() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "mine.toml", THEME);
    let config = write(
        dir.path(),
        "config.toml",
        "delay = 0.5\nsort = \"name\"\ntheme = \"mine.toml\"\n\
         [columns]\nbasic = [\"tid\", \"state\", \"cpu\"]\n",
    );
    let mut pty = spawn(
        &["--config", config.as_str()],
        &[("COLORTERM", "truecolor")],
        120,
        30,
    );
    // Waits for each thing asserted: a frame can be read half drawn.
    pty.wait_for("the file's delay, sort and columns", WAIT, |s| {
        s.contains("Every 0.5s")
            && s.contains("sort name▲")
            && header(s).split_whitespace().collect::<Vec<_>>() == ["TID", "S", "CPU%", "NAME▲"]
    })
    .expect("table");
    let raw = pty.raw_output();
    assert!(
        raw.windows(HEADER_BG.len()).any(|w| w == HEADER_BG),
        "the theme's header colour was never drawn"
    );
    pty.send(b"q");
    assert!(pty.wait_exit(WAIT).is_some_and(|s| s.success()));
    assert_restored(&pty);
}

#[test]
fn flags_win_over_the_file_and_no_colour_means_no_colour_whatever_the_theme() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "mine.toml", THEME);
    let config = write(
        dir.path(),
        "config.toml",
        "sort = \"name\"\ntheme = \"mine.toml\"\ncolor = \"always\"\n",
    );
    let mut pty = spawn(
        &[
            "--config",
            config.as_str(),
            "--sort",
            "tid",
            "--color",
            "never",
        ],
        &[("COLORTERM", "truecolor")],
        120,
        30,
    );
    pty.wait_for_all(&["Every", "sort tid"], WAIT)
        .expect("table");
    pty.send(b"q");
    assert!(pty.wait_exit(WAIT).is_some_and(|s| s.success()));
    assert!(
        !sets_colour(&pty.raw_output()),
        "colour escapes with --color never"
    );
}

#[test]
fn a_bad_config_is_one_error_naming_file_line_and_key_and_nothing_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(
        dir.path(),
        "config.toml",
        "# mine\ndelay = 1\n\n[columns]\nbasic = [\"tid\", \"cpuu\"]\n",
    );
    for extra in [&["--json"][..], &[][..]] {
        let out = command()
            .args(["--config", config.as_str()])
            .args(extra)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with(&format!("threadtop: {config}:5:17: key `columns.basic`: ")),
            "{err}"
        );
        assert!(err.contains("cpuu"), "{err}");
        assert_eq!(err.lines().count(), 1, "one error: {err}");
    }
    // In the default place too, found through XDG_CONFIG_HOME.
    std::fs::create_dir_all(dir.path().join("threadtop")).expect("mkdir");
    write(dir.path(), "threadtop/config.toml", "sort = \"fastest\"\n");
    let out = command()
        .env("XDG_CONFIG_HOME", dir.path())
        .arg("--json")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("threadtop/config.toml:1:8: key `sort`"),
        "{err}"
    );
    // --no-config reads no file at all.
    let out = command()
        .env("XDG_CONFIG_HOME", dir.path())
        .args(["--no-config", "--json", "--delay", "0.1", "--pid", "1"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn the_printed_default_is_the_documented_file_and_is_accepted_unchanged() {
    let out = command().arg("--print-config").output().expect("run");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let asset = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/config.toml"))
        .expect("asset");
    assert_eq!(text, asset, "--print-config prints assets/config.toml");

    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(dir.path(), "config.toml", &text);
    let out = command()
        .args([
            "--config",
            config.as_str(),
            "--json",
            "--delay",
            "0.1",
            "--pid",
            "1",
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // And in the TUI: the same screen as with no config at all.
    let mut pty = spawn(&["--config", config.as_str(), "--pid", "1"], &[], 120, 30);
    // The footer is drawn after the header: both are whole once it is there.
    let whole =
        |s: &str| s.contains("Every 1s") && s.contains("sort ") && header(s).contains("TID");
    let with = pty.wait_for("a whole frame", WAIT, whole).expect("table");
    pty.send(b"q");
    assert!(pty.wait_exit(WAIT).is_some_and(|s| s.success()));
    let mut pty = spawn(&["--no-config", "--pid", "1"], &[], 120, 30);
    let without = pty.wait_for("a whole frame", WAIT, whole).expect("table");
    pty.send(b"q");
    assert!(pty.wait_exit(WAIT).is_some_and(|s| s.success()));
    assert_eq!(header(&with), header(&without));
    assert!(
        with.contains("Every 1s") && without.contains("Every 1s"),
        "{with}"
    );
}

#[test]
fn an_unreadable_config_in_the_default_place_is_passed_over_with_a_note() {
    let setpriv = Path::new("/usr/bin/setpriv");
    if !rustix::process::geteuid().is_root() || !setpriv.exists() {
        eprintln!("skipped: needs root and /usr/bin/setpriv");
        return;
    }
    // As when `sudo -u nobody` keeps root's HOME: the file is there but not ours to read.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("threadtop")).expect("mkdir");
    write(dir.path(), "threadtop/config.toml", "delay = 2\n");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.path().join("threadtop"),
        std::fs::Permissions::from_mode(0o700),
    )
    .expect("chmod");
    let out = std::process::Command::new(setpriv)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(support::threadtop())
        .args(["--json", "--delay", "0.1", "--pid", "1"])
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("config.toml not readable") && err.contains("built-in defaults"),
        "{err}"
    );
    // Asked for by name, the same file is an error.
    let config = dir.path().join("threadtop/config.toml");
    let out = std::process::Command::new(setpriv)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(support::threadtop())
        .arg("--config")
        .arg(&config)
        .arg("--json")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

/// What a user can name as a config, theme or recording but is no such file: a device that
/// never ends, a FIFO no one writes, a directory, a huge sparse file. Each is one line naming
/// it, a failure status, at once (`/dev/zero` as a theme grew to 4.6 GB; a FIFO blocked forever).
#[test]
fn junk_files_named_as_config_theme_or_recording_are_refused_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("fifo");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .expect("mkfifo");
    let fifo = fifo.to_str().expect("utf-8").to_string();
    let sparse = dir.path().join("sparse");
    std::fs::File::create(&sparse)
        .and_then(|f| f.set_len(3 << 30))
        .expect("sparse file");
    let sparse = sparse.to_str().expect("utf-8").to_string();
    let zero_theme = write(dir.path(), "zero.toml", "theme = \"/dev/zero\"\n");
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec!["--theme", "/dev/zero"],
            "/dev/zero",
            "character device",
        ),
        (vec!["--theme", &fifo], &fifo, "FIFO"),
        (vec!["--theme", &sparse], &sparse, "limit"),
        (vec!["--config", &fifo], &fifo, "FIFO"),
        (
            vec!["--config", "/dev/zero"],
            "/dev/zero",
            "character device",
        ),
        (vec!["--config", &sparse], &sparse, "limit"),
        (
            vec!["--config", &zero_theme],
            "/dev/zero",
            "character device",
        ),
        (vec!["replay", "/dev/zero"], "/dev/zero", "character device"),
        (
            vec!["replay", "/dev/urandom"],
            "/dev/urandom",
            "character device",
        ),
        (vec!["replay", &fifo], &fifo, "FIFO"),
        (
            vec!["replay", &sparse],
            &sparse,
            "not a threadtop recording",
        ),
    ];
    for (args, names, says) in cases {
        let mut cmd = command();
        cmd.args(&args).args(["--json", "--delay", "0.1"]);
        // A hang is the failure this test is about: give up after a minute, loudly.
        let mut child = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run");
        let give_up = std::time::Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break s;
            }
            if std::time::Instant::now() > give_up {
                let _ = child.kill();
                panic!("{args:?} still running after 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
            .expect("stderr");
        // A bad config or theme is a usage error (2); a replay that cannot be read, 1.
        let code = if args[0] == "replay" { 1 } else { 2 };
        assert_eq!(status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(names) && err.contains(says), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

/// A huge theme name is not echoed (twice, in full: 5 MB of error); a huge integer delay
/// is out of range, not "not a finite number".
#[test]
fn huge_values_get_short_true_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = "x".repeat(100_000);
    let out = command()
        .args(["--theme", &name, "--json", "--delay", "0.1"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.len() < 1000, "{} bytes of error", err.len());
    assert!(
        err.contains("no theme \"xxxx") && err.contains('…'),
        "{err}"
    );
    let config = write(dir.path(), "big.toml", "delay = 99999999999999999999999\n");
    let out = command()
        .args(["--config", &config, "--json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("out of range"), "{err}");
    assert!(!err.contains("finite"), "{err}");
}
