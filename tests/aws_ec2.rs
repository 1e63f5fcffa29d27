//! AWS EC2: permission fan-out and merging, account ids of group pairs, both families of a
//! group pair or prefix list, what AWS ignores or sgconv cannot hold, the authorize shapes
//! (`--direction`, `--shape authorize`), and conversions with Gcore and Huawei.

mod common;

use sgconv::model::{Direction, Family, Protocol, Remote};
use sgconv::report::{Kind, Verdict};
use sgconv::{ExportOptions, ImportOptions, Options, ProviderId};

const AWS: ProviderId = ProviderId::AwsEc2;

fn fixture(stem: &str) -> String {
    let path = common::fixtures(AWS)
        .into_iter()
        .find(|p| common::stem(p) == stem)
        .expect("fixture");
    std::fs::read_to_string(path).expect("read")
}

fn import_with(text: &str, options: &Options) -> sgconv::Document {
    sgconv::import(text, AWS, options)
        .map(|i| i.document)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn convert(text: &str, to: ProviderId, options: &Options) -> sgconv::Converted {
    common::convert(text, AWS, to, options).unwrap_or_else(|e| panic!("aws-ec2 -> {to}: {e}"))
}

fn json(c: &sgconv::Converted) -> serde_json::Value {
    c.output().expect("output").to_value().expect("JSON")
}

#[test]
fn a_permission_fans_out_and_group_pairs_cover_both_families() {
    let doc = import_with(
        &fixture("describe_security_groups_vpc"),
        &Options::default(),
    );
    let rules = &doc.groups[0].rules;
    // ingress: the self pair (IPv4 and IPv6), tcp/22 from one range; egress: all to 0.0.0.0/0
    assert_eq!(rules.len(), 4, "{rules:#?}");
    let pair: Vec<Family> = rules
        .iter()
        .filter(|r| *r.remote() == Remote::Group("sg-903004f8".into()))
        .map(|r| r.family())
        .collect();
    assert_eq!(
        pair,
        [Family::V4, Family::V6],
        "the group's own account is taken off"
    );
    assert_eq!(
        rules[2].description(),
        Some("Access from NY office"),
        "descriptions per range"
    );
    assert_eq!(rules[3].direction(), Direction::Egress);
}

#[test]
fn aws_to_gcore_v2_and_huawei_is_exact() {
    for stem in [
        "describe_security_groups_vpc",
        "describe_security_group_rules_default_group",
        "authorize_ingress_response_icmpv6",
        "authorize_ingress_body_ipv6_rdp",
    ] {
        for to in [ProviderId::GcoreV2, ProviderId::Huawei] {
            let c = convert(&fixture(stem), to, &Options::default());
            assert_eq!(
                c.report.verdict,
                Verdict::Exact,
                "{stem} -> {to}: {:#?}",
                c.report.entries
            );
        }
    }
}

#[test]
fn aws_to_aws_merges_back_into_the_same_permissions_and_is_a_fixed_point() {
    for path in common::fixtures(AWS) {
        let text = std::fs::read_to_string(&path).expect("read");
        let once = convert(&text, AWS, &Options::default());
        assert_eq!(once.report.verdict, Verdict::Exact, "{}", path.display());
        let out = once.output().expect("output").as_json().to_owned();
        let twice = common::convert(&out, AWS, AWS, &Options::default()).expect("converts");
        assert_eq!(
            twice.output().expect("output").as_json(),
            out,
            "{}",
            path.display()
        );
    }
    let c = convert(
        &fixture("describe_security_groups_vpc"),
        AWS,
        &Options::default(),
    );
    let v = json(&c);
    let ingress = &v["SecurityGroups"][0]["IpPermissions"];
    assert_eq!(ingress.as_array().map(Vec::len), Some(2), "{ingress}");
    assert_eq!(
        ingress[0]["UserIdGroupPairs"],
        serde_json::json!([{"GroupId": "sg-903004f8"}]),
        "the IPv4 and IPv6 rules of a pair are one pair again"
    );
}

#[test]
fn another_accounts_pair_keeps_its_account() {
    let text = r#"{"SecurityGroups":[{"GroupId":"sg-1","OwnerId":"111122223333",
        "IpPermissions":[{"IpProtocol":"tcp","FromPort":443,"ToPort":443,
          "UserIdGroupPairs":[{"UserId":"444455556666","GroupId":"sg-9"},{"UserId":"111122223333","GroupId":"sg-2"}]}],
        "IpPermissionsEgress":[]}]}"#;
    let doc = import_with(text, &Options::default());
    let remotes: Vec<&Remote> = doc.groups[0].rules.iter().map(|r| r.remote()).collect();
    assert!(remotes.contains(&&Remote::Group("444455556666/sg-9".into())));
    assert!(remotes.contains(&&Remote::Group("sg-2".into())));
    let v = json(&convert(text, AWS, &Options::default()));
    assert_eq!(
        v["SecurityGroups"][0]["IpPermissions"][0]["UserIdGroupPairs"],
        serde_json::json!([{"UserId": "444455556666", "GroupId": "sg-9"}, {"GroupId": "sg-2"}])
    );
}

#[test]
fn what_aws_ignores_and_what_the_model_cannot_hold_are_reported() {
    let text = r#"{"SecurityGroupRules":[
        {"GroupId":"sg-1","IsEgress":false,"IpProtocol":"tcp","FromPort":0,"ToPort":22,"CidrIpv4":"10.0.0.0/8"},
        {"GroupId":"sg-1","IsEgress":false,"IpProtocol":"132","FromPort":5000,"ToPort":5000,"CidrIpv4":"10.0.0.0/8"},
        {"GroupId":"sg-1","IsEgress":true,"IpProtocol":"-1","FromPort":22,"ToPort":22,"CidrIpv6":"::/0"}]}"#;
    let c = convert(text, ProviderId::Canonical, &Options::default());
    let doc = import_with(text, &Options::default());
    let rules = &doc.groups[0].rules;
    assert_eq!(
        rules[0].ports().to_string(),
        "1-22",
        "port 0 cannot be held alone"
    );
    assert!(rules[1].ports().is_any() && rules[1].protocol() == Protocol::Number(132));
    assert!(rules[2].ports().is_any());
    let kinds: Vec<(Kind, Option<usize>)> = c
        .report
        .entries
        .iter()
        .map(|e| (e.kind, e.rule.as_ref().and_then(|o| o.index)))
        .collect();
    assert!(kinds.contains(&(Kind::Narrowed, Some(0))), "{kinds:?}");
    assert!(kinds.contains(&(Kind::Note, Some(1))), "{kinds:?}");
    assert!(kinds.contains(&(Kind::Note, Some(2))), "{kinds:?}");
    assert_eq!(c.report.verdict, Verdict::Narrowed);
}

#[test]
fn a_one_family_group_rule_is_left_out_rather_than_widened() {
    let gcore = r#"[{"direction":"ingress","ethertype":"IPv4","protocol":"tcp","port_range_min":22,
        "port_range_max":22,"remote_group_id":"sg-1"},
       {"direction":"ingress","ethertype":"IPv4","protocol":"udp","port_range_min":53,
        "port_range_max":53,"remote_group_id":"sg-2"},
       {"direction":"ingress","ethertype":"IPv6","protocol":"udp","port_range_min":53,
        "port_range_max":53,"remote_group_id":"sg-2"},
       {"direction":"ingress","ethertype":"IPv4","protocol":"icmp","remote_group_id":"sg-3"}]"#;
    let c =
        common::convert(gcore, ProviderId::GcoreV2, AWS, &Options::default()).expect("converts");
    assert_eq!(c.report.verdict, Verdict::Narrowed);
    let narrowed: Vec<_> = c
        .report
        .entries
        .iter()
        .filter(|e| e.kind == Kind::Narrowed)
        .collect();
    assert_eq!(narrowed.len(), 1, "{narrowed:#?}");
    assert_eq!(narrowed[0].rule.as_ref().and_then(|o| o.index), Some(0));
    let v = json(&c);
    let perms = v["SecurityGroups"][0]["IpPermissions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        perms.len(),
        2,
        "udp/53 from sg-2 (one pair) and icmp from sg-3: {perms:?}"
    );
    assert_eq!(
        perms[0]["UserIdGroupPairs"].as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn authorize_bodies_need_their_direction() {
    let body = r#"{"GroupId":"sg-1","IpPermissions":[{"IpProtocol":"udp","FromPort":53,"ToPort":53,
        "IpRanges":[{"CidrIp":"10.0.0.0/8"}]}]}"#;
    let err = sgconv::import(body, AWS, &Options::default())
        .map(|_| ())
        .unwrap_err();
    assert!(err.to_string().contains("--direction"), "{err}");
    for direction in [Direction::Ingress, Direction::Egress] {
        let options = Options::default()
            .with_import(ImportOptions::default().with_direction(Some(direction)));
        let doc = import_with(body, &options);
        assert_eq!(doc.groups[0].rules[0].direction(), direction);
        assert_eq!(doc.groups[0].id.as_deref(), Some("sg-1"));
    }
    let (code, out, err) = common::raw::run_args(
        &[
            "convert",
            "--from",
            "aws-ec2",
            "--to",
            "gcore-v2",
            "--direction",
            "egress",
            "-q",
            "-",
        ],
        body,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"direction\": \"egress\""), "{out}");
}

#[test]
fn the_authorize_shape_holds_the_two_bodies_and_reads_back() {
    let text = fixture("describe_security_groups_vpc");
    let options = Options::default().with_export(
        ExportOptions::default()
            .with_shape(Some("authorize".into()))
            .with_target_group(Some("sg-0123456789abcdef0".into())),
    );
    let c = convert(&text, AWS, &options);
    assert_eq!(c.report.verdict, Verdict::Exact);
    let v = json(&c);
    assert_eq!(
        v["AuthorizeSecurityGroupIngress"]["GroupId"],
        "sg-0123456789abcdef0"
    );
    assert_eq!(
        v["AuthorizeSecurityGroupEgress"]["IpPermissions"][0]["IpProtocol"],
        "-1"
    );
    let back = import_with(c.output().expect("output").as_json(), &Options::default());
    let source = import_with(&text, &Options::default());
    assert_eq!(back.groups[0].rules.len(), source.groups[0].rules.len());
    // A shape the target does not write is refused.
    let bad = Options::default()
        .with_export(ExportOptions::default().with_shape(Some("authorize".into())));
    let err = sgconv::convert(&text, AWS, ProviderId::GcoreV2, &bad)
        .map(|_| ())
        .unwrap_err();
    assert!(err.to_string().contains("one document shape"), "{err}");
}

#[test]
fn prefix_lists_are_address_groups_mapped_or_noted_across_clouds() {
    let text = fixture("authorize_ingress_response_prefix_list");
    let c = convert(&text, ProviderId::Huawei, &Options::default());
    assert!(
        c.report.entries.iter().any(|e| e.kind == Kind::Note
            && e.message
                .starts_with("an address group id of the source cloud")),
        "{:#?}",
        c.report.entries
    );
    let mut map = std::collections::BTreeMap::new();
    map.insert(
        "sg-1234567890abcdef0".to_owned(),
        "0552091e-b83a-49dd-88a7-4a5c86fd9ec3".to_owned(),
    );
    map.insert(
        "pl-0721453c7ac4ec009".to_owned(),
        "dd18a501-fcd5-4adc-acfe-b0e2384baf08".to_owned(),
    );
    let options = Options::default().with_export(ExportOptions::default().with_target_groups(map));
    let c = convert(&text, ProviderId::Huawei, &options);
    let out = c.output().expect("output").as_json().to_owned();
    assert!(
        out.contains("\"remote_address_group_id\": \"dd18a501-fcd5-4adc-acfe-b0e2384baf08\""),
        "{out}"
    );
    assert_eq!(c.report.verdict, Verdict::Exact);
    // Back to AWS, the prefix list carries its quota note.
    let c = convert(&text, AWS, &Options::default());
    assert!(
        c.report
            .entries
            .iter()
            .any(|e| e.message.contains("maximum number of entries"))
    );
}

#[test]
fn descriptions_keep_to_the_documented_characters() {
    let huawei = r#"{"security_group_rule": {"direction": "ingress", "ethertype": "IPv4",
        "protocol": "tcp", "multiport": "22", "action": "allow", "priority": 1,
        "remote_ip_prefix": "10.0.0.0/8", "description": "ssh & admin | ops"}}"#;
    let c =
        common::convert(huawei, ProviderId::Huawei, AWS, &Options::default()).expect("converts");
    let v = json(&c);
    assert_eq!(
        v["SecurityGroups"][0]["IpPermissions"][0]["IpRanges"][0]["Description"],
        "ssh  admin  ops"
    );
    assert!(
        c.report
            .entries
            .iter()
            .any(|e| e.kind == Kind::Metadata && e.message.starts_with("description shortened"))
    );
}

#[test]
fn an_unknown_key_is_unread() {
    let text = r#"{"SecurityGroups":[{"GroupId":"sg-1","IpPermissions":[{"IpProtocol":"-1",
        "IpRanges":[{"CidrIp":"10.0.0.0/8"}],"IpRange":[{"CidrIp":"0.0.0.0/0"}]}],"IpPermissionsEgress":[]}]}"#;
    let c = sgconv::convert(text, AWS, ProviderId::GcoreV2, &Options::default()).expect("runs");
    assert!(c.outcome.is_err(), "refused: unverified");
    assert_eq!(c.report.verdict, Verdict::Unverified);
    assert!(c.report.entries.iter().any(|e| e.kind == Kind::Unread
        && e.path.as_deref() == Some("SecurityGroups.0.IpPermissions.0.IpRange")));
}
