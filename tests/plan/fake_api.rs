//! A fake of each target's API, answering the requests a plan sends as the providers' API
//! references document them: the ids a create assigns, the default rules a new group is born
//! with, Gcore's tasks, Scaleway's replace-all PUT, Azure's create-or-update. It knows nothing
//! of sgconv: it keeps the groups as the provider would return them, and writes them out as
//! a document the raw evaluator reads.
//!
//! References: Gcore <https://api.gcore.com/docs/cloud#tag/Security-Groups>; Huawei
//! <https://support.huaweicloud.com/api-vpc/CreateSecurityGroup.html> (default rules:
//! ingress from the group itself and all egress, IPv4 and IPv6); Scaleway
//! <https://www.scaleway.com/en/developers/api/instance/#path-security-groups>; Neutron
//! <https://docs.openstack.org/api-ref/network/v2/#security-groups-security-groups> (two
//! egress rules on every new group); Azure
//! <https://learn.microsoft.com/en-us/rest/api/virtualnetwork/network-security-groups/create-or-update>;
//! EC2 <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html>
//! (one egress rule allowing all IPv4 on every new group).

#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// One request as the fake got it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: Option<Value>,
}

pub(crate) struct Group {
    pub(crate) id: String,
    /// The group object as the provider returns it, without its rules.
    pub(crate) fields: Map<String, Value>,
    pub(crate) rules: Vec<Value>,
}

/// The fake account of one provider.
pub struct Fake {
    provider: String,
    pub(crate) groups: Vec<Group>,
    /// Task id → (RUNNING answers left, the finished report).
    tasks: BTreeMap<String, (u32, Value)>,
    next: u64,
    pub requests: Vec<Recorded>,
    /// Answer the request with this (1-based) number with HTTP 409 and change nothing.
    pub fail_at: Option<usize>,
    /// How many times a task answers RUNNING before FINISHED.
    pub task_polls: u32,
}

const NOW: &str = "2025-06-01T12:00:00+0000";

pub(crate) fn error(status: u16, message: &str) -> (u16, Value) {
    (status, json!({ "message": message }))
}

/// `%XX` decoded (a query value or a path segment).
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("UTF-8")
}

pub(crate) fn query(q: &str, key: &str) -> Option<String> {
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| decode(v))
}

impl Fake {
    pub fn new(provider: &str) -> Fake {
        Fake {
            provider: provider.to_owned(),
            groups: Vec::new(),
            tasks: BTreeMap::new(),
            next: 0,
            requests: Vec::new(),
            fail_at: None,
            task_polls: 1,
        }
    }

    pub(crate) fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        match prefix {
            "sg" => format!("sg-0fa4e{:012x}", self.next),
            _ => format!(
                "{prefix}{:04x}-7e57-4a11-8f00-{:012x}",
                self.next, self.next
            ),
        }
    }

    /// Keep a new group: its id and its object as the provider returns it.
    pub(crate) fn add(&mut self, id: &str, fields: Value) {
        let Value::Object(fields) = fields else {
            panic!("a group object")
        };
        self.groups.push(Group {
            id: id.to_owned(),
            fields,
            rules: Vec::new(),
        });
    }

    pub(crate) fn group_mut(&mut self, id: &str) -> Option<&mut Group> {
        self.groups.iter_mut().find(|g| g.id == id)
    }

    /// The ids of the groups created, in order.
    pub fn ids(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.id.clone()).collect()
    }

    /// Answer one request: (HTTP status, JSON body).
    pub fn handle(&mut self, method: &str, target: &str, body: Option<Value>) -> (u16, Value) {
        self.requests.push(Recorded {
            method: method.to_owned(),
            path: target.to_owned(),
            body: body.clone(),
        });
        if self.fail_at == Some(self.requests.len()) {
            return error(409, "conflict (the test's failing request)");
        }
        let (path, q) = target.split_once('?').unwrap_or((target, ""));
        let segs: Vec<String> = path
            .trim_start_matches('/')
            .split('/')
            .map(decode)
            .collect();
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let body = body.unwrap_or(Value::Null);
        match self.provider.clone().as_str() {
            "gcore-v1" | "gcore-v2" => self.gcore(method, &segs, q, body),
            "huawei" => self.huawei(method, &segs, q, body),
            "scaleway" => self.scaleway(method, &segs, q, body),
            "openstack" => self.openstack(method, &segs, q, body),
            "azure-nsg" => self.azure(method, &segs, body),
            "aws-ec2" => self.aws(q, body),
            other => panic!("no fake of {other}"),
        }
    }

    pub(crate) fn named(&self, name: &str) -> Vec<Value> {
        self.groups
            .iter()
            .filter(|g| g.fields.get("name").and_then(Value::as_str) == Some(name))
            .map(|g| Value::Object(g.fields.clone()))
            .collect()
    }

    /// Remove a rule by id, from whichever group holds it.
    pub(crate) fn delete_rule(&mut self, rid: &str) -> (u16, Value) {
        for g in &mut self.groups {
            if let Some(i) = g.rules.iter().position(|r| r["id"] == rid) {
                g.rules.remove(i);
                return (204, Value::Null);
            }
        }
        error(404, "rule not found")
    }

    // --- Gcore ----------------------------------------------------------------------------

    fn gcore_rule(&mut self, gid: &str, body: &Value) -> Value {
        let mut r = Map::new();
        for k in [
            "direction",
            "ethertype",
            "protocol",
            "port_range_min",
            "port_range_max",
            "remote_ip_prefix",
            "remote_group_id",
            "description",
        ] {
            r.insert(k.into(), body.get(k).cloned().unwrap_or(Value::Null));
        }
        r.insert("id".into(), json!(self.id("a")));
        r.insert("security_group_id".into(), json!(gid));
        r.insert("revision_number".into(), json!(0));
        r.insert("created_at".into(), json!(NOW));
        r.insert("updated_at".into(), json!(NOW));
        Value::Object(r)
    }

    fn gcore_group(&mut self, body: &Value) -> String {
        let gid = self.id("b");
        let fields = json!({ "id": gid, "name": body["name"], "description": body.get("description").cloned().unwrap_or(Value::Null),
            "project_id": 1, "region_id": 1, "region": "Luxembourg-2", "revision_number": 0,
            "created_at": NOW, "updated_at": NOW, "tags_v2": [] });
        self.add(&gid, fields);
        gid
    }

    fn task(&mut self, created: Value) -> (u16, Value) {
        let tid = self.id("c");
        let report = json!({ "id": tid, "state": "FINISHED", "created_resources": created });
        self.tasks.insert(tid.clone(), (self.task_polls, report));
        (200, json!({ "tasks": [tid] }))
    }

    fn gcore(&mut self, method: &str, segs: &[&str], q: &str, body: Value) -> (u16, Value) {
        match (method, segs) {
            ("GET", ["cloud", "v1", "securitygroups", _, _]) => {
                let found = self.named(&query(q, "name").unwrap_or_default());
                let found: Vec<Value> = found
                    .into_iter()
                    .map(|mut g| {
                        g["security_group_rules"] = json!([]);
                        g
                    })
                    .collect();
                (200, json!({ "count": found.len(), "results": found }))
            }
            ("POST", ["cloud", "v1", "securitygroups", _, _]) => {
                let gid = self.gcore_group(&body["security_group"]);
                // A group created without rules gets the default egress rules.
                for e in ["IPv4", "IPv6"] {
                    let r =
                        self.gcore_rule(&gid, &json!({ "direction": "egress", "ethertype": e }));
                    self.group_mut(&gid).unwrap().rules.push(r);
                }
                (201, self.gcore_show(&gid))
            }
            ("DELETE", ["cloud", "v1", "securitygrouprules", _, _, rid]) => self.delete_rule(rid),
            (
                "POST",
                [
                    "cloud",
                    v,
                    "securitygroups" | "security_groups",
                    _,
                    _,
                    gid,
                    "rules",
                ],
            ) => {
                if self.group_mut(gid).is_none() {
                    return error(404, "group not found");
                }
                let r = self.gcore_rule(gid, &body);
                let same = |a: &Value| {
                    let mut a = a.clone();
                    a["id"] = r["id"].clone();
                    a == r
                };
                if self.group_mut(gid).unwrap().rules.iter().any(same) {
                    return error(409, "Security group rule already exists");
                }
                self.group_mut(gid).unwrap().rules.push(r.clone());
                if *v == "v2" {
                    self.task(json!({ "security_group_rules": [r["id"]] }))
                } else {
                    (201, r)
                }
            }
            ("POST", ["cloud", "v2", "security_groups", _, _]) => {
                if body.get("rules") != Some(&json!([])) {
                    return error(400, "the fake expects rules: [] on create");
                }
                let gid = self.gcore_group(&body);
                self.task(json!({ "security_groups": [gid] }))
            }
            ("GET", ["cloud", "v1", "tasks", tid]) => match self.tasks.get_mut(*tid) {
                Some((0, report)) => (200, report.clone()),
                Some((left, report)) => {
                    *left -= 1;
                    let mut running = report.clone();
                    running["state"] = json!("RUNNING");
                    running["created_resources"] = Value::Null;
                    (200, running)
                }
                None => error(404, "task not found"),
            },
            _ => error(404, "no such Gcore route"),
        }
    }

    fn gcore_show(&self, gid: &str) -> Value {
        let g = self.groups.iter().find(|g| g.id == gid).unwrap();
        let mut v = Value::Object(g.fields.clone());
        v["security_group_rules"] = Value::Array(g.rules.clone());
        v
    }

    // --- Huawei ---------------------------------------------------------------------------

    fn huawei_rule(&mut self, gid: &str, body: &Value) -> Value {
        let mut r = body.as_object().cloned().unwrap_or_default();
        r.insert("id".into(), json!(self.id("d")));
        r.insert("security_group_id".into(), json!(gid));
        r.insert(
            "project_id".into(),
            json!("060576782980d5762f9ec014dd2f1148"),
        );
        r.entry("ethertype").or_insert(json!("IPv4"));
        r.entry("action").or_insert(json!("allow"));
        r.entry("priority").or_insert(json!(1));
        r.insert("created_at".into(), json!("2025-06-01T12:00:00.000+00:00"));
        r.insert("updated_at".into(), json!("2025-06-01T12:00:00.000+00:00"));
        Value::Object(r)
    }

    fn huawei(&mut self, method: &str, segs: &[&str], q: &str, body: Value) -> (u16, Value) {
        match (method, segs) {
            ("GET", ["v3", _, "vpc", "security-groups"]) => {
                let found = self.named(&query(q, "name").unwrap_or_default());
                (200, json!({ "security_groups": found }))
            }
            ("POST", ["v3", _, "vpc", "security-groups"]) => {
                let gid = self.id("e");
                let g = &body["security_group"];
                let fields = json!({ "id": gid, "name": g["name"],
                    "description": g.get("description").cloned().unwrap_or(json!("")) });
                self.add(&gid, fields);
                for e in ["IPv4", "IPv6"] {
                    let own =
                        json!({ "direction": "ingress", "ethertype": e, "remote_group_id": gid });
                    let all = json!({ "direction": "egress", "ethertype": e });
                    for r in [own, all] {
                        let r = self.huawei_rule(&gid, &r);
                        self.group_mut(&gid).unwrap().rules.push(r);
                    }
                }
                let g = self.groups.last().unwrap();
                let mut v = Value::Object(g.fields.clone());
                v["security_group_rules"] = Value::Array(g.rules.clone());
                (201, json!({ "security_group": v }))
            }
            ("DELETE", ["v3", _, "vpc", "security-group-rules", rid]) => self.delete_rule(rid),
            (
                "POST",
                [
                    "v3",
                    _,
                    "vpc",
                    "security-groups",
                    gid,
                    "security-group-rules",
                    "batch-create",
                ],
            ) => {
                if self.group_mut(gid).is_none() {
                    return error(404, "group not found");
                }
                let mut made = Vec::new();
                for r in body["security_group_rules"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                {
                    let r = self.huawei_rule(gid, &r);
                    made.push(r.clone());
                    self.group_mut(gid).unwrap().rules.push(r);
                }
                (201, json!({ "security_group_rules": made }))
            }
            _ => error(404, "no such Huawei route"),
        }
    }

    // --- Scaleway -------------------------------------------------------------------------

    fn scaleway(&mut self, method: &str, segs: &[&str], q: &str, body: Value) -> (u16, Value) {
        match (method, segs) {
            ("GET", ["instance", "v1", "zones", _, "security_groups"]) => {
                // The name filter matches parts of names.
                let part = query(q, "name").unwrap_or_default();
                let found: Vec<Value> = self
                    .groups
                    .iter()
                    .filter(|g| g.fields["name"].as_str().is_some_and(|n| n.contains(&part)))
                    .map(|g| Value::Object(g.fields.clone()))
                    .collect();
                (200, json!({ "security_groups": found }))
            }
            ("POST", ["instance", "v1", "zones", zone, "security_groups"]) => {
                let gid = self.id("f");
                let mut fields = body.as_object().cloned().unwrap_or_default();
                fields.insert("id".into(), json!(gid));
                fields.insert("organization".into(), fields["project"].clone());
                fields.insert("zone".into(), json!(zone));
                fields.insert("state".into(), json!("available"));
                fields.insert("servers".into(), json!([]));
                fields
                    .entry("enable_default_security")
                    .or_insert(json!(true));
                fields.entry("tags").or_insert(json!([]));
                self.add(&gid, Value::Object(fields.clone()));
                (201, json!({ "security_group": fields }))
            }
            (
                "PUT",
                [
                    "instance",
                    "v1",
                    "zones",
                    zone,
                    "security_groups",
                    gid,
                    "rules",
                ],
            ) => {
                let zone = zone.to_string();
                let mut rules = Vec::new();
                for r in body["rules"].as_array().cloned().unwrap_or_default() {
                    let mut r = r.as_object().cloned().unwrap_or_default();
                    r.insert("id".into(), json!(self.id("1")));
                    r.insert("editable".into(), json!(true));
                    r.insert("zone".into(), json!(zone));
                    rules.push(Value::Object(r));
                }
                let Some(g) = self.group_mut(gid) else {
                    return error(404, "group not found");
                };
                g.rules = rules.clone();
                (200, json!({ "rules": rules }))
            }
            _ => error(404, "no such Scaleway route"),
        }
    }

    /// The account as one document of the provider: what its list or show calls return.
    pub fn document(&self) -> Value {
        let with_rules = |g: &Group, key: &str| {
            let mut v = Value::Object(g.fields.clone());
            v[key] = Value::Array(g.rules.clone());
            v
        };
        match self.provider.as_str() {
            "gcore-v1" | "gcore-v2" => {
                let results: Vec<Value> = self
                    .groups
                    .iter()
                    .map(|g| with_rules(g, "security_group_rules"))
                    .collect();
                json!({ "count": results.len(), "results": results })
            }
            "huawei" => {
                let rules: Vec<Value> = self.groups.iter().flat_map(|g| g.rules.clone()).collect();
                json!({ "security_group_rules": rules })
            }
            "openstack" => {
                let groups: Vec<Value> = self
                    .groups
                    .iter()
                    .map(|g| with_rules(g, "security_group_rules"))
                    .collect();
                json!({ "security_groups": groups })
            }
            "scaleway" => {
                let groups: Vec<Value> = self
                    .groups
                    .iter()
                    .map(
                        |g| json!({ "document": { "security_group": g.fields, "rules": g.rules } }),
                    )
                    .collect();
                json!({ "groups": groups })
            }
            "azure-nsg" => {
                let groups: Vec<Value> = self
                    .groups
                    .iter()
                    .map(|g| json!({ "document": g.fields }))
                    .collect();
                json!({ "groups": groups })
            }
            "aws-ec2" => {
                let groups: Vec<Value> = self
                    .groups
                    .iter()
                    .map(|g| {
                        let side = |egress: bool| -> Vec<Value> {
                            g.rules
                                .iter()
                                .filter(|r| r["egress"] == egress)
                                .map(|r| r["perm"].clone())
                                .collect()
                        };
                        let mut v = Value::Object(g.fields.clone());
                        v["IpPermissions"] = Value::Array(side(false));
                        v["IpPermissionsEgress"] = Value::Array(side(true));
                        v
                    })
                    .collect();
                json!({ "SecurityGroups": groups })
            }
            other => panic!("no fake of {other}"),
        }
    }
}
