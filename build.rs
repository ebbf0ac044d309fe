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

/// What `redis-lab list` shows of a lesson, read with the YAML parser the crate uses (other
/// fields are skipped here; the crate's loader checks them).
#[derive(serde::Deserialize)]
struct Header {
    id: String,
    title: String,
    track: String,
    level: String,
    #[serde(default)]
    steps: Vec<serde::de::IgnoredAny>,
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
        let header: Header = match serde_saphyr::from_str(&text) {
            Ok(header) => header,
            Err(e) => panic!("lessons/{relative}: {e}"),
        };
        writeln!(
            code,
            "    LessonHeader {{ file: {:?}, id: {:?}, title: {:?}, track: {:?}, level: {:?}, steps: {} }},",
            format!("lessons/{relative}"),
            header.id,
            header.title,
            header.track,
            header.level,
            header.steps.len()
        )
        .unwrap();
    }
    writeln!(code, "];").unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("embedded.rs");
    std::fs::write(out, code).expect("write embedded.rs");
}
