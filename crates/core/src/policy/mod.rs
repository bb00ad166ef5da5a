//! The AWS policy language: parsing (with AWS's `MalformedPolicyDocument`
//! checks) and evaluation of one policy against one request.
//!
//! # Layout
//! - [`Policy::parse`]: JSON text → typed statements. Everything AWS refuses
//!   is refused here, with a message in AWS's style; nothing is silently
//!   ignored (an unknown element or operator is an error).
//! - [`Policy::evaluate`]: a [`Request`] → [`Decision`]. One policy only;
//!   combining key policy, IAM policies and grants ("explicit deny wins,
//!   then any allow, else implicit deny") is the caller's job, see
//!   [`combine`].
//! - [`condition`]: the condition operators, set operators and `…IfExists`.
//!
//! Rules followed (IAM User Guide, "Policy evaluation logic" and "IAM JSON
//! policy elements"):
//! - Statements are independent; their order never matters.
//! - Within a statement every element must match: principal, action,
//!   resource and every condition (operators AND, keys AND, values OR).
//! - Action, resource and condition key names are case-insensitive; values
//!   are case-sensitive unless the operator says otherwise.
//! - Policy variables (`${aws:username}`, `${*}`, `${?}`, `${$}`) are
//!   substituted in Resource and in the values of String and Arn
//!   conditions; an unknown variable makes that value match nothing.

pub mod condition;
#[cfg(test)]
mod tests;

use condition::Condition;
use serde_json::Value;
use std::collections::HashMap;

/// Largest key policy AWS accepts (32 KB).
pub const MAX_POLICY_BYTES: usize = 32 * 1024;

/// Why a document is not a policy; the text is AWS-style and safe to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub String);

fn malformed<T>(msg: impl Into<String>) -> Result<T, PolicyError> {
    Err(PolicyError(msg.into()))
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Allow.
    Allow,
    /// Deny.
    Deny,
}

/// What one policy says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A matching Deny statement.
    Deny,
    /// A matching Allow statement and no matching Deny.
    Allow,
    /// No statement matches.
    NotApplicable,
}

/// What a key policy says about a request, keeping apart an Allow that
/// names the caller itself (or everyone) from one that names only the
/// caller's account: AWS reads the latter as the account delegating to its
/// IAM policies (KMS Developer Guide, "Allows access to the AWS account and
/// enables IAM policies").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyDecision {
    /// A matching Deny statement.
    Deny,
    /// A matching Allow statement names the principal (its ARN, or `*`).
    AllowPrincipal,
    /// Matching Allow statements name only the principal's account.
    AllowAccount,
    /// No statement matches.
    NotApplicable,
}

/// Combines the decisions of every policy that applies: an explicit Deny
/// anywhere wins, otherwise any Allow permits, otherwise it is an implicit
/// deny (`NotApplicable`).
pub fn combine(decisions: impl IntoIterator<Item = Decision>) -> Decision {
    let mut allowed = false;
    for d in decisions {
        match d {
            Decision::Deny => return Decision::Deny,
            Decision::Allow => allowed = true,
            Decision::NotApplicable => {}
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::NotApplicable
    }
}

/// A principal in a `Principal` / `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PrincipalPattern {
    /// `"*"` or `{"AWS": "*"}`: everyone.
    Anyone,
    /// An account id or `arn:aws:iam::ACCOUNT:root`: every principal of the
    /// account (the account delegates to its IAM policies).
    Account(String),
    /// A user, role, assumed-role or other principal ARN, exactly.
    Arn(String),
    /// A `Service` or `CanonicalUser` principal: never a Trent caller.
    Service(String),
    /// A `Federated` principal: the OIDC provider ARN a web identity comes
    /// through (AssumeRoleWithWebIdentity), matched exactly; other
    /// federations (SAML, Cognito) match nothing.
    Federated(String),
}

/// Which principals a statement names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Principals {
    /// No Principal element (identity policies).
    Unspecified,
    /// `Principal`.
    Only(Vec<PrincipalPattern>),
    /// `NotPrincipal`.
    AllBut(Vec<PrincipalPattern>),
}

/// `Action` or `NotAction` (likewise `Resource` / `NotResource`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Patterns {
    Only(Vec<String>),
    AllBut(Vec<String>),
}

#[derive(Debug, Clone)]
struct Statement {
    effect: Effect,
    principals: Principals,
    actions: Patterns,
    resources: Option<Patterns>,
    conditions: Vec<Condition>,
}

/// Parsed policies of one kind, by their text, so that a policy read on
/// every request (a key's, a user's) is parsed once, not per request. Keyed
/// by the whole document, a cached policy is always the one its text says:
/// nothing to invalidate when a policy changes (the new text misses). A
/// document that does not parse is cached as `None`. Once the cached
/// documents' text would pass `max_bytes` the cache is emptied and fills
/// again (policies are up to 32 KB each: the bound is on bytes, not count).
pub(crate) struct ParsedPolicies {
    kind: PolicyKind,
    max_bytes: usize,
    /// The cached documents' bytes, and the documents.
    map: std::sync::Mutex<(usize, ParsedByText)>,
}

type ParsedByText = HashMap<Box<str>, Option<std::sync::Arc<Policy>>>;

impl ParsedPolicies {
    pub(crate) fn new(kind: PolicyKind, max_bytes: usize) -> Self {
        ParsedPolicies { kind, max_bytes, map: std::sync::Mutex::default() }
    }

    /// `text` parsed (`None` when it is not a policy of this kind).
    pub(crate) fn get(&self, text: &str) -> Option<std::sync::Arc<Policy>> {
        let lock = || self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(p) = lock().1.get(text) {
            return p.clone();
        }
        // Parsed outside the lock; two requests may both parse a new
        // document, and the second insert replaces an equal value.
        let parsed = Policy::parse(text, self.kind).ok().map(std::sync::Arc::new);
        let mut guard = lock();
        let (bytes, map) = &mut *guard;
        if *bytes + text.len() > self.max_bytes {
            map.clear();
            *bytes = 0;
        }
        if map.insert(text.into(), parsed.clone()).is_none() {
            *bytes += text.len();
        }
        parsed
    }

    /// `text` parsed, or a policy that allows nothing when it does not
    /// parse (a stored policy was checked when it was put: fail closed).
    pub(crate) fn or_nothing(&self, text: &str) -> std::sync::Arc<Policy> {
        self.get(text).unwrap_or_else(|| std::sync::Arc::new(Policy::allows_nothing()))
    }
}

/// A parsed policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// Which kind of policy is parsed: key policies must name principals,
/// identity policies must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// A key (resource-based) policy.
    Key,
    /// An identity (IAM) policy.
    Identity,
}

/// The request as policies see it.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The calling principal's ARN (`arn:aws:iam::ACCOUNT:root`, a user or
    /// role ARN…).
    pub principal_arn: &'a str,
    /// The calling principal's account.
    pub principal_account: &'a str,
    /// The action, `kms:Encrypt`.
    pub action: &'a str,
    /// The resource ARN (the key's ARN).
    pub resource: &'a str,
    /// Condition keys, lower-cased, each with its values (several for
    /// multivalued keys such as `kms:EncryptionContextKeys`).
    pub context: &'a Context<'a>,
}

impl<'a> Request<'a> {
    fn value(&self, key: &str) -> Option<&'a [String]> {
        self.context.map().get(key).map(Vec::as_slice)
    }
}

/// The builder of a request's condition keys.
type BuildContext<'a> = Box<dyn Fn() -> HashMap<String, Vec<String>> + Send + Sync + 'a>;

/// A request's condition keys, built the first time evaluation reads one
/// (a condition, a policy variable, a role session's principal ARN): most
/// policies read none, and building them (the global `aws:` keys, the
/// key's tags, times formatted) costs more than evaluating such a policy.
pub struct Context<'a> {
    map: std::sync::OnceLock<HashMap<String, Vec<String>>>,
    build: Option<BuildContext<'a>>,
}

impl<'a> Context<'a> {
    /// Condition keys already built.
    pub fn of(map: HashMap<String, Vec<String>>) -> Self {
        Context { map: std::sync::OnceLock::from(map), build: None }
    }

    /// Condition keys that `build` makes when first read (at most once).
    pub fn lazy(build: impl Fn() -> HashMap<String, Vec<String>> + Send + Sync + 'a) -> Self {
        Context { map: std::sync::OnceLock::new(), build: Some(Box::new(build)) }
    }

    fn map(&self) -> &HashMap<String, Vec<String>> {
        self.map.get_or_init(|| self.build.as_ref().map(|b| b()).unwrap_or_default())
    }
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("built", &self.map.get()).finish_non_exhaustive()
    }
}

fn as_list(v: &Value, element: &str) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                _ => malformed(format!("{element} must contain only strings.")),
            })
            .collect(),
        _ => malformed(format!("{element} must be a string or a non-empty list of strings.")),
    }
}

fn invalid<T>() -> Result<T, PolicyError> {
    malformed("Policy contains a statement with one or more invalid principals.")
}

fn parse_principals(v: &Value) -> Result<Vec<PrincipalPattern>, PolicyError> {
    match v {
        Value::String(s) if s == "*" => Ok(vec![PrincipalPattern::Anyone]),
        Value::Object(map) if !map.is_empty() => {
            let mut out = Vec::new();
            for (kind, names) in map {
                let names = as_list(names, "Principal").or_else(|_| invalid())?;
                for name in names {
                    out.push(match kind.as_str() {
                        "AWS" => match aws_principal(&name) {
                            Some(p) => p,
                            None => return invalid(),
                        },
                        "Federated" => PrincipalPattern::Federated(name),
                        "Service" | "CanonicalUser" => PrincipalPattern::Service(name),
                        _ => return invalid(),
                    });
                }
            }
            Ok(out)
        }
        _ => invalid(),
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// An IAM user's or role's unique id (`AIDA…`, `AROA…`), as GetKeyPolicy
/// shows a principal deleted since the policy named it.
fn is_unique_id(s: &str) -> bool {
    (s.starts_with("AIDA") || s.starts_with("AROA"))
        && (16..=128).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// An `AWS` principal: `*`, an account id, an IAM ARN, or the unique id of
/// a deleted user or role (which names it alone: no one else bears it).
fn aws_principal(name: &str) -> Option<PrincipalPattern> {
    if name == "*" {
        return Some(PrincipalPattern::Anyone);
    }
    if is_account_id(name) {
        return Some(PrincipalPattern::Account(name.to_owned()));
    }
    if is_unique_id(name) {
        return Some(PrincipalPattern::Arn(name.to_owned()));
    }
    let parts: Vec<&str> = name.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam" | "sts", "", account, resource]
            if partition.starts_with("aws") && is_account_id(account) && !resource.is_empty() =>
        {
            if *resource == "root" {
                Some(PrincipalPattern::Account((*account).to_owned()))
            } else if ["user/", "role/", "assumed-role/", "federated-user/"].iter().any(|p| resource.starts_with(p)) {
                Some(PrincipalPattern::Arn(name.to_owned()))
            } else {
                None
            }
        }
        _ => None,
    }
}

const STATEMENT_ELEMENTS: [&str; 9] =
    ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];

impl Policy {
    /// Parses and checks a policy document.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        if text.len() > MAX_POLICY_BYTES {
            return malformed(format!("The policy is longer than {MAX_POLICY_BYTES} bytes."));
        }
        let doc: Value = match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => return malformed("The policy is not a valid JSON document."),
        };
        let Value::Object(top) = &doc else { return malformed("The policy is not a valid JSON document.") };
        for k in top.keys() {
            if !["Version", "Id", "Statement"].contains(&k.as_str()) {
                return malformed(format!("Policy document contains an unknown element: {k}."));
            }
        }
        if let Some(v) = top.get("Version") {
            if !matches!(v.as_str(), Some("2012-10-17" | "2008-10-17")) {
                return malformed("The policy Version must be 2012-10-17 or 2008-10-17.");
            }
        }
        let statements = match top.get("Statement") {
            Some(Value::Array(items)) if !items.is_empty() => items.iter().collect::<Vec<_>>(),
            Some(s @ Value::Object(_)) => vec![s],
            _ => return malformed("Policy document must contain at least one Statement."),
        };
        let mut sids = std::collections::HashSet::new();
        let statements = statements
            .into_iter()
            .map(|s| {
                let st = Self::statement(s, kind)?;
                if let Some(Value::String(sid)) = s.get("Sid") {
                    if !sids.insert(sid.clone()) {
                        return malformed(format!("Policy document contains a duplicate Sid: {sid}."));
                    }
                }
                Ok(st)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy { statements })
    }

    fn statement(v: &Value, kind: PolicyKind) -> Result<Statement, PolicyError> {
        let Value::Object(s) = v else { return malformed("Each Statement must be a JSON object.") };
        for k in s.keys() {
            if !STATEMENT_ELEMENTS.contains(&k.as_str()) {
                return malformed(format!("Policy statement contains an unknown element: {k}."));
            }
        }
        if let Some(sid) = s.get("Sid") {
            if !sid.is_string() {
                return malformed("Sid must be a string.");
            }
        }
        let effect = match s.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            _ => return malformed("Each policy statement must have an Effect of Allow or Deny."),
        };
        let principals = match (s.get("Principal"), s.get("NotPrincipal")) {
            (Some(_), Some(_)) => return malformed("A statement cannot have both Principal and NotPrincipal."),
            (Some(p), None) => Principals::Only(parse_principals(p)?),
            (None, Some(p)) => {
                if effect == Effect::Allow {
                    return malformed("NotPrincipal can only be used with Effect Deny.");
                }
                Principals::AllBut(parse_principals(p)?)
            }
            (None, None) => Principals::Unspecified,
        };
        match (kind, &principals) {
            (PolicyKind::Key, Principals::Unspecified) => {
                return malformed("Policy contains a statement with no principal.")
            }
            (PolicyKind::Identity, Principals::Only(_) | Principals::AllBut(_)) => {
                return malformed("Identity policies cannot contain a Principal.")
            }
            _ => {}
        }
        let actions = match (s.get("Action"), s.get("NotAction")) {
            (Some(a), None) => Patterns::Only(Self::actions(a)?),
            (None, Some(a)) => Patterns::AllBut(Self::actions(a)?),
            _ => return malformed("Each policy statement must have exactly one of Action or NotAction."),
        };
        let resources = match (s.get("Resource"), s.get("NotResource")) {
            (Some(r), None) => Some(Patterns::Only(as_list(r, "Resource")?)),
            (None, Some(r)) => Some(Patterns::AllBut(as_list(r, "NotResource")?)),
            (None, None) if kind == PolicyKind::Key => None,
            (None, None) => return malformed("Each policy statement must have a Resource or NotResource."),
            _ => return malformed("A statement cannot have both Resource and NotResource."),
        };
        let conditions = match s.get("Condition") {
            None => Vec::new(),
            Some(c) => condition::parse_block(c)?,
        };
        Ok(Statement { effect, principals, actions, resources, conditions })
    }

    fn actions(v: &Value) -> Result<Vec<String>, PolicyError> {
        let list = as_list(v, "Action")?;
        for a in &list {
            let ok = a == "*" || a.split_once(':').is_some_and(|(svc, name)| !svc.is_empty() && !name.is_empty());
            if !ok {
                return malformed(format!("Policy contains an invalid action: {a}."));
            }
        }
        Ok(list.into_iter().map(|a| a.to_ascii_lowercase()).collect())
    }

    /// A policy that allows nothing: what a stored policy that no longer
    /// parses becomes where it narrows (fail closed).
    pub fn allows_nothing() -> Policy {
        Policy { statements: Vec::new() }
    }

    /// What this policy says about `req`.
    pub fn evaluate(&self, req: &Request<'_>) -> Decision {
        let mut allowed = false;
        for st in &self.statements {
            if st.matches(req) {
                match st.effect {
                    Effect::Deny => return Decision::Deny,
                    Effect::Allow => allowed = true,
                }
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::NotApplicable
        }
    }

    /// [`Policy::evaluate`] for a key policy, saying how an Allow matched.
    pub fn evaluate_key(&self, req: &Request<'_>) -> KeyDecision {
        let mut out = KeyDecision::NotApplicable;
        for st in &self.statements {
            if !st.matches(req) {
                continue;
            }
            match st.effect {
                Effect::Deny => return KeyDecision::Deny,
                Effect::Allow if st.names_principal(req) => out = KeyDecision::AllowPrincipal,
                Effect::Allow if out == KeyDecision::NotApplicable => out = KeyDecision::AllowAccount,
                Effect::Allow => {}
            }
        }
        out
    }

    /// The principal ARNs (users, roles, …) the statements name in
    /// `Principal` or `NotPrincipal`.
    pub fn principal_arns(&self) -> impl Iterator<Item = &str> {
        self.statements
            .iter()
            .flat_map(|st| match &st.principals {
                Principals::Only(ps) | Principals::AllBut(ps) => ps.as_slice(),
                Principals::Unspecified => &[],
            })
            .filter_map(|p| match p {
                PrincipalPattern::Arn(arn) => Some(arn.as_str()),
                _ => None,
            })
    }

    /// Whether any statement has a condition on `key` (lower-case): lets a
    /// caller skip computing a costly condition key no statement reads.
    pub fn uses_condition_key(&self, key: &str) -> bool {
        self.statements.iter().flat_map(|s| &s.conditions).any(|c| c.key() == key)
    }

    /// True when some Allow statement would let `principal_arn` (of
    /// `account`) do `action` on `resource` regardless of conditions: the
    /// lockout safety check asks whether the caller keeps PutKeyPolicy.
    pub fn allows_unconditionally(&self, principal_arn: &str, account: &str, action: &str, resource: &str) -> bool {
        let empty = Context::of(HashMap::new());
        let req = Request { principal_arn, principal_account: account, action, resource, context: &empty };
        let unconditional =
            self.statements.iter().any(|st| st.effect == Effect::Allow && st.conditions.is_empty() && st.matches(&req));
        unconditional && self.evaluate(&req) != Decision::Deny
    }
}

impl Statement {
    fn matches(&self, req: &Request<'_>) -> bool {
        let principal = match &self.principals {
            Principals::Unspecified => true,
            Principals::Only(ps) => ps.iter().any(|p| principal_matches(p, req)),
            Principals::AllBut(ps) => !ps.iter().any(|p| principal_matches(p, req)),
        };
        let action = match &self.actions {
            Patterns::Only(ps) => ps.iter().any(|p| glob(p, &req.action.to_ascii_lowercase())),
            Patterns::AllBut(ps) => !ps.iter().any(|p| glob(p, &req.action.to_ascii_lowercase())),
        };
        let resource = match &self.resources {
            None => true,
            Some(Patterns::Only(ps)) => ps.iter().any(|p| resource_matches(p, req)),
            Some(Patterns::AllBut(ps)) => !ps.iter().any(|p| resource_matches(p, req)),
        };
        principal && action && resource && self.conditions.iter().all(|c| c.holds(req))
    }
}

impl Statement {
    /// Whether the statement's `Principal` names the caller by ARN or as
    /// `*` (not only through its account).
    fn names_principal(&self, req: &Request<'_>) -> bool {
        match &self.principals {
            Principals::Unspecified => true,
            Principals::Only(ps) => ps.iter().any(|p| match p {
                PrincipalPattern::Anyone | PrincipalPattern::Arn(_) | PrincipalPattern::Federated(_) => {
                    principal_matches(p, req)
                }
                PrincipalPattern::Account(_) | PrincipalPattern::Service(_) => false,
            }),
            Principals::AllBut(_) => false,
        }
    }
}

fn principal_matches(p: &PrincipalPattern, req: &Request<'_>) -> bool {
    match p {
        PrincipalPattern::Anyone => true,
        PrincipalPattern::Account(a) => a == req.principal_account,
        // A role's ARN names its sessions too: for an assumed-role caller,
        // `aws:PrincipalArn` is the role's ARN (with its path, which the
        // session's ARN leaves out).
        PrincipalPattern::Arn(arn) => {
            arn == req.principal_arn
                || (req.principal_arn.starts_with("arn:aws:sts::")
                    && req.value("aws:principalarn").is_some_and(|v| v.iter().any(|x| x == arn)))
        }
        // Only a web identity's request names an oidc-provider ARN as its
        // principal.
        PrincipalPattern::Federated(arn) => arn.contains(":oidc-provider/") && arn == req.principal_arn,
        PrincipalPattern::Service(_) => false,
    }
}

fn resource_matches(pattern: &str, req: &Request<'_>) -> bool {
    match substitute(pattern, req) {
        Some(p) => glob(&p, req.resource),
        None => false,
    }
}

/// Replaces policy variables. `None` when a variable has no value in the
/// request (the pattern then matches nothing, as in AWS).
pub(crate) fn substitute(s: &str, req: &Request<'_>) -> Option<String> {
    if !s.contains("${") {
        return Some(s.to_owned());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        let name = &after[..end];
        match name {
            // Literal characters that would otherwise be wildcards.
            "*" => out.push('\u{1}'),
            "?" => out.push('\u{2}'),
            "$" => out.push('$'),
            _ => {
                let (var, default) = match name.split_once(", '") {
                    Some((v, d)) => (v.trim(), d.strip_suffix('\'')),
                    None => (name.trim(), None),
                };
                match req.value(&var.to_ascii_lowercase()).and_then(|v| v.first()) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(default?),
                }
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// `*` (any run) and `?` (one character) wildcards; `\u{1}` and `\u{2}`
/// stand for the literal `*` and `?` produced by `${*}` and `${?}`.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        let literal = |c: char| match c {
            '\u{1}' => '*',
            '\u{2}' => '?',
            c => c,
        };
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && literal(p[pi]) == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}
