//! Where a rule stands in the input: its JSON path (`security_group_rules[3]`) from the
//! document's shape, and for JSON text its line.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::codec::Format;
use crate::id::ProviderId;
use crate::model::Document;

/// Where the rules of one group stand.
#[derive(Debug, Clone)]
enum Rules {
    /// The rule at origin index `i` is `{prefix}[i]`.
    List(String),
    /// The rule at origin index `i` is `{prefix}[picks[i]]` (a Huawei list naming several
    /// groups: each group's rules are the list's items with its `security_group_id`).
    Picked(String, Vec<usize>),
    /// One rule, at this path.
    One(String),
}

/// Paths and lines of the rules of one input.
pub(super) struct Locator<'a> {
    text: &'a str,
    json: bool,
    groups: Vec<Rules>,
    /// The offsets of the items of each list asked about, by the list's path.
    items: std::cell::RefCell<std::collections::HashMap<String, Vec<usize>>>,
    /// The offsets of the text's newlines.
    newlines: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> Locator<'a> {
    pub(super) fn new(
        text: &'a str,
        format: Format,
        from: ProviderId,
        doc: &Document,
    ) -> Locator<'a> {
        let value: Option<Node> = match format {
            Format::Json => serde_json::from_str(text).ok(),
            _ => serde_saphyr::from_str(text).ok(),
        };
        let groups = value
            .map(|v| shape(&v, from, "", doc.groups.len()))
            .unwrap_or_default();
        Locator {
            text,
            json: format == Format::Json,
            groups,
            items: std::cell::RefCell::default(),
            newlines: std::cell::OnceCell::new(),
        }
    }

    /// The JSON path of the rule at origin index `index` of group `group`.
    pub(super) fn path(&self, group: usize, index: usize) -> Option<String> {
        match self.groups.get(group)? {
            Rules::List(prefix) => Some(format!("{prefix}[{index}]")),
            Rules::Picked(prefix, picks) => Some(format!("{prefix}[{}]", picks.get(index)?)),
            Rules::One(path) => (index == 0).then(|| path.clone()),
        }
    }

    /// The 1-based line of the value at `path` (JSON text only). The items of a list are
    /// found in one pass over it, kept for the next path into the same list.
    pub(super) fn line(&self, path: &str) -> Option<usize> {
        if !self.json {
            return None;
        }
        let mut segs = segments(path)?;
        let at = match segs.pop() {
            Some(Seg::Index(n)) => {
                let mut cache = self.items.borrow_mut();
                let key = path
                    .rsplit_once('[')
                    .map_or("", |(prefix, _)| prefix)
                    .to_owned();
                let items = cache
                    .entry(key)
                    .or_insert_with(|| items(self.text, &segs).unwrap_or_default());
                *items.get(n)?
            }
            Some(last) => {
                segs.push(last);
                find(self.text, &segs)?
            }
            None => find(self.text, &segs)?,
        };
        let newlines = self
            .newlines
            .get_or_init(|| memchr::memchr_iter(b'\n', self.text.as_bytes()).collect());
        Some(newlines.partition_point(|n| *n < at).saturating_add(1))
    }
}

/// `prefix.key` (or `key` at the top).
fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// What [`shape`] looks at in a document: lists, the maps' keys it knows (each key's last
/// value), and nothing else (the rest is skipped as it is read, never built).
enum Node {
    List(Vec<Node>),
    Map(Box<Keys>),
    Other,
}

/// The keys whose values [`shape`] and [`picked`] look into.
const SHAPE_KEYS: [&str; 8] = [
    "groups",
    "results",
    "security_group_rules",
    "rules",
    "security_group",
    "security_group_rule",
    "rule",
    "document",
];

/// The keys of a map [`shape`] and [`picked`] look at.
#[derive(Default)]
struct Keys {
    /// The value of each of [`SHAPE_KEYS`], in its order.
    nodes: [Option<Node>; SHAPE_KEYS.len()],
    /// Compared as values: a Huawei list's groups are told by it.
    security_group_id: Option<Value>,
}

impl Keys {
    /// The slot of `key`, one of [`SHAPE_KEYS`].
    fn slot(&mut self, key: &str) -> Option<&mut Option<Node>> {
        let at = SHAPE_KEYS.iter().position(|k| *k == key)?;
        self.nodes.get_mut(at)
    }
}

impl Node {
    /// The value of `key` in a map.
    fn get(&self, key: &str) -> Option<&Node> {
        let Node::Map(keys) = self else {
            return None;
        };
        let at = SHAPE_KEYS.iter().position(|k| *k == key)?;
        keys.nodes.get(at)?.as_ref()
    }
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

/// Visits of a scalar, which `shape` does not look at.
macro_rules! scalars {
    ($($visit:ident: $t:ty),*) => {$(
        fn $visit<E: de::Error>(self, _: $t) -> Result<Node, E> {
            Ok(Node::Other)
        }
    )*};
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON or YAML value")
    }

    scalars!(
        visit_bool: bool,
        visit_i64: i64,
        visit_i128: i128,
        visit_u64: u64,
        visit_u128: u128,
        visit_f64: f64,
        visit_str: &str
    );

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut keys = Keys::default();
        while let Some(key) = map.next_key::<Key>()? {
            if key.0 == "security_group_id" {
                keys.security_group_id = Some(map.next_value()?);
            } else if let Some(slot) = keys.slot(&key.0) {
                *slot = Some(map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Node::Map(Box::new(keys)))
    }
}

/// A map's key, read as a string (as `serde_json::Value` reads keys).
struct Key(String);

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key, E> {
                Ok(Key(v))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Where the rules of each of `groups` groups stand in `v`, read at `prefix`.
fn shape(v: &Node, from: ProviderId, prefix: &str, groups: usize) -> Vec<Rules> {
    match v {
        Node::List(items) => list(items, from, prefix),
        Node::Map(_) => {
            if let Some(Node::List(gs)) = v.get("groups") {
                let at = join(prefix, "groups");
                if from == ProviderId::Canonical {
                    return (0..gs.len())
                        .map(|g| Rules::List(format!("{at}[{g}].rules")))
                        .collect();
                }
                // sgconv's envelope: one provider document per group.
                return gs
                    .iter()
                    .enumerate()
                    .flat_map(|(g, item)| match item.get("document") {
                        Some(doc) => shape(doc, from, &format!("{at}[{g}].document"), 1),
                        None => Vec::new(),
                    })
                    .collect();
            }
            if let Some(Node::List(results)) = v.get("results") {
                let at = join(prefix, "results");
                return (0..results.len().min(groups))
                    .map(|g| Rules::List(format!("{at}[{g}].security_group_rules")))
                    .collect();
            }
            for key in ["security_group_rules", "rules"] {
                if let Some(Node::List(items)) = v.get(key) {
                    let at = join(prefix, key);
                    return list(items, from, &at);
                }
            }
            if let Some(group @ Node::Map(_)) = v.get("security_group")
                && group.get("security_group_rules").is_some()
            {
                return shape(group, from, &join(prefix, "security_group"), groups);
            }
            for key in ["security_group_rule", "rule"] {
                if matches!(v.get(key), Some(Node::Map(_))) {
                    return vec![Rules::One(join(prefix, key))];
                }
            }
            vec![Rules::One(if prefix.is_empty() {
                ".".to_owned()
            } else {
                prefix.to_owned()
            })]
        }
        Node::Other => Vec::new(),
    }
}

/// A list of rules: Huawei's is split by group (see [`picked`]); others are one group.
fn list(items: &[Node], from: ProviderId, prefix: &str) -> Vec<Rules> {
    if from == ProviderId::Huawei {
        picked(items, prefix)
    } else {
        vec![Rules::List(prefix.to_owned())]
    }
}

/// The groups of a Huawei list: one per `security_group_id`, in order of first appearance.
fn picked(items: &[Node], prefix: &str) -> Vec<Rules> {
    let mut keys: Vec<Option<&Value>> = Vec::new();
    let mut picks: Vec<Vec<usize>> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let rule = item.get("security_group_rule").unwrap_or(item);
        let key = match rule {
            Node::Map(keys) => keys.security_group_id.as_ref().filter(|v| !v.is_null()),
            _ => None,
        };
        match keys.iter().position(|k| *k == key) {
            Some(g) => {
                if let Some(p) = picks.get_mut(g) {
                    p.push(i);
                }
            }
            None => {
                keys.push(key);
                picks.push(vec![i]);
            }
        }
    }
    if picks.is_empty() {
        picks.push(Vec::new());
    }
    picks
        .into_iter()
        .map(|p| Rules::Picked(prefix.to_owned(), p))
        .collect()
}

/// One step of a path.
#[derive(Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `security_group_rules[3]` → key, index; `.` → nothing.
fn segments(path: &str) -> Option<Vec<Seg>> {
    let mut out = Vec::new();
    if path == "." {
        return Some(out);
    }
    for part in path.split('.') {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            out.push(Seg::Key(key.to_owned()));
        }
        if !rest.is_empty() {
            for index in rest.trim_end_matches(']').split("][") {
                out.push(Seg::Index(index.parse().ok()?));
            }
        }
    }
    Some(out)
}

/// The byte offset of the value at `path` in JSON `text`.
fn find(text: &str, path: &[Seg]) -> Option<usize> {
    let mut s = Scan {
        b: text.as_bytes(),
        i: 0,
    };
    for seg in path {
        s.ws();
        match seg {
            Seg::Key(k) => {
                s.eat(b'{')?;
                loop {
                    s.ws();
                    let same = s.string()? == k.as_bytes();
                    s.ws();
                    s.eat(b':')?;
                    s.ws();
                    if same {
                        break;
                    }
                    s.value()?;
                    s.ws();
                    s.eat(b',')?;
                }
            }
            Seg::Index(n) => {
                s.eat(b'[')?;
                for _ in 0..*n {
                    s.ws();
                    s.value()?;
                    s.ws();
                    s.eat(b',')?;
                }
            }
        }
    }
    s.ws();
    Some(s.i)
}

/// The byte offsets of the items of the list at `path` in JSON `text`.
fn items(text: &str, path: &[Seg]) -> Option<Vec<usize>> {
    let mut s = Scan {
        b: text.as_bytes(),
        i: find(text, path)?,
    };
    s.eat(b'[')?;
    let mut out = Vec::new();
    loop {
        s.ws();
        if s.peek()? == b']' {
            return Some(out);
        }
        out.push(s.i);
        s.value()?;
        s.ws();
        if s.eat(b',').is_none() {
            return Some(out);
        }
    }
}

/// A cursor over JSON text that skips what it is not asked about.
struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn bump(&mut self) {
        self.i = self.i.saturating_add(1);
    }
    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.bump();
        }
    }
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.bump())
    }
    /// A string's raw bytes (escapes left as written).
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            match self.peek()? {
                b'\\' => {
                    self.bump();
                    self.bump();
                }
                b'"' => {
                    let s = self.b.get(start..self.i)?;
                    self.bump();
                    return Some(s);
                }
                _ => self.bump(),
            }
        }
    }
    /// Skip one value.
    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth = depth.saturating_add(1),
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                self.bump();
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.bump();
                }
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
                {
                    self.bump();
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where each shape of document puts its rules, read from JSON and from YAML alike:
    /// only the keys `shape` knows are kept, the last of a repeated key wins, and a Huawei
    /// list's groups are told by `security_group_id` values (a null or missing id is one
    /// group, a wrapped rule's id is its own).
    #[test]
    fn shapes_of_documents() {
        let shaped = |text: &str, from: ProviderId, groups: usize| -> String {
            let json: Node = serde_json::from_str(text).expect("json");
            let yaml: Node = serde_saphyr::from_str(text).expect("yaml");
            let a = format!("{:?}", shape(&json, from, "", groups));
            let b = format!("{:?}", shape(&yaml, from, "", groups));
            assert_eq!(a, b, "{text}");
            a
        };
        let huawei = r#"{"security_group_rules": [
            {"security_group_id": "a", "x": {"rules": [1]}}, {"security_group_id": 7},
            {"security_group_rule": {"security_group_id": "a"}}, {"security_group_id": null},
            {"other": 1}, {"security_group_id": 7}, 3]}"#;
        assert_eq!(
            shaped(huawei, ProviderId::Huawei, 3),
            r#"[Picked("security_group_rules", [0, 2]), Picked("security_group_rules", [1, 5]), Picked("security_group_rules", [3, 4, 6])]"#
        );
        assert_eq!(
            shaped(huawei, ProviderId::GcoreV2, 1),
            r#"[List("security_group_rules")]"#
        );
        assert_eq!(
            shaped(r#"[{"security_group_id": "a"}]"#, ProviderId::Huawei, 1),
            r#"[Picked("", [0])]"#
        );
        let envelope = r#"{"groups": [{"document": {"rules": []}}, {"name": 1},
            {"document": {"security_group": {"security_group_rules": [], "id": 1}}}]}"#;
        assert_eq!(
            shaped(envelope, ProviderId::Scaleway, 3),
            r#"[List("groups[0].document.rules"), List("groups[2].document.security_group.security_group_rules")]"#
        );
        assert_eq!(
            shaped(r#"{"groups": [{}, {}]}"#, ProviderId::Canonical, 2),
            r#"[List("groups[0].rules"), List("groups[1].rules")]"#
        );
        assert_eq!(
            shaped(
                r#"{"results": [{}, {}, {}], "count": 3}"#,
                ProviderId::GcoreV1,
                2
            ),
            r#"[List("results[0].security_group_rules"), List("results[1].security_group_rules")]"#
        );
        assert_eq!(
            shaped(
                r#"{"groups": null, "rule": {"a": 1}}"#,
                ProviderId::Scaleway,
                1
            ),
            r#"[One("rule")]"#
        );
        assert_eq!(
            shaped(
                r#"{"security_group_rule": [1], "security_group": {"name": "x"}}"#,
                ProviderId::OpenStack,
                1
            ),
            r#"[One(".")]"#
        );
        assert_eq!(shaped("7", ProviderId::Huawei, 1), "[]");
        // JSON keeps the last of a repeated key (YAML refuses one).
        let repeated: Node = serde_json::from_str(
            r#"[{"security_group_id": "b", "security_group_id": 7}, {"security_group_id": 7}]"#,
        )
        .expect("json");
        assert_eq!(
            format!("{:?}", shape(&repeated, ProviderId::Huawei, "", 1)),
            r#"[Picked("", [0, 1])]"#
        );
    }

    #[test]
    fn finds_lines_of_paths() {
        let text = "{\"a\": 1,\n \"rules\": [\n  {\"x\": \"[,]\"},\n  {\"y\": 2}\n ]}";
        assert_eq!(
            segments("rules[1]"),
            Some(vec![Seg::Key("rules".into()), Seg::Index(1)])
        );
        let at = find(text, &segments("rules[1]").unwrap()).unwrap();
        assert_eq!(&text[at..at + 8], "{\"y\": 2}");
        let at = find(text, &segments("rules[0]").unwrap()).unwrap();
        assert_eq!(&text[at..at + 1], "{");
        assert_eq!(find(text, &segments("nope[0]").unwrap()), None);
    }
}
