//! Tables: the lesson catalog and field/value replies.

use crate::escape::{Shape, escape_controls};
use crate::render::reply::{Limits, Omitted};
use crate::server::reply::Reply;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use std::io::IsTerminal;

pub fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    // Width and colour are separate decisions: a terminal's width is used with NO_COLOR too
    // (colours come from `colored` inside the cells, which already follows --color/NO_COLOR).
    if !std::io::stdout().is_terminal() {
        table.force_no_tty();
    }
    table
}

/// Which commands answer with field/value pairs worth showing as a two-column table.
pub fn pair_headers(args: &[Vec<u8>]) -> Option<(&'static str, &'static str)> {
    let name = crate::command::name(args)?;
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
    pairs_table_limited(reply, headers, Limits::NONE).map(|(table, _)| table)
}

/// Like [`pairs_table`], with at most `limits.lines` rows and `limits.bytes` of cell text: the
/// table is laid out in memory (its column widths depend on every row), so a huge reply must
/// not all go in.
pub fn pairs_table_limited(
    reply: &Reply,
    headers: (&str, &str),
    limits: Limits,
) -> Option<(String, Omitted)> {
    let (count, pairs): (usize, Box<dyn Iterator<Item = (&Reply, &Reply)>>) = match reply {
        Reply::Map(pairs) => (pairs.len() * 2, Box::new(pairs.iter().map(|(k, v)| (k, v)))),
        Reply::Array(items) | Reply::Set(items) | Reply::Push { data: items, .. } => (
            items.len(),
            Box::new(items.chunks_exact(2).map(|pair| (&pair[0], &pair[1]))),
        ),
        _ => return None,
    };
    if count < 4 || count % 2 != 0 {
        return None;
    }
    let mut table = new_table(&["#", headers.0, headers.1]);
    let mut omitted = Omitted::default();
    let mut room = limits.bytes;
    let mut cut = false;
    for (i, (field, value)) in pairs.enumerate() {
        if !cut && (limits.stop)() {
            omitted.stopped = true;
            cut = true;
        }
        if cut || i >= limits.lines || room == 0 {
            cut = true;
            omitted.elements += 2;
            continue;
        }
        // A cell's text, cut where the byte budget ends.
        let mut cell = |r: &Reply| {
            let (text, shown, len) = match r {
                Reply::Bulk(b) => {
                    let shown = b.len().min(room);
                    (
                        String::from_utf8_lossy(&b[..shown]).into_owned(),
                        shown,
                        b.len(),
                    )
                }
                other => {
                    let mut text = other
                        .as_text()
                        .unwrap_or_else(|| crate::engine::check::short(other));
                    let len = text.len();
                    text.truncate(text.floor_char_boundary(len.min(room)));
                    let shown = text.len();
                    (text, shown, len)
                }
            };
            omitted.bytes += (len - shown) as u64;
            room -= shown;
            // A cell is one line of the value, as redis-cli would quote it: no raw controls.
            escape_controls(&text, Shape::Line).into_owned()
        };
        let row = vec![(i + 1).to_string(), cell(field), cell(value)];
        table.add_row(row);
    }
    Some((table.to_string(), omitted))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Results are coloured (`FAILED` in red); the escape codes must not count as width, or the
    /// column is padded for characters nobody sees and the table's right edge goes ragged.
    #[test]
    fn coloured_cells_take_the_width_of_their_visible_text() {
        let mut table = new_table(&["lesson", "result"]);
        table.add_row(vec!["leaderboard", "\x1b[1;31mFAILED\x1b[0m"]);
        table.add_row(vec!["bitmaps", "passed"]);
        let shown = table.to_string();
        let visible: Vec<usize> = shown.lines().map(console::measure_text_width).collect();
        assert!(
            visible.windows(2).all(|w| w[0] == w[1]),
            "{shown}\n{visible:?}"
        );
        assert!(shown.lines().any(|l| l.contains("result │")), "{shown}");
    }

    #[test]
    fn cells_of_a_reply_show_control_characters_escaped() {
        let bulk = |b: &[u8]| Reply::Bulk(b.to_vec());
        let reply = Reply::Array(vec![
            bulk(b"f\x1b]0;pwned\x07"),
            bulk(b"\x1b[2J"),
            bulk(b"g"),
            Reply::Status("\x1b[31mred".into()),
        ]);
        let shown = pairs_table(&reply, ("field", "value")).unwrap();
        assert!(!shown.contains('\x1b'), "{shown}");
        assert!(shown.contains("f\\x1b]0;pwned\\a"), "{shown}");
        assert!(shown.contains("\\x1b[2J"), "{shown}");
    }
}
