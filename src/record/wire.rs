//! Bounds-checked byte reading and writing for the recording format: LEB128 varints,
//! zigzag for signed values, length-prefixed bytes. The reader never panics on hostile
//! input: every read returns an error past the end.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError(pub &'static str);

pub type Result<T> = std::result::Result<T, WireError>;

#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn u(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.buf.push(b);
                return;
            }
            self.buf.push(b | 0x80);
        }
    }
    pub fn i(&mut self, v: i64) {
        self.u(((v << 1) ^ (v >> 63)) as u64);
    }
    pub fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.u(b.len() as u64);
        self.buf.extend_from_slice(b);
    }
    pub fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// `new - old` for counters, zigzag-encoded: an unchanged value is one zero byte.
    pub fn delta(&mut self, old: u64, new: u64) {
        self.i(new.wrapping_sub(old) as i64);
    }
}

pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// Lengths above this are corruption, not data (names and command lines are far shorter).
const MAX_BYTES: u64 = 1 << 20;

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }
    pub fn u(&mut self) -> Result<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(WireError("varint too long"))
    }
    pub fn u32(&mut self) -> Result<u32> {
        u32::try_from(self.u()?).map_err(|_| WireError("value out of range"))
    }
    pub fn i(&mut self) -> Result<i64> {
        let u = self.u()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
    pub fn byte(&mut self) -> Result<u8> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or(WireError("unexpected end of record"))?;
        self.pos += 1;
        Ok(b)
    }
    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.u()?;
        if n > MAX_BYTES {
            return Err(WireError("length too large"));
        }
        let end = self
            .pos
            .checked_add(n as usize)
            .filter(|e| *e <= self.buf.len())
            .ok_or(WireError("unexpected end of record"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    pub fn f64(&mut self) -> Result<f64> {
        let end = self.pos + 8;
        let b = self
            .buf
            .get(self.pos..end)
            .ok_or(WireError("unexpected end of record"))?;
        self.pos = end;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }
    pub fn delta(&mut self, old: u64) -> Result<u64> {
        Ok(old.wrapping_add(self.i()? as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let mut w = Writer::default();
        for v in [0u64, 1, 127, 128, u64::MAX] {
            w.u(v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            w.i(v);
        }
        w.bytes(b"a) R 1 (\x1b");
        w.delta(10, 7);
        w.f64(0.25);
        let mut r = Reader::new(&w.buf);
        for v in [0u64, 1, 127, 128, u64::MAX] {
            assert_eq!(r.u(), Ok(v));
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(r.i(), Ok(v));
        }
        assert_eq!(r.bytes(), Ok(&b"a) R 1 (\x1b"[..]));
        assert_eq!(r.delta(10), Ok(7));
        assert_eq!(r.f64(), Ok(0.25));
        assert!(r.is_empty());
        assert!(r.byte().is_err());
    }
}
