//! What a dialect says about applying a group through its API: the requests that create it,
//! remove what it is born with, and add its rules. The pipeline's `plan` orders them; the
//! dialect knows only its own paths and bodies.
//!
//! Paths and bodies keep the account's variables as placeholders (`{project_id}`,
//! `{region_id}`, `{zone}`) and name ids that exist only once an earlier request has run as
//! `{{name}}`, where `name` is a bind of that request.

use serde_json::Value;

use crate::error::Error;

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
    /// Something a client must know to run the request (a task to wait for, say).
    pub(crate) note: Option<&'static str>,
}

/// The requests that make one group on a target, in order within each part.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupRequests {
    /// The request that creates the group; it binds the group's new id under the name the
    /// dialect was given.
    pub(crate) create: Request,
    /// The group as the target holds it right after `create` and `born`, in a shape the
    /// dialect reads (its rules are the ones it is born with and keeps: none, when `born`
    /// removes them).
    pub(crate) created: Value,
    /// Requests that remove the rules the group is born with (empty when it is born with
    /// none, or the create request asks for none).
    pub(crate) born: Vec<Request>,
    /// What the group is born with and what the plan does about it, for people.
    pub(crate) born_with: String,
    /// Requests that add the group's rules; each body is a document the dialect reads.
    pub(crate) rules: Vec<Request>,
}

/// One converted group, as [`crate::providers::Provider::plan_group`] gets it.
pub(crate) struct ToPlan<'a> {
    /// The group as the dialect's `export_group` wrote it, parsed.
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

/// A request without binds or note.
pub(crate) fn request(method: &'static str, path: String, body: Option<Value>) -> Request {
    Request {
        method,
        path,
        body,
        binds: Vec::new(),
        note: None,
    }
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
