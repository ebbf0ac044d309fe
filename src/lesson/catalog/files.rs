//! Reading a file of a lesson folder without trusting it: regular files only, bounded in size,
//! never blocking on a FIFO or a device put in its place.

use std::path::Path;
use thiserror::Error;

pub(super) fn too_large_text(size: Option<u64>, limit: u64) -> String {
    let limit = format!("{} MiB ({limit} bytes)", limit / (1024 * 1024));
    match size {
        Some(size) => format!("is {size} bytes, more than the {limit} allowed"),
        None => format!("grew past the {limit} allowed while it was read"),
    }
}

/// Why a file of a lesson folder was not read.
#[derive(Debug, Error)]
pub enum FileProblem {
    #[error("it is {0}, not a regular file")]
    NotRegular(&'static str),
    #[error("it {}", too_large_text(*.size, *.limit))]
    TooLarge {
        /// None when it grew past the limit while it was read.
        size: Option<u64>,
        limit: u64,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads a file of a lesson folder only if it is a regular file of at most `limit` bytes.
///
/// The type and size are checked before opening, so a FIFO is never opened (opening one for
/// reading blocks until a writer comes) and a 1 GB sparse file is never read. The file is then
/// opened non-blocking (a FIFO or device swapped in after the check still cannot block), checked
/// again on the open descriptor, and read through `take(limit + 1)`, so a file that grows after
/// the check is still bounded.
pub fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, FileProblem> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let check = |metadata: &std::fs::Metadata| {
        if !metadata.is_file() {
            return Err(FileProblem::NotRegular(file_kind(&metadata.file_type())));
        }
        if metadata.len() > limit {
            return Err(FileProblem::TooLarge {
                size: Some(metadata.len()),
                limit,
            });
        }
        Ok(())
    };
    check(&std::fs::metadata(path)?)?;
    // O_NONBLOCK changes nothing for a regular file; O_NOCTTY keeps a terminal device from
    // becoming ours should one be swapped in.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_NOCTTY).bits())
        .open(path)?;
    check(&file.metadata()?)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(FileProblem::TooLarge { size: None, limit });
    }
    Ok(bytes)
}

fn file_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small.redis");
        std::fs::write(&small, "SET a 1\n").unwrap();
        assert_eq!(read_regular_file(&small, 8).unwrap(), b"SET a 1\n");
        assert!(matches!(
            read_regular_file(&small, 7),
            Err(FileProblem::TooLarge {
                size: Some(8),
                limit: 7
            })
        ));
        assert!(matches!(
            read_regular_file(dir.path(), 1 << 20),
            Err(FileProblem::NotRegular("a folder"))
        ));
        assert!(matches!(
            read_regular_file(Path::new("/dev/null"), 1 << 20),
            Err(FileProblem::NotRegular("a character device"))
        ));
    }

    /// A file whose size says 0 but which has more to read (as a file that grows after the check
    /// would): the read itself stops at the limit.
    #[test]
    fn the_read_is_bounded_even_when_the_size_was_wrong() {
        let status = Path::new("/proc/self/status");
        assert_eq!(std::fs::metadata(status).unwrap().len(), 0);
        assert!(matches!(
            read_regular_file(status, 16),
            Err(FileProblem::TooLarge {
                size: None,
                limit: 16
            })
        ));
    }
}
