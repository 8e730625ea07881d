//! Application state, key handling and the event loop.

pub mod column_editor;
pub mod replay;
pub mod run;
pub mod state;

pub use state::{AffinityPicker, App, Effects, ReplayCmd, ReplayInfo, Selection, SignalPicker};
