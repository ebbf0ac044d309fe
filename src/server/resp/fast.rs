//! The reader's fast path: a value whose whole line, and for a bulk string whose whole payload,
//! are already in the reader's buffer is read there, without copying its line or walking its
//! payload byte by byte (a 10,000-element LRANGE is 10,000 of these). Anything else (a value cut
//! by the end of the buffer, a number with spaces or a sign, a null, a push's kind, a line over
//! the limits) is left to the general path, which reads it and says what is wrong with it.

use super::{Core, Frame, Place, RespError, Scalar, Visitor, report};
use std::io::{self, BufRead};

/// Digits of an i64 that cannot overflow.
const MAX_DIGITS: usize = 18;

/// What the fast path did.
pub(super) enum Fast {
    /// The value was read (an aggregate with elements comes back as its frame).
    Read(Option<Frame>),
    /// Nothing was consumed: read it the general way.
    Slow,
}

/// A plain decimal: an optional minus and 1 to 18 digits.
fn plain_number(line: &[u8]) -> Option<i64> {
    let (negative, digits) = match line.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, line),
    };
    if digits.is_empty() || digits.len() > MAX_DIGITS {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(d - b'0');
    }
    Some(if negative { -n } else { n })
}

impl<R: BufRead + ?Sized> Core<'_, R> {
    pub(super) fn fast_value<V: Visitor + ?Sized>(
        &mut self,
        visitor: &mut V,
        value: Place,
    ) -> Result<Fast, RespError> {
        if value.push_kind {
            return Ok(Fast::Slow);
        }
        let buf = loop {
            match self.reader.fill_buf() {
                Ok(buf) => break buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        };
        let Some((&kind, rest)) = buf.split_first() else {
            return Ok(Fast::Slow);
        };
        if !matches!(kind, b'$' | b':' | b'*' | b'+') {
            return Ok(Fast::Slow);
        }
        let Some(end) = memchr::memchr(b'\n', rest) else {
            return Ok(Fast::Slow);
        };
        let Some(line) = rest[..end].strip_suffix(b"\r") else {
            return Ok(Fast::Slow);
        };
        if line.len() > self.limits.max_bulk {
            return Ok(Fast::Slow);
        }
        let used = 1 + end + 1;
        if kind == b'+' {
            let Ok(text) = std::str::from_utf8(line) else {
                return Ok(Fast::Slow);
            };
            // Consumed even when the visitor stops the reading, as the general path does.
            let reported = report(visitor, value.shown, Scalar::Status(text));
            self.reader.consume(used);
            return reported.map(|()| Fast::Read(None));
        }
        let Some(n) = plain_number(line) else {
            return Ok(Fast::Slow);
        };
        match kind {
            b':' => {
                self.reader.consume(used);
                report(visitor, value.shown, Scalar::Int(n))?;
                Ok(Fast::Read(None))
            }
            b'*' => {
                self.reader.consume(used);
                self.aggregate(kind, n, visitor, value.shown)
                    .map(Fast::Read)
            }
            _ => {
                let Ok(len) = usize::try_from(n) else {
                    return Ok(Fast::Slow);
                };
                let payload = &rest[end + 1..];
                if len > self.limits.max_bulk
                    || len > super::CHUNK
                    || payload.len() < len + 2
                    || &payload[len..len + 2] != b"\r\n"
                {
                    return Ok(Fast::Slow);
                }
                if value.shown {
                    let given = visitor
                        .begin_bulk(super::BulkKind::String, len)
                        .and_then(|()| match len {
                            0 => Ok(()),
                            _ => visitor.bulk_chunk(&payload[..len]),
                        });
                    if let Err(e) = given {
                        // Where the general path stops: after the line, before the payload.
                        self.reader.consume(used);
                        return Err(e);
                    }
                }
                self.reader.consume(used + len + 2);
                if value.shown {
                    visitor.end_bulk(super::BulkKind::String)?;
                }
                Ok(Fast::Read(None))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::plain_number;

    #[test]
    fn only_plain_numbers_take_the_fast_path() {
        assert_eq!(plain_number(b"0"), Some(0));
        assert_eq!(plain_number(b"-1"), Some(-1));
        assert_eq!(
            plain_number(b"123456789012345678"),
            Some(123_456_789_012_345_678)
        );
        for slow in [
            &b""[..],
            b"-",
            b"+1",
            b" 1",
            b"1 ",
            b"1x",
            b"1234567890123456789",
        ] {
            assert_eq!(plain_number(slow), None, "{slow:?}");
        }
    }
}
