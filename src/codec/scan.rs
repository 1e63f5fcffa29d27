//! The top level of a JSON text by a byte scan: an array, or an object's keys, without
//! reading the values (the importer's decode reads, and checks, every byte after).
//!
//! A value longer than a budget is not skipped from the front: the scan reads the rest of the
//! object's keys from the end instead, so a document of one large list costs a few kilobytes
//! of scanning, not a second pass over the list. Only a key whose value lies between two
//! such values is then not seen; the decode that follows still reads every key, reports the
//! ones its shape does not declare as unread, and refuses another shape's key there
//! (`providers::read::decode`). The scan gives up (`None`, for the located errors of the serde
//! probe) on anything unusual: escaped keys, scalars, broken text.

use super::TopLevel;

/// Bytes of one value the scan skips before it reads the rest from the end.
const BUDGET: usize = 64 * 1024;

/// The top level of `text`, or `None` where the serde probe should tell (and locate errors).
pub(super) fn top_level(text: &str) -> Option<TopLevel> {
    top_level_within(
        text.strip_prefix('\u{feff}').unwrap_or(text).as_bytes(),
        BUDGET,
    )
}

fn top_level_within(bytes: &[u8], budget: usize) -> Option<TopLevel> {
    let mut at = skip_ws(bytes, 0);
    match bytes.get(at)? {
        b'[' => return Some(TopLevel::Array),
        b'{' => at = at.checked_add(1)?,
        _ => return None,
    }
    let mut keys = Vec::new();
    at = skip_ws(bytes, at);
    if bytes.get(at)? == &b'}' {
        return Some(TopLevel::Object(keys));
    }
    loop {
        let (key, value) = key_forward(bytes, at)?;
        keys.push(key);
        let stop = value.saturating_add(budget);
        let limited = bytes.get(..stop.min(bytes.len()))?;
        match skip_value(limited, value) {
            Some(end) => match bytes.get(end)? {
                b',' => at = skip_ws(bytes, end.checked_add(1)?),
                b'}' => {
                    return (skip_ws(bytes, end.checked_add(1)?) == bytes.len())
                        .then_some(TopLevel::Object(keys));
                }
                _ => return None,
            },
            None if stop < bytes.len() => {
                let mut back = keys_from_end(bytes, value, budget)?;
                back.reverse();
                keys.extend(back);
                return Some(TopLevel::Object(keys));
            }
            None => return None,
        }
    }
}

/// `"key"` and `:` at `at`: the key and where its value starts.
fn key_forward(bytes: &[u8], at: usize) -> Option<(String, usize)> {
    if bytes.get(at)? != &b'"' {
        return None;
    }
    let start = at.checked_add(1)?;
    let len = memchr::memchr2(b'"', b'\\', bytes.get(start..)?)?;
    let end = start.checked_add(len)?;
    if bytes.get(end)? != &b'"' {
        return None;
    }
    let key = std::str::from_utf8(bytes.get(start..end)?).ok()?.to_owned();
    let colon = skip_ws(bytes, end.checked_add(1)?);
    if bytes.get(colon)? != &b':' {
        return None;
    }
    Some((key, skip_ws(bytes, colon.checked_add(1)?)))
}

/// The keys of the pairs after the value starting at `floor`, last first, read from the end
/// of the object; stops (with what it has) at a value longer than `budget`.
fn keys_from_end(bytes: &[u8], floor: usize, budget: usize) -> Option<Vec<String>> {
    let mut delimiter = last_non_ws(bytes, bytes.len())?;
    if bytes.get(delimiter)? != &b'}' {
        return None;
    }
    let mut keys = Vec::new();
    loop {
        let end = last_non_ws(bytes, delimiter)?;
        if end < floor {
            return None;
        }
        let limit = end.saturating_sub(budget).max(floor);
        let Some(start) = value_start(bytes, end, limit) else {
            // Longer than the budget (or the value at `floor`, read from its end): what lies
            // between is left to the decode.
            return (limit > floor).then_some(keys);
        };
        if start == floor {
            return Some(keys);
        }
        let colon = last_non_ws(bytes, start)?;
        let quote = last_non_ws(bytes, colon)?;
        if bytes.get(colon)? != &b':' || bytes.get(quote)? != &b'"' {
            return None;
        }
        let open = opening_quote(bytes, quote, floor)?;
        let key = bytes.get(open.checked_add(1)?..quote)?;
        if key.contains(&b'\\') {
            return None;
        }
        keys.push(std::str::from_utf8(key).ok()?.to_owned());
        delimiter = last_non_ws(bytes, open)?;
        if bytes.get(delimiter)? != &b',' || delimiter < floor {
            return None;
        }
    }
}

/// Where the value ending at `end` starts, looking no further back than `limit`.
fn value_start(bytes: &[u8], end: usize, limit: usize) -> Option<usize> {
    match bytes.get(end)? {
        b'"' => opening_quote(bytes, end, limit),
        b'}' | b']' => {
            let mut depth: usize = 0;
            let mut at = end;
            loop {
                match bytes.get(at)? {
                    b'"' => at = opening_quote(bytes, at, limit)?,
                    b'}' | b']' => depth = depth.checked_add(1)?,
                    b'{' | b'[' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(at);
                        }
                    }
                    _ => {}
                }
                if at <= limit {
                    return None;
                }
                at = at.checked_sub(1)?;
            }
        }
        _ => {
            // a number, `true`, `false` or `null`
            let from = limit.min(end);
            let before = bytes.get(from..=end)?.iter().rposition(|b| {
                matches!(b, b',' | b':' | b'[' | b'{' | b' ' | b'\t' | b'\n' | b'\r')
            })?;
            from.checked_add(before)?.checked_add(1)
        }
    }
}

/// The quote that opens the string whose closing quote is at `close` (a quote preceded by an
/// odd number of backslashes is inside the string), looking no further back than `limit`.
fn opening_quote(bytes: &[u8], close: usize, limit: usize) -> Option<usize> {
    let mut before = close;
    loop {
        let at = limit.checked_add(memchr::memrchr(b'"', bytes.get(limit..before)?)?)?;
        let slashes = bytes
            .get(..at)?
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if slashes % 2 == 0 {
            return Some(at);
        }
        before = at;
    }
}

/// The index of the last byte before `before` that is not white space.
fn last_non_ws(bytes: &[u8], before: usize) -> Option<usize> {
    bytes
        .get(..before)?
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

fn skip_ws(bytes: &[u8], from: usize) -> usize {
    let rest = bytes.get(from..).unwrap_or_default();
    let n = rest
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(rest.len());
    from.saturating_add(n)
}

/// The position after one value starting at or after `from` (the `,` or `}` that ends it in
/// the top-level object): strings skipped whole, brackets counted.
fn skip_value(bytes: &[u8], from: usize) -> Option<usize> {
    let mut depth: usize = 0;
    let mut at = from;
    loop {
        // to the next byte that matters outside strings
        at = at.checked_add(
            bytes
                .get(at..)?
                .iter()
                .position(|&b| matches!(b, b'"' | b'{' | b'}' | b'[' | b']' | b','))?,
        )?;
        match bytes.get(at)? {
            b'"' => {
                // to the closing quote, stepping over escapes
                let mut i = at.checked_add(1)?;
                loop {
                    i = i.checked_add(memchr::memchr2(b'"', b'\\', bytes.get(i..)?)?)?;
                    if bytes.get(i)? == &b'"' {
                        break;
                    }
                    i = i.checked_add(2)?;
                }
                at = i;
            }
            b'{' | b'[' => depth = depth.checked_add(1)?,
            b'}' | b']' if depth == 0 => return Some(at),
            b'}' | b']' => depth = depth.checked_sub(1)?,
            b',' if depth == 0 => return Some(at),
            _ => {}
        }
        at = at.checked_add(1)?;
    }
}

/// Where the value at `path` starts in a JSON text (`a.b[2].c`: object keys and list indexes
/// from the root, as the JSON paths of errors are written): a byte offset, or `None` where
/// the path is not there (or a key is escaped).
pub(super) fn value_at(text: &str, path: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = skip_ws(
        bytes,
        text.len()
            .saturating_sub(text.trim_start_matches('\u{feff}').len()),
    );
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, indexes) = match part.split_once('[') {
            Some((key, rest)) => (key, Some(rest)),
            None => (part, None),
        };
        if !key.is_empty() {
            if bytes.get(at)? != &b'{' {
                return None;
            }
            at = skip_ws(bytes, at.checked_add(1)?);
            loop {
                let (found, value) = key_forward(bytes, at)?;
                if found == key {
                    at = value;
                    break;
                }
                let end = skip_value(bytes, value)?;
                if bytes.get(end)? != &b',' {
                    return None;
                }
                at = skip_ws(bytes, end.checked_add(1)?);
            }
        }
        for index in indexes.into_iter().flat_map(|rest| rest.split('[')) {
            let n: usize = index.trim_end_matches(']').parse().ok()?;
            if bytes.get(at)? != &b'[' {
                return None;
            }
            at = skip_ws(bytes, at.checked_add(1)?);
            for _ in 0..n {
                let end = skip_value(bytes, at)?;
                if bytes.get(end)? != &b',' {
                    return None;
                }
                at = skip_ws(bytes, end.checked_add(1)?);
            }
        }
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::super::{Format, Probe, decode_quiet};
    use super::*;

    const DOCS: &[&str] = &[
        r#"{"a": 1, "b": [1, {"c": "}]"}], "d": "x\"}y", "e": {"f": [[]]}, "g": null}"#,
        "\u{feff} \n{ }",
        "[1, 2",
        r#"{"security_group_rules": [{"id": "a\\", "x": "{["}], "request_id": "r"}"#,
        r#"{"k\"ey": 1}"#,
        r#"{"a": 1} trailing"#,
        r#"{"a": "unterminated}"#,
        r#""scalar""#,
        r#"{"a": 1,}"#,
        r#"{"big": [{"q": "\\\\\"]"}, 12345, true, "x,y:z"], "s": "\\", "n": -1.5e3, "t": false}"#,
        r#"{"first": {"a": [1, 2, 3, "]]]"]}, "second": "\\\"", "third": [[[]]]}"#,
    ];

    fn serde_keys(doc: &str) -> Option<TopLevel> {
        decode_quiet::<Probe>(doc, Format::Json).ok().map(|p| p.0)
    }

    /// The scan agrees with the serde probe wherever it answers, and leaves the rest
    /// (escaped keys, scalars, broken text) to it.
    #[test]
    fn the_scan_agrees_with_the_serde_probe() {
        for doc in DOCS {
            match (top_level(doc), serde_keys(doc)) {
                (Some(scan), Some(serde)) => assert_eq!(scan, serde, "{doc}"),
                (None, _) => {}
                // An array is told without reading it; the decode reads (and rejects) it.
                (Some(TopLevel::Array), None) => {}
                (Some(scan), None) => panic!("{doc}: scan says {scan:?}, serde rejects it"),
            }
        }
        assert_eq!(top_level(r#"{"k\"ey": 1}"#), None);
        assert_eq!(top_level("{\"a\": 1} x"), None);
        assert_eq!(
            top_level(r#"{"a": "}", "b": 2}"#),
            Some(TopLevel::Object(vec!["a".into(), "b".into()]))
        );
    }

    #[test]
    fn values_are_found_by_path() {
        let doc = r#"{"a": {"x": "}", "b": [1, {"c": [5, 6]}, 3]}, "d": true}"#;
        let at = |path: &str| value_at(doc, path).map(|i| &doc[i..i + 1]);
        assert_eq!(at("a.b[1].c[1]"), Some("6"));
        assert_eq!(at("d"), Some("t"));
        assert_eq!(at("a.b[2]"), Some("3"));
        assert_eq!(at("a.nope"), None);
        assert_eq!(at("a.b[9]"), None);
    }

    /// With a small budget the keys read from the end are the same, in order; a key is left
    /// out only when its value lies between two values longer than the budget.
    #[test]
    fn reading_from_the_end_finds_the_same_keys() {
        let keys = |v: &[&str]| TopLevel::Object(v.iter().map(|k| (*k).to_owned()).collect());
        let one_big = r#"{"id": "x", "rules": [{"a": "]\"[", "b": [1, {"c": null}]}, {"d": "\\"}], "page": {"next": "m"}, "n": 3, "s": "a,b"}"#;
        for budget in [0, 1, 2, 5, 10, 30, usize::MAX] {
            let scan = top_level_within(one_big.as_bytes(), budget);
            let Some(TopLevel::Object(found)) = scan else {
                panic!("budget {budget}: {scan:?}");
            };
            let all = ["id", "rules", "page", "n", "s"];
            if budget >= 30 {
                assert_eq!(TopLevel::Object(found), keys(&all), "budget {budget}");
            } else {
                // Some values are longer than a tiny budget: what is found is in order and
                // starts with the first key (the keys between two long values are not seen).
                let mut rest = all.iter();
                assert!(found.iter().all(|k| rest.any(|a| a == k)), "{found:?}");
                assert_eq!(found.first().map(String::as_str), Some("id"));
            }
        }
        let two_big = r#"{"a": [1111111111, 2222222222], "hidden": 1, "b": [3333333333, 4444444444], "z": 0}"#;
        assert_eq!(
            top_level_within(two_big.as_bytes(), 8),
            Some(keys(&["a", "z"]))
        );
        assert_eq!(
            top_level_within(two_big.as_bytes(), 1000),
            Some(keys(&["a", "hidden", "b", "z"]))
        );
        for doc in DOCS {
            for budget in [0, 3, 7] {
                if let (Some(TopLevel::Object(small)), Some(TopLevel::Object(full))) =
                    (top_level_within(doc.as_bytes(), budget), serde_keys(doc))
                {
                    let mut rest = full.iter();
                    assert!(
                        small.iter().all(|k| rest.any(|a| a == k)),
                        "{doc}: {small:?}"
                    );
                }
            }
        }
    }
}
