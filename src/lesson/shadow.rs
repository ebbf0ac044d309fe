//! Lesson ids that hide one another: a folder lesson with a built-in's id, two packs or two
//! folders with the same id. Each is a warning naming both origins and how to reach each one:
//! `builtin/ID` for the built-in, `PACK/ID` for a pack's lesson.

use crate::lesson::catalog::{Entry, Origin, builtin_headers};
use crate::lesson::diagnostic::Diagnostic;

/// The prefix that names the built-in lesson of an id: `builtin/leaderboard`.
pub const BUILTIN_PREFIX: &str = "builtin/";

/// Where a lesson comes from, in words that tell two origins apart even when the file names
/// are the same (`lessons/patterns/leaderboard.yaml` is both the built-in's name and a path in
/// an author's own `lessons` folder).
pub fn origin_text(entry: &Entry) -> String {
    match (&entry.origin, &entry.pack) {
        (Origin::Builtin, _) => format!("the built-in lesson ({} in redis-lab)", entry.file),
        (Origin::Folder(_), Some(pack)) => format!("pack `{}` ({})", pack.name(), entry.file),
        (Origin::Folder(dir), None) => {
            format!("{} (folder {})", entry.file, dir.display())
        }
    }
}

/// One warning per lesson that shadows another or is shadowed by one, at the later lesson's id.
/// Built-in lessons are compared by the build-time index, so this needs no built-in entries.
pub fn warnings(entries: &[Entry]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let folder: Vec<&Entry> = entries
        .iter()
        .filter(|e| matches!(e.origin, Origin::Folder(_)))
        .collect();
    for (i, entry) in folder.iter().enumerate() {
        let id = entry.id();
        let at = |message: String, help: String| {
            Diagnostic::new(
                &entry.file,
                &entry.source,
                entry.lesson.id.referenced.line(),
                entry.lesson.id.referenced.column(),
                message,
            )
            .with_help(help)
            .as_warning()
        };
        if let Some(builtin) = builtin_headers()
            .iter()
            .find(|h| h.id == id && !is_builtin_source(h.file, entry))
        {
            let how = match &entry.pack {
                Some(pack) => format!(
                    "`redis-lab lesson {}/{id}` runs this one, `redis-lab lesson {BUILTIN_PREFIX}{id}` the built-in",
                    pack.name()
                ),
                None => format!(
                    "`redis-lab lesson {id}` now runs this one; `redis-lab lesson {BUILTIN_PREFIX}{id}` still runs the built-in"
                ),
            };
            out.push(at(
                format!(
                    "the lesson id `{id}` shadows the built-in lesson `{id}` ({} in redis-lab)",
                    builtin.file
                ),
                format!("{how}; rename the id if it is another lesson"),
            ));
        }
        // The same file loaded twice (a folder named twice) is not a second lesson.
        let Some(earlier) = folder[..i]
            .iter()
            .find(|e| e.id() == id && !same_file(e, entry))
        else {
            continue;
        };
        let help = match (&earlier.pack, &entry.pack) {
            (Some(a), Some(b)) if a.name() != b.name() => format!(
                "name the one you mean: `{}/{id}` or `{}/{id}`",
                a.name(),
                b.name()
            ),
            _ => "the later one replaces the earlier for `redis-lab lesson`; give each folder a \
                  pack.yaml with its own `name` to reach both as NAME/ID, or rename one"
                .to_string(),
        };
        out.push(at(
            format!(
                "the lesson id `{id}` is also used by {}",
                origin_text(earlier)
            ),
            help,
        ));
    }
    out
}

pub fn same_file(a: &Entry, b: &Entry) -> bool {
    a.file == b.file
        || matches!(
            (
                std::path::Path::new(&a.file).canonicalize(),
                std::path::Path::new(&b.file).canonicalize()
            ),
            (Ok(x), Ok(y)) if x == y
        )
}

/// Whether this folder lesson is the very file the built-in one is compiled from (`check
/// lessons` in redis-lab's own repository): the same lesson, not a shadow of it.
fn is_builtin_source(builtin_file: &str, entry: &Entry) -> bool {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(builtin_file);
    matches!(
        (source.canonicalize(), std::path::Path::new(&entry.file).canonicalize()),
        (Ok(a), Ok(b)) if a == b
    )
}
