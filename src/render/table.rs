//! Tables: the lesson catalog and field/value replies.

use crate::server::reply::Reply;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

pub fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    if !colored::control::SHOULD_COLORIZE.should_colorize() {
        table.force_no_tty();
    }
    table
}

/// Which commands answer with field/value pairs worth showing as a two-column table.
pub fn pair_headers(args: &[Vec<u8>]) -> Option<(&'static str, &'static str)> {
    let name = String::from_utf8_lossy(args.first()?).to_ascii_uppercase();
    let has = |word: &str| args.iter().any(|a| a.eq_ignore_ascii_case(word.as_bytes()));
    match name.as_str() {
        "HGETALL" => Some(("field", "value")),
        "HRANDFIELD" if has("WITHVALUES") => Some(("field", "value")),
        "CONFIG" if args.get(1).is_some_and(|s| s.eq_ignore_ascii_case(b"GET")) => {
            Some(("parameter", "value"))
        }
        "ZRANGE" | "ZREVRANGE" | "ZRANGEBYSCORE" | "ZREVRANGEBYSCORE" | "ZRANDMEMBER"
        | "ZPOPMIN" | "ZPOPMAX" | "ZUNION" | "ZINTER" | "ZDIFF"
            if has("WITHSCORES") || name.starts_with("ZPOP") =>
        {
            Some(("member", "score"))
        }
        _ => None,
    }
}

/// A reply of pairs as a table with a rank column, or None if it is not pairs.
pub fn pairs_table(reply: &Reply, headers: (&str, &str)) -> Option<String> {
    let elements = reply.elements()?;
    if elements.len() < 4 || elements.len() % 2 != 0 {
        return None;
    }
    let mut table = new_table(&["#", headers.0, headers.1]);
    for (i, pair) in elements.chunks(2).enumerate() {
        let cell = |r: &Reply| match r {
            Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
            other => other
                .as_text()
                .unwrap_or_else(|| crate::engine::check::short(other)),
        };
        table.add_row(vec![(i + 1).to_string(), cell(pair[0]), cell(pair[1])]);
    }
    Some(table.to_string())
}
