//! Record and replay: snapshots written tick by tick to a compact, versioned file
//! (`file.rs`, format in README.md), and read back to feed the same UI.

mod cgroups;
pub mod codec;
mod events;
pub mod file;
pub mod run;
pub mod time;
pub mod wire;

pub use file::{Header, Recorder, Recording};
