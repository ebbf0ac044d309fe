#![no_main]
//! Any bytes given as a lesson file: the loader answers Ok or diagnostics, never panics, hangs
//! or blows up memory. The diagnostics are also rendered, as the CLI shows them.

use libfuzzer_sys::fuzz_target;
use redis_lab::lesson::loader::{parse_lesson, parse_lesson_bytes};

fuzz_target!(|data: &[u8]| {
    match parse_lesson_bytes("fuzz.yaml", data) {
        Ok(lesson) => {
            let _ = lesson.id();
        }
        Err(diagnostics) => {
            let _ = diagnostics.to_string();
            for d in &diagnostics.0 {
                let _ = d.position();
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        match parse_lesson("fuzz.yaml", text) {
            Ok(lesson) => {
                let _ = lesson.steps.len();
            }
            Err(diagnostics) => {
                let _ = diagnostics.to_string();
            }
        }
    }
});
