//! The recording file: a magic and version, then records, each `[len u32][crc32 u32]
//! [payload]` (little-endian). Payload kinds: a header (once, first), then ticks: a
//! keyframe every `KEYFRAME_EVERY` ticks, deltas in between. Each record is written with
//! one write(2), so a recorder killed at any moment leaves at most a torn last record,
//! which the reader skips with a warning.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use super::codec;
use super::wire::{Reader, Writer};
use crate::collect::Snapshot;

pub const MAGIC: &[u8; 8] = b"THRDTOP\x01";
/// The format this build writes and the newest it reads. 2: ticks end with the cgroups
/// (format 1 recordings still replay, without them).
pub const VERSION: u32 = 3;
/// A keyframe every this many ticks bounds the work of seeking (and what a corrupted
/// record can cost).
pub const KEYFRAME_EVERY: u64 = 300;

const KIND_HEADER: u8 = 0;
const KIND_KEYFRAME: u8 = 1;
const KIND_DELTA: u8 = 2;

/// What the recording is of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Wall-clock time of the first tick, ns since the Unix epoch.
    pub start_unix_ns: u64,
    /// CLOCK_BOOTTIME of the first tick: maps tick times to wall-clock times.
    pub start_boot_ns: u64,
    pub interval_ns: u64,
    pub hostname: String,
}

pub struct Recorder {
    file: File,
    prev: Option<Snapshot>,
    ticks: u64,
    pub bytes: u64,
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut rec = Vec::with_capacity(payload.len() + 8);
    rec.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    rec.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    rec.extend_from_slice(payload);
    rec
}

impl Recorder {
    /// Creates (or appends to) `path`. A new file gets the magic and `header`.
    pub fn create(path: &Path, header: &Header) -> std::io::Result<Recorder> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(path)?;
        let mut start = MAGIC.to_vec();
        start.extend_from_slice(&VERSION.to_le_bytes());
        let mut w = Writer::default();
        w.byte(KIND_HEADER);
        w.u(header.start_unix_ns);
        w.u(header.start_boot_ns);
        w.u(header.interval_ns);
        w.bytes(header.hostname.as_bytes());
        start.extend(frame(&w.buf));
        file.write_all(&start)?;
        Ok(Recorder {
            file,
            prev: None,
            ticks: 0,
            bytes: start.len() as u64,
        })
    }

    /// Appends one tick.
    pub fn write(&mut self, snap: Snapshot) -> std::io::Result<()> {
        let key = self.ticks.is_multiple_of(KEYFRAME_EVERY);
        let mut w = Writer::default();
        w.byte(if key { KIND_KEYFRAME } else { KIND_DELTA });
        w.u(snap.boot_ns);
        let body = codec::encode(if key { None } else { self.prev.as_ref() }, &snap);
        w.buf.extend_from_slice(&body);
        let rec = frame(&w.buf);
        // One write per record: a kill leaves whole records and at most one torn tail.
        self.file.write_all(&rec)?;
        self.bytes += rec.len() as u64;
        self.ticks += 1;
        self.prev = Some(snap);
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    pub boot_ns: u64,
    pub keyframe: bool,
    /// Where its compressed body is in the file.
    start: u64,
    end: u64,
}

/// Longest record read: a deflated tick is never much bigger than the tick itself, which
/// the codec caps at 256 MiB (50,000 threads take about 2 MiB). A longer length field is
/// corruption, not a reason to allocate.
const MAX_RECORD: u64 = 256 << 20;

/// Where the records are: a file read piece by piece (a recording is never read whole),
/// or bytes already in memory (tests, benchmarks).
enum Source {
    File(File),
    Bytes(Vec<u8>),
}

impl Source {
    /// Reads `len` bytes at `at`; fewer only at the end of the data.
    fn read_at(&self, at: u64, len: u64) -> std::io::Result<Vec<u8>> {
        match self {
            Source::Bytes(b) => {
                let start = usize::try_from(at).unwrap_or(usize::MAX).min(b.len());
                let end = usize::try_from(at.saturating_add(len))
                    .unwrap_or(usize::MAX)
                    .min(b.len());
                Ok(b[start..end].to_vec())
            }
            Source::File(f) => {
                use std::os::unix::fs::FileExt;
                let mut buf = vec![0; usize::try_from(len).unwrap_or(usize::MAX)];
                let mut got = 0;
                while got < buf.len() {
                    match f.read_at(&mut buf[got..], at + got as u64) {
                        Ok(0) => break,
                        Ok(n) => got += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                buf.truncate(got);
                Ok(buf)
            }
        }
    }
}

/// A recording, indexed by tick; tick bodies are read from the file when decoded.
pub struct Recording {
    source: Source,
    pub header: Header,
    pub ticks: Vec<Tick>,
    /// Not errors: e.g. a torn last record, or corrupted records that were skipped.
    pub warnings: Vec<String>,
    /// The file's format version.
    pub format: u32,
    /// Ticks lost to corrupted records: each corrupted record, and the deltas after it up
    /// to the next keyframe (a delta means nothing without the tick before it).
    pub skipped_ticks: u64,
}

/// One record found valid: its kind and fields, where its body starts and where it ends.
struct Frame {
    kind: u8,
    boot_ns: u64,
    header: Option<Header>,
    body_start: u64,
    end: u64,
}

/// Why the record at some position is not a valid one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bad {
    /// Fewer than 8 bytes left for its length and checksum.
    CutInHeader,
    /// Its length runs past the end of the file (or past any sane size).
    CutShort,
    Checksum,
    /// The checksum matches but the contents do not parse.
    Contents(&'static str),
}

impl Recording {
    pub fn open(path: &Path) -> Result<Recording, String> {
        let (file, size) =
            crate::user_file::open_regular(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Recording::index(Source::File(file), size).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(data: Vec<u8>) -> Result<Recording, String> {
        let size = data.len() as u64;
        Recording::index(Source::Bytes(data), size)
    }

    fn read(&self, at: u64, len: u64) -> Result<Vec<u8>, String> {
        self.source
            .read_at(at, len)
            .map_err(|e| format!("reading byte {at}: {e}"))
    }

    /// The record at `pos`, if it is a valid one. `header_seen`: a header record is valid
    /// only first.
    fn frame_at(src: &Source, size: u64, pos: u64, header_seen: bool) -> Result<Frame, Bad> {
        let h = src.read_at(pos, 8).map_err(|_| Bad::CutInHeader)?;
        if h.len() < 8 {
            return Err(Bad::CutInHeader);
        }
        let len = u64::from(u32::from_le_bytes([h[0], h[1], h[2], h[3]]));
        let crc = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        let start = pos + 8;
        if len > MAX_RECORD || start + len > size {
            return Err(Bad::CutShort);
        }
        let payload = src.read_at(start, len).map_err(|_| Bad::CutShort)?;
        if payload.len() as u64 != len {
            return Err(Bad::CutShort);
        }
        if crc32fast::hash(&payload) != crc {
            return Err(Bad::Checksum);
        }
        Self::fields(&payload, start, header_seen).map_err(Bad::Contents)
    }

    fn fields(payload: &[u8], start: u64, header_seen: bool) -> Result<Frame, &'static str> {
        let mut r = Reader::new(payload);
        let e = |e: super::wire::WireError| e.0;
        let kind = r.byte().map_err(e)?;
        let end = start + payload.len() as u64;
        match kind {
            KIND_HEADER if !header_seen => {
                let header = Header {
                    start_unix_ns: r.u().map_err(e)?,
                    start_boot_ns: r.u().map_err(e)?,
                    interval_ns: r.u().map_err(e)?,
                    hostname: String::from_utf8_lossy(r.bytes().map_err(e)?).into_owned(),
                };
                Ok(Frame {
                    kind,
                    boot_ns: 0,
                    header: Some(header),
                    body_start: end,
                    end,
                })
            }
            KIND_KEYFRAME | KIND_DELTA if header_seen => {
                let boot_ns = r.u().map_err(e)?;
                let body = (payload.len() - r.remaining()) as u64;
                Ok(Frame {
                    kind,
                    boot_ns,
                    header: None,
                    body_start: start + body,
                    end,
                })
            }
            _ => Err("unexpected kind"),
        }
    }

    /// The first valid record after `pos`, searched a window at a time.
    fn resync(src: &Source, size: u64, pos: u64, header_seen: bool) -> Option<u64> {
        const WINDOW: u64 = 1 << 20;
        let mut at = pos + 1;
        while at + 9 <= size {
            let window = src.read_at(at, WINDOW + 8).ok()?;
            let last = window.len().saturating_sub(8);
            for i in 0..last.min(WINDOW as usize) {
                // Cheap checks first: a sane length, room for it, a tick's kind byte.
                let w = &window[i..];
                let len = u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
                let p = at + i as u64;
                if len == 0 || len > MAX_RECORD || p + 8 + len > size {
                    continue;
                }
                if let Some(&k) = w.get(8)
                    && k != KIND_KEYFRAME
                    && k != KIND_DELTA
                    && (header_seen || k != KIND_HEADER)
                {
                    continue;
                }
                if Self::frame_at(src, size, p, header_seen).is_ok() {
                    return Some(p);
                }
            }
            at += WINDOW;
        }
        None
    }

    /// The record at `pos` read as ending at `end` (where the next valid record starts, or
    /// the end of the file), if its checksum and contents say so: only its length field
    /// was damaged.
    fn recover(src: &Source, pos: u64, end: u64, header_seen: bool) -> Option<Frame> {
        let h = src.read_at(pos, 8).ok()?;
        let len = end.checked_sub(pos + 8)?;
        if h.len() < 8 || len > MAX_RECORD {
            return None;
        }
        let payload = src.read_at(pos + 8, len).ok()?;
        let crc = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        if payload.len() as u64 != len || crc32fast::hash(&payload) != crc {
            return None;
        }
        Self::fields(&payload, pos + 8, header_seen).ok()
    }

    fn index(source: Source, size: u64) -> Result<Recording, String> {
        let start = source
            .read_at(0, 12)
            .map_err(|e| format!("reading it: {e}"))?;
        if start.len() < 12 || &start[..8] != MAGIC {
            return Err("not a threadtop recording".into());
        }
        let version = u32::from_le_bytes([start[8], start[9], start[10], start[11]]);
        if version > VERSION {
            return Err(format!(
                "recorded in format {version} by a newer threadtop; this one reads format {VERSION} and older: upgrade threadtop to replay it"
            ));
        }
        let mut pos: u64 = 12;
        let mut header: Option<Header> = None;
        let mut ticks = Vec::new();
        let mut warnings = Vec::new();
        // After a skipped record, deltas are dropped until a keyframe.
        let mut need_keyframe = true;
        let (mut corrupted, mut dependents) = (0u64, 0u64);
        let mut first_bad: Option<String> = None;
        while pos < size {
            let frame = match Self::frame_at(&source, size, pos, header.is_some()) {
                Ok(f) => f,
                Err(bad) => {
                    let next = Self::resync(&source, size, pos, header.is_some());
                    let end = next.unwrap_or(size);
                    if let Some(f) = Self::recover(&source, pos, end, header.is_some()) {
                        // Its checksum covers exactly the bytes up to the next record.
                        warnings.push(format!(
                            "the record at byte {pos} has a corrupted length field; its contents check out and were kept"
                        ));
                        f
                    } else if let Some(next) = next {
                        // A valid record follows: this one was damaged, not torn.
                        let why = match bad {
                            Bad::CutInHeader | Bad::CutShort => "its length field is corrupted",
                            Bad::Checksum => "checksum mismatch",
                            Bad::Contents(e) => e,
                        };
                        corrupted += 1;
                        first_bad.get_or_insert(format!("byte {pos}: {why}"));
                        need_keyframe = header.is_some();
                        pos = next;
                        continue;
                    } else {
                        match bad {
                            // Records are written with one write(2) each: a stop
                            // mid-write leaves a record shorter than its length says.
                            Bad::CutInHeader | Bad::CutShort => warnings.push(format!(
                                "the last record is incomplete ({}): the recorder was stopped mid-write; it was skipped",
                                if bad == Bad::CutInHeader { "cut in its header" } else { "cut short" }
                            )),
                            Bad::Checksum | Bad::Contents(_) => {
                                corrupted += 1;
                                first_bad.get_or_insert(format!(
                                    "byte {pos}: {}",
                                    match bad {
                                        Bad::Contents(e) => e,
                                        _ => "checksum mismatch",
                                    }
                                ));
                            }
                        }
                        break;
                    }
                }
            };
            match frame.kind {
                KIND_HEADER => header = frame.header,
                kind => {
                    let keyframe = kind == KIND_KEYFRAME;
                    if keyframe {
                        need_keyframe = false;
                    }
                    if need_keyframe {
                        if ticks.is_empty() && corrupted == 0 {
                            return Err(format!(
                                "corrupted recording: the first tick at byte {pos} is not a keyframe"
                            ));
                        }
                        dependents += 1;
                    } else {
                        ticks.push(Tick {
                            boot_ns: frame.boot_ns,
                            keyframe,
                            start: frame.body_start,
                            end: frame.end,
                        });
                    }
                }
            }
            pos = frame.end;
        }
        let Some(header) = header else {
            return Err(match first_bad {
                Some(b) => format!(
                    "its header record is corrupted ({b}): the recording's start time and host are lost"
                ),
                None => "no header: not a complete threadtop recording".to_owned(),
            });
        };
        if let Some(b) = first_bad {
            warnings.push(format!(
                "{corrupted} corrupted record(s) skipped (the first at {b}), and {dependents} tick(s) after them that need the tick before (until the next keyframe): {} tick(s) lost",
                corrupted + dependents
            ));
        }
        Ok(Recording {
            source,
            header,
            ticks,
            warnings,
            format: version,
            skipped_ticks: corrupted + dependents,
        })
    }

    /// Decodes tick `i`, starting from `from` (an already decoded earlier tick of the same
    /// keyframe run) when given, else from the keyframe before it.
    pub fn decode(&self, i: usize, from: Option<(usize, &Snapshot)>) -> Result<Snapshot, String> {
        let t = self.ticks.get(i).ok_or("no such tick")?;
        let key = (0..=i)
            .rev()
            .find(|k| self.ticks[*k].keyframe)
            .ok_or("no keyframe")?;
        let _ = t;
        let (mut at, mut snap) = match from {
            Some((j, s)) if j >= key && j <= i => (j, s.clone()),
            _ => (key, self.body(key, None)?),
        };
        while at < i {
            at += 1;
            snap = self.body(at, Some(&snap))?;
        }
        Ok(snap)
    }

    fn body(&self, i: usize, prev: Option<&Snapshot>) -> Result<Snapshot, String> {
        let t = &self.ticks[i];
        let body = self.read(t.start, t.end - t.start)?;
        codec::decode_format(
            if t.keyframe { None } else { prev },
            t.boot_ns,
            &body,
            self.format,
        )
        .map_err(|e| format!("tick {i}: {}", e.0))
    }

    /// Seconds from the first tick to tick `i`.
    pub fn offset_secs(&self, i: usize) -> f64 {
        let first = self.ticks.first().map_or(0, |t| t.boot_ns);
        self.ticks
            .get(i)
            .map_or(0.0, |t| t.boot_ns.saturating_sub(first) as f64 / 1e9)
    }

    /// Wall-clock time of tick `i`, ns since the epoch.
    pub fn wall_ns(&self, i: usize) -> u64 {
        let boot = self.ticks.get(i).map_or(0, |t| t.boot_ns);
        self.header
            .start_unix_ns
            .saturating_add(boot.saturating_sub(self.header.start_boot_ns))
    }
}
