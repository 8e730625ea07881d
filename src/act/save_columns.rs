//! Writes the column editor's choice into the config file's `[columns]` table, leaving the
//! rest of the file (other keys, comments, layout) as the user wrote it.

use std::io::Write;
use std::path::Path;

use toml_edit::{Array, DocumentMut, Item, Table, value};

use crate::model::columns::ColumnLayout;

/// Updates (or creates) the config file at `path`. The file is replaced atomically (a
/// temporary file beside it, then a rename), so a crash cannot leave half a config.
/// `template` is what a missing file starts from (the documented default config).
pub fn save_columns(path: &Path, layout: &ColumnLayout, template: &str) -> Result<(), String> {
    let shown = path.display();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => template.to_string(),
        Err(e) => return Err(format!("cannot read {shown}: {e}")),
    };
    let parse = |t: &str| {
        t.parse::<DocumentMut>()
            .map_err(|e| format!("{shown} is not valid TOML, not overwriting it: {e}"))
    };
    let mut doc = parse(&text)?;
    if !doc.contains_key("columns") {
        // A new table goes at the end, after whatever the user wrote (toml_edit would put it
        // before the file's trailing comments).
        let mut t = text;
        if !t.is_empty() && !t.ends_with('\n') {
            t.push('\n');
        }
        t.push_str("\n[columns]\n");
        doc = parse(&t)?;
    }
    set_columns(&mut doc, layout)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut tmp =
        tempfile_in(dir).map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    tmp.1
        .write_all(doc.to_string().as_bytes())
        .and_then(|()| tmp.1.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", tmp.0.display()))?;
    std::fs::rename(&tmp.0, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp.0);
        format!("cannot replace {shown}: {e}")
    })
}

fn set_columns(doc: &mut DocumentMut, layout: &ColumnLayout) -> Result<(), String> {
    let item = doc
        .entry("columns")
        .or_insert_with(|| Item::Table(Table::new()));
    let Some(table) = item.as_table_like_mut() else {
        return Err("the config file's `columns` is not a table".into());
    };
    for (key, cols) in [("basic", &layout.basic), ("scheduling", &layout.scheduling)] {
        let names: Array = ColumnLayout::names(cols).into_iter().collect();
        // Keep the comments written around the old value.
        match table.get_mut(key).and_then(Item::as_value_mut) {
            Some(v) => {
                let decor = v.decor().clone();
                *v = toml_edit::Value::Array(names);
                *v.decor_mut() = decor;
            }
            None => {
                table.insert(key, value(names));
            }
        }
    }
    Ok(())
}

/// A new file beside the target, named after this process so two savers cannot collide.
fn tempfile_in(dir: &Path) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    let p = dir.join(format!(".threadtop-config.{}.tmp", std::process::id()));
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&p)?;
    Ok((p, f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::columns::Column;

    fn layout() -> ColumnLayout {
        ColumnLayout {
            basic: vec![Column::Cpu, Column::Tid],
            ..ColumnLayout::default()
        }
    }

    #[test]
    fn keeps_other_keys_and_comments_and_replaces_the_lists() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "# mine\nsort = \"tid\" # by id\n\n[columns]\n# my basic columns\nbasic = [\"tid\"]\n",
        )
        .expect("write");
        save_columns(&path, &layout(), "").expect("saved");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.starts_with("# mine\nsort = \"tid\" # by id\n"),
            "{text}"
        );
        assert!(
            text.contains("# my basic columns\nbasic = [\"cpu\", \"tid\"]"),
            "{text}"
        );
        assert!(text.contains("scheduling = [\"tid\", \"state\""), "{text}");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn a_missing_file_starts_from_the_template_in_a_new_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("threadtop").join("config.toml");
        save_columns(&path, &layout(), "# template\ndelay = 1.0\n").expect("saved");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.starts_with("# template\ndelay = 1.0\n"), "{text}");
        assert!(
            text.contains("[columns]\nbasic = [\"cpu\", \"tid\"]"),
            "{text}"
        );
    }

    #[test]
    fn a_file_that_is_not_toml_is_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "sort = = 3\n").expect("write");
        let e = save_columns(&path, &layout(), "").expect_err("refused");
        assert!(e.contains("not valid TOML"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "sort = = 3\n"
        );
        let e = save_columns(&dir.path().join("c2.toml"), &layout(), "columns = 3\n")
            .expect_err("refused");
        assert!(e.contains("not a table"), "{e}");
    }

    #[test]
    fn saved_over_the_default_config_the_file_is_read_back_with_the_new_columns() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        save_columns(&path, &layout(), crate::config::DEFAULT_CONFIG).expect("saved");
        let text = std::fs::read_to_string(&path).expect("read");
        // The documentation of every key survives.
        assert!(text.contains("# Seconds between refreshes"), "{text}");
        let f = crate::config::parse("c", &text, None, &Default::default()).expect("valid");
        assert_eq!(f.basic, Some(layout().basic));
        assert_eq!(f.scheduling, Some(layout().scheduling));
    }
}
