//! Passwords out of URLs and messages: what is shown of a URL, and every form its passwords
//! could take in an error.

/// The URL with every password replaced by `****`: the `user:password@` part, and query
/// parameters that carry one. redis-rs 1.x reads `?pass=` (with `?user=` and `?db=`) on
/// `unix://`, `redis+unix://` and `valkey+unix://` URLs; `?password=` and the like are ignored by
/// it, but they are still a password someone typed, so they are hidden too.
///
/// When the URL has an `@` the parser did not take as the end of `user:password` (a password
/// with `/`, `?` or `#` in it, an unknown scheme, a URL that does not parse), everything between
/// `://` and the last `@` is hidden instead: better too much than a password.
pub fn redact_url(url: &str) -> String {
    match redis::parse_redis_url(url) {
        Some(mut parsed)
            if parsed.password().is_some() || !has_stray_at(url, parsed.fragment()) =>
        {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("****"));
            }
            if parsed.query().is_some() {
                let pairs: Vec<(String, String)> = parsed
                    .query_pairs()
                    .map(|(key, value)| {
                        let value = if is_secret_param(&key) {
                            "****".to_string()
                        } else {
                            value.into_owned()
                        };
                        (key.into_owned(), value)
                    })
                    .collect();
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        _ => redact_text(url),
    }
}

/// An `@` outside the query that did not end a `user:password` part: `redis://u:12#@host`
/// parses as host `u`, port 12 and fragment `@host`, and `redis://pass@host` as a user name
/// (which redis-cli would take for the password).
fn has_stray_at(url: &str, fragment: Option<&str>) -> bool {
    let before_query = url.split('?').next().unwrap_or(url);
    let after_scheme = before_query.split_once("://").map_or("", |(_, rest)| rest);
    after_scheme.contains('@') || fragment.is_some_and(|f| f.contains('@'))
}

/// Query parameters whose value is a secret. redis-rs reads only `pass`; the rest are what
/// people write out of habit from other clients.
fn is_secret_param(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("pass")
        || key.contains("secret")
        || key.contains("token")
        || key == "auth"
        || key == "pwd"
}

/// Redaction by text alone, for what the URL parser does not read as we would.
fn redact_text(url: &str) -> String {
    let (head, rest) = match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            (format!("{}****@", &url[..start + 3]), &url[at + 1..])
        }
        _ => (String::new(), url),
    };
    let Some((base, query)) = rest.split_once('?') else {
        return format!("{head}{rest}");
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_secret_param(&percent_decode(key)) => format!("{key}=****"),
            _ => pair.to_string(),
        })
        .collect();
    let mut out = format!("{head}{base}?{}", pairs.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Every form in which a password of this URL could show up in a message: as typed and
/// percent-decoded, from `user:password@` and from secret query parameters. Longest first, so
/// one that contains another is replaced whole.
pub fn url_secrets(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    let mut add = |s: &str| {
        for form in [
            s.to_string(),
            percent_decode(s),
            percent_decode(&s.replace('+', " ")),
        ] {
            if !form.is_empty() && !secrets.contains(&form) {
                secrets.push(form);
            }
        }
    };
    if let Some(parsed) = redis::parse_redis_url(url) {
        if let Some(password) = parsed.password() {
            add(password);
        }
        for (key, value) in parsed.query_pairs() {
            if is_secret_param(&key) {
                add(&value);
            }
        }
    }
    // By text too: the parser may have split the URL elsewhere than where a password ends.
    if let (Some(start), Some(at)) = (url.find("://"), url.rfind('@'))
        && at > start + 3
    {
        let userinfo = &url[start + 3..at];
        add(userinfo.split_once(':').map_or(userinfo, |(_, p)| p));
    }
    if let Some((_, query)) = url.split_once('?') {
        let query = query.split('#').next().unwrap_or(query);
        for pair in query.split('&') {
            if let Some((key, value)) = pair.split_once('=')
                && is_secret_param(&percent_decode(key))
            {
                add(value);
            }
        }
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
}

/// `%41` to `A`; anything else as it is (lossy on bytes that are not UTF-8).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with the URL shown redacted and every form of its passwords (and `extra` ones, such
/// as `REDISCLI_AUTH`) replaced by `****`.
pub(super) fn scrub_secrets(text: &str, url: Option<(&str, &str)>, secrets: &[String]) -> String {
    let mut out = match url {
        Some((url, redacted)) => text.replace(url, redacted),
        None => text.to_string(),
    };
    for secret in secrets {
        out = out.replace(secret.as_str(), "****");
    }
    out
}

pub(super) fn scrub(text: &str, url: &str, redacted: &str) -> String {
    scrub_secrets(text, Some((url, redacted)), &url_secrets(url))
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis::IntoConnectionInfo;

    #[test]
    fn passwords_never_appear_in_redacted_urls() {
        let exact = [
            (
                "redis://user:s3cret@localhost:6379/2",
                "redis://user:****@localhost:6379/2",
            ),
            ("redis://:s3cret@localhost", "redis://:****@localhost"),
            ("rediss://u:s%33cret@h:6380", "rediss://u:****@h:6380"),
            (
                "redis+unix:///tmp/r.sock?pass=s3cret",
                "redis+unix:///tmp/r.sock?pass=****",
            ),
            (
                "unix:///tmp/r.sock?db=2&pass=s3cret",
                "unix:///tmp/r.sock?db=2&pass=****",
            ),
            (
                "unix:///tmp/r.sock?user=alice&password=s3cret",
                "unix:///tmp/r.sock?user=alice&password=****",
            ),
            (
                "valkey+unix:///tmp/r.sock?pass=s3cret#x",
                "valkey+unix:///tmp/r.sock?pass=****#x",
            ),
            // `redis://u:12#@host` parses as host u, port 12, fragment `@host`.
            ("redis://u:12#@host", "redis://****@host"),
            // redis-cli reads a lone `name@` as the password.
            ("redis://s3cret@host:6379", "redis://****@host:6379"),
            ("nonsense://a:s3cret@x", "nonsense://****@x"),
            // Does not parse (a `/` in the password, a port that is no number).
            ("redis://u:s3/cret@host", "redis://****@host"),
            (
                "redis://host:port/?db=1&pass=s3cret",
                "redis://host:port/?db=1&pass=****",
            ),
            ("nonsense:///x?PASS=s3cret#f", "nonsense:///x?PASS=****#f"),
            ("redis://localhost:6379", "redis://localhost:6379"),
            ("unix:///tmp/r.sock?db=1", "unix:///tmp/r.sock?db=1"),
        ];
        for (url, shown) in exact {
            assert_eq!(redact_url(url), shown, "{url}");
        }
        for url in [
            "unix:///tmp/r.sock?p%61ss=s3cret",
            "unix:///tmp/r.sock?pass=s3cret&pass=s3cret",
            "redis://localhost:6379/0?password=s3cret",
            "redis://localhost:6379/0?auth=s3cret&token=s3cret",
            "redis://a:b:s3cret@host",
            "redis://u:s3cret@host:6379/c@d",
            "redis://u:s3?cret@host",
            "unix://user:s3cret@/tmp/r.sock",
            "unix:///tmp/a@b/r.sock?pass=s3cret",
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains("s3cret"), "{url} -> {shown}");
        }
    }

    /// What redis-rs 1.x takes a unix-socket password from: `?pass=` only (with `?user=`).
    #[test]
    fn redis_rs_reads_pass_and_user_on_unix_urls() {
        let info = "unix:///tmp/r.sock?user=alice&pass=s3cret&db=3"
            .into_connection_info()
            .unwrap();
        assert_eq!(info.redis_settings().password(), Some("s3cret"));
        assert_eq!(info.redis_settings().username(), Some("alice"));
        assert_eq!(info.redis_settings().db(), 3);
        let ignored = "unix:///tmp/r.sock?password=s3cret"
            .into_connection_info()
            .unwrap();
        assert_eq!(ignored.redis_settings().password(), None);
    }

    #[test]
    fn every_form_of_a_password_is_scrubbed_from_messages() {
        for (url, message) in [
            ("redis://u:s%33cret@h", "AUTH failed for s3cret"),
            ("redis://u:s%33cret@h", "cannot parse s%33cret"),
            ("unix:///r.sock?pass=s3cret", "AUTH s3cret: WRONGPASS"),
            ("unix:///r.sock?pass=s%20cret", "bad password 's cret'"),
            ("unix:///r.sock?pass=s+cret", "bad password 's cret'"),
            ("redis://u:s3/cret@h", "no host in redis://u:s3/cret@h"),
        ] {
            let scrubbed = scrub(message, url, &redact_url(url));
            assert!(
                !scrubbed.contains("s3cret")
                    && !scrubbed.contains("s%33cret")
                    && !scrubbed.contains("s cret")
                    && !scrubbed.contains("s3/cret"),
                "{url}: {message} -> {scrubbed}"
            );
        }
        assert_eq!(
            scrub("no host in redis://u:pw@", "redis://u:pw@", "redis://****@"),
            "no host in redis://****@"
        );
        assert_eq!(
            redact_url("redis://localhost:6379"),
            "redis://localhost:6379"
        );
        assert!(!redact_url("nonsense://a:s3cret@x").contains("s3cret"));
        for url in [
            "redis+unix:///tmp/r.sock?pass=s3cret",
            "unix:///tmp/r.sock?db=2&pass=s3cret",
            "unix:///tmp/r.sock?password=s3cret&db=1",
            "redis://localhost:6379/0?password=s3cret",
            "nonsense:///x?pass=s3cret#frag",
        ] {
            let shown = redact_url(url);
            assert!(
                !shown.contains("s3cret") && shown.contains("****"),
                "{url} -> {shown}"
            );
        }
        assert_eq!(
            redact_url("unix:///tmp/r.sock?db=2&pass=s3cret"),
            "unix:///tmp/r.sock?db=2&pass=****"
        );
    }
}
