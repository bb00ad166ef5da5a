//! IAM users and identity policies, evaluated together with key policies
//! and grants (in-memory store, no HTTP): the combination rules of the KMS
//! Developer Guide ("Determining access to a KMS key", "Allowing users in
//! other accounts to use a KMS key") and the IAM User Guide ("Policy
//! evaluation logic", "Cross-account policy evaluation logic"), the
//! identity-only operations, and the management of users.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use trent_api::ops::*;
use trent_api::{ErrorCode, SensitiveBlob};
use trent_core::{Caller, Kms};

const ALICE: &str = "111122223333";
const BOB: &str = "444455556666";
const REGION: &str = "us-east-1";

async fn kms() -> Kms {
    common::kms().await
}

fn root(account: &str) -> Caller {
    common::root_caller(account, REGION)
}

fn user(account: &str, name: &str) -> Caller {
    common::user_caller(account, name, REGION)
}

fn key_statement(effect: &str, principal: &str, action: &str) -> String {
    let principal = if principal == "*" { r#""*""#.to_owned() } else { format!(r#"{{"AWS":"{principal}"}}"#) };
    format!(r#"{{"Effect":"{effect}","Principal":{principal},"Action":"{action}","Resource":"*"}}"#)
}

fn policy(statements: &[String]) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","))
}

fn identity_statement(effect: &str, action: &str, resource: &str, condition: &str) -> String {
    let condition = if condition.is_empty() { String::new() } else { format!(r#","Condition":{condition}"#) };
    format!(r#"{{"Effect":"{effect}","Action":"{action}","Resource":"{resource}"{condition}}}"#)
}

async fn create_key(kms: &Kms, c: &Caller, policy: String) -> String {
    let req =
        CreateKeyRequest { policy: Some(policy), bypass_policy_lockout_safety_check: Some(true), ..Default::default() };
    kms.create_key(c, req).await.unwrap().key_metadata.unwrap().arn
}

async fn encrypt(kms: &Kms, c: &Caller, key: &str) -> Result<(), (ErrorCode, String)> {
    let ec: BTreeMap<String, String> = [("dept".to_owned(), "it".to_owned())].into();
    let req = EncryptRequest {
        key_id: Some(key.into()),
        plaintext: Some(SensitiveBlob::new(zeroize::Zeroizing::new(b"data".to_vec()))),
        encryption_context: Some(ec),
        ..Default::default()
    };
    kms.encrypt(c, req).await.map(|_| ()).map_err(|e| (e.code(), e.public_message()))
}

/// Who calls in a case.
#[derive(Clone, Copy, Debug)]
enum Who {
    /// Alice's account root.
    AliceRoot,
    /// User `alice` of Alice's account (the key's).
    AliceUser,
    /// Bob's account root.
    BobRoot,
    /// User `bob` of Bob's account.
    BobUser,
}

/// How a case ends.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Allow,
    /// AccessDenied, the message ending with this.
    Deny(&'static str),
}

const NO_RESOURCE_POLICY: &str = "because no resource-based policy allows the kms:Encrypt action";
const NO_IDENTITY_POLICY: &str = "because no identity-based policy allows the kms:Encrypt action";
const RESOURCE_DENY: &str = "with an explicit deny in a resource-based policy";
const IDENTITY_DENY: &str = "with an explicit deny in an identity-based policy";

struct Case {
    rule: &'static str,
    who: Who,
    /// Key policy statements besides Alice's root administering the key
    /// (which never allows Encrypt).
    key_policy: Vec<String>,
    /// Identity policies of the calling user, one document each.
    identity: Vec<Vec<String>>,
    /// A grant of Encrypt to the caller.
    grant: bool,
    expect: Expect,
}

fn cases() -> Vec<Case> {
    let alice_root = format!("arn:aws:iam::{ALICE}:root");
    let alice_user = format!("arn:aws:iam::{ALICE}:user/alice");
    let bob_user = format!("arn:aws:iam::{BOB}:user/bob");
    let allow = |p: &str| key_statement("Allow", p, "kms:Encrypt");
    let deny = |p: &str| key_statement("Deny", p, "kms:Encrypt");
    let iam = |effect: &str, action: &str, resource: &str, condition: &str| {
        vec![identity_statement(effect, action, resource, condition)]
    };
    let iam_allow = || iam("Allow", "kms:Encrypt", "*", "");
    let iam_deny = || iam("Deny", "kms:Encrypt", "*", "");
    use Expect::{Allow, Deny};
    use Who::*;
    let case = |rule, who, key_policy: Vec<String>, identity: Vec<Vec<String>>, expect| Case {
        rule,
        who,
        key_policy,
        identity,
        grant: false,
        expect,
    };
    let mut v = vec![
        // Same account (KMS Developer Guide, "Determining access to a KMS key").
        case(
            "root: an account principal in the key policy is enough (IAM never restricts the root)",
            AliceRoot,
            vec![allow(&alice_root)],
            vec![],
            Allow,
        ),
        case("root: an account id principal is the account root", AliceRoot, vec![allow(ALICE)], vec![], Allow),
        case(
            "user: the account principal delegates to IAM, and no IAM policy allows",
            AliceUser,
            vec![allow(&alice_root)],
            vec![],
            Deny(NO_IDENTITY_POLICY),
        ),
        case(
            "user: the account principal delegates to IAM, and an IAM policy allows",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam_allow()],
            Allow,
        ),
        case(
            "user: an account id principal delegates to IAM like the root ARN",
            AliceUser,
            vec![allow(ALICE)],
            vec![iam_allow()],
            Allow,
        ),
        case(
            "user: an IAM policy for another action does not allow",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam("Allow", "kms:Decrypt", "*", "")],
            Deny(NO_IDENTITY_POLICY),
        ),
        case(
            "user: an IAM Deny wins over the delegated allow",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam_allow(), iam_deny()],
            Deny(IDENTITY_DENY),
        ),
        case(
            "user: an IAM Deny in the same document wins",
            AliceUser,
            vec![allow(&alice_root)],
            vec![vec![iam_allow()[0].clone(), iam_deny()[0].clone()]],
            Deny(IDENTITY_DENY),
        ),
        case(
            "user: a key policy naming the user is enough without IAM",
            AliceUser,
            vec![allow(&alice_user)],
            vec![],
            Allow,
        ),
        case(
            "user: a key policy naming the user still loses to an IAM Deny",
            AliceUser,
            vec![allow(&alice_user)],
            vec![iam_deny()],
            Deny(IDENTITY_DENY),
        ),
        case(
            "user: Principal * in the key policy is enough in the key's account",
            AliceUser,
            vec![allow("*")],
            vec![],
            Allow,
        ),
        case(
            "user: IAM alone cannot allow when the key policy does not let the account delegate",
            AliceUser,
            vec![allow(&bob_user)],
            vec![iam_allow()],
            Deny(NO_RESOURCE_POLICY),
        ),
        case(
            "user: a key policy Deny naming the user wins over every allow",
            AliceUser,
            vec![allow(&alice_root), deny(&alice_user)],
            vec![iam_allow()],
            Deny(RESOURCE_DENY),
        ),
        case(
            "user: a key policy Deny of the account covers its users",
            AliceUser,
            vec![allow(&alice_user), deny(ALICE)],
            vec![iam_allow()],
            Deny(RESOURCE_DENY),
        ),
        case(
            "user: a key policy naming another user of the account does not delegate",
            AliceUser,
            vec![allow(&format!("arn:aws:iam::{ALICE}:user/carol"))],
            vec![iam_allow()],
            Deny(NO_RESOURCE_POLICY),
        ),
        // Identity policy elements (IAM User Guide, "IAM JSON policy elements").
        case(
            "identity: Resource matches the key ARN with wildcards",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam("Allow", "kms:Encrypt", &format!("arn:aws:kms:{REGION}:{ALICE}:key/*"), "")],
            Allow,
        ),
        case(
            "identity: a Resource naming other keys does not allow",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam("Allow", "kms:Encrypt", &format!("arn:aws:kms:{REGION}:{BOB}:key/*"), "")],
            Deny(NO_IDENTITY_POLICY),
        ),
        case(
            "identity: Action wildcards match",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam("Allow", "kms:Enc*", "*", "")],
            Allow,
        ),
        case(
            "identity: NotAction allows every other action",
            AliceUser,
            vec![allow(&alice_root)],
            vec![vec![r#"{"Effect":"Allow","NotAction":"kms:Decrypt","Resource":"*"}"#.to_owned()]],
            Allow,
        ),
        case(
            "identity: NotAction excludes the named action",
            AliceUser,
            vec![allow(&alice_root)],
            vec![vec![r#"{"Effect":"Allow","NotAction":"kms:Encrypt","Resource":"*"}"#.to_owned()]],
            Deny(NO_IDENTITY_POLICY),
        ),
        case(
            "identity: NotResource allows every other resource",
            AliceUser,
            vec![allow(&alice_root)],
            vec![vec![r#"{"Effect":"Allow","Action":"kms:*","NotResource":"arn:aws:kms:*:*:alias/*"}"#.to_owned()]],
            Allow,
        ),
        case(
            "identity: a Deny with NotResource sparing the key does not deny",
            AliceUser,
            vec![allow(&alice_root)],
            vec![
                iam_allow(),
                vec![r#"{"Effect":"Deny","Action":"kms:*","NotResource":"arn:aws:kms:*:*:key/*"}"#.to_owned()],
            ],
            Allow,
        ),
        // Condition keys of the identity side (IAM User Guide, "AWS global condition context keys").
        case(
            "aws:username is the user's name",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam("Allow", "kms:Encrypt", "*", r#"{"StringEquals":{"aws:username":"alice"}}"#)],
            Allow,
        ),
        case(
            "aws:username of another user does not match",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam("Allow", "kms:Encrypt", "*", r#"{"StringEquals":{"aws:username":"mallory"}}"#)],
            Deny(NO_IDENTITY_POLICY),
        ),
        case(
            "aws:PrincipalType is User for IAM users",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam("Allow", "kms:Encrypt", "*", r#"{"StringEquals":{"aws:PrincipalType":"User"}}"#)],
            Allow,
        ),
        case(
            "aws:userid is the user's unique id (AIDA…)",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam("Allow", "kms:Encrypt", "*", r#"{"StringLike":{"aws:userid":"AIDA*"}}"#)],
            Allow,
        ),
        case(
            "aws:PrincipalArn is the user's ARN",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam(
                "Allow",
                "kms:Encrypt",
                "*",
                &format!(r#"{{"ArnEquals":{{"aws:PrincipalArn":"{alice_user}"}}}}"#),
            )],
            Allow,
        ),
        case(
            "policy variables: ${aws:username} in a condition value",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam(
                "Allow",
                "kms:Encrypt",
                "*",
                r#"{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/${aws:username}"}}"#,
            )],
            Allow,
        ),
        case(
            "kms:EncryptionContext keys reach identity policies",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam("Allow", "kms:Encrypt", "*", r#"{"StringEquals":{"kms:EncryptionContext:dept":"it"}}"#)],
            Allow,
        ),
        case(
            "kms:EncryptionContext with another value does not match",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam("Allow", "kms:Encrypt", "*", r#"{"StringEquals":{"kms:EncryptionContext:dept":"hr"}}"#)],
            Deny(NO_IDENTITY_POLICY),
        ),
        case(
            "kms:CallerAccount reaches identity policies",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam("Allow", "kms:Encrypt", "*", &format!(r#"{{"StringEquals":{{"kms:CallerAccount":"{ALICE}"}}}}"#))],
            Allow,
        ),
        case(
            "kms:KeySpec of the key reaches identity policies",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam("Allow", "kms:Encrypt", "*", r#"{"StringEquals":{"kms:KeySpec":"SYMMETRIC_DEFAULT"}}"#)],
            Allow,
        ),
        case(
            "kms:ViaService is absent: no AWS service calls Trent",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam(
                "Allow",
                "kms:Encrypt",
                "*",
                r#"{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}"#,
            )],
            Deny(NO_IDENTITY_POLICY),
        ),
        case(
            "kms:ViaService with IfExists matches a direct call",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam(
                "Allow",
                "kms:Encrypt",
                "*",
                r#"{"StringEqualsIfExists":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}"#,
            )],
            Allow,
        ),
        case(
            "a Deny unless called through a service refuses direct calls",
            AliceUser,
            vec![allow(&alice_root)],
            vec![iam_allow(), iam("Deny", "kms:Encrypt", "*", r#"{"Null":{"kms:ViaService":"true"}}"#)],
            Deny(IDENTITY_DENY),
        ),
        // Cross account (KMS Developer Guide, "Allowing users in other accounts to use a KMS key").
        case(
            "cross-account root: the key policy naming its account is enough",
            BobRoot,
            vec![allow(BOB)],
            vec![],
            Allow,
        ),
        case(
            "cross-account root: a key policy naming no one of the account refuses",
            BobRoot,
            vec![allow(&alice_root)],
            vec![],
            Deny(NO_RESOURCE_POLICY),
        ),
        case(
            "cross-account user: the key policy naming its account needs the user's IAM allow",
            BobUser,
            vec![allow(BOB)],
            vec![],
            Deny(NO_IDENTITY_POLICY),
        ),
        case(
            "cross-account user: key policy and IAM policy both allow",
            BobUser,
            vec![allow(BOB)],
            vec![iam_allow()],
            Allow,
        ),
        case(
            "cross-account user: a key policy naming the user still needs IAM",
            BobUser,
            vec![allow(&bob_user)],
            vec![],
            Deny(NO_IDENTITY_POLICY),
        ),
        case(
            "cross-account user: named by the key policy and allowed by IAM",
            BobUser,
            vec![allow(&bob_user)],
            vec![iam_allow()],
            Allow,
        ),
        case(
            "cross-account user: Principal * still needs IAM in the other account",
            BobUser,
            vec![allow("*")],
            vec![],
            Deny(NO_IDENTITY_POLICY),
        ),
        case("cross-account user: Principal * and IAM allow", BobUser, vec![allow("*")], vec![iam_allow()], Allow),
        case(
            "cross-account user: IAM alone cannot reach another account's key",
            BobUser,
            vec![allow(&alice_root)],
            vec![iam_allow()],
            Deny(NO_RESOURCE_POLICY),
        ),
        case(
            "cross-account user: an IAM Deny wins",
            BobUser,
            vec![allow(BOB)],
            vec![iam_allow(), iam_deny()],
            Deny(IDENTITY_DENY),
        ),
        case(
            "cross-account user: the key policy's Deny of the user wins",
            BobUser,
            vec![allow(BOB), deny(&bob_user)],
            vec![iam_allow()],
            Deny(RESOURCE_DENY),
        ),
        case(
            "cross-account user: kms:CallerAccount is the caller's account",
            BobUser,
            vec![allow(BOB)],
            vec![iam("Allow", "kms:Encrypt", "*", &format!(r#"{{"StringEquals":{{"kms:CallerAccount":"{BOB}"}}}}"#))],
            Allow,
        ),
    ];
    // Grants (KMS Developer Guide, "Grants in AWS KMS"): a grant to the
    // user permits without any policy allow, but not past an explicit Deny.
    let grant = |rule, who, identity: Vec<Vec<String>>, expect| Case {
        rule,
        who,
        key_policy: vec![],
        identity,
        grant: true,
        expect,
    };
    v.push(grant("grant: permits its grantee user with no policy allowing", AliceUser, vec![], Allow));
    v.push(grant("grant: an IAM Deny wins over a grant", AliceUser, vec![iam_deny()], Deny(IDENTITY_DENY)));
    v.push(grant("grant: permits a grantee user of another account", BobUser, vec![], Allow));
    v
}

async fn run_case(case: &Case) -> Expect {
    let kms = kms().await;
    let admin = key_statement("Allow", &format!("arn:aws:iam::{ALICE}:root"), "kms:CreateGrant");
    let mut statements = vec![admin];
    statements.extend(case.key_policy.iter().cloned());
    // Users first: a key policy may name only users that exist.
    kms.create_user(&root(ALICE), "alice", vec![]).await.unwrap();
    kms.create_user(&root(BOB), "bob", vec![]).await.unwrap();
    kms.create_user(&root(ALICE), "carol", vec![]).await.unwrap();
    let key = create_key(&kms, &root(ALICE), policy(&statements)).await;
    let (owner, caller) = match case.who {
        Who::AliceRoot => (root(ALICE), root(ALICE)),
        Who::AliceUser => (root(ALICE), user(ALICE, "alice")),
        Who::BobRoot => (root(BOB), root(BOB)),
        Who::BobUser => (root(BOB), user(BOB, "bob")),
    };
    let user_name = caller.principal.as_str().rsplit('/').next().unwrap().to_owned();
    for (i, statements) in case.identity.iter().enumerate() {
        kms.put_user_policy(&owner, &user_name, &format!("p{i}"), &policy(statements)).await.unwrap();
    }
    if case.grant {
        let req = CreateGrantRequest {
            key_id: Some(key.clone()),
            grantee_principal: Some(caller.principal.as_str().to_owned()),
            operations: Some(vec![trent_api::enums::GrantOperation::Encrypt]),
            ..Default::default()
        };
        kms.create_grant(&root(ALICE), req).await.unwrap();
    }
    match encrypt(&kms, &caller, &key).await {
        Ok(()) => Expect::Allow,
        Err((ErrorCode::AccessDenied, message)) => {
            let prefix = format!(
                "User: {} is not authorized to perform: kms:Encrypt on resource: {key} ",
                caller.principal.as_str()
            );
            assert!(message.starts_with(&prefix), "{}: {message}", case.rule);
            let why = [NO_RESOURCE_POLICY, NO_IDENTITY_POLICY, RESOURCE_DENY, IDENTITY_DENY]
                .into_iter()
                .find(|w| message.ends_with(w))
                .unwrap_or_else(|| panic!("{}: unexpected message {message}", case.rule));
            Expect::Deny(why)
        }
        Err(other) => panic!("{}: {other:?}", case.rule),
    }
}

#[tokio::test]
async fn key_policies_identity_policies_and_grants_combine_as_in_aws() {
    let cases = cases();
    assert!(cases.len() >= 50, "{}", cases.len());
    println!("{} combination cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let got = run_case(case).await;
        if got != case.expect {
            failures.push(format!("{}: expected {:?}, got {got:?}", case.rule, case.expect));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// IAM User Guide, "Policy evaluation logic": operations on no key
/// (CreateKey, ListKeys, ListAliases, GenerateRandom, aliases,
/// ListRetirableGrants, LookupEvents) are identity-policy permissions: the
/// root holds them, a user only when a policy of its own allows.
#[tokio::test]
async fn operations_on_no_key_need_an_identity_policy() {
    let kms = kms().await;
    kms.create_user(&root(ALICE), "alice", vec![]).await.unwrap();
    let alice = user(ALICE, "alice");
    let code = |r: Result<(), trent_core::KmsError>| r.map_err(|e| e.code());
    let create = |spec: Option<trent_api::enums::KeySpec>| {
        let kms = &kms;
        let alice = alice.clone();
        async move {
            // Every key but a symmetric one needs its KeyUsage.
            let key_usage = spec.is_some().then_some(trent_api::enums::KeyUsage::SignVerify);
            let req = CreateKeyRequest { key_spec: spec, key_usage, ..Default::default() };
            kms.create_key(&alice, req).await.map(|r| r.key_metadata.unwrap().arn)
        }
    };
    assert_eq!(create(None).await.unwrap_err().code(), ErrorCode::AccessDenied);
    let e = kms.list_keys(&alice, ListKeysRequest::default()).await.unwrap_err();
    assert_eq!(e.public_message(), format!("User: arn:aws:iam::{ALICE}:user/alice is not authorized to perform: kms:ListKeys on resource: * because no identity-based policy allows the kms:ListKeys action"));
    let random = GenerateRandomRequest { number_of_bytes: Some(16), ..Default::default() };
    assert_eq!(code(kms.generate_random(&alice, random).await.map(|_| ())), Err(ErrorCode::AccessDenied));
    assert_eq!(
        code(kms.list_aliases(&alice, ListAliasesRequest::default()).await.map(|_| ())),
        Err(ErrorCode::AccessDenied)
    );
    let retirable =
        ListRetirableGrantsRequest { retiring_principal: Some(alice.principal.as_str().into()), ..Default::default() };
    assert_eq!(code(kms.list_retirable_grants(&alice, retirable).await.map(|_| ())), Err(ErrorCode::AccessDenied));
    let lookup = trent_api::cloudtrail::LookupEventsRequest::default();
    assert_eq!(code(kms.lookup_events(&alice, lookup).await.map(|_| ())), Err(ErrorCode::AccessDenied));

    // CreateKey with a condition on the spec; the default policy still names
    // the account root, so the creator reaches the key through IAM.
    let doc = policy(&[
        identity_statement("Allow", "kms:CreateKey", "*", r#"{"StringEquals":{"kms:KeySpec":"SYMMETRIC_DEFAULT"}}"#),
        identity_statement("Allow", "kms:ListKeys", "*", ""),
        identity_statement("Allow", "kms:DescribeKey", "*", ""),
        identity_statement("Allow", "kms:CreateAlias", &format!("arn:aws:kms:*:{ALICE}:alias/${{aws:username}}-*"), ""),
        identity_statement("Allow", "kms:CreateAlias", &format!("arn:aws:kms:*:{ALICE}:key/*"), ""),
    ]);
    kms.put_user_policy(&root(ALICE), "alice", "keys", &doc).await.unwrap();
    let key = create(None).await.unwrap();
    assert_eq!(create(Some(trent_api::enums::KeySpec::Rsa2048)).await.unwrap_err().code(), ErrorCode::AccessDenied);
    assert_eq!(kms.list_keys(&alice, ListKeysRequest::default()).await.unwrap().keys.len(), 1);
    let describe = DescribeKeyRequest { key_id: Some(key.clone()), ..Default::default() };
    kms.describe_key(&alice, describe).await.unwrap();
    // The alias ARN must match the policy, with ${aws:username} filled in;
    // the key side is the key policy's (the account delegates to IAM).
    let alias = |name: &str| CreateAliasRequest { alias_name: Some(name.into()), target_key_id: Some(key.clone()) };
    kms.create_alias(&alice, alias("alias/alice-app")).await.unwrap();
    let e = kms.create_alias(&alice, alias("alias/bob-app")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    assert!(
        e.public_message().contains(&format!("on resource: arn:aws:kms:{REGION}:{ALICE}:alias/bob-app")),
        "{}",
        e.public_message()
    );
    // Encrypt is not in the user's policies: denied on the key.
    assert_eq!(encrypt(&kms, &alice, &key).await.unwrap_err().0, ErrorCode::AccessDenied);
}

/// Users: created, listed and deleted by the account root; names unique in
/// any case; policies checked as identity policies and within IAM's size
/// quota; a deleted user's access is gone at once.
#[tokio::test]
async fn users_and_their_policies_are_managed_by_the_account() {
    let kms = kms().await;
    let owner = root(ALICE);
    let created = kms.create_user(&owner, "alice", vec![]).await.unwrap();
    assert_eq!(created.user.arn(), format!("arn:aws:iam::{ALICE}:user/alice"));
    assert!(created.user.user_id.starts_with("AIDA") && created.user.user_id.len() == 21);
    assert!(created.access_key_id.as_str().starts_with("AKIA"));
    assert_eq!(created.secret_access_key.len(), 40);
    // The access key authenticates as the user.
    let auth = kms.authenticate(created.access_key_id.as_str()).await.unwrap().unwrap();
    assert_eq!(auth.principal.as_str(), created.user.arn());
    assert_eq!(kms.create_user(&owner, "ALICE", vec![]).await.err().map(|e| e.code()), Some(ErrorCode::AlreadyExists));
    kms.create_user(&owner, "carol", vec![]).await.unwrap();
    let names: Vec<String> = kms.list_users(&owner).await.unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["alice", "carol"]);
    assert!(kms.list_users(&root(BOB)).await.unwrap().is_empty());

    // A user may not manage users unless a policy of its own allows it.
    let alice = user(ALICE, "alice");
    assert_eq!(kms.create_user(&alice, "dave", vec![]).await.err().map(|e| e.code()), Some(ErrorCode::AccessDenied));
    let manage = policy(&[identity_statement("Allow", "iam:*", &format!("arn:aws:iam::{ALICE}:user/*"), "")]);
    kms.put_user_policy(&owner, "alice", "manage", &manage).await.unwrap();
    kms.create_user(&alice, "dave", vec![]).await.unwrap();

    // Identity policies are parsed as such: a Principal is refused, a
    // statement needs a Resource.
    let with_principal = policy(&[key_statement("Allow", "*", "kms:Encrypt")]);
    let e = kms.put_user_policy(&owner, "carol", "p", &with_principal).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::MalformedPolicyDocument);
    let no_resource = r#"{"Statement":{"Effect":"Allow","Action":"kms:*"}}"#;
    assert_eq!(
        kms.put_user_policy(&owner, "carol", "p", no_resource).await.unwrap_err().code(),
        ErrorCode::MalformedPolicyDocument
    );
    assert_eq!(kms.put_user_policy(&owner, "nobody", "p", &manage).await.unwrap_err().code(), ErrorCode::NotFound);
    // IAM's 2,048-character quota counts every policy of the user, without whitespace.
    let big = |n: usize| {
        policy(&[identity_statement("Allow", "kms:Encrypt", &format!("arn:aws:kms:*:*:key/{}", "k".repeat(n)), "")])
    };
    let base = big(0).chars().filter(|c| !c.is_whitespace()).count();
    kms.put_user_policy(&owner, "carol", "a", &big(1024 - base)).await.unwrap();
    kms.put_user_policy(&owner, "carol", "b", &big(1024 - base)).await.unwrap();
    let e = kms.put_user_policy(&owner, "carol", "c", &big(1)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::LimitExceeded);
    // Replacing a policy counts the new text instead of the old.
    kms.put_user_policy(&owner, "carol", "b", &big(1024 - base)).await.unwrap();
    assert_eq!(kms.list_user_policies(&owner, "carol").await.unwrap(), ["a", "b"]);
    assert_eq!(kms.get_user_policy(&owner, "Carol", "a").await.unwrap().document, big(1024 - base));
    kms.delete_user_policy(&owner, "carol", "a").await.unwrap();
    assert_eq!(kms.delete_user_policy(&owner, "carol", "a").await.unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(kms.get_user_policy(&owner, "carol", "a").await.unwrap_err().code(), ErrorCode::NotFound);

    // Deleting a user revokes it at once: its key no longer authenticates,
    // and a request already authenticated is refused at authorization.
    let key = create_key(
        &kms,
        &owner,
        policy(&[key_statement("Allow", &format!("arn:aws:iam::{ALICE}:user/alice"), "kms:*")]),
    )
    .await;
    encrypt(&kms, &alice, &key).await.unwrap();
    kms.delete_user(&owner, "alice").await.unwrap();
    assert!(kms.authenticate(created.access_key_id.as_str()).await.unwrap().is_none());
    assert_eq!(encrypt(&kms, &alice, &key).await.unwrap_err().0, ErrorCode::UnrecognizedClient);
    assert_eq!(kms.delete_user(&owner, "alice").await.unwrap_err().code(), ErrorCode::NotFound);
    // A new user of the same name is a new principal with no policies.
    kms.create_user(&owner, "alice", vec![]).await.unwrap();
    assert_eq!(kms.create_user(&alice, "eve", vec![]).await.err().map(|e| e.code()), Some(ErrorCode::AccessDenied));
}

/// KMS Developer Guide, "Using ABAC: aws:RequestTag and aws:TagKeys":
/// TagResource and UntagResource carry the request's tags to the policies.
#[tokio::test]
async fn tagging_sees_the_request_tags() {
    let kms = kms().await;
    let owner = root(ALICE);
    kms.create_user(&owner, "alice", vec![]).await.unwrap();
    let alice = user(ALICE, "alice");
    let doc = policy(&[
        identity_statement(
            "Allow",
            "kms:TagResource",
            "*",
            r#"{"StringEquals":{"aws:RequestTag/team":"blue"},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}"#,
        ),
        identity_statement(
            "Allow",
            "kms:UntagResource",
            "*",
            r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}"#,
        ),
    ]);
    kms.put_user_policy(&owner, "alice", "tags", &doc).await.unwrap();
    let key = create_key(&kms, &owner, policy(&[key_statement("Allow", ALICE, "kms:*")])).await;
    let tag = |pairs: &[(&str, &str)]| TagResourceRequest {
        key_id: Some(key.clone()),
        tags: Some(
            pairs.iter().map(|(k, v)| Tag { tag_key: Some((*k).into()), tag_value: Some((*v).into()) }).collect(),
        ),
    };
    kms.tag_resource(&alice, tag(&[("team", "blue")])).await.unwrap();
    let code = |r: Result<Empty, trent_core::KmsError>| r.map(|_| ()).map_err(|e| e.code());
    assert_eq!(code(kms.tag_resource(&alice, tag(&[("team", "red")])).await), Err(ErrorCode::AccessDenied));
    assert_eq!(
        code(kms.tag_resource(&alice, tag(&[("team", "blue"), ("owner", "x")])).await),
        Err(ErrorCode::AccessDenied)
    );
    let untag = |names: &[&str]| UntagResourceRequest {
        key_id: Some(key.clone()),
        tag_keys: Some(names.iter().map(|n| (*n).to_owned()).collect()),
    };
    assert_eq!(code(kms.untag_resource(&alice, untag(&["owner"])).await), Err(ErrorCode::AccessDenied));
    kms.untag_resource(&alice, untag(&["team"])).await.unwrap();
}

/// IAM User Guide, "Controlling access for IAM principals" (ABAC): a
/// user's tags are its `aws:PrincipalTag/*`, matched here against the key's
/// tag through a policy variable; TagUser and UntagUser take effect on the
/// next request.
#[tokio::test]
async fn principal_tags_match_resource_tags() {
    let kms = kms().await;
    let owner = root(ALICE);
    let tag = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    kms.create_user(&owner, "alice", vec![tag("Team", "blue")]).await.unwrap();
    kms.create_user(&owner, "carol", vec![tag("team", "red")]).await.unwrap();
    let abac = r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:Encrypt","Resource":"*",
        "Condition":{"StringEquals":{"aws:PrincipalTag/team":"${aws:ResourceTag/team}"}}}"#;
    let admin = key_statement("Allow", &format!("arn:aws:iam::{ALICE}:root"), "kms:PutKeyPolicy");
    let req = CreateKeyRequest {
        policy: Some(policy(&[admin, abac.to_owned()])),
        tags: Some(vec![Tag { tag_key: Some("team".into()), tag_value: Some("blue".into()) }]),
        ..Default::default()
    };
    let key = kms.create_key(&owner, req).await.unwrap().key_metadata.unwrap().arn;
    // The key policy names the account: the users' identity side must allow too.
    let any = policy(&[identity_statement("Allow", "kms:*", "*", "")]);
    for u in ["alice", "carol"] {
        kms.put_user_policy(&owner, u, "any", &any).await.unwrap();
    }
    let (alice, carol) = (user(ALICE, "alice"), user(ALICE, "carol"));
    encrypt(&kms, &alice, &key).await.unwrap();
    assert_eq!(encrypt(&kms, &carol, &key).await.unwrap_err().0, ErrorCode::AccessDenied);
    // Tag keys compare regardless of case: Team replaces team.
    kms.tag_user(&owner, "carol", vec![tag("Team", "blue")]).await.unwrap();
    assert_eq!(kms.list_user_tags(&owner, "carol").await.unwrap(), [tag("Team", "blue")]);
    encrypt(&kms, &carol, &key).await.unwrap();
    kms.untag_user(&owner, "carol", vec!["TEAM".into()]).await.unwrap();
    assert!(kms.list_user_tags(&owner, "carol").await.unwrap().is_empty());
    assert_eq!(encrypt(&kms, &carol, &key).await.unwrap_err().0, ErrorCode::AccessDenied);
    // IAM's rules on the tags themselves.
    let e = kms.tag_user(&owner, "carol", vec![tag("aws:team", "x")]).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);
    let e = kms.tag_user(&owner, "carol", vec![tag("a", "1"), tag("A", "2")]).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);
    let many: Vec<_> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
    kms.tag_user(&owner, "carol", many).await.unwrap();
    let e = kms.tag_user(&owner, "carol", vec![tag("one-more", "v")]).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::LimitExceeded);
    assert_eq!(kms.tag_user(&owner, "nobody", vec![tag("a", "1")]).await.unwrap_err().code(), ErrorCode::NotFound);
    kms.untag_user(&owner, "carol", (0..50).map(|i| format!("k{i}")).collect()).await.unwrap();
    // A user tagging others needs iam:TagUser, and its conditions see the
    // request's tags.
    let manage = policy(&[identity_statement(
        "Allow",
        "iam:TagUser",
        "*",
        r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}"#,
    )]);
    kms.put_user_policy(&owner, "alice", "any", &manage).await.unwrap();
    kms.tag_user(&alice, "carol", vec![tag("team", "blue")]).await.unwrap();
    let e = kms.tag_user(&alice, "carol", vec![tag("cost", "1")]).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
}

/// KMS Developer Guide, PutKeyPolicy: "MalformedPolicyDocumentException …
/// invalid principals": a key policy naming an IAM user that does not
/// exist is refused (for the accounts Trent holds); the caller must be
/// allowed PutKeyPolicy before the check answers.
#[tokio::test]
async fn key_policies_naming_missing_users_are_refused() {
    let kms = kms().await;
    let owner = root(ALICE);
    kms.create_user(&owner, "alice", vec![]).await.unwrap();
    let admin = key_statement("Allow", &format!("arn:aws:iam::{ALICE}:root"), "kms:*");
    let naming = |principal: &str| policy(&[admin.clone(), key_statement("Allow", principal, "kms:Encrypt")]);
    let create = |text: String| CreateKeyRequest { policy: Some(text), ..Default::default() };
    let key = kms.create_key(&owner, create(naming(&format!("arn:aws:iam::{ALICE}:user/alice")))).await.unwrap();
    let key = key.key_metadata.unwrap().arn;
    for missing in [
        format!("arn:aws:iam::{ALICE}:user/mallory"),
        // Names are unique regardless of case, but a principal names the user exactly.
        format!("arn:aws:iam::{ALICE}:user/Alice"),
    ] {
        let e = kms.create_key(&owner, create(naming(&missing))).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedPolicyDocument, "{missing}");
        assert_eq!(e.public_message(), "Policy contains a statement with one or more invalid principals.");
        let put =
            PutKeyPolicyRequest { key_id: Some(key.clone()), policy: Some(naming(&missing)), ..Default::default() };
        assert_eq!(kms.put_key_policy(&owner, put).await.unwrap_err().code(), ErrorCode::MalformedPolicyDocument);
    }
    // Accounts Trent does not hold cannot be checked: accepted. Roles are
    // checked as users are (crates/core/tests/sts.rs).
    kms.create_key(&owner, create(naming("arn:aws:iam::999999999999:user/someone"))).await.unwrap();
    kms.create_key(&owner, create(naming("arn:aws:iam::999999999999:role/app"))).await.unwrap();
    let e = kms.create_key(&owner, create(naming(&format!("arn:aws:iam::{ALICE}:role/app")))).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::MalformedPolicyDocument);
    // Another account may not learn which users exist: it is refused first.
    let put = PutKeyPolicyRequest {
        key_id: Some(key.clone()),
        policy: Some(naming(&format!("arn:aws:iam::{ALICE}:user/mallory"))),
        ..Default::default()
    };
    assert_eq!(kms.put_key_policy(&root(BOB), put).await.unwrap_err().code(), ErrorCode::NotFound);
    // A deleted user's ARN can no longer be put in a policy.
    kms.delete_user(&owner, "alice").await.unwrap();
    let put = PutKeyPolicyRequest {
        key_id: Some(key.clone()),
        policy: Some(naming(&format!("arn:aws:iam::{ALICE}:user/alice"))),
        ..Default::default()
    };
    assert_eq!(kms.put_key_policy(&owner, put).await.unwrap_err().code(), ErrorCode::MalformedPolicyDocument);
}

/// IAM User Guide, "Manage access keys for IAM users": a principal has at
/// most two keys, so one can be rotated without a moment with none; a
/// user manages its own keys only when a policy allows it; a deleted key
/// stops at once. Trent keeps an account root's last key.
#[tokio::test]
async fn access_keys_rotate() {
    let kms = kms().await;
    let owner = root(ALICE);
    let first = kms.create_user(&owner, "alice", vec![]).await.unwrap().access_key_id;
    kms.create_user(&owner, "carol", vec![]).await.unwrap();
    let alice = user(ALICE, "alice");
    // The root gives Alice a second key; a third is over the quota.
    let second = kms.create_access_key(&owner, Some("alice")).await.unwrap();
    assert_eq!(second.user_name.as_deref(), Some("alice"));
    assert_eq!(second.secret_access_key.len(), 40);
    let auth = kms.authenticate(second.record.id.as_str()).await.unwrap().unwrap();
    assert_eq!(auth.principal.as_str(), format!("arn:aws:iam::{ALICE}:user/alice"));
    let e = kms.create_access_key(&owner, Some("alice")).await.err().unwrap();
    assert_eq!(e.code(), ErrorCode::LimitExceeded);
    let (keys, name) = kms.list_access_keys(&owner, Some("ALICE")).await.unwrap();
    assert_eq!(name.as_deref(), Some("alice"));
    let mut ids: Vec<&str> = keys.iter().map(|k| k.id.as_str()).collect();
    let mut want = vec![first.as_str(), second.record.id.as_str()];
    ids.sort_unstable();
    want.sort_unstable();
    assert_eq!(ids, want);
    // The old key goes: it no longer authenticates; the new one does.
    kms.delete_access_key(&owner, Some("alice"), first.as_str()).await.unwrap();
    assert!(kms.authenticate(first.as_str()).await.unwrap().is_none());
    assert!(kms.authenticate(second.record.id.as_str()).await.unwrap().is_some());
    let e = kms.delete_access_key(&owner, Some("alice"), first.as_str()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    // A key is deleted only through its own principal.
    let e = kms.delete_access_key(&owner, Some("carol"), second.record.id.as_str()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);

    // Alice manages her own keys once a policy lets her, and no one else's.
    assert_eq!(kms.list_access_keys(&alice, None).await.unwrap_err().code(), ErrorCode::AccessDenied);
    let own = policy(&[identity_statement(
        "Allow",
        "iam:*AccessKey*",
        &format!("arn:aws:iam::{ALICE}:user/${{aws:username}}"),
        "",
    )]);
    kms.put_user_policy(&owner, "alice", "own-keys", &own).await.unwrap();
    let (keys, _) = kms.list_access_keys(&alice, None).await.unwrap();
    assert_eq!(keys.len(), 1);
    let third = kms.create_access_key(&alice, None).await.unwrap();
    assert_eq!(third.record.principal.as_str(), format!("arn:aws:iam::{ALICE}:user/alice"));
    assert_eq!(kms.list_access_keys(&alice, Some("carol")).await.unwrap_err().code(), ErrorCode::AccessDenied);
    assert_eq!(kms.create_access_key(&owner, Some("nobody")).await.err().unwrap().code(), ErrorCode::NotFound);

    // The root's own keys: two at most, and never none.
    let r1 = kms.create_access_key(&owner, None).await.unwrap();
    assert_eq!(r1.user_name, None);
    assert_eq!(r1.record.principal.as_str(), format!("arn:aws:iam::{ALICE}:root"));
    let r2 = kms.create_access_key(&owner, None).await.unwrap();
    kms.delete_access_key(&owner, None, r1.record.id.as_str()).await.unwrap();
    let e = kms.delete_access_key(&owner, None, r2.record.id.as_str()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);
    assert!(kms.authenticate(r2.record.id.as_str()).await.unwrap().is_some());
}

/// UpdateAccessKey: an inactive key is refused at authentication as an
/// unknown one is, listed as Inactive, and works again once made Active; a
/// key is updated only through its own principal; an account root keeps
/// one active key; `Expired` is no status to give.
#[tokio::test]
async fn access_keys_are_deactivated_and_reactivated() {
    use trent_api::enums::AccessKeyStatus;
    let kms = kms().await;
    let owner = root(ALICE);
    let key = kms.create_user(&owner, "alice", vec![]).await.unwrap().access_key_id;
    kms.create_user(&owner, "carol", vec![]).await.unwrap();
    assert!(kms.authenticate(key.as_str()).await.unwrap().is_some());

    kms.update_access_key(&owner, Some("alice"), key.as_str(), &AccessKeyStatus::Inactive).await.unwrap();
    assert!(kms.authenticate(key.as_str()).await.unwrap().is_none());
    let (keys, _) = kms.list_access_keys(&owner, Some("alice")).await.unwrap();
    assert!(keys[0].inactive);
    // Again: nothing changes, and no error.
    kms.update_access_key(&owner, Some("alice"), key.as_str(), &AccessKeyStatus::Inactive).await.unwrap();
    assert!(kms.authenticate(key.as_str()).await.unwrap().is_none());
    // Not Carol's key; no such key; no such status.
    let e = kms.update_access_key(&owner, Some("carol"), key.as_str(), &AccessKeyStatus::Active).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    let e = kms.update_access_key(&owner, Some("alice"), "AKIANOSUCHKEY00000", &AccessKeyStatus::Active).await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::NotFound);
    let e = kms.update_access_key(&owner, Some("alice"), key.as_str(), &AccessKeyStatus::Expired).await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::Validation);
    // A user without a policy allowing it cannot reactivate its own key.
    let alice = user(ALICE, "alice");
    let e = kms.update_access_key(&alice, None, key.as_str(), &AccessKeyStatus::Active).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);

    kms.update_access_key(&owner, Some("alice"), key.as_str(), &AccessKeyStatus::Active).await.unwrap();
    assert!(kms.authenticate(key.as_str()).await.unwrap().is_some());
    let (keys, _) = kms.list_access_keys(&owner, Some("alice")).await.unwrap();
    assert!(!keys[0].inactive);

    // The root: one key may be made inactive while another stays active,
    // never the last active one.
    let r1 = kms.create_access_key(&owner, None).await.unwrap().record.id;
    let r2 = kms.create_access_key(&owner, None).await.unwrap().record.id;
    kms.update_access_key(&owner, None, r1.as_str(), &AccessKeyStatus::Inactive).await.unwrap();
    let e = kms.update_access_key(&owner, None, r2.as_str(), &AccessKeyStatus::Inactive).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);
    assert!(kms.authenticate(r2.as_str()).await.unwrap().is_some());
    assert!(kms.authenticate(r1.as_str()).await.unwrap().is_none());
}

/// KMS Developer Guide, "Specifying principals": a key policy names the
/// user that bore the ARN when the policy was set. Deleted and re-created
/// under the same name, the user is another principal: the policy's
/// statement no longer admits it (its account's still delegates to its
/// identity policies), GetKeyPolicy shows the old user's unique id, and
/// that document can be put back as shown.
#[tokio::test]
async fn key_policies_name_principals_by_their_unique_ids() {
    let kms = kms().await;
    let owner = root(ALICE);
    let bob = user(ALICE, "bob");
    let old_id = kms.create_user(&owner, "bob", vec![]).await.unwrap().user.user_id;
    let bob_arn = format!("arn:aws:iam::{ALICE}:user/bob");
    let original = policy(&[
        key_statement("Allow", &format!("arn:aws:iam::{ALICE}:root"), "kms:*"),
        key_statement("Allow", &bob_arn, "kms:Encrypt"),
    ]);
    let key = create_key(&kms, &owner, original.clone()).await;
    encrypt(&kms, &bob, &key).await.unwrap();
    let get = async || {
        let req = GetKeyPolicyRequest { key_id: Some(key.clone()), ..Default::default() };
        kms.get_key_policy(&owner, req).await.unwrap().policy.unwrap()
    };
    assert_eq!(get().await, original, "shown as stored while bob exists");

    kms.delete_user(&owner, "bob").await.unwrap();
    let new_id = kms.create_user(&owner, "bob", vec![]).await.unwrap().user.user_id;
    assert_ne!(new_id, old_id);
    let (code, msg) = encrypt(&kms, &bob, &key).await.unwrap_err();
    assert_eq!(code, ErrorCode::AccessDenied, "{msg}");
    let shown = get().await;
    assert!(shown.contains(&old_id) && !shown.contains(&bob_arn), "{shown}");

    // The account's statement still delegates to the new bob's identity
    // policies.
    let allow = policy(&[identity_statement("Allow", "kms:Encrypt", "*", "")]);
    kms.put_user_policy(&owner, "bob", "kms", &allow).await.unwrap();
    encrypt(&kms, &bob, &key).await.unwrap();
    kms.delete_user_policy(&owner, "bob", "kms").await.unwrap();

    // Put back as shown: accepted, and the old id admits no one.
    let put = async |policy: String| {
        let req = PutKeyPolicyRequest { key_id: Some(key.clone()), policy: Some(policy), ..Default::default() };
        kms.put_key_policy(&owner, req).await
    };
    put(shown.clone()).await.unwrap();
    assert_eq!(get().await, shown);
    assert_eq!(encrypt(&kms, &bob, &key).await.unwrap_err().0, ErrorCode::AccessDenied);
    // Naming bob's ARN again names the new bob.
    put(original.clone()).await.unwrap();
    encrypt(&kms, &bob, &key).await.unwrap();
    assert_eq!(get().await, original);
}
