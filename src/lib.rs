//! threadtop: every Linux task, where it runs and what state it is in.
//!
//! Data flows one way: `collect` reads /proc into snapshots, `model` turns two snapshots
//! into rows, `ui` draws them, `app` owns state, keys and the loop.

pub mod act;
pub mod action;
pub mod app;
pub mod cli;
pub mod code_pages;
pub mod collect;
pub mod config;
pub mod input;
pub mod json;
pub mod keymap;
pub mod model;
pub mod palette;
pub mod record;
pub mod terminal;
pub mod terminal_backend;
pub mod terminfo;
pub mod text;
pub mod toml_file;
pub mod ui;
pub mod user_file;
