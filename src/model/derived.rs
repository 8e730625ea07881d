//! Views about the selection that the panes show: the explain card's text and the share
//! matrix. Computed once when the data or the selection changes (not per frame: a frame
//! used to build each of them about five times, for the layout's heights, the scroll
//! limits and the draw), and only while the pane that shows them is open.

use crate::collect::Snapshot;

use super::explain::{explain, explain_pool};
use super::shares::{ShareView, share_view};
use super::view::{Row, RowKind};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    /// The explain card for the selected row (its first line is the title); `None`: no
    /// card (nothing selected, or it is gone).
    pub explain: Option<Vec<String>>,
    /// The share matrix of the selected process, once the collector has compared it.
    pub shares: Option<ShareView>,
}

impl Derived {
    /// What the open panes show about `selected` in `snap`.
    pub fn compute(
        snap: &Snapshot,
        selected: Option<&Row>,
        explain_open: bool,
        shares_open: bool,
    ) -> Self {
        let explain = explain_open
            .then(|| match selected {
                Some(r) if r.kind == RowKind::Pool => explain_pool(snap, r.tgid, &r.name),
                Some(r) => explain(snap, r.key),
                None => None,
            })
            .flatten();
        let shares = shares_open
            .then(|| {
                let report = snap.shares.as_deref()?;
                (Some(report.tgid) == selected.map(|r| r.tgid)).then(|| share_view(snap, report))
            })
            .flatten();
        Derived { explain, shares }
    }
}
