//! The config file: `$XDG_CONFIG_HOME/threadtop/config.toml` (or `--config PATH`), every
//! key also a flag. Precedence: built-in defaults < the file < the command line. The file is
//! read and checked completely before anything starts: one error, naming the file, the line
//! and the key, and threadtop exits 2 rather than run with half a config.

pub mod themes;
pub mod tools;
pub use crate::toml_file;

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::ArgMatches;
use clap::parser::ValueSource;

use crate::cli::Cli;
use crate::model::SortKey;
use crate::model::columns::{Column, ColumnLayout};
use crate::palette::{ColorChoice, Palette, ThemeError};
use toml_file::{Doc, Entry, FileError};

/// The documented default config, as `--print-config` prints it.
pub const DEFAULT_CONFIG: &str = include_str!("../../assets/config.toml");

/// What one file sets: only the keys it has.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileSettings {
    pub delay: Option<Duration>,
    pub sort: Option<SortKey>,
    pub reverse: Option<bool>,
    pub flat: Option<bool>,
    pub hide_kernel: Option<bool>,
    pub color: Option<ColorChoice>,
    pub ascii: Option<bool>,
    /// The theme as written, and its colours (already found and checked).
    pub theme: Option<(String, &'static Palette)>,
    pub mouse: Option<bool>,
    pub basic: Option<Vec<Column>>,
    pub scheduling: Option<Vec<Column>>,
    /// The `[tools]` table, in the file's order: it replaces the built-in list.
    pub tools: Option<Vec<tools::Tool>>,
}

const KEYS: [&str; 11] = [
    "delay",
    "sort",
    "reverse",
    "flat",
    "hide_kernel",
    "color",
    "ascii",
    "theme",
    "mouse",
    "columns",
    "tools",
];

/// Where files are looked for: read once from the environment (kept apart for tests).
#[derive(Debug, Clone, Default)]
pub struct ConfigEnv {
    pub xdg_config_home: Option<PathBuf>,
    pub home: Option<PathBuf>,
    /// THREADTOP_CONFIG: as `--config`.
    pub threadtop_config: Option<PathBuf>,
}

impl ConfigEnv {
    pub fn read() -> ConfigEnv {
        // Unset and empty are the same (the XDG spec says so for XDG_CONFIG_HOME); a
        // relative XDG_CONFIG_HOME is invalid and ignored.
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        ConfigEnv {
            xdg_config_home: var("XDG_CONFIG_HOME").filter(|p| p.is_absolute()),
            home: var("HOME"),
            threadtop_config: var("THREADTOP_CONFIG"),
        }
    }

    /// `$XDG_CONFIG_HOME/threadtop`, else `$HOME/.config/threadtop`.
    pub fn dir(&self) -> Option<PathBuf> {
        let base = self
            .xdg_config_home
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".config")))?;
        Some(base.join("threadtop"))
    }

    /// Where user themes live: `<config dir>/themes`.
    pub fn themes_dir(&self) -> Option<PathBuf> {
        self.dir().map(|d| d.join("themes"))
    }
}

/// Parses a config file's text. `dir` is where relative theme paths are looked up (the
/// file's directory).
pub fn parse(
    file: &str,
    text: &str,
    dir: Option<&Path>,
    env: &ConfigEnv,
) -> Result<FileSettings, FileError> {
    let (doc, table) = Doc::parse(file, text)?;
    let mut out = FileSettings::default();
    for e in doc.entries(&table, "", &KEYS)? {
        match e.key.as_str() {
            "delay" => {
                let secs = doc.number(&e)?;
                let d = crate::cli::delay_from_secs(secs)
                    .map_err(|m| doc.error(e.value.span(), &e.key, m))?;
                out.delay = Some(d);
            }
            "sort" => {
                let name = doc.str(&e)?;
                let key = SortKey::parse(name).ok_or_else(|| {
                    let names: Vec<&str> = SortKey::SORTABLE.iter().map(|k| k.name()).collect();
                    doc.error(
                        e.value.span(),
                        &e.key,
                        format!("unknown sort key {name:?} (one of: {})", names.join(", ")),
                    )
                })?;
                out.sort = Some(key);
            }
            "reverse" => out.reverse = Some(doc.bool(&e)?),
            "flat" => out.flat = Some(doc.bool(&e)?),
            "hide_kernel" => out.hide_kernel = Some(doc.bool(&e)?),
            "ascii" => out.ascii = Some(doc.bool(&e)?),
            "mouse" => out.mouse = Some(doc.bool(&e)?),
            "color" => {
                let c = match doc.str(&e)? {
                    "auto" => ColorChoice::Auto,
                    "always" => ColorChoice::Always,
                    "never" => ColorChoice::Never,
                    other => {
                        return Err(doc.error(
                            e.value.span(),
                            &e.key,
                            format!("unknown choice {other:?} (one of: auto, always, never)"),
                        ));
                    }
                };
                out.color = Some(c);
            }
            "theme" => {
                let name = doc.str(&e)?;
                let p =
                    themes::find(name, dir, env.themes_dir().as_deref()).map_err(
                        |err| match err {
                            ThemeError::Unknown(m) => doc.error(e.value.span(), &e.key, m),
                            ThemeError::File(f) => f,
                        },
                    )?;
                out.theme = Some((name.to_string(), p));
            }
            "columns" => columns(&doc, &e, &mut out)?,
            "tools" => out.tools = Some(tools(&doc, &e)?),
            _ => {}
        }
    }
    Ok(out)
}

fn columns(doc: &Doc<'_>, e: &Entry<'_, '_>, out: &mut FileSettings) -> Result<(), FileError> {
    let table = doc.table(e)?;
    for e in doc.entries(table, &e.key, &["basic", "scheduling"])? {
        let names = doc.strings(&e)?;
        let mut cols = Vec::with_capacity(names.len());
        for (i, (name, span)) in names.iter().enumerate() {
            // One at a time, so the error points at the entry that is wrong.
            let c = ColumnLayout::parse_list(&[name])
                .map_err(|m| doc.error(span.clone(), &e.key, m))?;
            if names[..i].iter().any(|(n, _)| n == name) {
                return Err(doc.error(
                    span.clone(),
                    &e.key,
                    format!("column {name:?} is listed twice"),
                ));
            }
            cols.extend(c);
        }
        if e.key.ends_with("basic") {
            out.basic = Some(cols);
        } else {
            out.scheduling = Some(cols);
        }
    }
    Ok(())
}

/// The `[tools]` table: `name = "command line"` or `name = ["program", "arg", …]`.
fn tools(doc: &Doc<'_>, e: &Entry<'_, '_>) -> Result<Vec<tools::Tool>, FileError> {
    let table = doc.table(e)?;
    let mut items: Vec<_> = table.iter().collect();
    items.sort_by_key(|(k, _)| k.span().start);
    let mut out = Vec::with_capacity(items.len());
    for (k, value) in items {
        let e = Entry {
            key: format!("{}.{}", e.key, k.get_ref()),
            value,
        };
        let argv = match value.get_ref().as_str() {
            Some(line) => tools::split(line).map_err(|m| doc.error(value.span(), &e.key, m))?,
            None if value.get_ref().as_array().is_some() => doc
                .strings(&e)?
                .into_iter()
                .map(|(s, _)| s.to_string())
                .collect(),
            None => {
                return Err(doc.error(
                    value.span(),
                    &e.key,
                    format!(
                        "expected a command line (a string, or an array of strings), found {}",
                        value.get_ref().type_str()
                    ),
                ));
            }
        };
        let tool =
            tools::Tool::new(k.get_ref(), argv).map_err(|m| doc.error(value.span(), &e.key, m))?;
        out.push(tool);
    }
    Ok(out)
}

/// What the rest of the program needs beyond the [`Cli`] fields: the columns and colours.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The config file read, if any.
    pub file: Option<PathBuf>,
    /// Where the column editor saves: the file read, else the default place.
    pub save_to: Option<PathBuf>,
    /// Why the file at the default place was passed over (it exists but cannot be read, as
    /// when `sudo -u` keeps another user's HOME): shown once, threadtop runs on defaults.
    pub note: Option<String>,
    pub columns: ColumnLayout,
    pub palette: &'static Palette,
    /// The hand-off tools: the file's `[tools]`, else the built-in strace, lsof and gdb.
    pub tools: Vec<tools::Tool>,
}

/// Reads the config file (unless `--no-config`) and puts its values into `cli` wherever the
/// command line did not give one, so the rest of the program reads `cli` as before.
pub fn load(cli: &mut Cli, matches: &ArgMatches, env: &ConfigEnv) -> Result<Loaded, String> {
    let (file, note) = match read_file(cli, env) {
        Ok(f) => (f, None),
        Err(Unreadable::Skipped(note)) => (None, Some(note)),
        Err(Unreadable::Fatal(e)) => return Err(e),
    };
    let (path, settings) = match &file {
        Some((path, text)) => {
            let label = path.display().to_string();
            let s = parse(&label, text, path.parent(), env).map_err(|e| e.to_string())?;
            (Some(path.clone()), s)
        }
        None => (None, FileSettings::default()),
    };
    let cli_theme = match &cli.theme {
        Some(t) => Some(themes::find(t, None, env.themes_dir().as_deref()).map_err(
            |e| match e {
                ThemeError::Unknown(m) => format!("--theme: {m}"),
                ThemeError::File(f) => f.to_string(),
            },
        )?),
        None => None,
    };
    merge(cli, matches, &settings);
    let tools = settings.tools.clone().unwrap_or_else(tools::defaults);
    let mut columns = ColumnLayout::default();
    if let Some(c) = cli.columns.as_ref().map(|c| c.0.clone()).or(settings.basic) {
        columns.basic = c;
    }
    if let Some(c) = cli
        .sched_columns
        .as_ref()
        .map(|c| c.0.clone())
        .or(settings.scheduling)
    {
        columns.scheduling = c;
    }
    let palette = cli_theme
        .or(settings.theme.map(|(_, p)| p))
        .unwrap_or_else(Palette::dark);
    let save_to = path
        .clone()
        .or_else(|| env.dir().map(|d| d.join("config.toml")));
    Ok(Loaded {
        save_to,
        file: path,
        note,
        columns,
        palette,
        tools,
    })
}

/// The file's values into `cli` where the command line left the default.
fn merge(cli: &mut Cli, matches: &ArgMatches, f: &FileSettings) {
    let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    if !given("sort")
        && let Some(v) = f.sort
    {
        cli.sort = v;
    }
    if !given("delay")
        && let Some(v) = f.delay
    {
        cli.delay = v;
    }
    if !given("color")
        && let Some(v) = f.color
    {
        cli.color = v;
    }
    // A flag and its negation override each other: when neither was given, the file decides.
    let pick = |yes: bool, no: bool, file: Option<bool>, default: bool| {
        if yes || no {
            yes
        } else {
            file.unwrap_or(default)
        }
    };
    cli.reverse = pick(cli.reverse, cli.no_reverse, f.reverse, false);
    cli.flat = pick(cli.flat, cli.tree, f.flat, false);
    cli.hide_kernel = pick(cli.hide_kernel, cli.no_hide_kernel, f.hide_kernel, false);
    cli.ascii = pick(cli.ascii, cli.no_ascii, f.ascii, false);
    cli.no_mouse = !pick(cli.mouse, cli.no_mouse, f.mouse, true);
}

/// Why no file was read.
enum Unreadable {
    /// The default place exists but cannot be read: run on the defaults, and say so.
    Skipped(String),
    /// Stop: the file asked for cannot be read, or is not text.
    Fatal(String),
}

/// The file to read and its text: `--config`, THREADTOP_CONFIG (both must exist and be
/// readable), else the default place (which need not be there, nor readable).
fn read_file(cli: &Cli, env: &ConfigEnv) -> Result<Option<(PathBuf, String)>, Unreadable> {
    if cli.no_config {
        return Ok(None);
    }
    let (path, required) = match (&cli.config, &env.threadtop_config) {
        (Some(p), _) | (None, Some(p)) => (p.clone(), true),
        (None, None) => match env.dir() {
            Some(d) => (d.join("config.toml"), false),
            None => return Ok(None),
        },
    };
    match crate::user_file::read_capped(&path, crate::user_file::TEXT_FILE_MAX) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(Some((path, text))),
            Err(e) => {
                let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let (line, col) = line_col(&String::from_utf8_lossy(good));
                Err(Unreadable::Fatal(format!(
                    "{}:{line}:{col}: the file is not UTF-8 text",
                    path.display()
                )))
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && !required => {
            Err(Unreadable::Skipped(format!(
                "config {} not readable ({e}): built-in defaults",
                path.display()
            )))
        }
        Err(e) => Err(Unreadable::Fatal(format!("{}: {e}", path.display()))),
    }
}

/// The line and column just after `text`.
fn line_col(text: &str) -> (usize, usize) {
    let line = text.matches('\n').count() + 1;
    let col = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests;
