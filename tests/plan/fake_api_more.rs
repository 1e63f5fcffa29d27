//! The fake APIs of OpenStack, Azure and AWS (see `fake_api.rs` for the references).

use serde_json::{Value, json};

use super::fake_api::{Fake, error, query};

impl Fake {
    // --- OpenStack ------------------------------------------------------------------------

    fn openstack_rule(&mut self, body: &Value) -> Value {
        let mut r = body.as_object().cloned().unwrap_or_default();
        for k in [
            "protocol",
            "port_range_min",
            "port_range_max",
            "remote_ip_prefix",
            "remote_group_id",
        ] {
            r.entry(k).or_insert(Value::Null);
        }
        r.insert("id".into(), json!(self.id("2")));
        r.insert("revision_number".into(), json!(0));
        Value::Object(r)
    }

    pub(crate) fn openstack(
        &mut self,
        method: &str,
        segs: &[&str],
        q: &str,
        body: Value,
    ) -> (u16, Value) {
        match (method, segs) {
            ("GET", ["v2.0", "security-groups"]) => {
                let found = self.named(&query(q, "name").unwrap_or_default());
                (200, json!({ "security_groups": found }))
            }
            ("POST", ["v2.0", "security-groups"]) => {
                let gid = self.id("3");
                let mut fields = body["security_group"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                fields.insert("id".into(), json!(gid));
                fields.entry("stateful").or_insert(json!(true));
                self.add(&gid, Value::Object(fields));
                for e in ["IPv4", "IPv6"] {
                    let r = self.openstack_rule(
                        &json!({ "direction": "egress", "ethertype": e, "security_group_id": gid }),
                    );
                    self.group_mut(&gid).unwrap().rules.push(r);
                }
                let g = self.groups.last().unwrap();
                let mut v = Value::Object(g.fields.clone());
                v["security_group_rules"] = Value::Array(g.rules.clone());
                (201, json!({ "security_group": v }))
            }
            ("DELETE", ["v2.0", "security-group-rules", rid]) => self.delete_rule(rid),
            ("POST", ["v2.0", "security-group-rules"]) => {
                let mut made = Vec::new();
                for r in body["security_group_rules"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                {
                    let r = self.openstack_rule(&r);
                    let gid = r["security_group_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    let Some(g) = self.group_mut(&gid) else {
                        return error(404, "group not found");
                    };
                    g.rules.push(r.clone());
                    made.push(r);
                }
                (201, json!({ "security_group_rules": made }))
            }
            _ => error(404, "no such Neutron route"),
        }
    }

    // --- Azure ----------------------------------------------------------------------------

    pub(crate) fn azure(&mut self, method: &str, segs: &[&str], body: Value) -> (u16, Value) {
        let [
            "subscriptions",
            s,
            "resourceGroups",
            rg,
            "providers",
            "Microsoft.Network",
            "networkSecurityGroups",
            name,
        ] = segs
        else {
            return error(404, "no such ARM route");
        };
        let id = format!(
            "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/networkSecurityGroups/{name}"
        );
        match method {
            "GET" => match self.groups.iter().find(|g| g.id == id) {
                Some(g) => (200, Value::Object(g.fields.clone())),
                None => (404, json!({ "error": { "code": "ResourceNotFound" } })),
            },
            "PUT" => {
                let mut fields = body.as_object().cloned().unwrap_or_default();
                fields.insert("name".into(), json!(name));
                fields.insert("id".into(), json!(id));
                fields.insert(
                    "type".into(),
                    json!("Microsoft.Network/networkSecurityGroups"),
                );
                self.groups.retain(|g| g.id != id);
                self.add(&id, Value::Object(fields.clone()));
                (201, Value::Object(fields))
            }
            _ => error(405, "method"),
        }
    }

    // --- AWS (the actions, as the CLI shows their input and output) ------------------------

    pub(crate) fn aws(&mut self, q: &str, body: Value) -> (u16, Value) {
        let action = query(q, "Action").unwrap_or_default();
        if action == "CreateSecurityGroup" {
            if !self.named_aws(&body["GroupName"]).is_empty() {
                return error(400, "InvalidGroup.Duplicate");
            }
            let gid = self.id("sg");
            let fields = json!({ "GroupId": gid, "GroupName": body["GroupName"], "Description": body["Description"],
                "VpcId": body["VpcId"], "OwnerId": "123456789012" });
            let born = json!({ "egress": true, "perm": { "IpProtocol": "-1", "IpRanges": [{ "CidrIp": "0.0.0.0/0" }] } });
            self.add(&gid, fields);
            self.group_mut(&gid).unwrap().rules.push(born);
            return (200, json!({ "GroupId": gid }));
        }
        let gid = body["GroupId"].as_str().unwrap_or_default().to_owned();
        let Some(g) = self.group_mut(&gid) else {
            return error(400, "InvalidGroup.NotFound");
        };
        let egress = action.ends_with("Egress");
        let perms = body["IpPermissions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        match action.as_str() {
            "RevokeSecurityGroupEgress" => {
                for p in perms {
                    let before = g.rules.len();
                    g.rules.retain(|r| !(r["egress"] == true && r["perm"] == p));
                    if g.rules.len() == before {
                        return error(400, "InvalidPermission.NotFound");
                    }
                }
                (200, json!({ "Return": true }))
            }
            "AuthorizeSecurityGroupIngress" | "AuthorizeSecurityGroupEgress" => {
                for p in perms {
                    g.rules.push(json!({ "egress": egress, "perm": p }));
                }
                (200, json!({ "Return": true }))
            }
            other => error(400, &format!("InvalidAction {other}")),
        }
    }

    fn named_aws(&self, name: &Value) -> Vec<String> {
        self.groups
            .iter()
            .filter(|g| g.fields.get("GroupName") == Some(name))
            .map(|g| g.id.clone())
            .collect()
    }
}
