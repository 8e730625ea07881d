//! Rows that moved. When a process appears in the tree or goes, every row under it moves
//! one line down or up; ratatui's diff sees only cells that changed and the backend
//! rewrote each of those rows (about 40 bytes each, 250 bytes a refresh for six kernel
//! threads under a kernel worker that came and went). The terminal can move them itself:
//! a scroll region around them and one line deleted or inserted (about 20 bytes), then
//! only what still differs is written.

use super::Shadow;

/// Changed cells below which a frame is drawn as it is: one moved row changes a dozen at
/// least, and a frame with few changes has none worth moving.
pub(super) const MIN_CHANGED: usize = 24;

/// How many lines rows are looked for above and below where they were.
const MAX_SHIFT: usize = 8;

/// Cells a move must spare to be worth its sequences (about 20 bytes) and the cursor
/// moves it adds.
const MIN_SPARED: usize = 32;

/// The lines a frame changes, as they are to be; the others are as the screen shows them.
/// Only those lines are copied: a whole 200x50 screen copied for every frame was 200 KB.
pub(super) struct Next {
    /// Per line, where its copy starts in `cells`; `None` for a line the frame leaves.
    at: Vec<Option<usize>>,
    cells: Vec<Shadow>,
}

impl Next {
    pub(super) fn new(height: usize) -> Next {
        Next {
            at: vec![None; height],
            cells: Vec::new(),
        }
    }

    /// Line `y` to change, copied from `screen` (lines of `width`) the first time.
    pub(super) fn row_mut(
        &mut self,
        screen: &[Shadow],
        width: usize,
        y: usize,
    ) -> Option<&mut [Shadow]> {
        let start = match *self.at.get(y)? {
            Some(start) => start,
            None => {
                let start = self.cells.len();
                self.cells
                    .extend_from_slice(screen.get(y * width..(y + 1) * width)?);
                self.at[y] = Some(start);
                start
            }
        };
        self.cells.get_mut(start..start + width)
    }

    /// Line `y` as the frame has it.
    pub(super) fn row<'a>(&'a self, screen: &'a [Shadow], width: usize, y: usize) -> &'a [Shadow] {
        match self.at.get(y).copied().flatten() {
            Some(start) => &self.cells[start..start + width],
            None => &screen[y * width..(y + 1) * width],
        }
    }
}

/// Lines `top..=bottom` (0-based) move `by` lines up (positive: `by` lines deleted at
/// `top`, blank ones appear at `bottom`) or down (negative: inserted at `top`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Scroll {
    pub top: u16,
    pub bottom: u16,
    pub by: i16,
}

/// Does to `screen` (rows of `width`) what the terminal does for `s`: the region's rows
/// move, and the lines they leave are blank in the default pen.
pub(super) fn apply(screen: &mut [Shadow], width: usize, s: Scroll) {
    let (top, bottom) = (usize::from(s.top), usize::from(s.bottom));
    let n = usize::from(s.by.unsigned_abs()) * width;
    let Some(region) = screen.get_mut(top * width..(bottom + 1) * width) else {
        return;
    };
    let len = region.len();
    if n >= len {
        region.fill(Shadow::BLANK);
    } else if s.by > 0 {
        region.copy_within(n.., 0);
        region[len - n..].fill(Shadow::BLANK);
    } else {
        region.copy_within(..len - n, n);
        region[..n].fill(Shadow::BLANK);
    }
}

/// The move that leaves fewest cells to write when the screen `old` (`width` x
/// `height`) becomes `new`, if one spares at least [`MIN_SPARED`] and every cell it leaves
/// to write is known in `new`.
pub(super) fn plan(old: &[Shadow], new: &Next, width: usize, height: usize) -> Option<Scroll> {
    if width == 0 || old.len() != width * height || new.at.len() != height {
        return None;
    }
    let old_row = move |y: usize| -> &[Shadow] { &old[y * width..(y + 1) * width] };
    let new_row = move |y: usize| -> &[Shadow] { new.row(old, width, y) };
    let same_row = |a: &[Shadow], b: &[Shadow]| a.iter().zip(b).all(|(a, b)| a.same(b));
    let mut best: Option<(usize, Scroll)> = None;
    for d in 1..=MAX_SHIFT.min(height.saturating_sub(1)) {
        for up in [true, false] {
            // Runs of lines y whose content was at y + d (moved up) or y - d (down).
            let from = |y: usize| {
                if up {
                    y.checked_add(d)
                } else {
                    y.checked_sub(d)
                }
            };
            let moved = |y: usize| {
                from(y)
                    .filter(|&f| f < height)
                    .is_some_and(|f| same_row(new_row(y), old_row(f)))
            };
            // One pass: each line compared once with where it may have come from.
            let mut run: Option<(usize, usize)> = None;
            for y in 0..=height {
                if y < height && moved(y) {
                    let (_, changed) = run.get_or_insert((y, 0));
                    *changed += usize::from(!same_row(new_row(y), old_row(y)));
                    continue;
                }
                // Lines a..y came from d lines away: worth it only where they changed.
                let Some((a, changed)) = run.take() else {
                    continue;
                };
                if changed >= 2 && best.is_none_or(|(c, _)| changed > c) {
                    let (top, bottom) = if up { (a, y - 1 + d) } else { (a - d, y - 1) };
                    let by = i16::try_from(d).ok()?;
                    best = Some((
                        changed,
                        Scroll {
                            top: u16::try_from(top).ok()?,
                            bottom: u16::try_from(bottom).ok()?,
                            by: if up { by } else { -by },
                        },
                    ));
                }
            }
        }
    }
    let (_, s) = best?;
    // What is left to write in the region, moved and not.
    let (top, bottom) = (usize::from(s.top), usize::from(s.bottom));
    let mut moved = old[top * width..(bottom + 1) * width].to_vec();
    apply(
        &mut moved,
        width,
        Scroll {
            top: 0,
            bottom: s.bottom - s.top,
            ..s
        },
    );
    let mut unmoved = 0;
    let mut left = 0;
    for y in top..=bottom {
        let k = (y - top) * width;
        for (x, n) in new_row(y).iter().enumerate() {
            unmoved += usize::from(!n.same(&old[y * width + x]));
            if !n.same(&moved[k + x]) {
                if !n.known() {
                    return None;
                }
                left += 1;
            }
        }
    }
    (left + MIN_SPARED <= unmoved).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::super::Pen;
    use super::*;

    /// Screens from text, one string a row, every cell in the default pen but `*`, which
    /// is in reverse video.
    fn screen(rows: &[&str], width: usize) -> Vec<Shadow> {
        let mut out = Vec::new();
        for r in rows {
            let mut cells: Vec<Shadow> = r
                .chars()
                .map(|c| {
                    let pen = if c == '*' {
                        Pen {
                            modifier: ratatui::style::Modifier::REVERSED,
                            ..Pen::DEFAULT
                        }
                    } else {
                        Pen::DEFAULT
                    };
                    Shadow::of(c.encode_utf8(&mut [0; 4]), 1, pen)
                })
                .collect();
            cells.resize(width, Shadow::BLANK);
            out.extend(cells);
        }
        out
    }

    /// Rows as different from each other as a process list's (not one digit apart,
    /// which rewriting costs less than moving).
    /// `new` as a frame's changed lines over `old`.
    fn next(old: &[Shadow], new: &[Shadow], width: usize) -> Next {
        let height = old.len() / width;
        let mut n = Next::new(height);
        for y in 0..height {
            let line = &new[y * width..(y + 1) * width];
            if line != &old[y * width..(y + 1) * width] {
                let row = n.row_mut(old, width, y).expect("a line");
                row.copy_from_slice(line);
            }
        }
        n
    }

    fn rows(n: usize, tag: &str) -> Vec<String> {
        (0..n)
            .map(|i| {
                let c = char::from(b'a' + (i % 26) as u8);
                format!("{tag} {i:02} {}", c.to_string().repeat(40))
            })
            .collect()
    }

    #[test]
    fn a_row_gone_moves_the_rest_up_and_a_row_new_moves_them_down() {
        let w = 60;
        let old_rows = rows(10, "kworker");
        let old: Vec<&str> = old_rows.iter().map(String::as_str).collect();
        // Row 3 went: 4..10 are one line up, the last line is the footer's.
        let mut gone: Vec<&str> = old.clone();
        gone.remove(3);
        gone.push("footer");
        let (o, n) = (screen(&old, w), screen(&gone, w));
        let s = plan(&o, &next(&o, &n, w), w, 10).expect("a move");
        assert_eq!(
            s,
            Scroll {
                top: 3,
                bottom: 9,
                by: 1
            }
        );
        let mut moved = o.clone();
        apply(&mut moved, w, s);
        assert!(moved[..9 * w].iter().zip(&n).all(|(m, n)| m.same(n)));
        // And back: row 3 is new, the rest one line down.
        let s = plan(&n, &next(&n, &o, w), w, 10).expect("a move");
        assert_eq!(s.by, -1);
        assert_eq!((s.top, s.bottom), (3, 9));
    }

    #[test]
    fn nothing_moves_for_few_rows_changed_or_rows_unknown() {
        let w = 60;
        let old_rows = rows(6, "x");
        let old: Vec<&str> = old_rows.iter().map(String::as_str).collect();
        // Only the last row changed: nothing moved.
        let mut edited = old.clone();
        edited[5] = "something else";
        let o = screen(&old, w);
        assert_eq!(plan(&o, &next(&o, &screen(&edited, w), w), w, 6), None);
        // A moved block whose new line holds a cell we cannot write (a wide symbol).
        let mut gone = old.clone();
        gone.remove(0);
        gone.push("tail");
        let mut n = screen(&gone, w);
        let last = n.len() - 1;
        n[last] = Shadow::of("界", 2, Pen::DEFAULT);
        assert_eq!(plan(&o, &next(&o, &n, w), w, 6), None);
        // The same text in another pen is another row.
        let plain = screen(&gone, w);
        assert!(plan(&o, &next(&o, &plain, w), w, 6).is_some());
        let reversed: Vec<Shadow> = plain
            .iter()
            .map(|c| Shadow {
                pen: Pen {
                    modifier: ratatui::style::Modifier::REVERSED,
                    ..c.pen
                },
                ..*c
            })
            .collect();
        assert_eq!(plan(&o, &next(&o, &reversed, w), w, 6), None);
    }

    #[test]
    fn apply_moves_rows_within_the_region_only() {
        let w = 4;
        let o = screen(&["aaaa", "bbbb", "cccc", "dddd", "eeee"], w);
        let mut up = o.clone();
        apply(
            &mut up,
            w,
            Scroll {
                top: 1,
                bottom: 3,
                by: 1,
            },
        );
        assert_eq!(up, screen(&["aaaa", "cccc", "dddd", "    ", "eeee"], w));
        let mut down = o.clone();
        apply(
            &mut down,
            w,
            Scroll {
                top: 1,
                bottom: 3,
                by: -2,
            },
        );
        assert_eq!(down, screen(&["aaaa", "    ", "    ", "bbbb", "eeee"], w));
    }
}
