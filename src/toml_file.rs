//! Reading a TOML file (the config file, a theme) with every value's place kept, so that
//! any error, in the syntax or in a value that parses but means nothing, names the file,
//! the line, the column and the key.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One error in a file: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The file as the user knows it (a path, or "built-in theme dark").
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The dotted key (`columns.basic`), when the error is about one.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for FileError {
    /// `/home/me/.config/threadtop/config.toml:7:9: key `sort`: unknown sort key "cpux" …`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if let Some(k) = &self.key {
            write!(f, "key `{k}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for FileError {}

/// A parsed file and its text, for turning byte offsets into lines and columns.
pub struct Doc<'i> {
    pub file: String,
    text: &'i str,
}

/// A value and the key it was found under.
pub struct Entry<'a, 'i> {
    pub key: String,
    pub value: &'a Spanned<DeValue<'i>>,
}

impl<'i> Doc<'i> {
    /// Parses `text`; a syntax error names the line and, when the line is `key = …`, the key.
    pub fn parse(
        file: impl Into<String>,
        text: &'i str,
    ) -> Result<(Doc<'i>, DeTable<'i>), FileError> {
        let doc = Doc {
            file: file.into(),
            text,
        };
        match DeTable::parse(text) {
            Ok(table) => Ok((doc, table.into_inner())),
            Err(e) => {
                let at = e.span().map_or(0, |s| s.start);
                let key = doc.key_on_line(at);
                let message = e.message().trim().to_string();
                Err(doc.error_at(at, key, message))
            }
        }
    }

    /// (line, column), both from 1; the column counts characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(start..).map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }

    /// The key of a `key = value` line holding `offset`, if the offset is past the `=`.
    fn key_on_line(&self, offset: usize) -> Option<String> {
        let offset = offset.min(self.text.len());
        let start = self.text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
        let line = self.text.get(start..offset)?;
        let (key, _) = line.split_once('=')?;
        let key = key.trim();
        let bare = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        bare.then(|| key.to_string())
    }

    pub fn error_at(&self, offset: usize, key: Option<String>, message: String) -> FileError {
        let (line, column) = self.line_col(offset);
        FileError {
            file: self.file.clone(),
            line,
            column,
            key,
            message,
        }
    }

    pub fn error(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> FileError {
        self.error_at(span.start, Some(key.to_string()), message.into())
    }

    /// The entries of a table, in the file's order, with their dotted keys (`prefix.key`);
    /// a key not in `known` is an error listing the known ones.
    pub fn entries<'a>(
        &self,
        table: &'a DeTable<'i>,
        prefix: &str,
        known: &[&str],
    ) -> Result<Vec<Entry<'a, 'i>>, FileError> {
        let mut out: Vec<(&'a Spanned<Cow<'i, str>>, &'a Spanned<DeValue<'i>>)> =
            table.iter().collect();
        out.sort_by_key(|(k, _)| k.span().start);
        out.into_iter()
            .map(|(k, value)| {
                let key = dotted(prefix, k.get_ref());
                if known.contains(&k.get_ref().as_ref()) {
                    Ok(Entry { key, value })
                } else {
                    Err(self.error(
                        k.span(),
                        &key,
                        format!("unknown key (known here: {})", known.join(", ")),
                    ))
                }
            })
            .collect()
    }

    fn type_error(&self, e: &Entry<'_, '_>, wanted: &str) -> FileError {
        self.error(
            e.value.span(),
            &e.key,
            format!("expected {wanted}, found {}", e.value.get_ref().type_str()),
        )
    }

    pub fn bool(&self, e: &Entry<'_, '_>) -> Result<bool, FileError> {
        e.value
            .get_ref()
            .as_bool()
            .ok_or_else(|| self.type_error(e, "true or false"))
    }

    pub fn str<'a>(&self, e: &'a Entry<'_, '_>) -> Result<&'a str, FileError> {
        e.value
            .get_ref()
            .as_str()
            .ok_or_else(|| self.type_error(e, "a string"))
    }

    /// An integer or a float, as f64.
    pub fn number(&self, e: &Entry<'_, '_>) -> Result<f64, FileError> {
        let v = e.value.get_ref();
        let n = match v {
            // Beyond i64 an integer is still a number (a huge one, which the caller's range
            // check names), not "not a finite number".
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64)
                .or_else(|| {
                    u128::from_str_radix(i.as_str(), i.radix())
                        .ok()
                        .map(|n| n as f64)
                })
                .or_else(|| {
                    (i.radix() == 10)
                        .then(|| i.as_str().replace('_', "").parse::<f64>().ok())
                        .flatten()
                }),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            _ => return Err(self.type_error(e, "a number")),
        };
        n.filter(|n| n.is_finite())
            .ok_or_else(|| self.error(e.value.span(), &e.key, "not a finite number"))
    }

    /// An integer.
    pub fn integer(&self, e: &Entry<'_, '_>) -> Result<i64, FileError> {
        match e.value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map_err(|_| self.error(e.value.span(), &e.key, "integer out of range")),
            _ => Err(self.type_error(e, "an integer")),
        }
    }

    /// An array of strings, each with its span.
    pub fn strings<'a>(
        &self,
        e: &'a Entry<'_, 'i>,
    ) -> Result<Vec<(&'a str, Range<usize>)>, FileError> {
        let Some(items) = e.value.get_ref().as_array() else {
            return Err(self.type_error(e, "an array of strings"));
        };
        items
            .iter()
            .map(|item| {
                item.get_ref()
                    .as_str()
                    .map(|s| (s, item.span()))
                    .ok_or_else(|| {
                        self.error(
                            item.span(),
                            &e.key,
                            format!("expected a string, found {}", item.get_ref().type_str()),
                        )
                    })
            })
            .collect()
    }

    pub fn table<'a>(&self, e: &'a Entry<'_, 'i>) -> Result<&'a DeTable<'i>, FileError> {
        e.value
            .get_ref()
            .as_table()
            .ok_or_else(|| self.type_error(e, "a table"))
    }
}

fn dotted(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_character_columns() {
        let text = "a = 1\n# é\nb = 2\n";
        let doc = Doc {
            file: "f".into(),
            text,
        };
        assert_eq!(doc.line_col(0), (1, 1));
        assert_eq!(doc.line_col(4), (1, 5));
        assert_eq!(doc.line_col(6), (2, 1));
        let b = text.find('b').unwrap_or(0);
        assert_eq!(doc.line_col(b + 4), (3, 5));
        assert_eq!(doc.line_col(10_000), (4, 1));
    }

    #[test]
    fn syntax_errors_name_the_line_and_the_key() {
        let text = "delay = 1\nsort = cpu\n";
        let Err(e) = Doc::parse("conf.toml", text) else {
            panic!("an unquoted string is a syntax error");
        };
        assert_eq!((e.line, e.key.as_deref()), (2, Some("sort")), "{e}");
        assert!(e.to_string().starts_with("conf.toml:2:"), "{e}");
    }

    #[test]
    fn unknown_keys_are_errors_in_file_order() {
        let (doc, table) = Doc::parse("c", "zz = 1\n[t]\naa = 2\n").expect("valid TOML");
        let e = doc
            .entries(&table, "", &["t"])
            .err()
            .expect("zz is unknown");
        assert_eq!((e.line, e.column, e.key.as_deref()), (1, 1, Some("zz")));
        assert!(e.message.contains("known here: t"), "{e}");
    }
}
