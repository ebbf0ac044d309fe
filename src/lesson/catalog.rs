//! Every lesson redis-lab knows: the ones built into the binary plus `--lessons` folders.

use crate::lesson::diagnostic::{Diagnostics, did_you_mean};
use crate::lesson::loader::{
    FixturePathProblem, MAX_LESSON_BYTES, fixture_path_problem, parse_lesson_bytes,
};
use crate::lesson::model::Lesson;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// What `redis-lab list` shows of a lesson.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonHeader {
    pub file: &'static str,
    pub id: &'static str,
    pub title: &'static str,
    pub track: &'static str,
    pub level: &'static str,
    pub steps: usize,
}

mod embedded {
    use super::LessonHeader;
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The built-in lessons' headers, read at build time (listing them parses nothing).
pub fn builtin_headers() -> &'static [LessonHeader] {
    embedded::LESSON_HEADERS
}

#[derive(Debug, Error)]
pub enum CatalogError {
    #[error("no lesson named `{id}`{}", suggestion_text(.suggestions))]
    Unknown {
        id: String,
        suggestions: Vec<String>,
    },
    #[error("several packs have a lesson `{id}`: name one of {}", .choices.join(", "))]
    Ambiguous { id: String, choices: Vec<String> },
    #[error("cannot read lesson folder {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn suggestion_text(suggestions: &[String]) -> String {
    match suggestions {
        [] => "; run `redis-lab list` to see every lesson".into(),
        [one] => format!("; did you mean `{one}`?"),
        many => format!("; did you mean one of: {}?", many.join(", ")),
    }
}

#[derive(Debug, Error)]
pub enum FixtureError {
    /// A path that could name a file outside the fixtures/ folder, refused before any reading.
    #[error(transparent)]
    Path(#[from] FixturePathProblem),
    /// A path inside the folder that resolves outside it (a symlink pointing out of a pack).
    #[error("fixture {path:?} resolves outside the pack's fixtures/ folder; refused")]
    Escapes { path: String },
    #[error("fixture {path} not found")]
    Missing { path: String },
    #[error("cannot read fixture {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// A FIFO, a device, a socket or a folder: reading it could block forever or never end.
    #[error(
        "fixture {path:?} is {kind}, not a regular file; refused (a fixture is a Redis command file)"
    )]
    NotRegular { path: String, kind: &'static str },
    #[error("fixture {path:?} {}; refused", too_large_text(*.size, MAX_FIXTURE_BYTES))]
    TooLarge {
        path: String,
        /// None when it grew past the limit while it was read.
        size: Option<u64>,
    },
}

/// The largest fixture file redis-lab reads from a lesson folder: the built-in ones are all under
/// 2 MiB, and a fixture is loaded into memory whole before it is sent.
pub const MAX_FIXTURE_BYTES: u64 = 64 * 1024 * 1024;

mod files;
use files::too_large_text;
pub use files::{FileProblem, read_regular_file};

/// Where a lesson came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    /// A `--lessons` folder (its fixtures are under `<folder>/fixtures/`).
    Folder(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub lesson: Arc<Lesson>,
    /// The path shown in messages: `lessons/patterns/leaderboard.yaml` or the real file path.
    pub file: String,
    /// The YAML text, for pointing diagnostics at lines.
    pub source: Arc<str>,
    pub origin: Origin,
    /// The pack this lesson belongs to, when its folder has a `pack.yaml`.
    pub pack: Option<Arc<Pack>>,
}

pub use crate::lesson::pack::Pack;

impl Entry {
    pub fn id(&self) -> &str {
        self.lesson.id()
    }

    /// `pack/id` for a lesson from a pack, else the id: unique even when two packs share an id.
    pub fn qualified_id(&self) -> String {
        match &self.pack {
            Some(pack) => format!("{}/{}", pack.name(), self.id()),
            None => self.id().to_string(),
        }
    }

    /// The key under which progress is saved: lessons from folders do not mix with built-ins.
    /// A pack's lessons are keyed by the pack's name (the pack can move); other folders' by the
    /// folder's absolute path, its identity (two folders both called `lessons` do not mix).
    pub fn progress_key(&self) -> String {
        match (&self.origin, &self.pack) {
            (Origin::Builtin, _) => self.id().to_string(),
            (Origin::Folder(_), Some(pack)) => format!("pack:{}/{}", pack.name(), self.id()),
            (Origin::Folder(dir), None) => format!("folder:{}#{}", absolute(dir), self.id()),
        }
    }

    /// Keys this lesson's progress may have been saved under before: the folder's name as it
    /// was given (how redis-lab keyed it until now), and, for a pack, the folder before it had
    /// a `pack.yaml`. Progress found there is moved to `progress_key`.
    pub fn legacy_progress_keys(&self) -> Vec<String> {
        match (&self.origin, &self.pack) {
            (Origin::Builtin, _) => Vec::new(),
            (Origin::Folder(dir), pack) => {
                let mut keys = vec![format!("{}#{}", dir.display(), self.id())];
                if pack.is_some() {
                    keys.push(format!("folder:{}#{}", absolute(dir), self.id()));
                }
                keys
            }
        }
    }

    /// The bytes of a fixture file named by this lesson (borrowed from the binary for built-ins).
    pub fn fixture(&self, path: &str) -> Result<Cow<'static, [u8]>, FixtureError> {
        if let Some(problem) = fixture_path_problem(path) {
            return Err(problem.into());
        }
        match &self.origin {
            Origin::Builtin => embedded::FIXTURE_FILES
                .iter()
                .find(|(name, _)| *name == path)
                .map(|(_, bytes)| Cow::Borrowed(*bytes))
                .ok_or_else(|| FixtureError::Missing { path: path.into() }),
            Origin::Folder(dir) => read_folder_fixture(dir, path).map(Cow::Owned),
        }
    }
}

/// The fixtures folder of a lesson folder: its own `fixtures/`; for a folder with neither that
/// nor a `pack.yaml`, the `fixtures/` next to it, the layout of this repository (`lessons/` and
/// `fixtures/` side by side), so that `check lessons` finds the built-ins' data as the built-in
/// catalog does. A lesson file named alone finds its pack the same way (`pack_root`).
pub fn fixture_root(dir: &Path) -> PathBuf {
    let own = dir.join("fixtures");
    if own.is_dir() || dir.join("pack.yaml").is_file() {
        return own;
    }
    dir.canonicalize()
        .ok()
        .and_then(|real| real.parent().map(|p| p.join("fixtures")))
        .filter(|beside| beside.is_dir())
        .unwrap_or(own)
}

/// A folder's absolute, symlink-free path (as given when it cannot be resolved).
fn absolute(dir: &Path) -> String {
    dir.canonicalize()
        .unwrap_or_else(|_| dir.to_path_buf())
        .display()
        .to_string()
}

/// Reads `<dir>/fixtures/<path>` (see `fixture_root`), refusing anything that resolves outside
/// that folder (a symlink pointing out of a shared pack must not expose the host).
fn read_folder_fixture(dir: &Path, path: &str) -> Result<Vec<u8>, FixtureError> {
    let root = fixture_root(dir);
    let missing = || FixtureError::Missing {
        path: root.join(path).display().to_string(),
    };
    let root = root.canonicalize().map_err(|_| missing())?;
    let file = root.join(path).canonicalize().map_err(|_| missing())?;
    if !file.starts_with(&root) {
        return Err(FixtureError::Escapes { path: path.into() });
    }
    read_regular_file(&file, MAX_FIXTURE_BYTES).map_err(|problem| match problem {
        FileProblem::NotRegular(kind) => FixtureError::NotRegular {
            path: path.into(),
            kind,
        },
        FileProblem::TooLarge { size, .. } => FixtureError::TooLarge {
            path: path.into(),
            size,
        },
        FileProblem::Io(source) => FixtureError::Read {
            path: file.display().to_string(),
            source,
        },
    })
}

/// The loaded catalog. Broken lesson files do not stop the others from loading.
#[derive(Debug, Default)]
pub struct Catalog {
    pub entries: Vec<Entry>,
    pub problems: Vec<Diagnostics>,
    /// Keep every lesson even when ids repeat (for `check`, which reports duplicates).
    keep_duplicates: bool,
    /// The pack of the folder being loaded.
    current_pack: Option<Arc<Pack>>,
    /// Built-in lessons known from the build-time index only, not parsed: `lesson ID` parses
    /// just its own, `check --offline` none it need not (build.rs loaded each one).
    unparsed_builtins: Vec<&'static str>,
}

impl Catalog {
    /// Built-in lessons, then each folder in order; a folder lesson replaces a built-in with the
    /// same id, so instructors can try a new version of a lesson.
    pub fn load(folders: &[PathBuf]) -> Result<Catalog, CatalogError> {
        let mut catalog = Catalog::default();
        catalog.add_builtin();
        for folder in folders {
            catalog.add_folder(folder)?;
        }
        Ok(catalog)
    }

    /// For `check`: the lessons at these paths (files or folders), duplicates kept so they can
    /// be reported.
    pub fn load_paths(paths: &[PathBuf]) -> Result<Catalog, CatalogError> {
        let mut catalog = Catalog {
            keep_duplicates: true,
            ..Catalog::default()
        };
        for path in paths {
            if path.is_dir() {
                catalog.add_folder(path)?;
            } else {
                catalog.add_file(path, pack_root(path));
            }
        }
        Ok(catalog)
    }

    /// The catalog `lesson ID` needs: the built-in lesson `id` (only that file is parsed; the
    /// others are known by the build-time index, for suggestions), then each folder in order.
    pub fn load_for(folders: &[PathBuf], id: &str) -> Result<Catalog, CatalogError> {
        let mut catalog = Catalog::default();
        let builtin_id = id
            .strip_prefix(crate::lesson::shadow::BUILTIN_PREFIX)
            .unwrap_or(id);
        catalog.add_builtins_where(|builtin| builtin == builtin_id);
        for folder in folders {
            catalog.add_folder(folder)?;
        }
        Ok(catalog)
    }

    /// Adds the built-in lessons `wanted` picks by id, parsed; the others stay in the index.
    pub fn add_builtins_where(&mut self, wanted: impl Fn(&str) -> bool) {
        let mut files: Vec<(String, &[u8])> = Vec::new();
        for header in builtin_headers() {
            let text = header
                .file
                .strip_prefix("lessons/")
                .and_then(|name| embedded::LESSON_FILES.iter().find(|(n, _)| *n == name));
            match text {
                Some((_, text)) if wanted(header.id) => {
                    files.push((header.file.to_string(), text.as_bytes()))
                }
                _ => self.unparsed_builtins.push(header.id),
            }
        }
        for ((file, bytes), parsed) in files.iter().zip(parse_all(&files)) {
            self.add(file.clone(), bytes, Origin::Builtin, parsed);
        }
    }

    /// How many lesson files the catalog holds: parsed (loaded or not) and known by the index.
    pub fn files(&self) -> usize {
        self.entries.len() + self.problems.len() + self.unparsed_builtins.len()
    }

    /// Every lesson id, in the order a whole catalog would list them: the built-ins (a folder
    /// lesson shadows one, it does not remove it), then the folders' lessons.
    fn known_ids(&self) -> Vec<&str> {
        if self.unparsed_builtins.is_empty() {
            return self.entries.iter().map(Entry::id).collect();
        }
        let builtin = builtin_headers().iter().map(|h| h.id).filter(|id| {
            self.unparsed_builtins.contains(id)
                || self
                    .entries
                    .iter()
                    .any(|e| e.origin == Origin::Builtin && e.id() == *id)
        });
        builtin
            .chain(
                self.entries
                    .iter()
                    .filter(|e| e.origin != Origin::Builtin)
                    .map(Entry::id),
            )
            .collect()
    }

    pub fn add_builtin(&mut self) {
        let files: Vec<(String, &[u8])> = embedded::LESSON_FILES
            .iter()
            .map(|(name, text)| (format!("lessons/{name}"), text.as_bytes()))
            .collect();
        for ((file, bytes), parsed) in files.iter().zip(parse_all(&files)) {
            self.add(file.clone(), bytes, Origin::Builtin, parsed);
        }
    }

    pub fn add_folder(&mut self, folder: &Path) -> Result<(), CatalogError> {
        self.current_pack = None;
        let mut pack_source = None;
        let pack_file = folder.join("pack.yaml");
        if pack_file.is_file() && !self.refuse_outside(folder, &pack_file) {
            let name = pack_file.display().to_string();
            let text = read_regular_file(&pack_file, MAX_LESSON_BYTES as u64)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_default();
            match crate::lesson::pack::parse_pack(&name, &text) {
                Ok(pack) => {
                    self.current_pack = Some(Arc::new(pack));
                    pack_source = Some((name, text));
                }
                Err(problems) => self.problems.push(problems),
            }
        }
        let mut files = Vec::new();
        lesson_files(folder, &mut files).map_err(|source| CatalogError::Folder {
            path: folder.to_path_buf(),
            source,
        })?;
        let mut readable = Vec::new();
        for file in files {
            if !self.refuse_outside(folder, &file)
                && let Some(bytes) = self.read_file(&file)
            {
                readable.push((file.display().to_string(), bytes));
            }
        }
        let borrowed: Vec<(String, &[u8])> = readable
            .iter()
            .map(|(name, bytes)| (name.clone(), bytes.as_slice()))
            .collect();
        for ((file, bytes), parsed) in borrowed.iter().zip(parse_all(&borrowed)) {
            self.add(
                file.clone(),
                bytes,
                Origin::Folder(folder.to_path_buf()),
                parsed,
            );
        }
        if let Some(pack) = self.current_pack.take() {
            let of_pack = |e: &&Entry| e.pack.as_ref().is_some_and(|p| Arc::ptr_eq(p, &pack));
            if let Some((name, text)) = &pack_source {
                let ids: Vec<&str> = self.entries.iter().filter(of_pack).map(Entry::id).collect();
                let unknown = pack.unknown_lessons(name, text, ids.iter().copied());
                if !unknown.is_empty() {
                    self.problems.push(Diagnostics(unknown));
                }
            }
            // Lessons in the pack's order, the others after them.
            let rank = |e: &Entry| {
                e.pack
                    .as_ref()
                    .filter(|p| Arc::ptr_eq(p, &pack))
                    .map(|p| p.position(e.id()).unwrap_or(usize::MAX))
            };
            self.entries
                .sort_by_key(|e| rank(e).map_or((0, 0), |r| (1, r)));
        }
        Ok(())
    }

    /// A file of a lesson folder that resolves outside it (a symlink to `/etc/passwd`) is never
    /// read: its text would show up in diagnostics, and a shared pack must not expose the host.
    fn refuse_outside(&mut self, folder: &Path, file: &Path) -> bool {
        let inside = match (folder.canonicalize(), file.canonicalize()) {
            (Ok(root), Ok(target)) => target.starts_with(root),
            _ => false,
        };
        if !inside {
            self.problems.push(Diagnostics(vec![
                crate::lesson::diagnostic::Diagnostic::new(
                    &file.display().to_string(),
                    "",
                    0,
                    0,
                    format!(
                        "refused: this file resolves outside the lesson folder {} (a symlink?); \
                         a lesson pack may only read its own files",
                        folder.display()
                    ),
                ),
            ]));
        }
        !inside
    }

    fn add_file(&mut self, file: &Path, folder: PathBuf) {
        if let Some(bytes) = self.read_file(file) {
            let name = file.display().to_string();
            let parsed = parse_lesson_bytes(&name, &bytes);
            self.add(name, &bytes, Origin::Folder(folder), parsed);
        }
    }

    /// The file's bytes, or None after recording why it cannot be read. Only a regular file is
    /// read, and only up to the lesson size limit: a FIFO named `x.yaml` must not hang `check`.
    fn read_file(&mut self, file: &Path) -> Option<Vec<u8>> {
        let limit = MAX_LESSON_BYTES as u64;
        match read_regular_file(file, limit) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                let message = match e {
                    // The same words as the parser's own check, which a file that grows after
                    // this one still meets.
                    FileProblem::TooLarge {
                        size: Some(size), ..
                    } => format!(
                        "the file is {size} bytes; a lesson file may be at most {MAX_LESSON_BYTES} bytes"
                    ),
                    FileProblem::NotRegular(_) => format!("refused: {e}"),
                    _ => format!("cannot read the file: {e}"),
                };
                self.problems.push(Diagnostics(vec![
                    crate::lesson::diagnostic::Diagnostic::new(
                        &file.display().to_string(),
                        "",
                        0,
                        0,
                        message,
                    ),
                ]));
                None
            }
        }
    }

    fn add(
        &mut self,
        file: String,
        bytes: &[u8],
        origin: Origin,
        parsed: Result<Lesson, Diagnostics>,
    ) {
        match parsed {
            Ok(lesson) => {
                let pack = match origin {
                    Origin::Folder(_) => self.current_pack.clone(),
                    Origin::Builtin => None,
                };
                let entry = Entry {
                    lesson: Arc::new(lesson),
                    file,
                    source: Arc::from(String::from_utf8_lossy(bytes).as_ref()),
                    origin,
                    pack,
                };
                if !self.keep_duplicates {
                    // A folder lesson replaces an unpacked folder one with the same id; lessons of
                    // different packs live side by side as pack/id, and a built-in it shadows
                    // stays reachable as builtin/id (`shadow::warnings` says so).
                    self.entries.retain(|e| {
                        e.origin == Origin::Builtin
                            || !(e.id() == entry.id()
                                && (e.pack.is_none() || e.qualified_id() == entry.qualified_id()))
                    });
                }
                self.entries.push(entry);
            }
            Err(diagnostics) => self.problems.push(diagnostics),
        }
    }

    /// Each lesson with the name that reaches it: `builtin/ID` for a built-in that a folder
    /// lesson shadows, `PACK/ID` for a pack's, else the id.
    pub fn named(&self) -> Vec<(String, &Entry)> {
        self.entries
            .iter()
            .map(|e| {
                let shadowed = e.origin == Origin::Builtin
                    && self.entries.iter().any(|o| {
                        o.origin != Origin::Builtin && o.pack.is_none() && o.id() == e.id()
                    });
                let name = if shadowed {
                    format!("{}{}", crate::lesson::shadow::BUILTIN_PREFIX, e.id())
                } else {
                    e.qualified_id()
                };
                (name, e)
            })
            .collect()
    }

    /// A lesson by id, by `pack/id` when several packs have a lesson with that id, or by
    /// `builtin/id` for the built-in one. A folder lesson with a built-in's id shadows it: the
    /// plain id is the folder's.
    pub fn find(&self, id: &str) -> Result<&Entry, CatalogError> {
        if let Some(builtin) = id.strip_prefix(crate::lesson::shadow::BUILTIN_PREFIX)
            && let Some(entry) = self
                .entries
                .iter()
                .find(|e| e.origin == Origin::Builtin && e.id() == builtin)
        {
            return Ok(entry);
        }
        if let Some(entry) = self
            .entries
            .iter()
            .filter(|e| e.qualified_id() == id)
            .min_by_key(|e| e.origin == Origin::Builtin)
        {
            return Ok(entry);
        }
        let mut matching: Vec<&Entry> = self.entries.iter().filter(|e| e.id() == id).collect();
        if matching.iter().any(|e| e.origin != Origin::Builtin) {
            matching.retain(|e| e.origin != Origin::Builtin);
        }
        match matching[..] {
            [one] => return Ok(one),
            [_, _, ..] => {
                return Err(CatalogError::Ambiguous {
                    id: id.to_string(),
                    choices: matching.iter().map(|e| e.qualified_id()).collect(),
                });
            }
            [] => {}
        }
        let known = self.known_ids();
        let mut suggestions: Vec<String> = did_you_mean(id, known.iter().copied())
            .map(|s| vec![s.to_string()])
            .unwrap_or_default();
        // Also offer lessons whose id contains what was typed ("lock" -> distributed-lock).
        for known in known {
            if id.len() >= 3 && known.contains(id) && !suggestions.iter().any(|s| s == known) {
                suggestions.push(known.to_string());
            }
        }
        suggestions.truncate(3);
        Err(CatalogError::Unknown {
            id: id.to_string(),
            suggestions,
        })
    }
}

/// Parses lesson files on every core, results in the order given. Parsing is most of the time
/// `check` and `lesson` spend before doing anything (about 750 KB of YAML in the built-in
/// catalog), and the files are independent.
fn parse_all(files: &[(String, &[u8])]) -> Vec<Result<Lesson, Diagnostics>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    if workers <= 1 {
        return files
            .iter()
            .map(|(name, bytes)| parse_lesson_bytes(name, bytes))
            .collect();
    }
    let mut results: Vec<Option<Result<Lesson, Diagnostics>>> = Vec::new();
    results.resize_with(files.len(), || None);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                scope.spawn(move || {
                    files
                        .iter()
                        .enumerate()
                        .skip(worker)
                        .step_by(workers)
                        .map(|(i, (name, bytes))| (i, parse_lesson_bytes(name, bytes)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            // A worker only panics if the parser does: pass that panic on unchanged.
            match handle.join() {
                Ok(parsed) => {
                    for (i, result) in parsed {
                        results[i] = Some(result);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    results
        .into_iter()
        .zip(files)
        .map(|(result, (name, bytes))| result.unwrap_or_else(|| parse_lesson_bytes(name, bytes)))
        .collect()
}

/// The pack a lesson file belongs to: the nearest folder above it with a `fixtures/` folder or a
/// `pack.yaml` (`pack/patterns/x.yaml` -> `pack`), else the file's own folder.
fn pack_root(file: &Path) -> PathBuf {
    let own = file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    own.ancestors()
        .take(3)
        .find(|dir| dir.join("fixtures").is_dir() || dir.join("pack.yaml").is_file())
        .map(Path::to_path_buf)
        .unwrap_or(own)
}

/// Lesson files in a folder, recursively: `*.yaml`/`*.yml` outside `fixtures/`, except `pack.yaml`.
fn lesson_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            if name != "fixtures" && !name.starts_with('.') {
                lesson_files(&path, out)?;
            }
        } else if (name.ends_with(".yaml") || name.ends_with(".yml")) && name != "pack.yaml" {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `check --offline` trusts the built-in lessons (build.rs loaded each one) and parses
    /// none: this is where the rest of what it would say about them is proven, with the same
    /// built-in command list.
    #[test]
    fn the_built_in_lessons_pass_the_whole_lint() {
        let mut catalog = Catalog::default();
        catalog.add_builtin();
        assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
        assert_eq!(catalog.entries.len(), builtin_headers().len());
        let ids = catalog.entries.iter().map(|e| e.id().to_string()).collect();
        let table = crate::lesson::validate::CommandTable::builtin();
        let problems = crate::lesson::validate::lint(&catalog.entries, &ids, &table);
        let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(shown.is_empty(), "{}", shown.join("\n"));
    }

    #[test]
    fn lesson_id_parses_only_its_own_built_in_and_still_suggests_the_others() {
        let catalog = Catalog::load_for(&[], "leaderboard").unwrap();
        assert_eq!(catalog.entries.len(), 1);
        assert_eq!(catalog.find("leaderboard").unwrap().id(), "leaderboard");
        assert_eq!(catalog.files(), builtin_headers().len());
        let none = Catalog::load_for(&[], "leaderbord").unwrap();
        assert!(none.entries.is_empty());
        let whole = Catalog::load(&[]).unwrap();
        for typed in ["leaderbord", "lock", "set", "no-such-lesson"] {
            assert_eq!(
                none.find(typed).err().map(|e| e.to_string()),
                whole.find(typed).err().map(|e| e.to_string()),
                "the same answer as from the whole catalog for {typed:?}"
            );
        }
    }
}
