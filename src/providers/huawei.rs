//! Huawei Cloud VPC API v3 security-group rules (reference/huawei.md).
//!
//! Import shapes:
//!
//! | shape | top level |
//! |---|---|
//! | create-rule body (optionally `dry_run`), 201 create or show-rule response | `{security_group_rule: {...}}` |
//! | batch-create body, batch-create 201 response, list-rules response | `{security_group_rules: [...]}` (+ `request_id`, `page_info`, `ignore_duplicate`, `dry_run`) |
//! | show-group / create-group response | `{security_group: {..., security_group_rules}}` |
//! | a bare rule | `{direction, ...}` |
//! | a list of create bodies (sgconv's own export) or of bare rules | `[...]` |
//!
//! Rules of a list that name different `security_group_id`s become separate groups.
//! A group's evaluation is priority order (1 first), deny before allow at equal priority,
//! first match decides, no match denies (§7).
//!
//! Export: an array of `{"security_group_rule": {...}}` create bodies with `ethertype`,
//! `action` and `priority` always written (the documented defaults contradict each other)
//! and every field that means "all" left out rather than sent as `""`.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use super::read::{self, ReadRule};
use super::{ExportOptions, Provider, ProviderId};
use crate::error::Error;
use crate::fit::{Capabilities, GroupFields, Ordering, Protocols, TextLimit};
use crate::format::{self, Format, TopLevel};
use crate::model::{
    Action, Direction, Document, Evaluation, Family, Origin, PortSet, Protocol, Remote, Rule,
    RuleSpec, SecurityGroup, Tag, multiport,
};
use crate::report::{Change, Field, Kind, Report};

/// Huawei Cloud VPC, API v3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Huawei;

/// The lowest and highest priority (1 is evaluated first).
const PRIORITIES: (u16, u16) = (1, 100);

/// What `security_group_id` holds when no `--target-group` is given.
const PLACEHOLDER_GROUP: &str = "REPLACE-WITH-TARGET-SECURITY-GROUP-ID";

static CAPS: Capabilities = Capabilities {
    deny: true,
    ordering: Ordering::Priority {
        min: PRIORITIES.0,
        max: PRIORITIES.1,
    },
    default_allow: false,
    stateless: false,
    protocols: Protocols::All,
    // multiport is documented for tcp and udp only (§4).
    port_protocols: &[6, 17],
    port_ranges_per_rule: multiport::MAX_GROUPS,
    icmp_type_code: false,
    remote_group: true,
    address_group: true,
    description: Some(TextLimit {
        max_chars: 255,
        forbidden: &['<', '>'],
    }),
    group_fields: GroupFields::NONE,
    rule_ids: false,
    enabled_flag: true,
    max_rules: Some(50),
};

// ---------------------------------------------------------------------------------------
// Wire shapes

#[derive(Deserialize, Clone, Copy)]
enum Ethertype {
    #[serde(alias = "ipv4")]
    IPv4,
    #[serde(alias = "ipv6")]
    IPv6,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum WireAction {
    Allow,
    Deny,
}

/// One rule as Huawei writes it in request options and responses. Unknown keys are
/// rejected: the SDK silently drops them, and a dropped `multiport` would widen the rule.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireRule {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default)]
    security_group_id: Option<String>,
    direction: Direction,
    #[serde(default)]
    ethertype: Option<Ethertype>,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default, deserialize_with = "de_multiport")]
    multiport: Option<PortSet>,
    #[serde(default)]
    remote_ip_prefix: Option<String>,
    #[serde(default)]
    remote_group_id: Option<String>,
    #[serde(default)]
    remote_address_group_id: Option<String>,
    #[serde(default)]
    action: Option<WireAction>,
    #[serde(default)]
    priority: Option<i64>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
}

/// `multiport`: a string in the grammar of [`multiport`], `null`, or (a documentation
/// quirk, §3) a JSON number.
fn de_multiport<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PortSet>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<PortSet>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a multiport string such as \"22,80-90\", a port number, or null")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            multiport::parse(s).map(Some).map_err(E::custom)
        }
        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
            self.visit_str(&n.to_string())
        }
        fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
            self.visit_str(&n.to_string())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(V)
        }
    }
    d.deserialize_option(V)
}

/// A rule checked while it is read, so errors carry its path and line:column.
#[derive(Deserialize)]
#[serde(try_from = "WireRule")]
struct Checked {
    read: ReadRule,
    group_id: Option<String>,
}

impl TryFrom<WireRule> for Checked {
    type Error = String;
    fn try_from(w: WireRule) -> Result<Self, String> {
        let group_id = w.security_group_id.clone().filter(|s| !s.is_empty());
        Ok(Checked {
            read: read_rule(w)?,
            group_id,
        })
    }
}

/// `{security_group_rule}`: a create body (with `dry_run`), a 201 create or show response.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OneRule {
    #[serde(default)]
    dry_run: Option<bool>,
    #[serde(default)]
    request_id: Option<String>,
    security_group_rule: Checked,
}

/// `{security_group_rules}`: a batch-create body or response, or a list response.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleList {
    security_group_rules: Vec<Checked>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    page_info: Option<PageInfo>,
    #[serde(default)]
    ignore_duplicate: Option<bool>,
    #[serde(default)]
    dry_run: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageInfo {
    #[serde(default)]
    #[allow(dead_code)] // read so that a page_info is recognised
    previous_marker: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    current_count: Option<u64>,
    #[serde(default)]
    next_marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShowGroup {
    security_group: WireGroup,
    #[serde(default)]
    request_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireTag {
    key: String,
    #[serde(default)]
    value: Option<String>,
}

/// `SecurityGroupInfo` (show / create group).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireGroup {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default)]
    enterprise_project_id: Option<String>,
    #[serde(default)]
    tags: Option<Vec<WireTag>>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    security_group_rules: Option<Vec<Checked>>,
}

/// An array item: a create body or a bare rule (told apart by its keys).
struct ItemKind {
    body: bool,
}

impl<'de> Deserialize<'de> for ItemKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ItemKind;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a rule object or a {\"security_group_rule\": ...} create body")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<ItemKind, A::Error> {
                let mut body = false;
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<de::IgnoredAny>()?;
                    body |= key == "security_group_rule";
                }
                Ok(ItemKind { body })
            }
        }
        d.deserialize_map(V)
    }
}

/// One create body as written.
#[derive(Serialize)]
struct Body<'a> {
    security_group_rule: WireOut<'a>,
}

/// A `CreateSecurityGroupRuleOption`, fields in the SDK's order.
#[derive(Serialize)]
struct WireOut<'a> {
    security_group_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    direction: Direction,
    ethertype: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multiport: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_ip_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_group_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_address_group_id: Option<&'a str>,
    action: &'static str,
    priority: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
}

// ---------------------------------------------------------------------------------------
// Reading one rule

fn read_rule(w: WireRule) -> Result<ReadRule, String> {
    let mut changes = Vec::new();
    let family = match w.ethertype {
        None | Some(Ethertype::IPv4) => Family::V4,
        Some(Ethertype::IPv6) => Family::V6,
    };
    let protocol = read_protocol(w.protocol.as_deref(), family)?;
    let ports = w.multiport.unwrap_or_default();
    if !ports.is_any() && !protocol.has_ports() {
        return Err(match protocol {
            Protocol::Any => format!(
                "multiport {ports} is given without a protocol; ports need protocol tcp or udp"
            ),
            p if p.is_icmp() => format!(
                "multiport {ports} on protocol {p}: v3 has no ICMP type/code and documents no meaning \
                 for ports on ICMP rules"
            ),
            p => format!("multiport {ports} on protocol {p}, which has no ports (use tcp or udp)"),
        });
    }
    let present = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
    let remote = match (
        present(&w.remote_ip_prefix),
        present(&w.remote_group_id),
        present(&w.remote_address_group_id),
    ) {
        (false, false, false) => Remote::Any,
        (true, false, false) => read::cidr(
            w.remote_ip_prefix.as_deref().unwrap_or_default(),
            family,
            "ethertype",
            &mut changes,
        )?,
        (false, true, false) => Remote::Group(w.remote_group_id.unwrap_or_default()),
        (false, false, true) => Remote::AddressGroup(w.remote_address_group_id.unwrap_or_default()),
        _ => {
            return Err(
                "remote_ip_prefix, remote_group_id and remote_address_group_id are mutually \
                        exclusive; give at most one"
                    .into(),
            );
        }
    };
    let priority = match w.priority {
        None => {
            changes.push(Change::new(
                Field::Priority,
                Kind::Note,
                None,
                "no priority given: Huawei documents both 1 and 100 as the default; read as 1, \
                 the value observed in responses",
            ));
            PRIORITIES.0
        }
        Some(p) => u16::try_from(p)
            .ok()
            .filter(|p| (PRIORITIES.0..=PRIORITIES.1).contains(p))
            .ok_or_else(|| format!("priority {p} is out of range (1-100, 1 is the highest)"))?,
    };
    if let Some(d) = &w.description {
        let n = d.chars().count();
        if n > 255 {
            return Err(format!(
                "description is {n} characters long; Huawei allows 255"
            ));
        }
        if d.contains(['<', '>']) {
            return Err("description must not contain `<` or `>`".into());
        }
    }
    let enabled = w.enabled.unwrap_or(true);
    if !enabled {
        changes.push(Change::new(
            Field::Enabled,
            Kind::Note,
            Some("false".into()),
            "the rule is disabled (enabled: false) and matches no traffic; carried as disabled",
        ));
    }
    if let Some(project) = w.project_id {
        changes.push(Change::new(
            Field::Wire("project_id".into()),
            Kind::Metadata,
            Some(project),
            "rule project_id is not carried",
        ));
    }
    let stamps: Vec<&str> = [w.created_at.as_deref(), w.updated_at.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !stamps.is_empty() {
        changes.push(Change::new(
            Field::Timestamps,
            Kind::Metadata,
            Some(stamps.join(" / ")),
            "rule timestamps are not carried",
        ));
    }
    let spec = RuleSpec {
        protocol,
        ports,
        remote,
        action: match w.action {
            None | Some(WireAction::Allow) => Action::Allow,
            Some(WireAction::Deny) => Action::Deny,
        },
        priority: Some(priority),
        enabled,
        description: w.description,
        origin: Origin::new(Origin::UNSET, w.id),
        ..RuleSpec::new(w.direction, family)
    };
    let rule = Rule::new(spec).map_err(|e| e.to_string())?;
    Ok(ReadRule { rule, changes })
}

/// `protocol`: `tcp`, `udp`, `icmp`, `icmpv6`, a number `"0"`-`"255"`, or null/`""` for all.
fn read_protocol(text: Option<&str>, family: Family) -> Result<Protocol, String> {
    let protocol = match text {
        None | Some("") => return Ok(Protocol::Any),
        Some(name @ ("tcp" | "udp" | "icmp" | "icmpv6")) => Protocol::from_name(name),
        Some(num) if num.len() <= 3 && num.bytes().all(|b| b.is_ascii_digit()) => {
            num.parse::<u8>().ok().map(Protocol::Number)
        }
        Some(_) => None,
    };
    let Some(protocol) = protocol else {
        return Err(format!(
            "unknown protocol {:?}: expected tcp, udp, icmp, icmpv6, a number \"0\"-\"255\", or null for all",
            text.unwrap_or_default()
        ));
    };
    match (protocol, family) {
        (Protocol::ICMP, Family::V6) => {
            Err("protocol icmp needs ethertype IPv4; use icmpv6 for IPv6".into())
        }
        (Protocol::ICMPV6, Family::V4) => {
            Err("protocol icmpv6 needs ethertype IPv6 (an omitted ethertype means IPv4)".into())
        }
        _ => Ok(protocol),
    }
}

// ---------------------------------------------------------------------------------------
// Reading documents

fn priority_group() -> SecurityGroup {
    SecurityGroup {
        evaluation: Evaluation::Priority,
        ..SecurityGroup::allow_only()
    }
}

/// Rules of a list, one group per `security_group_id` in order of first appearance.
fn rule_groups(rules: Vec<Checked>, first: usize, report: &mut Report) -> Vec<SecurityGroup> {
    let mut buckets: Vec<(Option<String>, Vec<ReadRule>)> = Vec::new();
    for c in rules {
        match buckets.iter_mut().find(|(id, _)| *id == c.group_id) {
            Some((_, reads)) => reads.push(c.read),
            None => buckets.push((c.group_id, vec![c.read])),
        }
    }
    if buckets.is_empty() {
        buckets.push((None, Vec::new()));
    }
    buckets
        .into_iter()
        .enumerate()
        .map(|(i, (id, reads))| {
            let mut group = priority_group();
            group.id = id;
            group.rules = read::place(reads, first + i, report);
            group
        })
        .collect()
}

fn group_metadata(report: &mut Report, gi: usize, items: &[(&str, Option<String>)]) {
    for (name, value) in items {
        if let Some(v) = value {
            report.group(gi).push(
                Field::Wire((*name).into()),
                Kind::Metadata,
                Some(v.clone()),
                format!("{name} is not carried"),
            );
        }
    }
}

fn flags_note(report: &mut Report, gi: usize, dry_run: Option<bool>, ignore: Option<bool>) {
    if dry_run == Some(true) {
        report.group(gi).push(
            Field::Wire("dry_run".into()),
            Kind::Note,
            Some("true".into()),
            "the input is a dry-run request (validation only); read as the rules it describes",
        );
    }
    if let Some(flag) = ignore {
        report.group(gi).push(
            Field::Wire("ignore_duplicate".into()),
            Kind::Metadata,
            Some(flag.to_string()),
            "the batch request's ignore_duplicate flag is not carried",
        );
    }
}

fn show_group(w: ShowGroup, report: &mut Report) -> SecurityGroup {
    let g = w.security_group;
    let mut group = priority_group();
    group.id = g.id;
    group.name = g.name.filter(|s| !s.is_empty());
    group.description = g.description.filter(|s| !s.is_empty());
    group.tags = g
        .tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect();
    group_metadata(
        report,
        0,
        &[
            ("request_id", w.request_id),
            ("project_id", g.project_id),
            ("enterprise_project_id", g.enterprise_project_id),
            ("created_at", g.created_at),
            ("updated_at", g.updated_at),
        ],
    );
    let reads = g
        .security_group_rules
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.read)
        .collect();
    group.rules = read::place(reads, 0, report);
    group
}

fn shape_error(found: &str) -> Error {
    Error::Shape {
        provider: ProviderId::Huawei,
        message: format!(
            "{found}; expected a create-rule body or response ({{security_group_rule}}), a batch-create \
             body or list response ({{security_group_rules: [...]}}), a show-group response \
             ({{security_group}}), a bare rule, or a list of bodies or rules"
        ),
    }
}

impl Provider for Huawei {
    fn id(&self) -> ProviderId {
        ProviderId::Huawei
    }

    fn about(&self) -> &'static str {
        "Huawei Cloud VPC API v3: rule bodies/responses, batch and list, show-group; priorities, deny"
    }

    fn capabilities(&self) -> &'static Capabilities {
        &CAPS
    }

    fn import(&self, text: &str, fmt: Format, report: &mut Report) -> Result<Document, Error> {
        let id = self.id();
        let top = format::probe(text, fmt, id)?;
        let groups = match &top {
            TopLevel::Scalar => return Err(shape_error("found a single value")),
            TopLevel::Array => {
                let kinds: Vec<ItemKind> = format::decode(text, fmt, id)?;
                let rules = if kinds.first().is_some_and(|k| k.body) {
                    let bodies: Vec<OneRule> = format::decode(text, fmt, id)?;
                    let mut dry = None;
                    let rules = bodies
                        .into_iter()
                        .map(|b| {
                            dry = dry.or(b.dry_run.filter(|d| *d));
                            b.security_group_rule
                        })
                        .collect();
                    flags_note(report, 0, dry, None);
                    rules
                } else {
                    format::decode::<Vec<Checked>>(text, fmt, id)?
                };
                rule_groups(rules, 0, report)
            }
            t if t.has("security_group_rule") => {
                let one: OneRule = format::decode(text, fmt, id)?;
                flags_note(report, 0, one.dry_run, None);
                group_metadata(report, 0, &[("request_id", one.request_id)]);
                rule_groups(vec![one.security_group_rule], 0, report)
            }
            t if t.has("security_group_rules") => {
                let list: RuleList = format::decode(text, fmt, id)?;
                flags_note(report, 0, list.dry_run, list.ignore_duplicate);
                group_metadata(report, 0, &[("request_id", list.request_id)]);
                if let Some(next) = list.page_info.and_then(|p| p.next_marker) {
                    report.group(0).push(
                        Field::Wire("page_info".into()),
                        Kind::Note,
                        Some(next),
                        "the list response has more pages (next_marker); only this page was read, and \
                         rules on other pages (deny rules included) are not part of the result",
                    );
                }
                rule_groups(list.security_group_rules, 0, report)
            }
            t if t.has("security_group") => {
                vec![show_group(format::decode(text, fmt, id)?, report)]
            }
            t if t.has("security_groups") => {
                return Err(shape_error(
                    "found a list-groups response ({security_groups}), which carries no rules",
                ));
            }
            t if t.has("error_code") => {
                return Err(shape_error(
                    "found an error or dry-run (202) response ({error_code}), which carries no rule",
                ));
            }
            t if t.has("direction") => {
                rule_groups(vec![format::decode::<Checked>(text, fmt, id)?], 0, report)
            }
            TopLevel::Object(keys) => {
                return Err(shape_error(&format!(
                    "found an object with keys [{}]",
                    keys.join(", ")
                )));
            }
        };
        Ok(Document { groups })
    }

    fn export_group(
        &self,
        group: &SecurityGroup,
        gi: usize,
        options: &ExportOptions,
        report: &mut Report,
    ) -> Result<serde_json::Value, Error> {
        let group_id = match options.target_group.as_deref() {
            Some(id) => id,
            None => {
                report.group(gi).push(
                    Field::Wire("security_group_id".into()),
                    Kind::Note,
                    Some(PLACEHOLDER_GROUP.into()),
                    "no target group given (--target-group ID): security_group_id is a placeholder to \
                     replace before sending",
                );
                PLACEHOLDER_GROUP
            }
        };
        report.group(gi).push(
            Field::Group,
            Kind::Note,
            None,
            "a new Huawei group starts with default rules (all ingress from its own members, all \
             egress); delete those the source does not have, or the group allows more than these rules",
        );
        let mut bodies = Vec::with_capacity(group.rules.len());
        for rule in &group.rules {
            if !rule.enabled() {
                report.rule(gi, rule.origin()).push(
                    Field::Enabled,
                    Kind::Note,
                    Some("false".into()),
                    "written with enabled: false, which Huawei documents for regions hc and hk only",
                );
            }
            bodies.push(Body {
                security_group_rule: body(rule, group_id)?,
            });
        }
        serde_json::to_value(bodies).map_err(|e| Error::Internal(e.to_string()))
    }
}

fn body<'a>(rule: &'a Rule, group_id: &'a str) -> Result<WireOut<'a>, Error> {
    let protocol = match rule.protocol() {
        Protocol::Any => None,
        Protocol::TCP => Some("tcp".to_owned()),
        Protocol::UDP => Some("udp".to_owned()),
        Protocol::ICMP => Some("icmp".to_owned()),
        Protocol::ICMPV6 => Some("icmpv6".to_owned()),
        Protocol::Number(n) => Some(n.to_string()),
    };
    let ports = rule.ports();
    if ports.ranges().len() > multiport::MAX_GROUPS || !rule.icmp().is_any() {
        return Err(Error::Internal(
            "a rule Huawei v3 cannot hold reached its exporter".into(),
        ));
    }
    let (remote_ip_prefix, remote_group_id, remote_address_group_id) = match rule.remote() {
        Remote::Any => (None, None, None),
        Remote::Cidr(net) => (Some(net.to_string()), None, None),
        Remote::Group(id) => (None, Some(id.as_str()), None),
        Remote::AddressGroup(id) => (None, None, Some(id.as_str())),
    };
    let priority = rule
        .priority()
        .filter(|p| (PRIORITIES.0..=PRIORITIES.1).contains(p))
        .ok_or_else(|| {
            Error::Internal(format!(
                "a rule without a priority in 1-100 ({:?}) reached the Huawei exporter",
                rule.priority()
            ))
        })?;
    Ok(WireOut {
        security_group_id: group_id,
        description: rule.description(),
        direction: rule.direction(),
        ethertype: match rule.family() {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        },
        protocol,
        multiport: (!ports.is_any()).then(|| multiport::print(ports)),
        remote_ip_prefix,
        remote_group_id,
        remote_address_group_id,
        action: match rule.action() {
            Action::Allow => "allow",
            Action::Deny => "deny",
        },
        priority,
        enabled: (!rule.enabled()).then_some(false),
    })
}
