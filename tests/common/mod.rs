//! Shared helpers: every test that needs Redis starts its own redis-server on a free port.
#![allow(dead_code)]

use redis_lab::engine::session::{Session, SessionOptions};
use redis_lab::lesson::catalog::{Catalog, Entry};
use redis_lab::server::sandbox::find_redis_server;
use std::path::{Path, PathBuf};

/// Fails loudly (never skips) when redis-server is missing: the README says to install it.
pub fn require_redis() -> PathBuf {
    find_redis_server(None).unwrap_or_else(|e| panic!("these tests need a real redis-server: {e}"))
}

pub fn builtin() -> Catalog {
    Catalog::load(&[]).expect("built-in catalog loads")
}

pub fn entry(catalog: &Catalog, id: &str) -> Entry {
    catalog.find(id).expect("lesson exists").clone()
}

pub fn sandbox_session(entry: Entry) -> Session {
    require_redis();
    let (session, _events) = Session::start(entry, &SessionOptions::default(), 0, &mut |_, _| {})
        .expect("session starts");
    session
}

/// A lesson pack in a temp folder: (relative path, contents) pairs.
pub fn pack(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    dir
}

pub fn pack_catalog(dir: &Path) -> Catalog {
    Catalog::load(&[dir.to_path_buf()]).expect("pack loads")
}

/// A minimal lesson header; `steps` is YAML for the steps list (indented by two spaces).
pub fn lesson_yaml(id: &str, steps: &str) -> String {
    format!(
        "format: 1\nid: {id}\ntitle: Test {id}\ntrack: patterns\nlevel: beginner\nsummary: A test lesson.\nsteps:\n{steps}"
    )
}
