#![no_main]
//! redis-cli argument splitting: never panics, and what it produces survives join_args/split_args
//! unchanged. `is_sensitive` (history filter) must not panic on any line.

use libfuzzer_sys::fuzz_target;
use redis_lab::repl::history::is_sensitive;
use redis_lab::repl::tokenize::{join_args, quote_arg, split_args, split_args_bytes};

fuzz_target!(|data: &[u8]| {
    if let Ok(args) = split_args_bytes(data) {
        let line = join_args(&args);
        let again = split_args(&line)
            .unwrap_or_else(|e| panic!("join_args output does not split: {e}: {line:?} from {args:?}"));
        assert_eq!(again, args, "round trip changed the arguments; joined line {line:?}");
        for arg in &args {
            let quoted = quote_arg(arg);
            assert_eq!(
                split_args(&quoted).ok(),
                Some(vec![arg.clone()]),
                "quote_arg({arg:?}) = {quoted:?} does not split back to one argument"
            );
        }
    }
    // quote_arg of the raw input as one argument must round-trip too.
    let quoted = quote_arg(data);
    assert_eq!(
        split_args(&quoted).ok(),
        Some(vec![data.to_vec()]),
        "quote_arg(input) = {quoted:?} does not split back to the input"
    );
    if let Ok(line) = std::str::from_utf8(data) {
        let _ = is_sensitive(line);
    }
});
