use super::*;

#[test]
fn every_built_in_theme_parses() {
    for (name, text) in BUILTIN {
        let p = parse(name, text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Palette::builtin(name), Some(&p), "{name}");
    }
}

#[test]
fn dark_is_the_colours_threadtop_always_had() {
    let d = Palette::dark();
    let fg = |c: Color| Style::new().fg(c);
    let on = |f: Color, b: Color| Style::new().fg(f).bg(b);
    let expected = [
        (
            Role::HeaderLabel,
            fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        (Role::TableHeader, on(Color::Black, Color::Cyan)),
        (Role::Selected, on(Color::Black, Color::LightBlue)),
        (
            Role::StateRunning,
            fg(Color::Green).add_modifier(Modifier::BOLD),
        ),
        (
            Role::StateBlocked,
            fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
        (Role::StateZombie, fg(Color::Magenta)),
        (Role::StateStopped, fg(Color::Yellow)),
        (Role::Kernel, fg(Color::DarkGray)),
        (Role::Thread, fg(Color::Gray)),
        (Role::Dim, fg(Color::DarkGray)),
        (Role::BusyHigh, fg(Color::Red)),
        (Role::BusyMid, fg(Color::Yellow)),
        (Role::Bar, fg(Color::Green)),
        (Role::Key, on(Color::Black, Color::Cyan)),
        (
            Role::Warning,
            fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
    ];
    assert_eq!(expected.len(), Role::ALL.len());
    for (role, style) in expected {
        assert_eq!(d.style(role), style, "{}", role.name());
    }
}

#[test]
fn mono_has_no_colour_but_keeps_emphasis() {
    let m = Palette::mono();
    assert!(!m.has_color());
    assert!(
        m.style(Role::Selected)
            .add_modifier
            .contains(Modifier::REVERSED)
    );
    assert!(
        m.style(Role::TableHeader)
            .add_modifier
            .contains(Modifier::REVERSED)
    );
    for name in ["dark", "light", "high-contrast"] {
        let p = Palette::builtin(name).expect("built in");
        assert!(p.has_color(), "{name}");
        // The selection must stand out in every theme.
        let s = p.style(Role::Selected);
        assert!(
            s.bg.is_some() || s.add_modifier.contains(Modifier::REVERSED),
            "{name}"
        );
    }
}

#[test]
fn colours_are_written_as_names_hex_or_indexes() {
    assert_eq!(parse_color("light-blue"), Some(Color::LightBlue));
    assert_eq!(parse_color("light_blue"), Some(Color::LightBlue));
    assert_eq!(parse_color("LightBlue"), Some(Color::LightBlue));
    assert_eq!(parse_color("dark-grey"), Some(Color::DarkGray));
    assert_eq!(parse_color("default"), Some(Color::Reset));
    assert_eq!(parse_color("#ff8000"), Some(Color::Rgb(255, 128, 0)));
    assert_eq!(parse_color("#ff80"), None);
    assert_eq!(parse_color("#gg8000"), None);
    assert_eq!(parse_color("purple"), None);
    let p = parse("t", "[bar]\nfg = 208\nbg = \"#000000\"").expect("valid");
    assert_eq!(p.style(Role::Bar).fg, Some(Color::Indexed(208)));
    assert_eq!(p.style(Role::Bar).bg, Some(Color::Rgb(0, 0, 0)));
}

#[test]
fn colours_are_reduced_to_what_the_terminal_shows() {
    use ColorDepth::*;
    assert_eq!(reduce(Color::Rgb(1, 2, 3), TrueColor), Color::Rgb(1, 2, 3));
    // Pure colours land on their cube corner and on their named colour.
    assert_eq!(reduce(Color::Rgb(255, 0, 0), Ansi256), Color::Indexed(196));
    assert_eq!(reduce(Color::Rgb(250, 5, 5), Ansi16), Color::LightRed);
    assert_eq!(reduce(Color::Rgb(0, 0, 0), Ansi16), Color::Black);
    // A grey goes to the grey ramp.
    assert_eq!(
        reduce(Color::Rgb(128, 128, 128), Ansi256),
        Color::Indexed(244)
    );
    // Indexes: the first 16 are the named colours, the rest their nearest.
    assert_eq!(reduce(Color::Indexed(4), Ansi16), Color::Blue);
    assert_eq!(reduce(Color::Indexed(244), Ansi16), Color::DarkGray);
    assert_eq!(reduce(Color::Indexed(208), Ansi256), Color::Indexed(208));
    assert_eq!(reduce(Color::Cyan, Ansi16), Color::Cyan);

    let light = Palette::builtin("light").expect("built in");
    let r = light.reduced(Ansi16);
    for role in Role::ALL {
        let s = r.style(role);
        for c in [s.fg, s.bg].into_iter().flatten() {
            assert!(
                !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                "{}: {c:?} left in a 16-colour theme",
                role.name()
            );
        }
    }
}

#[test]
fn a_theme_file_fills_in_from_its_base_and_names_its_errors() {
    let p = parse("t", "base = \"dark\"\n[kernel]\nfg = \"blue\"").expect("valid");
    assert_eq!(p.style(Role::Kernel), Style::new().fg(Color::Blue));
    assert_eq!(p.style(Role::Bar), Palette::dark().style(Role::Bar));
    assert_eq!(p.cpus, Palette::dark().cpus);

    let cases: [(&str, usize, &str, &str); 7] = [
        ("base = \"solar\"", 1, "base", "unknown built-in theme"),
        ("[kernal]\nfg = \"red\"", 1, "kernal", "unknown key"),
        ("[kernel]\nfgg = \"red\"", 2, "kernel.fgg", "unknown key"),
        ("[kernel]\nfg = 300", 2, "kernel.fg", "not 0 to 255"),
        ("[kernel]\nfg = true", 2, "kernel.fg", "expected a colour"),
        (
            "[kernel]\nmodifiers = [\"blink\"]",
            2,
            "kernel.modifiers",
            "unknown modifier",
        ),
        ("cpus = \"red\"", 1, "cpus", "expected an array"),
    ];
    for (text, line, key, words) in cases {
        let e = parse("t", text).expect_err(text);
        assert_eq!(
            (e.line, e.key.as_deref()),
            (line, Some(key)),
            "{text:?}: {e}"
        );
        assert!(e.message.contains(words), "{text:?}: {e}");
    }
}
