//! What the learner has done, saved atomically under the XDG data dir
//! (`~/.local/share/redis-lab/progress.json`, or `$REDIS_LAB_DATA_DIR`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

const FILE_NAME: &str = "progress.json";
const VERSION: u32 = 1;
/// Temp files of a save in progress: `.progress-<pid>-XXXXXX`.
const TEMP_PREFIX: &str = ".progress-";

/// Removes temp files that a redis-lab killed mid-save left in the data dir.
fn remove_dead_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(TEMP_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid
            && !crate::server::sandbox::is_running(pid)
            && entry.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[derive(Debug, Error)]
pub enum ProgressError {
    #[error("cannot find a data directory (set REDIS_LAB_DATA_DIR or HOME)")]
    NoDataDir,
    #[error("cannot save progress to {path}: {source} (the previous progress file is unchanged)")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LessonProgress {
    /// 0-based index of the step to resume at.
    pub step: usize,
    /// The id of that step, so a lesson edited since still resumes at the right place.
    #[serde(default)]
    pub step_id: String,
    pub total: usize,
    pub done: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ProgressFile {
    version: u32,
    lessons: BTreeMap<String, LessonProgress>,
}

#[derive(Debug)]
pub struct Progress {
    path: PathBuf,
    file: ProgressFile,
    /// Set when the file on disk could not be read and was moved aside.
    pub warning: Option<String>,
    /// The last save failed: what is in memory is not on disk.
    unsaved: bool,
    /// The failure last told to the user, so that every later save failing the same way (a full
    /// disk) is not told again; cleared, and `recovered` set, once a save works again.
    told: Option<String>,
    recovered: bool,
    /// Changes of this process not yet on disk (None: removed). Each save merges them into the
    /// file as it is on disk then, so another redis-lab saving its own lessons loses nothing.
    pending: BTreeMap<String, Option<LessonProgress>>,
}

/// The OS's own error for `error`, without the temporary file's path that tempfile adds to it.
fn os_words(error: std::io::Error) -> std::io::Error {
    let code = error.raw_os_error().or_else(|| {
        let inner = error.get_ref()?;
        let cause = std::error::Error::source(inner)?;
        cause.downcast_ref::<std::io::Error>()?.raw_os_error()
    });
    match code {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => match error.to_string().split_once(" at path ") {
            Some((words, _)) => std::io::Error::new(error.kind(), words.to_string()),
            None => error,
        },
    }
}

/// A progress file holds a few lines per lesson: anything near this is not one.
const MAX_PROGRESS_BYTES: u64 = 16 * 1024 * 1024;

/// The progress file's text; None when there is none. Only a regular file of a sane size is
/// read (a FIFO would block for ever, a 4 GB file would be read whole): anything else is a
/// problem to report, in words.
fn read_progress_file(path: &Path) -> Result<Option<String>, String> {
    use crate::lesson::catalog::{FileProblem, read_regular_file};
    match read_regular_file(path, MAX_PROGRESS_BYTES) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(FileProblem::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(FileProblem::Io(_)) => Ok(None),
        Err(problem) => Err(problem.to_string()),
    }
}

pub fn data_dir() -> Result<PathBuf, ProgressError> {
    // Empty is unset, as for NO_COLOR: `REDIS_LAB_DATA_DIR=` must not mean the current directory.
    if let Some(dir) = std::env::var_os("REDIS_LAB_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    use etcetera::BaseStrategy;
    etcetera::choose_base_strategy()
        .map(|s| s.data_dir().join("redis-lab"))
        .map_err(|_| ProgressError::NoDataDir)
}

impl Progress {
    /// Loads progress; a corrupt or unknown file is moved aside with a warning, never fatal.
    pub fn load() -> Result<Progress, ProgressError> {
        Ok(Progress::load_from(&data_dir()?.join(FILE_NAME)))
    }

    pub fn load_from(path: &Path) -> Progress {
        if let Some(dir) = path.parent() {
            remove_dead_temp_files(dir);
        }
        let mut progress = Progress {
            path: path.to_path_buf(),
            file: ProgressFile {
                version: VERSION,
                lessons: BTreeMap::new(),
            },
            warning: None,
            unsaved: false,
            told: None,
            recovered: false,
            pending: BTreeMap::new(),
        };
        let text = match read_progress_file(path) {
            Ok(Some(text)) => Ok(text),
            Ok(None) => return progress, // no file yet (or unreadable: saving will say why)
            Err(problem) => Err(problem),
        };
        match text.map(|text| serde_json::from_str::<ProgressFile>(&text)) {
            Ok(Ok(file)) if file.version == VERSION => progress.file = file,
            outcome => {
                let backup = path.with_extension(format!("json.bad-{}", std::process::id()));
                let reason = match outcome {
                    Ok(Ok(file)) => format!("it has format version {}", file.version),
                    Ok(Err(e)) => format!("it is not valid ({e})"),
                    Err(problem) => problem,
                };
                let moved = std::fs::rename(path, &backup).is_ok();
                progress.warning = Some(if moved {
                    format!(
                        "Could not read your progress file {}: {reason}. It was moved to {} and progress starts afresh.",
                        path.display(),
                        backup.display()
                    )
                } else {
                    format!(
                        "Could not read your progress file {}: {reason}.",
                        path.display()
                    )
                });
            }
        }
        progress
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, key: &str) -> Option<&LessonProgress> {
        self.file.lessons.get(key)
    }

    pub fn set(&mut self, key: &str, value: LessonProgress) -> Result<(), ProgressError> {
        self.file.lessons.insert(key.to_string(), value.clone());
        self.pending.insert(key.to_string(), Some(value));
        self.save()
    }

    /// Moves progress saved under an older key to `key`, when `key` has none: the first of
    /// `legacy` that has some. The move is one merge of the file under its lock, like any save.
    pub fn adopt(&mut self, key: &str, legacy: &[String]) -> Result<(), ProgressError> {
        if self.get(key).is_some() {
            return Ok(());
        }
        let Some((old, value)) = legacy
            .iter()
            .find_map(|old| Some((old.clone(), self.get(old)?.clone())))
        else {
            return Ok(());
        };
        self.file.lessons.remove(&old);
        self.pending.insert(old, None);
        self.file.lessons.insert(key.to_string(), value.clone());
        self.pending.insert(key.to_string(), Some(value));
        self.save()
    }

    pub fn remove(&mut self, key: &str) -> Result<(), ProgressError> {
        if self.file.lessons.remove(key).is_some() {
            self.pending.insert(key.to_string(), None);
            self.save()?;
        }
        Ok(())
    }

    /// Temp file in the same directory, fsync, rename: a crash leaves the old file or the new one.
    /// Whether everything in memory is on disk (false after a failed save).
    pub fn is_saved(&self) -> bool {
        !self.unsaved
    }

    fn save(&mut self) -> Result<(), ProgressError> {
        let result = self.merge_and_write();
        self.unsaved = result.is_err();
        if result.is_ok() {
            self.pending.clear();
            if self.told.take().is_some() {
                self.recovered = true;
            }
        }
        result
    }

    /// Whether this save failure is news: the first one, or one unlike the last told.
    pub fn is_news(&mut self, failure: &ProgressError) -> bool {
        let text = failure.to_string();
        if self.told.as_deref() == Some(text.as_str()) {
            return false;
        }
        self.told = Some(text);
        true
    }

    /// Whether a save has worked since a failure was told (asked once).
    pub fn take_recovered(&mut self) -> bool {
        std::mem::take(&mut self.recovered)
    }

    /// Under an exclusive lock on `progress.json.lock`: reads the file as another process may
    /// have left it, applies this process's changes, writes it back atomically.
    fn merge_and_write(&mut self) -> Result<(), ProgressError> {
        let err = |source: std::io::Error| ProgressError::Write {
            path: self.path.clone(),
            // tempfile names its own temporary file in the message: the OS's words suffice.
            source: os_words(source),
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(err)?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.path.with_extension("json.lock"))
            .map_err(err)?;
        lock.lock().map_err(err)?; // released when `lock` is dropped
        if let Ok(Some(text)) = read_progress_file(&self.path)
            && let Ok(on_disk) = serde_json::from_str::<ProgressFile>(&text)
            && on_disk.version == VERSION
        {
            let mut merged = on_disk.lessons;
            for (key, change) in &self.pending {
                match change {
                    Some(value) => merged.insert(key.clone(), value.clone()),
                    None => merged.remove(key),
                };
            }
            self.file.lessons = merged;
        }
        self.write()
    }

    fn write(&self) -> Result<(), ProgressError> {
        let err = |source: std::io::Error| ProgressError::Write {
            path: self.path.clone(),
            // tempfile names its own temporary file in the message: the OS's words suffice.
            source: os_words(source),
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        // Named after this process, so a later run can tell the leftovers of a killed one.
        let mut temp = tempfile::Builder::new()
            .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
            .tempfile_in(dir)
            .map_err(err)?;
        let json =
            serde_json::to_vec_pretty(&self.file).map_err(|e| err(std::io::Error::other(e)))?;
        temp.as_file_mut().write_all(&json).map_err(err)?;
        temp.as_file().sync_all().map_err(err)?;
        temp.persist(&self.path).map_err(|e| err(e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adopt_moves_an_old_key_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut progress = Progress::load_from(&path);
        let at = |step| LessonProgress {
            step,
            step_id: format!("s{step}"),
            total: 3,
            done: false,
        };
        progress.set("lessons#intro", at(2)).unwrap();
        let legacy = ["nothing#intro".to_string(), "lessons#intro".to_string()];
        progress.adopt("folder:/x/lessons#intro", &legacy).unwrap();
        let reloaded = Progress::load_from(&path);
        assert_eq!(reloaded.get("folder:/x/lessons#intro"), Some(&at(2)));
        assert_eq!(reloaded.get("lessons#intro"), None);
        // A key with progress of its own keeps it.
        progress.set("other#intro", at(1)).unwrap();
        progress
            .adopt("folder:/x/lessons#intro", &["other#intro".into()])
            .unwrap();
        assert_eq!(progress.get("folder:/x/lessons#intro"), Some(&at(2)));
        assert_eq!(progress.get("other#intro"), Some(&at(1)));
    }

    #[test]
    fn saves_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        let mut progress = Progress::load_from(&path);
        let entry = LessonProgress {
            step: 2,
            step_id: "rank".into(),
            total: 5,
            done: false,
        };
        progress.set("leaderboard", entry.clone()).unwrap();
        assert_eq!(Progress::load_from(&path).get("leaderboard"), Some(&entry));
    }

    #[test]
    fn two_sessions_saving_alternately_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        // Each opened before the other saved anything, as two terminals would be.
        let mut first = Progress::load_from(&path);
        let mut second = Progress::load_from(&path);
        let step = |n: usize| LessonProgress {
            step: n,
            step_id: format!("s{n}"),
            total: 500,
            done: false,
        };
        let writers: Vec<_> = [("leaderboard", 0), ("streams", 1)]
            .into_iter()
            .map(|(key, offset)| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut own = Progress::load_from(&path);
                    for n in 0..200 {
                        own.set(&format!("{key}-thread"), step(n * 2 + offset))
                            .unwrap();
                    }
                })
            })
            .collect();
        for n in 0..200 {
            first.set("leaderboard", step(n)).unwrap();
            second.set("streams", step(n)).unwrap();
        }
        for writer in writers {
            writer.join().unwrap();
        }
        let on_disk = Progress::load_from(&path);
        assert_eq!(on_disk.get("leaderboard"), Some(&step(199)));
        assert_eq!(on_disk.get("streams"), Some(&step(199)));
        assert_eq!(on_disk.get("leaderboard-thread"), Some(&step(398)));
        assert_eq!(on_disk.get("streams-thread"), Some(&step(399)));
        second.remove("streams").unwrap();
        first.set("leaderboard", step(7)).unwrap();
        let on_disk = Progress::load_from(&path);
        assert_eq!(on_disk.get("streams"), None, "a removal is merged too");
        assert_eq!(on_disk.get("leaderboard"), Some(&step(7)));
    }

    #[test]
    fn a_corrupt_file_is_moved_aside_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        std::fs::write(&path, "{ truncated").unwrap();
        let progress = Progress::load_from(&path);
        assert!(progress.warning.is_some());
        assert!(progress.get("leaderboard").is_none());
        assert!(!path.exists(), "the corrupt file was moved aside");
    }

    #[test]
    fn a_failure_is_told_once_and_a_recovery_is_noticed() {
        let parent = tempfile::tempdir().unwrap();
        let blocker = parent.path().join("data");
        std::fs::write(&blocker, "a file where the data dir should be").unwrap();
        let mut progress = Progress::load_from(&blocker.join("progress.json"));
        let entry = LessonProgress {
            step: 1,
            step_id: "a".into(),
            total: 3,
            done: false,
        };
        let first = progress.set("x", entry.clone()).unwrap_err();
        assert!(progress.is_news(&first));
        let second = progress.set("x", entry.clone()).unwrap_err();
        assert!(!progress.is_news(&second), "the same failure twice");
        assert!(!progress.take_recovered());
        std::fs::remove_file(&blocker).unwrap();
        progress.set("x", entry.clone()).unwrap();
        assert!(progress.take_recovered());
        assert!(!progress.take_recovered(), "told once");
        let third = {
            std::fs::remove_dir_all(&blocker).unwrap();
            std::fs::write(&blocker, "").unwrap();
            progress.set("x", entry).unwrap_err()
        };
        assert!(
            progress.is_news(&third),
            "a new failure after a recovery is news"
        );
    }

    #[test]
    fn a_fifo_or_a_huge_file_is_moved_aside_without_blocking_or_being_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.json");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let progress = Progress::load_from(&fifo);
        let warning = progress.warning.unwrap();
        assert!(warning.contains("not a regular file"), "{warning}");
        let huge = dir.path().join("huge.json");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(4 << 30) // sparse: nothing is written
            .unwrap();
        let progress = Progress::load_from(&huge);
        let warning = progress.warning.unwrap();
        assert!(warning.contains("more than the 16 MiB"), "{warning}");
        assert!(!huge.exists(), "moved aside");
    }
}
