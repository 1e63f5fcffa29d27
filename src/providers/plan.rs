//! What a dialect says about applying a group through its API: the requests that create it,
//! remove what it is born with, and add its rules, and how the API is reached. The pipeline's
//! `plan` orders them; the dialect knows only its own paths and bodies.
//!
//! Paths and bodies keep the account's variables as placeholders (`{project_id}`,
//! `{region_id}`, `{zone}`) and name ids that exist only once an earlier request has run as
//! `{{name}}`, where `name` is a bind of that request.

use serde::Serialize;
use serde_json::Value;

use crate::caps::{BornWith, Capabilities};
use crate::error::Error;
use crate::model::{Family, Remote, Rule, RuleSpec};

/// How a target's API is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Api {
    /// The base URL the paths are under; it may hold placeholders (`{region}`). `None`: the
    /// account's own endpoint, which only the user knows (OpenStack's network endpoint).
    pub base_url: Option<&'static str>,
    /// How requests are authenticated.
    pub auth: Auth,
    /// Where the API reference is.
    pub docs: &'static str,
    /// The export shape whose groups `plan_group` takes (`ExportOptions::shape`).
    #[serde(skip)]
    pub(crate) export_shape: Option<&'static str>,
    /// Whether the create request carries the group's description (where the export shape
    /// may have no place for it); every create request carries the name.
    #[serde(skip)]
    pub(crate) describes: bool,
}

impl Api {
    /// An API at `base_url` whose create request carries the group's name and description,
    /// written from the dialect's default export shape.
    pub(crate) const fn new(base_url: Option<&'static str>, auth: Auth, docs: &'static str) -> Api {
        Api {
            base_url,
            auth,
            docs,
            export_shape: None,
            describes: true,
        }
    }

    /// The same, from the export shape `shape`.
    pub(crate) const fn planned_from(self, shape: &'static str) -> Api {
        Api {
            export_shape: Some(shape),
            ..self
        }
    }

    /// The same, with no place for the group's description in the create request.
    pub(crate) const fn without_description(self) -> Api {
        Api {
            describes: false,
            ..self
        }
    }
}

/// How a dialect's groups are applied through its API.
pub(crate) struct Planner {
    /// The API.
    pub(crate) api: Api,
    /// The requests that make one converted group.
    pub(crate) group: fn(ToPlan<'_>) -> Result<GroupRequests, Error>,
}

/// How a target's requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Auth {
    /// A header carrying a secret from an environment variable: `name: prefix$variable`.
    Header {
        /// The header's name.
        name: &'static str,
        /// What comes before the secret in its value (`"APIKey "`, `"Bearer "`, or nothing).
        prefix: &'static str,
        /// The environment variable holding the secret.
        variable: &'static str,
        /// How to get the secret, for people.
        how: &'static str,
    },
    /// Every request must be signed with a key (`about` says how): a client that cannot sign
    /// must not send them.
    Signed {
        /// The signing scheme and where it is documented.
        about: &'static str,
    },
}

impl Auth {
    /// The secret as it is in `X-Auth-Token` (a Huawei IAM token, a Keystone token, a Scaleway
    /// secret key).
    pub(crate) const fn x_auth_token(variable: &'static str, how: &'static str) -> Auth {
        Auth::Header {
            name: "X-Auth-Token",
            prefix: "",
            variable,
            how,
        }
    }
}

/// What sending a request a second time does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rerun {
    /// It creates the same thing again: a second group of the same name.
    Duplicate,
    /// It is refused: what it creates exists, or what it deletes is gone.
    Fails,
    /// It changes nothing (a read, or a request that sets a whole state).
    Same,
}

/// A long-running task a request starts; the plan goes on once it has finished, and the
/// request's binds are read from the finished task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Wait {
    /// Where the task id is in the response (a JSON pointer).
    pub task: &'static str,
    /// The path that reports on the task (`{{task}}` stands for its id).
    pub poll: &'static str,
    /// Where the task's state is in that report.
    pub state: &'static str,
    /// The state of a finished task.
    pub done: &'static str,
    /// The state of a failed task.
    pub failed: &'static str,
}

/// What a read-only check step expects, before anything is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Expect {
    /// The list at `list` (a JSON pointer into the response) has no item whose `name` is
    /// `name`: no group of that name exists yet.
    NoneNamed {
        /// Where the list is.
        list: &'static str,
        /// The name no item may have.
        name: String,
    },
    /// The response is 404 Not Found: nothing of that name exists yet.
    NotFound,
}

/// One HTTP request of a plan.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    /// `POST`, `PUT`, `DELETE`, ...
    pub(crate) method: &'static str,
    /// The path, with placeholders.
    pub(crate) path: String,
    /// The JSON body, if any.
    pub(crate) body: Option<Value>,
    /// Ids this request's response holds, by bind name: (name, JSON pointer in the response).
    pub(crate) binds: Vec<(String, String)>,
    /// Something a client must know to run the request.
    pub(crate) note: Option<&'static str>,
    /// What sending it again does.
    pub(crate) rerun: Rerun,
    /// The task it starts, to wait for.
    pub(crate) wait: Option<Wait>,
    /// What a check expects of the response.
    pub(crate) expect: Option<Expect>,
    /// The document the dialect reads as what a rule request adds, when the body alone is
    /// not one (an AWS authorize body, whose direction is the operation's).
    pub(crate) reads: Option<Value>,
}

/// What becomes of the rules a target's new group is born with
/// ([`Capabilities::born_with`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Born {
    /// The target adds no rules to a new group.
    Nothing,
    /// The create request asks for none of them (Gcore v2's `"rules": []`).
    Avoided,
    /// One request per born rule deletes it, in the order of [`born_rules`].
    Deleted(Vec<Request>),
}

/// The requests that make one group on a target, in order within each part.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupRequests {
    /// A read that stops the plan when a group of the name exists already (a re-run).
    pub(crate) check: Option<Request>,
    /// The request that creates the group; it binds the group's new id under the name the
    /// dialect was given.
    pub(crate) create: Request,
    /// The group as the target holds it right after `create`, without the rules it is born
    /// with, in a shape the dialect reads.
    pub(crate) created: Value,
    /// What becomes of the rules it is born with.
    pub(crate) born: Born,
    /// Requests that add the group's rules; each body (or `reads`) is a document the dialect
    /// reads.
    pub(crate) rules: Vec<Request>,
}

/// One converted group, as [`crate::providers::Provider::plan_group`] gets it.
pub(crate) struct ToPlan<'a> {
    /// The group as the dialect's `export_group` wrote it (with the plan's export shape),
    /// parsed.
    pub(crate) exported: Value,
    /// Its name on the target.
    pub(crate) name: &'a str,
    /// Its description.
    pub(crate) description: Option<&'a str>,
    /// The bind name of its new id.
    pub(crate) bind: &'a str,
}

/// The rule bodies of an export that is a list of them (`dialect` names it in the error).
pub(crate) fn rule_bodies(exported: Value, dialect: &str) -> Result<Vec<Value>, Error> {
    match exported {
        Value::Array(bodies) => Ok(bodies),
        _ => Err(Error::Internal(format!(
            "plan: a {dialect} group export is not a list of rule bodies"
        ))),
    }
}

/// A request that creates something: sent again, it is refused (`rerun` says otherwise where
/// it is not).
pub(crate) fn request(method: &'static str, path: String, body: Option<Value>) -> Request {
    Request {
        method,
        path,
        body,
        binds: Vec::new(),
        note: None,
        rerun: Rerun::Fails,
        wait: None,
        expect: None,
        reads: None,
    }
}

/// A GET that stops the plan unless the list at `list` has no item named `name`; `path` is
/// the list's path, filtered by name.
pub(crate) fn check_name(path: &str, list: &'static str, name: &str) -> Request {
    let mut check = request("GET", format!("{path}?name={}", encode(name)), None);
    check.rerun = Rerun::Same;
    check.expect = Some(Expect::NoneNamed {
        list,
        name: name.to_owned(),
    });
    check
}

/// The create request of a group: it binds the group's id at `pointer`, and a re-run makes a
/// second group of the same name.
pub(crate) fn create(path: &str, body: Value, bind: &str, pointer: &str) -> Request {
    let mut create = request("POST", path.to_owned(), Some(body));
    create.binds.push((bind.to_owned(), pointer.to_owned()));
    create.rerun = Rerun::Duplicate;
    create
}

/// The requests that delete the rules a group is born with: the create request binds each
/// rule's id (`list` is the JSON pointer of the rule list in its response, each rule's `id`
/// in it), and each delete names it in `path`'s `{rule}`.
pub(crate) fn delete_born(
    caps: &Capabilities,
    bind: &str,
    create: &mut Request,
    (list, path): (&str, &str),
) -> Born {
    let requests = (0..born_count(caps))
        .map(|i| {
            let name = format!("{bind}_default_{i}");
            create.binds.push((name.clone(), format!("{list}/{i}/id")));
            request(
                "DELETE",
                path.replace("{rule}", &format!("{{{{{name}}}}}")),
                None,
            )
        })
        .collect();
    Born::Deleted(requests)
}

/// A group's name and description as a create body's fields (the keys both use).
pub(crate) fn name_fields(name: &str, description: Option<&str>) -> serde_json::Map<String, Value> {
    let mut fields = serde_json::Map::new();
    fields.insert("name".into(), Value::from(name));
    if let Some(d) = description {
        fields.insert("description".into(), Value::from(d));
    }
    fields
}

/// `text` as one segment of a URL path or query value: every byte but the unreserved ones
/// (RFC 3986 §2.3) percent-encoded.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The families a born rule stands for: its one family, or both.
fn families(born: &BornWith) -> &'static [Family] {
    match born.family {
        Some(Family::V4) => &[Family::V4],
        Some(Family::V6) => &[Family::V6],
        None => &[Family::V4, Family::V6],
    }
}

/// How many rules a new group is born with on a target.
pub(crate) fn born_count(caps: &Capabilities) -> usize {
    caps.born_with.iter().map(|b| families(b).len()).sum()
}

/// The rules a new group is born with, as the model holds them: per entry of
/// [`Capabilities::born_with`] and family, everything in its direction, from any address or
/// from the group's own members (`own_id`).
pub(crate) fn born_rules(caps: &Capabilities, own_id: &str) -> Result<Vec<Rule>, Error> {
    let mut rules = Vec::with_capacity(born_count(caps));
    for born in caps.born_with {
        for family in families(born) {
            let mut spec = RuleSpec::new(born.direction, *family);
            if born.own_group {
                spec.remote = Remote::Group(own_id.to_owned());
            }
            rules.push(Rule::new(spec)?);
        }
    }
    Ok(rules)
}

/// One document of an account given to a plan, with the name it was read from (a file's
/// path), for a dialect that pairs documents holding parts of one group
/// ([`crate::providers::Provider::import_parts`]).
pub(crate) struct Part<'a> {
    /// Where it was read from, if anywhere.
    pub(crate) name: Option<&'a str>,
    /// Its text.
    pub(crate) text: &'a str,
    /// Its format.
    pub(crate) format: crate::codec::Format,
}
