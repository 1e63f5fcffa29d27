//! A plan as a bash script that sends its requests with `curl` and reads the bound ids with
//! `jq`. Generating or reading the script sends nothing; run, it checks its environment,
//! sends the steps in order, prints each to stderr, and stops at the first that fails.
//!
//! Every text from the input (names, descriptions, bodies) is written single-quoted, so the
//! shell takes it literally; placeholders are filled by `jq` in bodies (string values that
//! are one placeholder whole) and by parameter expansion in paths, with values of a few safe
//! characters only.

use std::fmt::Write as _;

use super::steps::tokens;
use super::{Plan, Step};
use crate::providers::plan::{Auth, Expect, Rerun};

/// The environment variable that overrides the API's base URL.
pub const BASE_URL_VARIABLE: &str = "SGCONV_BASE_URL";

/// The functions every script uses (no text of the plan in them).
const PRELUDE: &str = r#"umask 077
fail() { printf 'sgconv plan: %s\n' "$1" >&2; exit 1; }
for tool in curl jq; do
  command -v "$tool" >/dev/null || { printf 'sgconv plan: %s is needed\n' "$tool" >&2; exit 2; }
done
need() { # NAME: an environment variable that must be set
  if [[ -z ${!1:-} ]]; then printf 'sgconv plan: set %s (see the header)\n' "$1" >&2; exit 2; fi
}
safe() { # WHAT VALUE: a value for paths and bodies, of a few characters only
  [[ $2 =~ ^[A-Za-z0-9._~:()-]+$ ]] || fail "$1 has characters a path cannot take: $2"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
subst='{}' keys=() values=()
let_() { # PLACEHOLDER VALUE
  subst=$(jq -c --arg k "$1" --arg v "$2" '. + {($k): $v}' <<<"$subst")
  keys+=("$1")
  values+=("$2")
}
fill_path() { # PATH: with every placeholder replaced
  local text=$1 i
  for i in "${!keys[@]}"; do
    text=${text//"${keys[$i]}"/"${values[$i]}"}
  done
  [[ $text != *'{'* ]] || fail "a placeholder is not filled: $text"
  printf '%s' "$text"
}
pointer() { # FILE POINTER: the string or number there
  jq -er --arg p "$2" 'getpath($p | ltrimstr("/") | split("/")
    | map(if test("^[0-9]+$") then tonumber else . end))
    | select(type == "string" or type == "number") | tostring' "$1"
}
n=0
send() { # ID METHOD PATH BODY: the response in $tmp/response, its status in $status
  local args=(--silent --show-error -X "$2" -H "@$tmp/auth" -H 'Accept: application/json'
    -H 'Expect:' -o "$tmp/response" -w '%{http_code}')
  if [[ -n $4 ]]; then
    jq --argjson s "$subst" 'def fill: if type == "object" then map_values(fill)
      elif type == "array" then map(fill)
      elif type == "string" then . as $x | ($s[$x] // $x) else . end; fill' <<<"$4" >"$tmp/body" \
      || fail "$1: the body is not JSON"
    args+=(-H 'Content-Type: application/json' --data-binary "@$tmp/body")
  fi
  : >"$tmp/response"
  status=$(curl "${args[@]}" -- "$base$3") || fail "$1: curl could not send the request"
}
step() { # ID METHOD PATH BODY [BIND POINTER]...: stops unless the answer is 2xx
  local id=$1 method=$2 path body=$4
  path=$(fill_path "$3")
  n=$((n + 1))
  printf 'sgconv plan: [%d/%d] %s: %s %s\n' "$n" "$total" "$id" "$method" "$path" >&2
  send "$id" "$method" "$path" "$body"
  if [[ $status != 2?? ]]; then
    printf 'sgconv plan: %s failed: HTTP %s\n' "$id" "$status" >&2
    head -c 4000 "$tmp/response" >&2 || true
    printf '\n' >&2
    exit 1
  fi
}
bind() { # ID NAME POINTER: the id at POINTER of the last response, as {{NAME}}
  local value
  value=$(pointer "$tmp/response" "$3") || fail "$1: no $3 in the response"
  safe "$1: $3" "$value"
  let_ "{{$2}}" "$value"
  printf 'sgconv plan:   %s = %s\n' "$2" "$value" >&2
}
wait_task() { # ID TASK POLL STATE DONE FAILED: poll until the task's state is DONE
  local task tries=0 state poll
  task=$(pointer "$tmp/response" "$2") || fail "$1: no task id at $2 in the response"
  safe "$1: task" "$task"
  poll=$(fill_path "${3//"{{task}}"/"$task"}")
  while :; do
    send "$1" GET "$poll" ''
    [[ $status == 2?? ]] || fail "$1: task $task: HTTP $status"
    state=$(pointer "$tmp/response" "$4") || fail "$1: task $task has no state at $4"
    [[ $state == "$5" ]] && break
    [[ $state == "$6" ]] && fail "$1: task $task: $state $(jq -c '.error // empty' "$tmp/response")"
    tries=$((tries + 1))
    ((tries < ${SGCONV_POLL_TRIES:-120})) || fail "$1: task $task still $state"
    sleep "${SGCONV_POLL_SECONDS:-5}"
  done
  printf 'sgconv plan:   task %s %s\n' "$task" "$state" >&2
}
none_named() { # ID LIST NAME: stops when the list has an item of that name
  jq -e --arg p "$2" --arg name "$3" '[getpath($p | ltrimstr("/") | split("/"))[]?
    | select(.name == $name)] | length == 0' "$tmp/response" >/dev/null \
    || fail "$1: a group named '$3' exists already (a second run?); nothing was created"
}
absent() { # ID PATH: a GET that must answer 404 (nothing of that name yet)
  local path
  path=$(fill_path "$2")
  n=$((n + 1))
  printf 'sgconv plan: [%d/%d] %s: GET %s\n' "$n" "$total" "$1" "$path" >&2
  send "$1" GET "$path" ''
  [[ $status == 404 ]] \
    || fail "$1: expected 404 (nothing of that name yet), got HTTP $status; nothing was created"
}
"#;

/// `text` single-quoted for bash: every character literal.
pub(crate) fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The environment variable of a placeholder: `{project_id}` → `PROJECT_ID`.
fn env_name(token: &str) -> String {
    token.trim_matches(['{', '}']).to_ascii_uppercase()
}

impl Plan {
    /// The plan as a bash script that runs it with `curl` and `jq` (see the script's header).
    pub fn shell_script(&self) -> String {
        let mut out = String::new();
        self.header(&mut out);
        out.push_str("set -euo pipefail\n");
        if let Auth::Signed { about } = self.api.auth {
            let _ = writeln!(
                out,
                "printf 'sgconv plan: %s\\n' {} >&2\nexit 2\n",
                quote(&format!(
                    "{} requests must be signed ({about}); this script cannot sign, so it stops \
                     before sending anything",
                    self.to
                ))
            );
        }
        out.push_str(PRELUDE);
        self.environment(&mut out);
        let _ = writeln!(out, "total={}", self.steps.len());
        for step in &self.steps {
            write_step(&mut out, step);
        }
        out.push_str(
            "printf 'sgconv plan: done: %d requests\\n' \"$n\" >&2\n\
             jq 'with_entries(select(.key | startswith(\"{{\")))' <<<\"$subst\"\n",
        );
        out
    }

    /// The comment at the top: what the script does and what it needs.
    fn header(&self, out: &mut String) {
        let comment = |out: &mut String, text: &str| {
            for line in text.lines() {
                let _ = writeln!(out, "# {line}").map(|()| ());
            }
        };
        let _ = writeln!(out, "#!/usr/bin/env bash");
        comment(
            out,
            &format!(
                "sgconv plan: {} -> {}, {} groups, {} requests; verdict: {}.\n\
                 Review it before running it: it creates security groups. Reading or generating \
                 this file sends nothing;\nrun, it sends the requests below in order, prints \
                 each to stderr, stops at the first that fails\n(an HTTP status other than \
                 2xx), and prints the ids it bound as JSON on stdout.\nAPI: {}\n",
                self.from,
                self.to,
                self.groups.len(),
                self.steps.len(),
                self.verdict.name(),
                self.api.docs
            ),
        );
        comment(out, "Environment:");
        match self.api.auth {
            Auth::Header {
                name,
                prefix,
                variable,
                how,
            } => comment(
                out,
                &format!("  {variable}: sent as \"{name}: {prefix}${variable}\"; {how}"),
            ),
            Auth::Signed { about } => comment(
                out,
                &format!(
                    "  none: {} requests must be signed ({about}).\n  This script cannot sign \
                     them: it stops before sending anything.",
                    self.to
                ),
            ),
        }
        for variable in &self.variables {
            comment(
                out,
                &format!("  {}: {variable} in paths and bodies", env_name(variable)),
            );
        }
        let base = match self.api.base_url {
            Some(url) => {
                let vars: Vec<String> = tokens(url, None).iter().map(|t| env_name(t)).collect();
                let from = if vars.is_empty() {
                    String::new()
                } else {
                    format!(", with {} set", vars.join(", "))
                };
                format!("the API's base URL (default: {url}{from})")
            }
            None => "the API's base URL (required: the cloud's endpoint of the service)".into(),
        };
        comment(out, &format!("  {BASE_URL_VARIABLE}: {base}"));
        if self.steps.iter().any(|s| s.wait.is_some()) {
            comment(
                out,
                "  SGCONV_POLL_SECONDS, SGCONV_POLL_TRIES: how often and how long to wait for \
                 a task (5, 120)",
            );
        }
        comment(
            out,
            "Needs bash 4 or later, curl 7.55 or later, and jq 1.5 or later.\n",
        );
        comment(out, &self.rerun_summary());
    }

    /// What running the script a second time would do.
    fn rerun_summary(&self) -> String {
        let ids = |rerun: Rerun| -> Vec<&str> {
            self.steps
                .iter()
                .filter(|s| s.rerun == rerun)
                .map(|s| s.id.as_str())
                .collect()
        };
        let mut text = String::from("Run twice:");
        let checks = self.steps.iter().any(|s| s.expect.is_some());
        if checks {
            text.push_str(
                " the checks (check-group-*) stop a second run before anything is created\n\
                 when a group of a planned name exists.",
            );
        }
        for (rerun, what) in [
            (
                Rerun::Duplicate,
                "would create a second group of the same name",
            ),
            (Rerun::Fails, "would be refused (exists already, or gone)"),
            (Rerun::Same, "change nothing when sent again"),
        ] {
            let list = ids(rerun);
            if !list.is_empty() {
                let _ = write!(text, "\n  {what}: {}", list.join(" "));
            }
        }
        text.push('\n');
        text
    }

    /// The checks of the environment and the placeholders' values.
    fn environment(&self, out: &mut String) {
        if let Auth::Header {
            name,
            prefix,
            variable,
            ..
        } = self.api.auth
        {
            let _ = writeln!(
                out,
                "need {variable}\nprintf '%s: %s%s\\n' {} {} \"${variable}\" >\"$tmp/auth\"",
                quote(name),
                quote(prefix)
            );
        }
        for variable in &self.variables {
            let env = env_name(variable);
            let _ = writeln!(
                out,
                "need {env}\nsafe {env} \"${env}\"\nlet_ {} \"${env}\"",
                quote(variable)
            );
        }
        let _ = writeln!(out, "base=${{{BASE_URL_VARIABLE}:-}}");
        match self.api.base_url {
            Some(url) => {
                let _ = writeln!(out, "if [[ -z $base ]]; then");
                let mut filled = quote(url);
                for token in tokens(url, None) {
                    let env = env_name(&token);
                    let _ = writeln!(out, "  need {env}\n  safe {env} \"${env}\"");
                    filled = filled.replace(&token, &format!("'\"${env}\"'"));
                }
                let _ = writeln!(out, "  base={filled}\nfi");
            }
            None => {
                let _ = writeln!(out, "need {BASE_URL_VARIABLE}");
            }
        }
        out.push_str("base=${base%/}\n");
    }
}

/// One step: a comment, the request, then the task, the check or the binds.
fn write_step(out: &mut String, step: &Step) {
    let after = if step.after.is_empty() {
        String::new()
    } else {
        format!("; after {}", step.after.join(", "))
    };
    let rerun = match step.rerun {
        Rerun::Duplicate => "run again: a duplicate",
        Rerun::Fails => "run again: refused",
        Rerun::Same => "run again: no change",
    };
    let _ = writeln!(out, "\n# {}{after} ({rerun})", step.id);
    if let Some(note) = step.note {
        let _ = writeln!(out, "# {note}");
    }
    let body = step.body.as_ref().map_or_else(String::new, |b| {
        serde_json::to_string_pretty(b).unwrap_or_else(|_| b.to_string())
    });
    if step.expect == Some(Expect::NotFound) {
        line(out, "absent", &[&step.id, &step.path]);
        return;
    }
    line(out, "step", &[&step.id, step.method, &step.path, &body]);
    if let Some(Expect::NoneNamed { list, name }) = &step.expect {
        line(out, "none_named", &[&step.id, list, name]);
    }
    if let Some(w) = &step.wait {
        line(
            out,
            "wait_task",
            &[&step.id, w.task, w.poll, w.state, w.done, w.failed],
        );
    }
    for (name, pointer) in &step.binds {
        line(out, "bind", &[&step.id, name, pointer]);
    }
}

/// One call of a script function, every argument quoted.
fn line(out: &mut String, function: &str, args: &[&str]) {
    out.push_str(function);
    for arg in args {
        out.push(' ');
        out.push_str(&quote(arg));
    }
    out.push('\n');
}
