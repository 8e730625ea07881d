use super::*;

use clap::{CommandFactory, FromArgMatches};

fn no_env() -> ConfigEnv {
    ConfigEnv::default()
}

fn parse_text(text: &str) -> Result<FileSettings, FileError> {
    parse("t.toml", text, None, &no_env())
}

fn err(text: &str) -> FileError {
    match parse_text(text) {
        Ok(s) => panic!("accepted {text:?} as {s:?}"),
        Err(e) => e,
    }
}

/// The command line `args` (without the program name), with clap's value sources.
fn cli(args: &[&str]) -> (Cli, ArgMatches) {
    let matches = Cli::command()
        .try_get_matches_from(std::iter::once("threadtop").chain(args.iter().copied()))
        .expect("valid command line");
    let cli = Cli::from_arg_matches(&matches).expect("valid command line");
    (cli, matches)
}

/// A private directory under the test's temp dir.
fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("threadtop-config-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

/// The values the rest of the program reads, after `load`.
fn effective(args: &[&str], env: &ConfigEnv) -> (String, Loaded) {
    let (mut c, m) = cli(args);
    let l = load(&mut c, &m, env).expect("valid");
    let v = format!(
        "delay={:?} sort={:?} reverse={} flat={} hide_kernel={} color={:?} ascii={} no_mouse={}",
        c.delay, c.sort, c.reverse, c.flat, c.hide_kernel, c.color, c.ascii, c.no_mouse
    );
    (v, l)
}

#[test]
fn the_printed_default_is_exactly_the_built_in_default() {
    let file = parse_text(DEFAULT_CONFIG).expect("the default config parses");
    // Every key is written out, so the file is a complete description of the defaults...
    assert!(file.delay.is_some() && file.sort.is_some() && file.reverse.is_some());
    assert!(file.flat.is_some() && file.hide_kernel.is_some() && file.color.is_some());
    assert!(file.ascii.is_some() && file.theme.is_some() && file.mouse.is_some());
    assert!(file.basic.is_some() && file.scheduling.is_some());
    assert_eq!(file.tools, Some(tools::defaults()));
    // ...and reading it gives what no file at all gives: the command line's defaults.
    let dir = temp_dir("default");
    let path = dir.join("config.toml");
    std::fs::write(&path, DEFAULT_CONFIG).expect("write");
    let p = path.to_string_lossy().into_owned();
    let (with, l_with) = effective(&["--config", &p], &no_env());
    let (without, l_without) = effective(&["--no-config"], &no_env());
    assert_eq!(with, without);
    assert_eq!(l_with.columns, l_without.columns);
    assert_eq!(l_with.columns, ColumnLayout::default());
    assert_eq!(l_with.palette, l_without.palette);
    assert_eq!(l_with.tools, l_without.tools);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_sets_each_value() {
    let dir = temp_dir("each");
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        r#"
delay = 2.5
sort = "switches"
reverse = true
flat = true
hide_kernel = true
color = "never"
ascii = true
theme = "light"
mouse = false
[columns]
basic = ["tid", "cpu"]
scheduling = ["wait", "tid"]
"#,
    )
    .expect("write");
    let p = path.to_string_lossy().into_owned();
    let (mut c, m) = cli(&["--config", &p]);
    let l = load(&mut c, &m, &no_env()).expect("valid");
    assert_eq!(c.delay, Duration::from_millis(2500));
    assert_eq!(c.sort, SortKey::Switches);
    assert!(c.reverse && c.flat && c.hide_kernel && c.ascii && c.no_mouse);
    assert_eq!(c.color, ColorChoice::Never);
    assert_eq!(Some(l.palette), Palette::builtin("light"));
    assert_eq!(l.columns.basic, vec![Column::Tid, Column::Cpu]);
    assert_eq!(l.columns.scheduling, vec![Column::Wait, Column::Tid]);
    assert_eq!(l.save_to.as_deref(), Some(path.as_path()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_integer_delay_is_seconds() {
    let f = parse_text("delay = 3").expect("valid");
    assert_eq!(f.delay, Some(Duration::from_secs(3)));
}

#[test]
fn a_syntax_error_names_the_line_and_the_key() {
    let e = err("delay = 1\nsort = \"cpu\nflat = true\n");
    assert_eq!(e.file, "t.toml");
    assert_eq!(e.line, 2, "{e}");
    assert_eq!(e.key.as_deref(), Some("sort"), "{e}");
}

#[test]
fn each_bad_value_is_named_by_file_line_and_key() {
    let cases: [(&str, usize, &str, &str); 12] = [
        ("\n\nsortt = \"cpu\"", 3, "sortt", "unknown key"),
        ("delay = 0.001", 1, "delay", "out of range"),
        ("delay = \"fast\"", 1, "delay", "expected"),
        ("\nsort = \"cpux\"", 2, "sort", "unknown sort key"),
        ("reverse = \"yes\"", 1, "reverse", "expected"),
        ("color = \"sometimes\"", 1, "color", "unknown choice"),
        ("theme = \"solarised\"", 1, "theme", "no theme"),
        ("columns = 3", 1, "columns", "expected"),
        (
            "[columns]\nbasic = [\"tid\", \"cpuu\"]",
            2,
            "columns.basic",
            "cpuu",
        ),
        (
            "[columns]\n\nbasic = [\"tid\", \"tid\"]",
            3,
            "columns.basic",
            "listed twice",
        ),
        ("[columns]\nextra = []", 2, "columns.extra", "unknown key"),
        (
            "[columns]\nscheduling = \"tid\"",
            2,
            "columns.scheduling",
            "expected",
        ),
    ];
    for (text, line, key, words) in cases {
        let e = err(text);
        assert_eq!(e.line, line, "{text:?}: {e}");
        assert_eq!(e.key.as_deref(), Some(key), "{text:?}: {e}");
        let shown = e.to_string();
        assert!(shown.starts_with(&format!("t.toml:{line}:")), "{shown}");
        assert!(shown.contains(&format!("key `{key}`")), "{shown}");
        assert!(shown.contains(words), "{text:?}: {shown}");
    }
}

#[test]
fn the_column_of_the_bad_list_entry_is_the_entrys() {
    let e = err("[columns]\nbasic = [\"tid\", \"nope\"]");
    // `basic = ["tid", ` is 16 characters: the entry starts at column 17.
    assert_eq!((e.line, e.column), (2, 17), "{e}");
}

#[test]
fn a_file_value_fills_in_only_what_the_command_line_left_out() {
    let dir = temp_dir("merge");
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        "delay = 2\nsort = \"name\"\nreverse = true\nflat = true\nmouse = false\n",
    )
    .expect("write");
    let p = path.to_string_lossy().into_owned();

    let (mut c, m) = cli(&["--config", &p]);
    load(&mut c, &m, &no_env()).expect("valid");
    assert_eq!(c.delay, Duration::from_secs(2));
    assert_eq!(c.sort, SortKey::Name);
    assert!(c.reverse && c.flat && c.no_mouse);

    let (mut c, m) = cli(&[
        "--config",
        &p,
        "-d",
        "0.5",
        "-s",
        "tid",
        "--no-reverse",
        "--tree",
        "--mouse",
    ]);
    load(&mut c, &m, &no_env()).expect("valid");
    assert_eq!(c.delay, Duration::from_millis(500));
    assert_eq!(c.sort, SortKey::Tid);
    assert!(!c.reverse && !c.flat && !c.no_mouse);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn columns_come_from_the_command_line_then_the_file_then_the_default() {
    let dir = temp_dir("columns");
    let path = dir.join("config.toml");
    std::fs::write(&path, "[columns]\nbasic = [\"cpu\", \"tid\"]\n").expect("write");
    let p = path.to_string_lossy().into_owned();

    let (mut c, m) = cli(&["--config", &p]);
    let l = load(&mut c, &m, &no_env()).expect("valid");
    assert_eq!(l.columns.basic, vec![Column::Cpu, Column::Tid]);
    assert_eq!(l.columns.scheduling, ColumnLayout::default().scheduling);
    assert_eq!(l.file.as_deref(), Some(path.as_path()));

    let (mut c, m) = cli(&["--config", &p, "--columns", "state,user"]);
    let l = load(&mut c, &m, &no_env()).expect("valid");
    assert_eq!(l.columns.basic, vec![Column::State, Column::User]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_default_place_is_the_xdg_config_dir_and_may_be_absent() {
    let dir = temp_dir("xdg");
    let env = ConfigEnv {
        xdg_config_home: Some(dir.clone()),
        home: Some(PathBuf::from("/nonexistent-home")),
        threadtop_config: None,
    };
    let (mut c, m) = cli(&[]);
    let l = load(&mut c, &m, &env).expect("no file is fine");
    assert!(l.file.is_none() && l.note.is_none());
    // The column editor would create it there.
    assert_eq!(l.save_to, Some(dir.join("threadtop/config.toml")));
    assert_eq!(c.delay, Duration::from_secs(1));

    std::fs::create_dir_all(dir.join("threadtop")).expect("mkdir");
    std::fs::write(dir.join("threadtop/config.toml"), "delay = 4\n").expect("write");
    let (mut c, m) = cli(&[]);
    let l = load(&mut c, &m, &env).expect("valid");
    assert_eq!(l.file, Some(dir.join("threadtop/config.toml")));
    assert_eq!(c.delay, Duration::from_secs(4));

    // --no-config: the file is not even read.
    std::fs::write(dir.join("threadtop/config.toml"), "delay = \"bad\"\n").expect("write");
    let (mut c, m) = cli(&["--no-config"]);
    let l = load(&mut c, &m, &env).expect("not read");
    assert!(l.file.is_none());
    let (mut c, m) = cli(&[]);
    assert!(load(&mut c, &m, &env).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn home_dot_config_is_used_without_xdg_config_home() {
    let env = ConfigEnv {
        xdg_config_home: None,
        home: Some(PathBuf::from("/home/someone")),
        threadtop_config: None,
    };
    assert_eq!(
        env.dir(),
        Some(PathBuf::from("/home/someone/.config/threadtop"))
    );
    assert_eq!(
        env.themes_dir(),
        Some(PathBuf::from("/home/someone/.config/threadtop/themes"))
    );
}

#[test]
fn a_file_asked_for_must_exist() {
    let (mut c, m) = cli(&["--config", "/nonexistent/threadtop.toml"]);
    let e = load(&mut c, &m, &no_env()).expect_err("missing");
    assert!(e.starts_with("/nonexistent/threadtop.toml: "), "{e}");

    let env = ConfigEnv {
        threadtop_config: Some(PathBuf::from("/nonexistent/env.toml")),
        ..ConfigEnv::default()
    };
    let (mut c, m) = cli(&[]);
    let e = load(&mut c, &m, &env).expect_err("missing");
    assert!(e.starts_with("/nonexistent/env.toml: "), "{e}");
}

#[test]
fn a_file_that_is_not_text_is_named_with_its_line() {
    let dir = temp_dir("binary");
    let path = dir.join("config.toml");
    std::fs::write(&path, b"delay = 1\nsort = \"\xff\"\n").expect("write");
    let p = path.to_string_lossy().into_owned();
    let (mut c, m) = cli(&["--config", &p]);
    let e = load(&mut c, &m, &no_env()).expect_err("not UTF-8");
    assert_eq!(e, format!("{p}:2:9: the file is not UTF-8 text"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_file_is_an_error_even_when_flags_override_every_key_in_it() {
    // Half a config never runs: the file is checked whole, whatever the flags say.
    let dir = temp_dir("override");
    let path = dir.join("config.toml");
    std::fs::write(&path, "sort = \"nope\"\n").expect("write");
    let p = path.to_string_lossy().into_owned();
    let (mut c, m) = cli(&["--config", &p, "--sort", "cpu"]);
    let e = load(&mut c, &m, &no_env()).expect_err("bad file");
    assert!(e.contains(":1:8: key `sort`"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn themes_by_name_path_and_user_directory() {
    let dir = temp_dir("themes");
    std::fs::create_dir_all(dir.join("threadtop/themes")).expect("mkdir");
    std::fs::write(
        dir.join("threadtop/themes/mine.toml"),
        "base = \"dark\"\n[selected]\nfg = \"white\"\nbg = \"#102030\"\n",
    )
    .expect("write");
    std::fs::write(dir.join("local.toml"), "base = \"light\"\n").expect("write");
    let env = ConfigEnv {
        xdg_config_home: Some(dir.clone()),
        ..ConfigEnv::default()
    };
    // A name in the user's theme directory.
    let f = parse("c.toml", "theme = \"mine\"", None, &env).expect("user theme");
    let (_, p) = f.theme.expect("theme");
    assert_eq!(
        p.style(crate::palette::Role::Selected).bg,
        Some(ratatui::style::Color::Rgb(0x10, 0x20, 0x30))
    );
    assert_eq!(
        p.style(crate::palette::Role::HeaderLabel),
        Palette::dark().style(crate::palette::Role::HeaderLabel),
        "roles not given come from the base"
    );
    // A path relative to the config file's directory.
    let f = parse("c.toml", "theme = \"local.toml\"", Some(&dir), &env).expect("path");
    assert_eq!(f.theme.map(|(_, p)| p), Palette::builtin("light"));
    // A bad theme file: its own file, line and key.
    std::fs::write(dir.join("bad.toml"), "\n[kernel]\nfg = \"purple-ish\"\n").expect("write");
    let e = parse("c.toml", "theme = \"bad.toml\"", Some(&dir), &env).expect_err("bad");
    assert_eq!(e.file, dir.join("bad.toml").display().to_string());
    assert_eq!((e.line, e.key.as_deref()), (3, Some("kernel.fg")), "{e}");
    // --theme is checked as the file's key is.
    let (mut c, m) = cli(&["--no-config", "--theme", "nosuch"]);
    let e = load(&mut c, &m, &env).expect_err("unknown theme");
    assert!(e.starts_with("--theme: no theme \"nosuch\""), "{e}");
    let (mut c, m) = cli(&["--no-config", "--theme", "mine"]);
    let l = load(&mut c, &m, &env).expect("user theme by flag");
    assert_ne!(l.palette, Palette::dark());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tools_are_read_in_the_files_order_and_replace_the_built_in_ones() {
    let s = parse_text(
        r#"
[tools]
zz = "sh -c 'echo handed {tid}; read x'"
perf = ["perf", "top", "-t", "{tid}"]
"#,
    )
    .expect("valid");
    let tools = s.tools.expect("a [tools] table");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["zz", "perf"]);
    assert_eq!(tools[0].argv, ["sh", "-c", "echo handed {tid}; read x"]);
    assert_eq!(tools[1].argv, ["perf", "top", "-t", "{tid}"]);
    // No table: the built-in strace, lsof, gdb.
    let (_, l) = effective(&["--no-config"], &no_env());
    let names: Vec<String> = l.tools.iter().map(|t| t.name.clone()).collect();
    assert_eq!(names, ["strace", "lsof", "gdb"]);
}

#[test]
fn a_bad_tool_names_its_key_and_line() {
    let e = err("[tools]\nst = \"strace -p {tdi}\"\n");
    assert_eq!((e.line, e.key.as_deref()), (2, Some("tools.st")), "{e}");
    assert!(e.message.contains("unknown placeholder {tdi}"), "{e}");
    let e = err("[tools]\nst = 3\n");
    assert!(e.message.contains("expected a command line"), "{e}");
    let e = err("[tools]\nst = \"\"\n");
    assert!(e.message.contains("empty"), "{e}");
    let e = err("[tools]\nst = \"a 'b\"\n");
    assert!(e.message.contains("not closed"), "{e}");
    let e = err("[tools]\nst = [\"{pid}\"]\n");
    assert!(e.message.contains("cannot be a placeholder"), "{e}");
    let e = err("tools = 1\n");
    assert!(e.message.contains("expected a table"), "{e}");
}
