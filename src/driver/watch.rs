//! Watching lesson files for authors: `lesson --watch` reloads the lesson it runs, `check
//! --watch` proves a file again on every save. Both look at modification times (no
//! notification API needed), and read a changed file as the loader would: a regular file
//! within the lesson size limit, never a FIFO that would block.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What a look at a watched file found.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The file changed: its new bytes.
    Edited(Vec<u8>),
    /// The file is gone (or cannot be read any more); said once, until it comes back.
    Deleted,
}

/// A lesson file and when it last changed.
pub struct Watched {
    pub file: PathBuf,
    modified: Option<SystemTime>,
}

impl Watched {
    pub fn new(file: PathBuf) -> Watched {
        let modified = modified(&file);
        Watched { file, modified }
    }

    /// What changed since the last look, if anything.
    pub fn changed(&mut self) -> Option<Change> {
        let now = modified(&self.file);
        if now == self.modified {
            return None;
        }
        self.modified = now;
        if now.is_none() {
            return Some(Change::Deleted);
        }
        let limit = crate::lesson::loader::MAX_LESSON_BYTES as u64;
        match crate::lesson::catalog::read_regular_file(&self.file, limit) {
            Ok(bytes) => Some(Change::Edited(bytes)),
            Err(_) => Some(Change::Deleted),
        }
    }
}

fn modified(file: &Path) -> Option<SystemTime> {
    std::fs::metadata(file).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_and_a_deletion_are_each_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("l.yaml");
        std::fs::write(&file, "one").unwrap();
        let mut watched = Watched::new(file.clone());
        assert_eq!(watched.changed(), None);
        // A later modification time, without sleeping.
        std::fs::write(&file, "two").unwrap();
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert_eq!(watched.changed(), Some(Change::Edited(b"two".to_vec())));
        assert_eq!(watched.changed(), None);
        std::fs::remove_file(&file).unwrap();
        assert_eq!(watched.changed(), Some(Change::Deleted));
        assert_eq!(watched.changed(), None);
    }
}
