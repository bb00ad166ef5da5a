//! Table-driven evaluation cases, each naming the rule of the AWS
//! documentation it checks, parse refusals, and properties of evaluation.

use super::*;

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";
const ROOT: &str = "arn:aws:iam::111122223333:root";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

use Decision::{Allow as A, Deny as D, NotApplicable as N};

/// One case: the rule, one statement (JSON), the request's condition
/// context, who calls (`None`: the account root), the action, and the
/// expected decision.
struct Case {
    rule: &'static str,
    statement: &'static str,
    context: &'static [(&'static str, &'static [&'static str])],
    principal: Option<(&'static str, &'static str)>,
    action: &'static str,
    expect: Decision,
}

const fn c(
    rule: &'static str,
    statement: &'static str,
    context: &'static [(&'static str, &'static [&'static str])],
    expect: Decision,
) -> Case {
    Case { rule, statement, context, principal: None, action: "kms:Encrypt", expect }
}

const fn act(rule: &'static str, statement: &'static str, action: &'static str, expect: Decision) -> Case {
    Case { rule, statement, context: &[], principal: None, action, expect }
}

const fn who(
    rule: &'static str,
    statement: &'static str,
    principal: (&'static str, &'static str),
    expect: Decision,
) -> Case {
    Case { rule, statement, context: &[], principal: Some(principal), action: "kms:Encrypt", expect }
}

const USER: (&str, &str) = ("arn:aws:iam::111122223333:user/alice", ACCOUNT);
const ROLE: (&str, &str) = ("arn:aws:iam::111122223333:role/app", ACCOUNT);
const OTHER_ROOT: (&str, &str) = ("arn:aws:iam::444455556666:root", OTHER);
const OTHER_USER: (&str, &str) = ("arn:aws:iam::444455556666:user/bob", OTHER);

/// Shorthand for a statement allowing everything to the account root, with a condition.
macro_rules! allow_if {
    ($cond:literal) => {
        concat!(
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Condition":"#,
            $cond,
            "}"
        )
    };
}

const ALLOW_ROOT: &str =
    r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#;

fn cases() -> Vec<Case> {
    let mut all = cases_elements::cases();
    all.extend(cases_operators::cases());
    all.extend(cases_keys::cases());
    all
}

mod cases_elements;
mod cases_keys;
mod cases_operators;

fn request<'a>(case: &'a Case, context: &'a Context<'a>) -> Request<'a> {
    let (principal_arn, principal_account) = case.principal.unwrap_or((ROOT, ACCOUNT));
    Request { principal_arn, principal_account, action: case.action, resource: KEY, context }
}

fn context_of(pairs: &[(&str, &[&str])]) -> Context<'static> {
    Context::of(pairs.iter().map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect())).collect())
}

#[test]
fn evaluation_table() {
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, case.statement);
        let policy = match Policy::parse(&doc, PolicyKind::Key) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: does not parse: {}", case.rule, e.0));
                continue;
            }
        };
        let ctx = context_of(case.context);
        let got = policy.evaluate(&request(case, &ctx));
        if got != case.expect {
            failures.push(format!("{}: expected {:?}, got {got:?}", case.rule, case.expect));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases fail:\n{}", failures.len(), cases.len(), failures.join("\n"));
    println!("{} policy evaluation cases", cases.len());
    assert!(cases.len() >= 300, "{}", cases.len());
}

#[test]
fn explicit_deny_wins_over_any_allow() {
    let doc = format!(
        r#"{{"Statement":[{ALLOW_ROOT},{{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*"}}]}}"#
    );
    let p = Policy::parse(&doc, PolicyKind::Key).unwrap();
    let ctx = Context::of(HashMap::new());
    let case = c("", "", &[], A);
    assert_eq!(p.evaluate(&request(&case, &ctx)), D);
    assert_eq!(combine([A, N, A]), A);
    assert_eq!(combine([A, D, A]), D);
    assert_eq!(combine([N, N]), N);
    assert_eq!(combine([]), N);
}

/// (the document, the message AWS-style refusal must contain)
const REFUSED: &[(&str, &str)] = &[
    ("not json", "not a valid JSON document"),
    ("[]", "not a valid JSON document"),
    (r#"{"Version":"2012-10-17"}"#, "at least one Statement"),
    (r#"{"Statement":[]}"#, "at least one Statement"),
    (r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*"}],"Extra":1}"#, "unknown element: Extra"),
    (r#"{"Version":"2020-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*"}}"#, "Version"),
    (r#"{"Statement":{"Effect":"Permit","Principal":"*","Action":"kms:*"}}"#, "Effect"),
    (r#"{"Statement":{"Effect":"Allow","Action":"kms:*"}}"#, "no principal"),
    (r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"kms:*"}}"#, "invalid principals"),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::12345:root"},"Action":"kms:*"}}"#,
        "invalid principals",
    ),
    (r#"{"Statement":{"Effect":"Allow","Principal":{"Users":"x"},"Action":"kms:*"}}"#, "invalid principals"),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","NotAction":"kms:Decrypt"}}"#,
        "exactly one of Action or NotAction",
    ),
    (r#"{"Statement":{"Effect":"Allow","Principal":"*"}}"#, "exactly one of Action or NotAction"),
    (r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"Encrypt"}}"#, "invalid action"),
    (r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":[]}}"#, "Action"),
    (r#"{"Statement":{"Effect":"Allow","NotPrincipal":"*","Action":"kms:*"}}"#, "NotPrincipal"),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEqualz":{"kms:A":"b"}}}}"#,
        "invalid condition operator",
    ),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"NullIfExists":{"kms:A":"true"}}}}"#,
        "invalid condition operator",
    ),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"Null":{"kms:A":"maybe"}}}}"#,
        "true or false",
    ),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEquals":{"nocolon":"b"}}}}"#,
        "invalid condition key",
    ),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEquals":{"kms:A":{}}}}}"#,
        "invalid value",
    ),
    (
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEquals":{"kms:A":[]}}}}"#,
        "invalid value",
    ),
    (r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Bogus":1}}"#, "unknown element: Bogus"),
    (
        r#"{"Statement":[{"Sid":"a","Effect":"Allow","Principal":"*","Action":"kms:*"},{"Sid":"a","Effect":"Allow","Principal":"*","Action":"kms:*"}]}"#,
        "duplicate Sid",
    ),
];

#[test]
fn malformed_documents_are_refused_with_a_reason() {
    for (doc, msg) in REFUSED {
        match Policy::parse(doc, PolicyKind::Key) {
            Ok(_) => panic!("accepted: {doc}"),
            Err(e) => assert!(e.0.contains(msg), "{doc}: {}", e.0),
        }
    }
    let big = format!(
        r#"{{"Statement":{{"Sid":"{}","Effect":"Allow","Principal":"*","Action":"kms:*"}}}}"#,
        "x".repeat(MAX_POLICY_BYTES)
    );
    assert!(Policy::parse(&big, PolicyKind::Key).unwrap_err().0.contains("longer than"));
    // Identity policies take no Principal and need a Resource.
    assert!(Policy::parse(r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#, PolicyKind::Identity)
        .is_ok());
    assert!(Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}"#,
        PolicyKind::Identity
    )
    .is_err());
    assert!(Policy::parse(r#"{"Statement":{"Effect":"Allow","Action":"kms:*"}}"#, PolicyKind::Identity).is_err());
}

#[test]
fn lockout_check_sees_unconditional_put_key_policy() {
    let ok = Policy::parse(&format!(r#"{{"Statement":{ALLOW_ROOT}}}"#), PolicyKind::Key).unwrap();
    assert!(ok.allows_unconditionally(ROOT, ACCOUNT, "kms:PutKeyPolicy", KEY));
    let only_use = Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}}"#,
        PolicyKind::Key,
    )
    .unwrap();
    assert!(!only_use.allows_unconditionally(ROOT, ACCOUNT, "kms:PutKeyPolicy", KEY));
    let conditional = Policy::parse(allow_if_doc().as_str(), PolicyKind::Key).unwrap();
    assert!(!conditional.allows_unconditionally(ROOT, ACCOUNT, "kms:PutKeyPolicy", KEY));
}

fn allow_if_doc() -> String {
    format!(r#"{{"Statement":{}}}"#, allow_if!(r#"{"Bool":{"aws:SecureTransport":"true"}}"#))
}

// --- Properties, over every statement of the table and every request in it.

/// A small deterministic generator (xorshift) so the properties are
/// reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
}

fn doc(statements: &[&str]) -> Policy {
    let text = format!(r#"{{"Statement":[{}]}}"#, statements.join(","));
    Policy::parse(&text, PolicyKind::Key).unwrap()
}

/// Order of the decisions: Deny < NotApplicable < Allow (how much access).
fn access(d: Decision) -> u8 {
    match d {
        D => 0,
        N => 1,
        A => 2,
    }
}

#[test]
fn adding_a_deny_never_widens_adding_an_allow_never_narrows_and_order_never_matters() {
    let cases = cases();
    let statements: Vec<&str> = cases.iter().map(|c| c.statement).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..400 {
        let n = 1 + rng.next() % 4;
        let picked: Vec<&str> = (0..n).map(|_| statements[rng.next() % statements.len()]).collect();
        let base = doc(&picked);
        let extra = statements[rng.next() % statements.len()];
        let as_deny = extra.replace(r#""Effect":"Allow""#, r#""Effect":"Deny""#);
        // NotPrincipal is Deny-only; such a statement cannot become an Allow.
        let as_allow = if extra.contains("NotPrincipal") {
            ALLOW_ROOT.to_owned()
        } else {
            extra.replace(r#""Effect":"Deny""#, r#""Effect":"Allow""#)
        };
        let mut with_deny = picked.clone();
        with_deny.push(&as_deny);
        let mut with_allow = picked.clone();
        with_allow.push(&as_allow);
        let mut shuffled = picked.clone();
        shuffled.reverse();
        let turn = rng.next() % shuffled.len();
        shuffled.rotate_left(turn);
        let (with_deny, with_allow, shuffled) = (doc(&with_deny), doc(&with_allow), doc(&shuffled));
        for case in cases.iter().step_by(7) {
            let ctx = context_of(case.context);
            let req = request(case, &ctx);
            let before = base.evaluate(&req);
            assert!(
                access(with_deny.evaluate(&req)) <= access(before),
                "a Deny widened access: {picked:?} + {as_deny}"
            );
            assert!(
                access(with_allow.evaluate(&req)) >= access(before),
                "an Allow narrowed access: {picked:?} + {as_allow}"
            );
            assert_eq!(shuffled.evaluate(&req), before, "order mattered: {picked:?}");
        }
    }
}

#[test]
fn parsed_policies_are_the_documents_they_are_keyed_by() {
    let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    let cache = ParsedPolicies::new(PolicyKind::Key, allow.len() + deny.len());
    let a = cache.get(allow).expect("parses");
    assert!(std::sync::Arc::ptr_eq(&a, &cache.get(allow).expect("cached")));
    // Another text is its own policy, never the one cached before it.
    let d = cache.get(deny).expect("parses");
    assert!(!std::sync::Arc::ptr_eq(&a, &d));
    // A document that does not parse stays refused.
    assert!(cache.get("{").is_none());
    assert!(cache.get("{").is_none());
    // Past its byte bound the cache started again: the policy is parsed anew.
    let again = cache.get(allow).expect("parses");
    assert!(!std::sync::Arc::ptr_eq(&a, &again));
    // An identity cache refuses a document with a Principal, as parse does.
    assert!(ParsedPolicies::new(PolicyKind::Identity, 1 << 20).get(allow).is_none());
}

#[test]
fn condition_keys_are_built_only_when_evaluation_reads_one() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let eval = |statement: &str, principal_arn: &str| {
        let builds = AtomicUsize::new(0);
        let context = Context::lazy(|| {
            builds.fetch_add(1, Ordering::Relaxed);
            context_of(&[("aws:username", &["alice"]), ("aws:principalarn", &["arn:aws:iam::111122223333:role/r"])])
                .map()
                .clone()
        });
        let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        let policy = Policy::parse(&doc, PolicyKind::Key).expect("parses");
        let resource = "arn:aws:iam::111122223333:user/alice";
        let req =
            Request { principal_arn, principal_account: ACCOUNT, action: "kms:Encrypt", resource, context: &context };
        let decision = policy.evaluate(&req);
        // Evaluated twice, built at most once.
        assert_eq!(policy.evaluate(&req), decision);
        (decision, builds.load(Ordering::Relaxed))
    };
    // The default key policy reads no condition key: nothing is built.
    let root =
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#;
    assert_eq!(eval(root, ROOT), (A, 0));
    // A condition, a policy variable, and a role session matched by its
    // role's ARN each read one, and see the built keys.
    let condition = r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice"}}}"#;
    assert_eq!(eval(condition, ROOT), (A, 1));
    let variable = r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"arn:aws:iam::111122223333:user/${aws:username}"}"#;
    assert_eq!(eval(variable, ROOT), (A, 1));
    let role =
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/r"},"Action":"kms:*","Resource":"*"}"#;
    assert_eq!(eval(role, "arn:aws:sts::111122223333:assumed-role/r/s"), (A, 1));
}
