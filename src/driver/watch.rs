//! Watching lesson files for authors: `lesson --watch` reloads the lesson it runs, `check
//! --watch` proves a file again on every save. Both look at modification times (no
//! notification API needed), and read a changed file as the loader would: a regular file
//! within the lesson size limit, never a FIFO that would block.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What a look at a watched file found.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Same,
    /// The file changed: its new bytes.
    Text(Vec<u8>),
    /// Deleted, renamed or unreadable: why, in words. Said once, until the file comes back.
    Gone(String),
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

    /// What changed since the last look.
    pub fn changed(&mut self) -> Change {
        let now = modified(&self.file);
        if now == self.modified {
            return Change::Same;
        }
        self.modified = now;
        if now.is_none() {
            return Change::Gone(gone_reason(&self.file));
        }
        let limit = crate::lesson::loader::MAX_LESSON_BYTES as u64;
        match crate::lesson::catalog::read_regular_file(&self.file, limit) {
            Ok(bytes) => Change::Text(bytes),
            Err(e) => Change::Gone(format!("cannot be read ({e})")),
        }
    }
}

/// Why a watched file cannot be looked at: gone, or a symlink that leads nowhere (a loop, a
/// missing target), or another error, in words.
fn gone_reason(file: &Path) -> String {
    let link = std::fs::symlink_metadata(file).is_ok_and(|m| m.file_type().is_symlink());
    match std::fs::metadata(file) {
        Err(e) if link => format!("is a symlink that leads to no file ({e})"),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => format!("cannot be read ({e})"),
        _ => "was deleted or renamed".into(),
    }
}

fn modified(file: &Path) -> Option<SystemTime> {
    std::fs::metadata(file).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_loop_is_not_called_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.yaml");
        std::fs::write(&file, "one").unwrap();
        let mut watched = Watched::new(file.clone());
        std::fs::remove_file(&file).unwrap();
        std::os::unix::fs::symlink(dir.path().join("b.yaml"), &file).unwrap();
        std::os::unix::fs::symlink(&file, dir.path().join("b.yaml")).unwrap();
        match watched.changed() {
            Change::Gone(why) => assert!(
                why.starts_with("is a symlink that leads to no file"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_edit_and_a_deletion_are_each_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("l.yaml");
        std::fs::write(&file, "one").unwrap();
        let mut watched = Watched::new(file.clone());
        assert_eq!(watched.changed(), Change::Same);
        // A later modification time, without sleeping.
        std::fs::write(&file, "two").unwrap();
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert_eq!(watched.changed(), Change::Text(b"two".to_vec()));
        assert_eq!(watched.changed(), Change::Same);
        std::fs::remove_file(&file).unwrap();
        assert_eq!(
            watched.changed(),
            Change::Gone("was deleted or renamed".into())
        );
        assert_eq!(watched.changed(), Change::Same);
    }
}
