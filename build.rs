//! Embeds lessons/ and fixtures/ into the binary so an installed redis-lab works anywhere.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

/// What `redis-lab list` shows of a lesson, as the lesson file spells it.
#[derive(serde::Deserialize)]
#[serde(default)]
#[derive(Default)]
struct Header {
    id: String,
    title: String,
    track: String,
    level: String,
}

// The crate's own lesson types, so a built-in lesson that does not load fails the build, at its
// file:line:column, instead of the first learner's run. (The loader's further checks and the
// lint run in `cargo test --lib`: `lesson::catalog::tests::the_built_in_lessons_pass_the_whole_lint`.)
#[allow(dead_code, unused_imports)]
#[path = "src/server/topology/kind.rs"]
mod kind;
mod server {
    pub mod topology {
        pub use crate::kind::Kind;
    }
}
#[allow(dead_code, unused_imports)]
#[path = "src/lesson/model.rs"]
mod model;
#[allow(dead_code, unused_imports)]
#[path = "src/lesson/pairs.rs"]
mod pairs;
mod lesson {
    pub(crate) use crate::{model, pairs};
}

/// What is wrong with the built-in lessons, each as `file:line:column: problem`.
fn check_builtins(
    lessons: &[(String, String, model::Lesson)],
    broken_ids: &[String],
    fixtures: &[String],
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = std::collections::HashMap::new();
    let ids: std::collections::HashSet<&str> = lessons
        .iter()
        .map(|(_, _, l)| l.id.value.as_str())
        .chain(broken_ids.iter().map(String::as_str))
        .collect();
    for (file, _, lesson) in lessons {
        let at = |l: &serde_saphyr::Location| format!("{file}:{}:{}", l.line(), l.column());
        if lesson.format != model::FORMAT_VERSION {
            problems.push(format!(
                "{file}: format {} (built-ins are format {})",
                lesson.format,
                model::FORMAT_VERSION
            ));
        }
        let id = &lesson.id;
        if !model::is_valid_id(&id.value) {
            problems.push(format!(
                "{}: invalid lesson id {:?}",
                at(&id.referenced),
                id.value
            ));
        }
        if let Some(other) = seen.insert(id.value.clone(), file.clone()) {
            problems.push(format!(
                "{}: lesson id `{}` is also {other}'s",
                at(&id.referenced),
                id.value
            ));
        }
        let mut steps = std::collections::HashSet::new();
        for step in &lesson.steps {
            if !model::is_valid_id(&step.id.value) || !steps.insert(step.id.value.as_str()) {
                problems.push(format!(
                    "{}: invalid or repeated step id {:?}",
                    at(&step.id.referenced),
                    step.id.value
                ));
            }
        }
        for next in &lesson.next {
            if !ids.contains(next.value.as_str()) {
                problems.push(format!(
                    "{}: `next` names `{}`, which is not a built-in lesson",
                    at(&next.referenced),
                    next.value
                ));
            }
        }
        for fixture in &lesson.fixtures {
            if !fixtures.contains(&fixture.value) {
                problems.push(format!(
                    "{}: fixture {} is not in fixtures/",
                    at(&fixture.referenced),
                    fixture.value
                ));
            }
        }
    }
    problems
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut code = String::new();
    for (name, folder, is_text) in [
        ("LESSON_FILES", "lessons", true),
        ("FIXTURE_FILES", "fixtures", false),
    ] {
        let base = root.join(folder);
        println!("cargo:rerun-if-changed={}", base.display());
        let mut files = Vec::new();
        collect(&base, &mut files);
        let ty = if is_text { "&str" } else { "&[u8]" };
        let macro_name = if is_text {
            "include_str"
        } else {
            "include_bytes"
        };
        writeln!(code, "pub static {name}: &[(&str, {ty})] = &[").unwrap();
        for file in files {
            println!("cargo:rerun-if-changed={}", file.display());
            let relative = file
                .strip_prefix(&base)
                .expect("under base")
                .to_string_lossy()
                .replace('\\', "/");
            if is_text && !(relative.ends_with(".yaml") || relative.ends_with(".yml")) {
                continue;
            }
            writeln!(
                code,
                "    ({relative:?}, {macro_name}!({:?})),",
                file.display().to_string()
            )
            .unwrap();
        }
        writeln!(code, "];").unwrap();
    }
    // The index of the built-in lessons, so that `list`, `lesson ID` (which parses only its own
    // file) and `check --offline` need not parse every lesson (tests/it/authoring.rs checks it
    // equals what the full parser reads).
    let mut fixtures = Vec::new();
    collect(&root.join("fixtures"), &mut fixtures);
    let fixtures: Vec<String> = fixtures
        .iter()
        .filter_map(|f| f.strip_prefix(root.join("fixtures")).ok())
        .map(|f| f.to_string_lossy().replace('\\', "/"))
        .collect();
    let mut files = Vec::new();
    collect(&root.join("lessons"), &mut files);
    let mut lessons = Vec::new();
    let mut problems = Vec::new();
    let mut broken_ids = Vec::new();
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "yaml" || e == "yml"))
    {
        let relative = file
            .strip_prefix(root.join("lessons"))
            .expect("under lessons")
            .to_string_lossy()
            .replace('\\', "/");
        let shown = format!("lessons/{relative}");
        let Ok(text) = std::fs::read_to_string(file) else {
            problems.push(format!("{shown}: not UTF-8 text"));
            continue;
        };
        match serde_saphyr::from_str::<model::Lesson>(&text) {
            Ok(lesson) => lessons.push((shown, text, lesson)),
            Err(e) => {
                let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
                let message = e.without_snippet().to_string();
                let message = message.split(" at line ").next().unwrap_or_default();
                problems.push(format!("{shown}:{line}:{column}: {message}"));
                // Its id is still known, so other lessons' `next` to it is not reported too.
                if let Ok(header) = serde_saphyr::from_str::<Header>(&text) {
                    broken_ids.push(header.id);
                }
            }
        }
    }
    problems.extend(check_builtins(&lessons, &broken_ids, &fixtures));
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("error: built-in lesson {problem}");
        }
        std::process::exit(1);
    }
    writeln!(code, "pub static LESSON_HEADERS: &[LessonHeader] = &[").unwrap();
    for (file, text, lesson) in &lessons {
        let header: Header =
            serde_saphyr::from_str(text).expect("a lesson that loads has a header");
        writeln!(
            code,
            "    LessonHeader {{ file: {file:?}, id: {:?}, title: {:?}, track: {:?}, level: {:?}, steps: {} }},",
            header.id,
            header.title,
            header.track,
            header.level,
            lesson.steps.len()
        )
        .unwrap();
    }
    writeln!(code, "];").unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("embedded.rs");
    std::fs::write(out, code).expect("write embedded.rs");
}
