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

/// A YAML scalar as written on one line: plain, "double quoted" or 'single quoted'.
fn unquote(raw: &str) -> String {
    let raw = raw.trim();
    if let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        inner.replace("\\\"", "\"").replace("\\\\", "\\")
    } else if let Some(inner) = raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        inner.replace("''", "'")
    } else {
        raw.split(" #").next().unwrap_or(raw).trim().to_string()
    }
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
    // Headers of the built-in lessons, so `redis-lab list` need not parse every lesson
    // (tests/it/authoring.rs checks they equal what the full parser reads).
    writeln!(code, "pub static LESSON_HEADERS: &[LessonHeader] = &[").unwrap();
    let mut files = Vec::new();
    collect(&root.join("lessons"), &mut files);
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "yaml" || e == "yml"))
    {
        let text = std::fs::read_to_string(file).expect("lesson is UTF-8");
        let relative = file
            .strip_prefix(root.join("lessons"))
            .expect("under lessons")
            .to_string_lossy()
            .replace('\\', "/");
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{key}: ")))
                .map(unquote)
                .unwrap_or_default()
        };
        let steps = text.lines().filter(|l| l.starts_with("  - id: ")).count();
        writeln!(
            code,
            "    LessonHeader {{ file: {:?}, id: {:?}, title: {:?}, track: {:?}, level: {:?}, steps: {steps} }},",
            format!("lessons/{relative}"),
            field("id"),
            field("title"),
            field("track"),
            field("level")
        )
        .unwrap();
    }
    writeln!(code, "];").unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("embedded.rs");
    std::fs::write(out, code).expect("write embedded.rs");
}
