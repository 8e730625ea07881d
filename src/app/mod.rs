//! Application state, key handling and the event loop.
//!
//! state.rs holds the state; update.rs turns an action into state changes and effects (no
//! I/O); each overlay's keys are in their own file; runner.rs does what the effects ask
//! outside the state; run.rs is the loop.

pub mod affinity;
pub mod column_editor;
pub mod confirm;
pub mod effects;
pub mod filter;
pub mod help;
pub mod input_gate;
pub mod jump;
pub mod mouse;
pub mod overlay;
pub mod replay;
pub mod run;
pub mod runner;
pub mod search;
pub mod signal;
pub mod state;
pub mod tagged;
pub mod tools;
pub mod update;
pub mod user;

pub use crate::ui::timebar::ReplayInfo;
pub use effects::{ActRequest, Effects, ReplayCmd};
pub use overlay::{AffinityPicker, Confirm, Overlay, SignalPicker};
pub use state::{App, Selection};
