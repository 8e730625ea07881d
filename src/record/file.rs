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
pub const VERSION: u32 = 2;
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
    /// Where its compressed body is in the file's bytes.
    start: usize,
    end: usize,
}

/// A recording read into memory and indexed by tick.
pub struct Recording {
    data: Vec<u8>,
    pub header: Header,
    pub ticks: Vec<Tick>,
    /// Not errors: e.g. a torn last record skipped.
    pub warnings: Vec<String>,
    /// The file's format version.
    pub format: u32,
}

impl Recording {
    pub fn open(path: &Path) -> Result<Recording, String> {
        let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Recording::parse(data).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(data: Vec<u8>) -> Result<Recording, String> {
        if data.len() < 12 || &data[..8] != MAGIC {
            return Err("not a threadtop recording".into());
        }
        let version = u32::from_le_bytes([data[8], data[9], data[10], data[11]]);
        if version > VERSION {
            return Err(format!(
                "recorded in format {version} by a newer threadtop; this one reads format {VERSION} and older: upgrade threadtop to replay it"
            ));
        }
        let mut pos = 12;
        let mut header = None;
        let mut ticks = Vec::new();
        let mut warnings = Vec::new();
        while pos < data.len() {
            let torn = |what: &str| {
                format!(
                    "the last record is incomplete ({what}): the recorder was stopped mid-write; it was skipped"
                )
            };
            let Some(h) = data.get(pos..pos + 8) else {
                warnings.push(torn("cut in its header"));
                break;
            };
            let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
            let crc = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
            let start = pos + 8;
            let Some(payload) = start.checked_add(len).and_then(|end| data.get(start..end)) else {
                warnings.push(torn("cut short"));
                break;
            };
            if crc32fast::hash(payload) != crc {
                if start + len == data.len() {
                    warnings.push(torn("checksum mismatch"));
                    break;
                }
                return Err(format!(
                    "corrupted record at byte {pos} (checksum mismatch)"
                ));
            }
            let mut r = Reader::new(payload);
            let bad =
                |e: super::wire::WireError| format!("corrupted record at byte {pos}: {}", e.0);
            match r.byte().map_err(bad)? {
                KIND_HEADER if header.is_none() => {
                    header = Some(Header {
                        start_unix_ns: r.u().map_err(bad)?,
                        start_boot_ns: r.u().map_err(bad)?,
                        interval_ns: r.u().map_err(bad)?,
                        hostname: String::from_utf8_lossy(r.bytes().map_err(bad)?).into_owned(),
                    });
                }
                kind @ (KIND_KEYFRAME | KIND_DELTA) if header.is_some() => {
                    let boot_ns = r.u().map_err(bad)?;
                    let keyframe = kind == KIND_KEYFRAME;
                    if ticks.is_empty() && !keyframe {
                        return Err(format!(
                            "corrupted recording: the first tick at byte {pos} is not a keyframe"
                        ));
                    }
                    let body = payload.len() - r.remaining();
                    ticks.push(Tick {
                        boot_ns,
                        keyframe,
                        start: start + body,
                        end: start + len,
                    });
                }
                _ => return Err(format!("corrupted record at byte {pos}: unexpected kind")),
            }
            pos = start + len;
        }
        let header = header.ok_or("no header: not a complete threadtop recording")?;
        Ok(Recording {
            data,
            header,
            ticks,
            warnings,
            format: version,
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
        codec::decode_format(
            if t.keyframe { None } else { prev },
            t.boot_ns,
            &self.data[t.start..t.end],
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
