//! Files a user names (a config, a theme, a recording) are opened here, and only if they
//! are regular files: `/dev/zero` given as a theme grew to 4.6 GB resident, a 3 GB sparse
//! file was read whole before being refused, and a FIFO blocked forever with no message.
//! The open never blocks (O_NONBLOCK, which a regular file ignores), the kind is checked
//! before anything is read, and small files are read only up to a cap.

use std::fs::File;
use std::io::{Error, ErrorKind, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Largest config or theme file read (ours are about 3 KiB).
pub const TEXT_FILE_MAX: u64 = 1 << 20;

/// Opens `path` for reading if it is a regular file; returns it with its size. Anything
/// else is an error saying what it is.
pub fn open_regular(path: &Path) -> std::io::Result<(File, u64)> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok((file, meta.len()));
    }
    let what = if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    };
    Err(Error::new(
        ErrorKind::InvalidInput,
        format!("not a regular file ({what})"),
    ))
}

/// Reads a whole regular file of at most `cap` bytes; a bigger one is an error giving
/// both sizes (and nothing of it is read).
pub fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let (file, size) = open_regular(path)?;
    let too_big = |size: String| {
        Error::new(
            ErrorKind::InvalidData,
            format!("{size} bytes, over the {cap}-byte limit for this file"),
        )
    };
    if size > cap {
        return Err(too_big(size.to_string()));
    }
    let mut out = Vec::with_capacity(size as usize);
    // One byte over the cap tells a file that grew since it was measured.
    file.take(cap + 1).read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        return Err(too_big(format!("more than {cap}")));
    }
    Ok(out)
}

/// `read_capped` with `TEXT_FILE_MAX`, as UTF-8 text.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_capped(path, TEXT_FILE_MAX)?)
        .map_err(|e| Error::new(ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_under_the_cap_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let small = dir.path().join("small");
        std::fs::write(&small, b"abc").expect("write");
        assert_eq!(read_capped(&small, 3).expect("read"), b"abc");
        let e = read_capped(&small, 2).expect_err("over the cap");
        assert!(e.to_string().contains("limit"), "{e}");
        for (path, what) in [
            ("/dev/zero", "character device"),
            ("/dev/urandom", "character device"),
            ("/", "directory"),
        ] {
            let e = read_capped(Path::new(path), TEXT_FILE_MAX).expect_err(path);
            assert!(e.to_string().contains(what), "{path}: {e}");
        }
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .expect("mkfifo");
        // Returns at once (no writer needed) and says why.
        let e = read_capped(&fifo, TEXT_FILE_MAX).expect_err("a FIFO");
        assert!(e.to_string().contains("FIFO"), "{e}");
    }
}
