//! Theme files: found by name or path and read here (the config layer owns every file
//! threadtop reads at start); the panes get the parsed palette.

use std::path::Path;

use crate::palette::{BUILTIN, Palette, ThemeError, parse};

/// A theme by name or path: a path (it has a `/` or ends in `.toml`; relative to `base_dir`
/// when given), a built-in name, or `NAME.toml` in the user's theme directory.
pub fn find(
    name: &str,
    base_dir: Option<&Path>,
    user_themes: Option<&Path>,
) -> Result<&'static Palette, ThemeError> {
    let is_path = name.contains('/') || name.ends_with(".toml");
    if !is_path {
        if let Some(p) = Palette::builtin(name) {
            return Ok(p);
        }
        let user = user_themes.map(|d| d.join(format!("{name}.toml")));
        if let Some(path) = user.as_deref().filter(|p| p.exists()) {
            return load(path);
        }
        let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
        // Not all of the name: a 5 MB name was echoed twice in full.
        let shown: String = name.chars().take(64).collect();
        let more = if shown.len() < name.len() { "…" } else { "" };
        let mut m = format!(
            "no theme {shown:?}{more}: the built-in ones are {}",
            names.join(", ")
        );
        if let Some(dir) = user_themes {
            m.push_str(&format!(
                ", and there is no {}/{shown}{more}.toml",
                dir.display()
            ));
        }
        return Err(ThemeError::Unknown(m));
    }
    let path = match base_dir {
        Some(d) if Path::new(name).is_relative() => d.join(name),
        _ => Path::new(name).to_path_buf(),
    };
    load(&path)
}

/// Reads and checks a theme file; it lives as long as the program.
fn load(path: &Path) -> Result<&'static Palette, ThemeError> {
    let text = crate::user_file::read_text(path)
        .map_err(|e| ThemeError::Unknown(format!("theme {}: {e}", path.display())))?;
    let p = parse(&path.display().to_string(), &text).map_err(ThemeError::File)?;
    Ok(Box::leak(Box::new(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_prefers_built_in_names_and_reports_where_it_looked() {
        assert_eq!(find("light", None, None).ok(), Palette::builtin("light"));
        match find("nosuch", None, Some(Path::new("/x/themes"))) {
            Err(ThemeError::Unknown(m)) => {
                assert!(m.contains("dark, light, high-contrast, mono"), "{m}");
                assert!(m.contains("/x/themes/nosuch.toml"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        match find("/nonexistent/t.toml", None, None) {
            Err(ThemeError::Unknown(m)) => {
                assert!(m.starts_with("theme /nonexistent/t.toml: "), "{m}")
            }
            other => panic!("{other:?}"),
        }
    }
}
