//! The layers of the crate, top to bottom: a module may use modules of its own layer or below,
//! never above. ARCHITECTURE.md shows the graph (`python3 scripts/import_graph.py`).

/// Top first. `out!`/`outln!` are render's macros, exported at the crate root.
const LAYERS: &[&[&str]] = &[
    &["app", "cli"],
    &["driver"],
    &["repl"],
    &["render", "out", "outln"],
    &["engine"],
    &["lesson", "progress"],
    &["server"],
    &["command", "escape", "signal", "terminal"],
];

/// Arrows up that are known, each with the reason it still exists and where it goes.
const KNOWN_UPWARD: &[(&str, &str, &str)] = &[];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level module of each `crate::NAME` a file refers to, outside its tests.
fn references(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(list) = rest.strip_prefix('{') {
            // `use crate::{a::X, b}`: every item of the list.
            let end = list.find('}').unwrap_or(list.len());
            for item in list[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push(name);
            }
        } else {
            found.push(
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

/// Every `src/` file as (its top-level module, its text); `main.rs` and `lib.rs` are the roots.
fn sources() -> Vec<(String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(&src).unwrap_or(&path);
                let top = rel
                    .components()
                    .next()
                    .map(|c| {
                        c.as_os_str()
                            .to_string_lossy()
                            .trim_end_matches(".rs")
                            .to_string()
                    })
                    .unwrap_or_default();
                if top == "main" || top == "lib" || top == "layers" {
                    continue;
                }
                files.push((top, std::fs::read_to_string(&path).unwrap_or_default()));
            }
        }
    }
    files
}

#[test]
fn every_module_has_a_layer_and_uses_none_above_it() {
    let mut upward = Vec::new();
    for (module, text) in sources() {
        let Some(own) = layer(&module) else {
            panic!("src/{module} has no layer in src/layers.rs: add it to LAYERS");
        };
        for target in references(&text) {
            let Some(theirs) = layer(&target) else {
                panic!("src/{module} refers to crate::{target}, which has no layer");
            };
            let known = KNOWN_UPWARD
                .iter()
                .any(|(from, to, _)| *from == module && *to == target);
            if theirs < own && !known && !upward.contains(&(module.clone(), target.clone())) {
                upward.push((module.clone(), target));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "modules using a layer above their own (see src/layers.rs): {upward:?}"
    );
}

#[test]
fn references_are_read_from_paths_and_use_lists() {
    let text = "use crate::server::x;\nuse crate::{lesson::Y, escape};\nfn f() { crate::outln!(); }\n#[cfg(test)]\nuse crate::app;";
    assert_eq!(
        references(text),
        ["server", "lesson", "escape", "outln"].map(String::from)
    );
}
