//! `sgconv plan --format sh`: the script, run with bash against a stub of the target's API on
//! 127.0.0.1 (started here, answering as the providers' references document): the requests,
//! their order, the ids carried from responses into later paths and bodies, the stop at the
//! first failure, and bodies from user input taken literally by the shell.

mod common;
#[path = "plan/fake_api.rs"]
mod fake_api;
#[path = "plan/fake_api_more.rs"]
mod fake_api_more;
#[path = "plan/judge.rs"]
mod judge;
#[path = "plan/run.rs"]
mod run;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use sgconv::ProviderId;

use fake_api::Fake;

/// curl and jq are needed to run the scripts: their absence fails the tests, never skips.
fn tools() {
    for tool in ["bash", "curl", "jq"] {
        let found = Command::new(tool).arg("--version").output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "`{tool}` is needed to run the plan scripts (install it: apt-get install {tool})"
        );
    }
}

/// A stub API on 127.0.0.1 answering with `fake`; its base URL.
fn serve(fake: Arc<Mutex<Fake>>, auth: Arc<Mutex<Vec<String>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() || line.is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (method, target) = (
                parts.next().unwrap().to_owned(),
                parts.next().unwrap().to_owned(),
            );
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                let (name, value) = header.split_once(':').unwrap();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap(),
                    "authorization" | "x-auth-token" => {
                        auth.lock().unwrap().push(format!("{name}:{value}"));
                    }
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let body = (length > 0).then(|| serde_json::from_slice::<Value>(&body).unwrap());
            let (status, answer) = fake.lock().unwrap().handle(&method, &target, body);
            let text = if answer.is_null() {
                String::new()
            } else {
                answer.to_string()
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    url
}

fn sgconv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sgconv"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap()
}

/// The plan of `files` (of `from`) for `to`, as JSON and as a script in `dir`.
fn plan(from: &str, to: &str, files: &[&str], dir: &Path) -> (Value, std::path::PathBuf) {
    let script = dir.join("plan.sh");
    let mut args = vec!["plan", "--from", from, "--to", to, "-q"];
    args.extend_from_slice(files);
    let json = sgconv(&args);
    assert_eq!(
        json.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    args.extend(["--format", "sh", "-o", script.to_str().unwrap()]);
    let sh = sgconv(&args);
    assert_eq!(
        sh.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sh.stderr)
    );
    (serde_json::from_slice(&json.stdout).unwrap(), script)
}

/// The environment a script needs for `to`, pointed at `url`.
fn environment(to: ProviderId, url: &str) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("SGCONV_BASE_URL", url.to_owned()),
        ("SGCONV_POLL_SECONDS", "0".to_owned()),
    ];
    let more: &[(&str, &str)] = match to {
        ProviderId::GcoreV1 | ProviderId::GcoreV2 => &[
            ("GCORE_API_KEY", "key-1"),
            ("PROJECT_ID", "1337"),
            ("REGION_ID", "76"),
        ],
        ProviderId::Huawei => &[
            ("HUAWEI_AUTH_TOKEN", "token-1"),
            ("PROJECT_ID", "0605767829"),
        ],
        ProviderId::Scaleway => &[
            ("SCW_SECRET_KEY", "secret-1"),
            ("PROJECT_ID", "4f8e2b1a-9c7d-4e6f-a5b3-2d1c0e9f8a01"),
            ("ZONE", "fr-par-1"),
        ],
        ProviderId::OpenStack => &[("OS_TOKEN", "token-1")],
        ProviderId::AzureNsg => &[
            ("AZURE_ACCESS_TOKEN", "token-1"),
            ("SUBSCRIPTION_ID", "00000000-0000-4000-8000-000000000000"),
            ("RESOURCE_GROUP", "rg1"),
            ("LOCATION", "westeurope"),
        ],
        _ => &[],
    };
    env.extend(more.iter().map(|(k, v)| (*k, (*v).to_owned())));
    env
}

fn run(script: &Path, env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(script)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The requests the plan's steps make once `bound` ids are known, as a client of the format
/// fills them (the same rule as the script's, written again here).
fn expected(
    plan: &Value,
    bound: &BTreeMap<String, String>,
    env: &[(&str, String)],
) -> Vec<(String, String, Option<Value>)> {
    let mut values = bound.clone();
    for v in plan["variables"].as_array().unwrap() {
        let v = v.as_str().unwrap();
        let name = v.trim_matches(['{', '}']).to_ascii_uppercase();
        let value = &env.iter().find(|(k, _)| *k == name).unwrap().1;
        values.insert(v.to_owned(), value.clone());
    }
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let path = run::fill_path(s["path"].as_str().unwrap(), &values);
            let body = s.get("body").map(|b| run::fill_body(b, &values));
            (s["method"].as_str().unwrap().to_owned(), path, body)
        })
        .collect()
}

const GCORE: &str = "tests/fixtures-plan/account/gcore_v1_group_list.json";

#[test]
fn the_script_creates_the_groups_and_rules_in_order_carrying_the_ids() {
    tools();
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(GCORE)).unwrap();
    let source = judge::Side::read(&source, "gcore-v1");
    for to in [
        ProviderId::GcoreV1,
        ProviderId::GcoreV2,
        ProviderId::Huawei,
        ProviderId::Scaleway,
        ProviderId::OpenStack,
        ProviderId::AzureNsg,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (plan, script) = plan("gcore-v1", to.name(), &[GCORE], dir.path());
        let fake = Arc::new(Mutex::new(Fake::new(to.name())));
        let auth = Arc::new(Mutex::new(Vec::new()));
        let url = serve(fake.clone(), auth.clone());
        let env = environment(to, &url);
        let out = run(&script, &env);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{to}: {stderr}");
        // The ids bound, on stdout.
        let bound: BTreeMap<String, String> = serde_json::from_slice(&out.stdout).unwrap();
        let fake = fake.lock().unwrap();
        let first = fake.ids().first().cloned().unwrap();
        // (Azure's bind is the NSG's name, the last segment of its id.)
        assert!(first.ends_with(&bound["{{group_1}}"]), "{to}: {first}");
        // Every step once, in order (Gcore v2's task polls aside), each with the ids the
        // earlier responses gave.
        let sent: Vec<(String, String, Option<Value>)> = fake
            .requests
            .iter()
            .filter(|r| !r.path.starts_with("/cloud/v1/tasks/"))
            .map(|r| (r.method.clone(), r.path.clone(), r.body.clone()))
            .collect();
        assert_eq!(sent, expected(&plan, &bound, &env), "{to}: {stderr}");
        if to == ProviderId::GcoreV2 {
            // Each task answered RUNNING once, then FINISHED.
            let polls = fake
                .requests
                .iter()
                .filter(|r| r.path.starts_with("/cloud/v1/tasks/"))
                .count();
            let tasks = plan["steps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s.get("wait").is_some())
                .count();
            assert_eq!(polls, 2 * tasks, "{to}");
        }
        // Every request authenticated, as the API documents it.
        let headers = auth.lock().unwrap();
        assert_eq!(headers.len(), fake.requests.len(), "{to}");
        let header = &plan["api"]["auth"]["header"];
        let first = format!(
            "{}: {}{}",
            header["name"].as_str().unwrap(),
            header["prefix"].as_str().unwrap(),
            env.iter()
                .find(|(k, _)| *k == header["variable"].as_str().unwrap())
                .unwrap()
                .1
        );
        assert!(
            headers.iter().all(|h| h.eq_ignore_ascii_case(&first)),
            "{to}: {headers:?}"
        );
        // What it did, on stderr.
        assert!(stderr.contains("create-group-1: "), "{to}: {stderr}");
        assert!(
            stderr.contains(&format!("done: {} requests", sent.len())),
            "{to}: {stderr}"
        );
        // The end state, judged by the independent evaluator.
        let ids: BTreeMap<String, String> = plan["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let bind = format!("{{{{{}}}}}", g["bind"].as_str().unwrap());
                (
                    g["source_id"].as_str().unwrap().to_owned(),
                    bound[&bind].clone(),
                )
            })
            .collect();
        let end = judge::Side::read(&fake.document().to_string(), to.name());
        let exact = plan["verdict"] == "exact";
        judge::compare(&source, &end, &ids, exact).unwrap_or_else(|e| panic!("{to}: {e}"));
    }
}

#[test]
fn a_failed_request_stops_the_script_with_nothing_sent_after_it() {
    tools();
    for (to, fail_at) in [
        (ProviderId::Huawei, 5),
        (ProviderId::GcoreV2, 4),
        (ProviderId::Scaleway, 2),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (_, script) = plan("gcore-v1", to.name(), &[GCORE], dir.path());
        let mut stub = Fake::new(to.name());
        stub.fail_at = Some(fail_at);
        let fake = Arc::new(Mutex::new(stub));
        let url = serve(fake.clone(), Arc::new(Mutex::new(Vec::new())));
        let out = run(&script, &environment(to, &url));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{to}: {stderr}");
        assert!(stderr.contains("failed: HTTP 409"), "{to}: {stderr}");
        assert!(out.stdout.is_empty(), "{to}");
        assert_eq!(
            fake.lock().unwrap().requests.len(),
            fail_at,
            "{to}: a request after the failure"
        );
    }
}

#[test]
fn a_second_run_stops_at_the_first_check() {
    tools();
    let dir = tempfile::tempdir().unwrap();
    let (_, script) = plan("gcore-v1", "openstack", &[GCORE], dir.path());
    let fake = Arc::new(Mutex::new(Fake::new("openstack")));
    let url = serve(fake.clone(), Arc::new(Mutex::new(Vec::new())));
    let env = environment(ProviderId::OpenStack, &url);
    assert_eq!(run(&script, &env).status.code(), Some(0));
    let first = fake.lock().unwrap().requests.len();
    let again = run(&script, &env);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("a group named 'web' exists already"),
        "{stderr}"
    );
    assert_eq!(
        fake.lock().unwrap().requests.len(),
        first + 1,
        "only the first check"
    );
}

#[test]
fn nothing_is_sent_without_the_environment_or_a_way_to_sign() {
    tools();
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(Mutex::new(Fake::new("gcore-v2")));
    let url = serve(fake.clone(), Arc::new(Mutex::new(Vec::new())));
    let (_, script) = plan("gcore-v1", "gcore-v2", &[GCORE], dir.path());
    let mut env = environment(ProviderId::GcoreV2, &url);
    env.retain(|(k, _)| *k != "REGION_ID");
    let out = run(&script, &env);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("set REGION_ID"));
    // A value that would change the path is refused.
    let mut env = environment(ProviderId::GcoreV2, &url);
    env.push(("REGION_ID", "76/../../x".into()));
    let out = run(&script, &env);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("REGION_ID has characters"));
    // AWS requests must be signed: the script says so and stops.
    let (_, aws) = plan("gcore-v1", "aws-ec2", &[GCORE], dir.path());
    let text = std::fs::read_to_string(&aws).unwrap();
    assert!(text.contains("must be signed"), "{text}");
    let out = run(&aws, &[("SGCONV_BASE_URL", url.clone())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("this script cannot sign"));
    assert!(fake.lock().unwrap().requests.is_empty());
}

#[test]
fn names_and_descriptions_from_the_input_reach_the_api_unchanged() {
    tools();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("pwned");
    let m = marker.to_str().unwrap();
    let name = format!("it's $(touch {m}) `touch {m}` $HOME \\ \"q\" ;|&<>*?[]{{}}{{project_id}}");
    let description = format!("line one\nline two '\"' $(touch {m})\t{{{{group_1}}}}");
    let group = serde_json::json!({
        "name": name,
        "description": description,
        "rules": [{"direction": "ingress", "protocol": "tcp", "port_range_min": 22,
                   "port_range_max": 22, "ethertype": "IPv4", "remote_ip_prefix": "10.0.0.0/8"}]
    });
    let input = dir.path().join("group.json");
    std::fs::write(&input, group.to_string()).unwrap();
    for to in [
        ProviderId::Huawei,
        ProviderId::GcoreV2,
        ProviderId::Scaleway,
    ] {
        let (_, script) = plan(
            "gcore-v2",
            to.name(),
            &[input.to_str().unwrap()],
            dir.path(),
        );
        let fake = Arc::new(Mutex::new(Fake::new(to.name())));
        let url = serve(fake.clone(), Arc::new(Mutex::new(Vec::new())));
        let out = run(&script, &environment(to, &url));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{to}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!marker.exists(), "{to}: the shell ran text from the input");
        let fake = fake.lock().unwrap();
        let create = fake.requests.iter().find(|r| r.method == "POST").unwrap();
        let body = create.body.as_ref().unwrap();
        let group = body.get("security_group").unwrap_or(body);
        assert_eq!(group["name"], name, "{to}");
        assert_eq!(group["description"], description, "{to}");
        // The check looked the name up percent-encoded, and compared it whole.
        let check = &fake.requests[0];
        assert_eq!(check.method, "GET");
        let query = check.path.split_once("?name=").unwrap().1;
        let query = query.split('&').next().unwrap();
        assert_eq!(fake_api::decode(query), name, "{to}");
    }
}

/// The README's migration, run as written (the fixture path made absolute, the script
/// pointed at the stub): its summary line, its review command, its script.
#[test]
fn the_readme_migration_runs_as_written() {
    tools();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme.find("## Plans: a whole account").unwrap();
    let section = &readme[start..];
    let section = &section[..section.find("\n```\n").unwrap()];
    let lines: Vec<&str> = section.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(Mutex::new(Fake::new("huawei")));
    let url = serve(fake.clone(), Arc::new(Mutex::new(Vec::new())));
    let mut commands = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(command) = line.strip_prefix("$ ") else {
            continue;
        };
        commands += 1;
        let out = if let Some(args) = command.strip_prefix("sgconv ") {
            let args: Vec<String> = args
                .split_whitespace()
                .map(|a| {
                    if a.starts_with("tests/") {
                        root.join(a).to_string_lossy().into_owned()
                    } else {
                        a.to_owned()
                    }
                })
                .collect();
            Command::new(env!("CARGO_BIN_EXE_sgconv"))
                .current_dir(dir.path())
                .args(&args)
                .output()
                .unwrap()
        } else if command.contains("./plan.sh") {
            // `VAR=value ... ./plan.sh > ids.json`, the values filled in here.
            let mut cmd = Command::new("bash");
            cmd.current_dir(dir.path())
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap());
            for assignment in command.split_whitespace().take_while(|w| w.contains('=')) {
                let (k, v) = assignment.split_once('=').unwrap();
                cmd.env(k, if v == "..." { "test-value" } else { v });
            }
            cmd.env("SGCONV_BASE_URL", &url);
            cmd.args(["-c", "./plan.sh > ids.json"]).output().unwrap()
        } else {
            Command::new("bash")
                .current_dir(dir.path())
                .args(["-c", command])
                .output()
                .unwrap()
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{command}: {stderr}");
        // A line after a command that is not a comment or another command is its output.
        if let Some(next) = lines
            .get(i + 1)
            .filter(|l| !l.is_empty() && !l.starts_with(['$', '#']))
        {
            let printed = format!("{}{stderr}", String::from_utf8_lossy(&out.stdout));
            assert_eq!(printed.trim_end(), *next, "{command}");
        }
    }
    assert_eq!(commands, 4);
    let ids: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("ids.json")).unwrap())
            .unwrap();
    assert_eq!(
        ids.len(),
        3 * 5,
        "three groups, four default rules each: {ids:?}"
    );
    assert_eq!(fake.lock().unwrap().ids().len(), 3);
}
