//! Roles and temporary credentials (in-memory store, no HTTP): AssumeRole
//! through trust policies and identity policies, sessions evaluated against
//! key policies, session policies and grants, GetSessionToken, and the
//! stateless session token (expired, altered, moved, its role gone).

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use trent_api::ids::{AccessKeyId, AccountId};
use trent_api::ops::*;
use trent_api::{ErrorCode, SensitiveBlob};
use trent_core::sts::{AssumeRoleInput, Credentials, SessionError};
use trent_core::{Caller, EntityKind, Kms, KmsOptions, ManualClock, NewPolicy, NewRole};

const ALICE: &str = "111122223333";
const BOB: &str = "444455556666";
const REGION: &str = "us-east-1";
const START: i64 = 1_700_000_000_000;

async fn kms_and_clock() -> (Kms, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START));
    let store = Arc::new(trent_core::memory::InMemoryStore::new());
    (common::kms_with(store, clock.clone(), KmsOptions::default()).await, clock)
}

fn root(account: &str) -> Caller {
    common::root_caller(account, REGION)
}

fn user(account: &str, name: &str) -> Caller {
    common::user_caller(account, name, REGION)
}

fn doc(statements: &[String]) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","))
}

fn trust(principal: &str) -> String {
    doc(&[format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}"#)])
}

fn allow(action: &str) -> String {
    doc(&[format!(r#"{{"Effect":"Allow","Action":"{action}","Resource":"*"}}"#)])
}

async fn role(kms: &Kms, account: &str, name: &str, trust_policy: String) -> String {
    let new = NewRole { name: name.into(), trust_policy, ..Default::default() };
    kms.create_role(&root(account), new).await.unwrap().arn()
}

fn assume(role_arn: &str, session: &str) -> AssumeRoleInput {
    AssumeRoleInput { role_arn: role_arn.into(), session_name: session.into(), ..Default::default() }
}

/// The caller a request signed with `creds` becomes.
async fn session_caller(kms: &Kms, creds: &Credentials) -> Result<Caller, SessionError> {
    let a = kms.authenticate_session(&creds.access_key_id, &creds.session_token).await.unwrap()?;
    Ok(Caller {
        account: a.account.clone(),
        principal: a.principal.clone(),
        access_key_id: AccessKeyId::new_unchecked(creds.access_key_id.clone()),
        session: a.session.clone(),
        ..root(a.account.as_str())
    })
}

async fn create_key(kms: &Kms, c: &Caller, policy: Option<String>) -> String {
    let req = CreateKeyRequest { policy, bypass_policy_lockout_safety_check: Some(true), ..Default::default() };
    kms.create_key(c, req).await.unwrap().key_metadata.unwrap().arn
}

async fn encrypt(kms: &Kms, c: &Caller, key: &str) -> Result<Vec<u8>, (ErrorCode, String)> {
    let req = EncryptRequest {
        key_id: Some(key.into()),
        plaintext: Some(SensitiveBlob::new(zeroize::Zeroizing::new(b"data".to_vec()))),
        ..Default::default()
    };
    kms.encrypt(c, req)
        .await
        .map(|r| r.ciphertext_blob.unwrap().as_bytes().to_vec())
        .map_err(|e| (e.code(), e.public_message()))
}

async fn decrypt(kms: &Kms, c: &Caller, blob: Vec<u8>) -> Result<(), (ErrorCode, String)> {
    let req = DecryptRequest { ciphertext_blob: Some(blob.into()), ..Default::default() };
    kms.decrypt(c, req).await.map(|_| ()).map_err(|e| (e.code(), e.public_message()))
}

#[tokio::test]
async fn a_user_the_trust_policy_names_assumes_the_role_and_acts_with_its_policies() {
    let (kms, _) = kms_and_clock().await;
    kms.create_user(&root(ALICE), "app", vec![]).await.unwrap();
    let role_arn = role(&kms, ALICE, "encryptor", trust(&format!("arn:aws:iam::{ALICE}:user/app"))).await;
    kms.put_role_policy(&root(ALICE), "encryptor", "kms", &allow("kms:Encrypt")).await.unwrap();
    let key = create_key(&kms, &root(ALICE), None).await;

    // The trust policy names the user itself, in the role's account: no
    // identity policy of the user's is needed.
    let assumed = kms.assume_role(&user(ALICE, "app"), assume(&role_arn, "job-1")).await.unwrap();
    assert_eq!(assumed.arn, format!("arn:aws:sts::{ALICE}:assumed-role/encryptor/job-1"));
    assert!(assumed.assumed_role_id.starts_with("AROA") && assumed.assumed_role_id.ends_with(":job-1"));
    let creds = &assumed.credentials;
    assert!(creds.access_key_id.starts_with("ASIA") && creds.access_key_id.len() == 20);
    assert_eq!(creds.secret_access_key.len(), 40);
    assert_eq!(creds.expiration, START + 3600 * 1000);

    let session = session_caller(&kms, creds).await.unwrap();
    assert_eq!(session.principal.as_str(), assumed.arn);
    let who = kms.get_caller_identity(&session).await.unwrap();
    assert_eq!((who.account.as_str(), who.arn.as_str()), (ALICE, assumed.arn.as_str()));
    assert_eq!(who.user_id, assumed.assumed_role_id);

    // The default key policy delegates to IAM: the role's policy allows
    // Encrypt, not Decrypt.
    let blob = encrypt(&kms, &session, &key).await.unwrap();
    let (code, msg) = decrypt(&kms, &session, blob).await.unwrap_err();
    assert_eq!(code, ErrorCode::AccessDenied);
    assert!(
        msg.starts_with(&format!("User: {} is not authorized to perform: kms:Decrypt", assumed.arn))
            && msg.ends_with("because no identity-based policy allows the kms:Decrypt action"),
        "{msg}"
    );
}

#[tokio::test]
async fn the_trust_policy_and_the_callers_identity_policies_decide_who_assumes() {
    let (kms, _) = kms_and_clock().await;
    kms.create_user(&root(ALICE), "app", vec![]).await.unwrap();
    kms.create_user(&root(ALICE), "other", vec![]).await.unwrap();
    // Trusting the account delegates to its identity policies.
    let role_arn = role(&kms, ALICE, "r", trust(ALICE)).await;
    let e = kms.assume_role(&user(ALICE, "app"), assume(&role_arn, "s1")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    assert_eq!(
        e.public_message(),
        format!(
            "User: arn:aws:iam::{ALICE}:user/app is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        )
    );
    kms.put_user_policy(&root(ALICE), "app", "assume", &allow("sts:AssumeRole")).await.unwrap();
    kms.assume_role(&user(ALICE, "app"), assume(&role_arn, "s1")).await.unwrap();
    // The root of the account is always its own identity side.
    kms.assume_role(&root(ALICE), assume(&role_arn, "s2")).await.unwrap();

    // A trust policy naming only `app` refuses `other`, whatever its policies say.
    let only_app = role(&kms, ALICE, "only-app", trust(&format!("arn:aws:iam::{ALICE}:user/app"))).await;
    kms.put_user_policy(&root(ALICE), "other", "assume", &allow("sts:AssumeRole")).await.unwrap();
    let e = kms.assume_role(&user(ALICE, "other"), assume(&only_app, "s3")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);

    // An unknown role, or one at another path, is a denial too.
    for arn in [format!("arn:aws:iam::{ALICE}:role/nope"), format!("arn:aws:iam::{ALICE}:role/x/r")] {
        let e = kms.assume_role(&root(ALICE), assume(&arn, "s4")).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::AccessDenied, "{arn}");
    }

    // An explicit deny on the caller's side wins.
    let deny = doc(&[r#"{"Effect":"Deny","Action":"sts:*","Resource":"*"}"#.to_owned()]);
    kms.put_user_policy(&root(ALICE), "app", "deny", &deny).await.unwrap();
    let e = kms.assume_role(&user(ALICE, "app"), assume(&role_arn, "s5")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
}

#[tokio::test]
async fn another_account_assumes_a_role_when_both_sides_allow_and_its_key_policy_names_the_role() {
    let (kms, _) = kms_and_clock().await;
    kms.create_user(&root(BOB), "bob", vec![]).await.unwrap();
    // Alice's role trusts Bob's account; Alice's key names the role.
    let role_arn = role(&kms, ALICE, "partner", trust(&format!("arn:aws:iam::{BOB}:root"))).await;
    let key_policy = doc(&[
        format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ALICE}:root"}},"Action":"kms:*","Resource":"*"}}"#
        ),
        format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"{role_arn}"}},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}}"#
        ),
    ]);
    let key = create_key(&kms, &root(ALICE), Some(key_policy)).await;

    // Cross-account: Bob's user needs its own Allow too.
    let e = kms.assume_role(&user(BOB, "bob"), assume(&role_arn, "xx")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    kms.put_user_policy(&root(BOB), "bob", "assume", &allow("sts:AssumeRole")).await.unwrap();
    let assumed = kms.assume_role(&user(BOB, "bob"), assume(&role_arn, "xx")).await.unwrap();
    let session = session_caller(&kms, &assumed.credentials).await.unwrap();
    assert_eq!(session.account.as_str(), ALICE);

    // The key policy names the role's ARN, which names its sessions: no
    // identity policy needed in the key's own account.
    let blob = encrypt(&kms, &session, &key).await.unwrap();
    decrypt(&kms, &session, blob).await.unwrap();
}

#[tokio::test]
async fn a_session_policy_narrows_the_role() {
    let (kms, _) = kms_and_clock().await;
    let role_arn = role(&kms, ALICE, "wide", trust(ALICE)).await;
    kms.put_role_policy(&root(ALICE), "wide", "all", &allow("kms:*")).await.unwrap();
    let key = create_key(&kms, &root(ALICE), None).await;
    let input = AssumeRoleInput { policy: Some(allow("kms:Encrypt")), ..assume(&role_arn, "narrow") };
    let assumed = kms.assume_role(&root(ALICE), input).await.unwrap();
    assert!(assumed.packed_policy_size.is_some());
    let session = session_caller(&kms, &assumed.credentials).await.unwrap();
    let blob = encrypt(&kms, &session, &key).await.unwrap();
    let (code, msg) = decrypt(&kms, &session, blob).await.unwrap_err();
    assert_eq!(code, ErrorCode::AccessDenied);
    assert!(msg.ends_with("because no session policy allows the kms:Decrypt action"), "{msg}");

    // A malformed session policy is refused at AssumeRole.
    let input = AssumeRoleInput { policy: Some("{}".into()), ..assume(&role_arn, "bad") };
    let e = kms.assume_role(&root(ALICE), input).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::MalformedPolicyDocument);
}

/// Managed session policies (`PolicyArns`): customer managed policies of
/// the role's account narrow the session together with the inline one (an
/// Allow in any of them, no Deny in any), as their default versions are at
/// each request; one deleted since narrows to nothing.
#[tokio::test]
async fn managed_session_policies_narrow_the_role() {
    let (kms, _) = kms_and_clock().await;
    let role_arn = role(&kms, ALICE, "wide", trust(ALICE)).await;
    kms.put_role_policy(&root(ALICE), "wide", "all", &allow("kms:*")).await.unwrap();
    let key = create_key(&kms, &root(ALICE), None).await;
    let policy = async |name: &str, document: String| {
        let new = NewPolicy { name: name.into(), document, ..Default::default() };
        kms.create_policy(&root(ALICE), new).await.unwrap().arn()
    };
    let enc = policy("enc-only", allow("kms:Encrypt")).await;
    let dec = policy("dec-only", allow("kms:Decrypt")).await;
    let session = async |input: AssumeRoleInput| {
        let assumed = kms.assume_role(&root(ALICE), input).await.unwrap();
        session_caller(&kms, &assumed.credentials).await.unwrap()
    };

    // One managed policy: Encrypt only.
    let s = session(AssumeRoleInput { policy_arns: vec![enc.clone()], ..assume(&role_arn, "enc") }).await;
    let blob = encrypt(&kms, &s, &key).await.unwrap();
    let (code, msg) = decrypt(&kms, &s, blob.clone()).await.unwrap_err();
    assert_eq!(code, ErrorCode::AccessDenied);
    assert!(msg.ends_with("because no session policy allows the kms:Decrypt action"), "{msg}");
    // Two, or one with an inline policy: what any of them allows.
    let both = session(AssumeRoleInput { policy_arns: vec![enc.clone(), dec.clone()], ..assume(&role_arn, "both") });
    let both = both.await;
    decrypt(&kms, &both, blob.clone()).await.unwrap();
    let mixed = AssumeRoleInput {
        policy: Some(allow("kms:Decrypt")),
        policy_arns: vec![enc.clone()],
        ..assume(&role_arn, "mixed")
    };
    let mixed = session(mixed).await;
    encrypt(&kms, &mixed, &key).await.unwrap();
    decrypt(&kms, &mixed, blob.clone()).await.unwrap();
    // A Deny in any of them refuses.
    let deny = policy("no-decrypt", doc(&[r#"{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}"#.into()])).await;
    let denied = session(AssumeRoleInput { policy_arns: vec![dec.clone(), deny], ..assume(&role_arn, "deny") }).await;
    assert_eq!(decrypt(&kms, &denied, blob.clone()).await.unwrap_err().0, ErrorCode::AccessDenied);

    // A policy that does not exist in the role's account, an AWS managed
    // policy, more than ten: refused at AssumeRole.
    for arns in [
        vec![format!("arn:aws:iam::{ALICE}:policy/nothing")],
        vec!["arn:aws:iam::aws:policy/AdministratorAccess".to_owned()],
        vec![format!("arn:aws:iam::{BOB}:policy/enc-only")],
        vec![enc.clone(); 11],
    ] {
        let input = AssumeRoleInput { policy_arns: arns.clone(), ..assume(&role_arn, "bad") };
        assert_eq!(kms.assume_role(&root(ALICE), input).await.unwrap_err().code(), ErrorCode::Validation, "{arns:?}");
    }

    // Deleted since: the session it narrowed may do nothing.
    kms.delete_policy(&root(ALICE), &enc).await.unwrap();
    assert_eq!(encrypt(&kms, &s, &key).await.unwrap_err().0, ErrorCode::AccessDenied);
}

#[tokio::test]
async fn a_grant_to_the_role_lets_its_sessions_use_the_key() {
    let (kms, _) = kms_and_clock().await;
    let role_arn = role(&kms, ALICE, "granted", trust(ALICE)).await;
    // A key policy for the account root alone: the role has no policy.
    let key = create_key(&kms, &root(ALICE), None).await;
    let assumed = kms.assume_role(&root(ALICE), assume(&role_arn, "gg")).await.unwrap();
    let session = session_caller(&kms, &assumed.credentials).await.unwrap();
    assert_eq!(encrypt(&kms, &session, &key).await.unwrap_err().0, ErrorCode::AccessDenied);
    let grant = CreateGrantRequest {
        key_id: Some(key.clone()),
        grantee_principal: Some(role_arn.clone()),
        operations: Some(vec![trent_api::enums::GrantOperation::Encrypt]),
        ..Default::default()
    };
    kms.create_grant(&root(ALICE), grant).await.unwrap();
    encrypt(&kms, &session, &key).await.unwrap();
}

#[tokio::test]
async fn a_session_token_opens_only_unaltered_for_its_key_before_expiry() {
    let (kms, clock) = kms_and_clock().await;
    let role_arn = role(&kms, ALICE, "r", trust(ALICE)).await;
    let input = AssumeRoleInput { duration_seconds: Some(900), ..assume(&role_arn, "short") };
    let creds = kms.assume_role(&root(ALICE), input).await.unwrap().credentials;
    assert!(session_caller(&kms, &creds).await.is_ok());

    // Another access key id: the token is bound to its own.
    let other = kms.assume_role(&root(ALICE), assume(&role_arn, "other")).await.unwrap().credentials;
    let moved = kms.authenticate_session(&other.access_key_id, &creds.session_token).await.unwrap();
    assert_eq!(moved.err(), Some(SessionError::Invalid));
    // One character changed anywhere in the sealed part.
    let mut bytes = creds.session_token.clone().into_bytes();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(bytes).unwrap();
    let r = kms.authenticate_session(&creds.access_key_id, &altered).await.unwrap();
    assert_eq!(r.err(), Some(SessionError::Invalid));
    for junk in ["", "TRENTv1", "TRENTv1!!!", "IQoJb3JpZ2luX2VjEJr"] {
        let r = kms.authenticate_session(&creds.access_key_id, junk).await.unwrap();
        assert_eq!(r.err(), Some(SessionError::Invalid), "{junk}");
    }

    clock.advance(900 * 1000);
    let r = kms.authenticate_session(&creds.access_key_id, &creds.session_token).await.unwrap();
    assert_eq!(r.err(), Some(SessionError::Expired));
}

#[tokio::test]
async fn a_session_ends_when_its_role_is_deleted_or_recreated() {
    let (kms, _) = kms_and_clock().await;
    let role_arn = role(&kms, ALICE, "r", trust(ALICE)).await;
    kms.put_role_policy(&root(ALICE), "r", "kms", &allow("kms:*")).await.unwrap();
    let key = create_key(&kms, &root(ALICE), None).await;
    let creds = kms.assume_role(&root(ALICE), assume(&role_arn, "ss")).await.unwrap().credentials;
    let session = session_caller(&kms, &creds).await.unwrap();
    encrypt(&kms, &session, &key).await.unwrap();

    // DeleteRole refuses while the role has inline policies.
    let e = kms.delete_role(&root(ALICE), "r").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::DeleteConflict);
    kms.delete_role_policy(&root(ALICE), "r", "kms").await.unwrap();
    kms.delete_role(&root(ALICE), "r").await.unwrap();
    assert_eq!(encrypt(&kms, &session, &key).await.unwrap_err().0, ErrorCode::UnrecognizedClient);

    // Re-created under the same name, it is another role: the old session
    // stays refused.
    role(&kms, ALICE, "r", trust(ALICE)).await;
    kms.put_role_policy(&root(ALICE), "r", "kms", &allow("kms:*")).await.unwrap();
    assert_eq!(encrypt(&kms, &session, &key).await.unwrap_err().0, ErrorCode::UnrecognizedClient);
}

#[tokio::test]
async fn durations_are_bounded_by_sts_the_role_and_role_chaining() {
    let (kms, _) = kms_and_clock().await;
    let role_arn = role(&kms, ALICE, "r", trust(ALICE)).await;
    for (seconds, ok) in [(899, false), (900, true), (3600, true), (3601, false)] {
        let input = AssumeRoleInput { duration_seconds: Some(seconds), ..assume(&role_arn, "dd") };
        let r = kms.assume_role(&root(ALICE), input).await;
        assert_eq!(r.is_ok(), ok, "{seconds}");
        if let Err(e) = r {
            assert_eq!(e.code(), ErrorCode::Validation, "{seconds}");
        }
    }
    // A longer MaxSessionDuration allows longer sessions, except to a role
    // session assuming a role (one hour at most).
    kms.update_role(&root(ALICE), "r", None, Some(7200)).await.unwrap();
    let input = AssumeRoleInput { duration_seconds: Some(7200), ..assume(&role_arn, "dd") };
    let creds = kms.assume_role(&root(ALICE), input.clone()).await.unwrap().credentials;
    let session = session_caller(&kms, &creds).await.unwrap();
    let e = kms.assume_role(&session, input).await.unwrap_err();
    // The session's role has no policy allowing sts:AssumeRole, and the
    // trust policy names the account: denied before the duration is read.
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    kms.put_role_policy(&root(ALICE), "r", "assume", &allow("sts:AssumeRole")).await.unwrap();
    let e = kms
        .assume_role(&session, AssumeRoleInput { duration_seconds: Some(7200), ..assume(&role_arn, "chained") })
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);
    assert!(e.public_message().contains("role chaining"), "{}", e.public_message());
    kms.assume_role(&session, assume(&role_arn, "chained")).await.unwrap();
}

#[tokio::test]
async fn get_session_token_acts_as_the_user_but_not_on_iam() {
    let (kms, clock) = kms_and_clock().await;
    kms.create_user(&root(ALICE), "app", vec![]).await.unwrap();
    kms.put_user_policy(&root(ALICE), "app", "all", &allow("*")).await.unwrap();
    let key = create_key(&kms, &root(ALICE), None).await;
    let creds = kms.get_session_token(&user(ALICE, "app"), None).await.unwrap();
    assert_eq!(creds.expiration, START + 43_200 * 1000);
    let session = session_caller(&kms, &creds).await.unwrap();
    assert_eq!(session.principal.as_str(), format!("arn:aws:iam::{ALICE}:user/app"));
    let who = kms.get_caller_identity(&session).await.unwrap();
    assert!(who.user_id.starts_with("AIDA"), "{}", who.user_id);
    encrypt(&kms, &session, &key).await.unwrap();
    // No IAM, no second GetSessionToken with these credentials.
    let e = kms.create_user(&session, "x", vec![]).await.err().unwrap();
    assert_eq!(e.code(), ErrorCode::UnrecognizedClient);
    let e = kms.get_session_token(&session, None).await.err().unwrap();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    // A root's sessions last an hour at most; a user's up to 36 hours.
    assert_eq!(kms.get_session_token(&root(ALICE), Some(3601)).await.err().unwrap().code(), ErrorCode::Validation);
    kms.get_session_token(&user(ALICE, "app"), Some(129_600)).await.unwrap();
    clock.advance(43_200 * 1000);
    let r = kms.authenticate_session(&creds.access_key_id, &creds.session_token).await.unwrap();
    assert_eq!(r.err(), Some(SessionError::Expired));
    let _ = AccountId::parse(ALICE).unwrap();
}

#[tokio::test]
async fn session_tags_are_principal_tags_and_need_sts_tag_session() {
    let (kms, _) = kms_and_clock().await;
    // The trust policy must allow sts:TagSession for tags to be passed.
    let role_arn = role(&kms, ALICE, "tagged", trust(ALICE)).await;
    let key = create_key(&kms, &root(ALICE), None).await;
    let conditional = doc(&[
        r#"{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}"#.to_owned(),
    ]);
    kms.put_role_policy(&root(ALICE), "tagged", "kms", &conditional).await.unwrap();
    let tagged = |team: &str| AssumeRoleInput { tags: vec![("team".into(), team.into())], ..assume(&role_arn, "tt") };
    let e = kms.assume_role(&root(ALICE), tagged("blue")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    assert!(e.public_message().contains("sts:TagSession"), "{}", e.public_message());
    let both = doc(&[format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":["sts:AssumeRole","sts:TagSession"]}}"#
    )]);
    kms.update_assume_role_policy(&root(ALICE), "tagged", &both).await.unwrap();
    let blue = kms.assume_role(&root(ALICE), tagged("blue")).await.unwrap().credentials;
    let red = kms.assume_role(&root(ALICE), tagged("red")).await.unwrap().credentials;
    encrypt(&kms, &session_caller(&kms, &blue).await.unwrap(), &key).await.unwrap();
    let e = encrypt(&kms, &session_caller(&kms, &red).await.unwrap(), &key).await.unwrap_err();
    assert_eq!(e.0, ErrorCode::AccessDenied);
}

#[tokio::test]
async fn roles_are_managed_as_iam_manages_them() {
    let (kms, _) = kms_and_clock().await;
    let r = kms
        .create_role(
            &root(ALICE),
            NewRole {
                name: "App".into(),
                path: Some("/team/".into()),
                trust_policy: trust(ALICE),
                description: Some("the app".into()),
                max_session_duration: Some(7200),
                tags: vec![("env".into(), "prod".into())],
            },
        )
        .await
        .unwrap();
    assert_eq!(r.arn(), format!("arn:aws:iam::{ALICE}:role/team/App"));
    // Names are unique regardless of case.
    let e = kms
        .create_role(&root(ALICE), NewRole { name: "app".into(), trust_policy: trust(ALICE), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AlreadyExists);
    assert_eq!(kms.get_role(&root(ALICE), "APP").await.unwrap().role_id, r.role_id);
    assert_eq!(kms.list_roles(&root(ALICE), Some("/team/")).await.unwrap().len(), 1);
    assert!(kms.list_roles(&root(ALICE), Some("/other/")).await.unwrap().is_empty());
    // A trust policy must name principals.
    let e = kms.update_assume_role_policy(&root(ALICE), "App", &allow("sts:AssumeRole")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::MalformedPolicyDocument);
    kms.tag_role(&root(ALICE), "App", vec![("ENV".into(), "dev".into())]).await.unwrap();
    assert_eq!(kms.list_role_tags(&root(ALICE), "App").await.unwrap(), vec![("ENV".to_owned(), "dev".to_owned())]);
    kms.untag_role(&root(ALICE), "App", vec!["env".into()]).await.unwrap();
    assert!(kms.list_role_tags(&root(ALICE), "App").await.unwrap().is_empty());
    kms.put_role_policy(&root(ALICE), "App", "p1", &allow("kms:Encrypt")).await.unwrap();
    assert_eq!(kms.list_role_policies(&root(ALICE), "App").await.unwrap(), vec!["p1".to_owned()]);
    assert_eq!(kms.get_role_policy(&root(ALICE), "App", "nope").await.unwrap_err().code(), ErrorCode::NotFound);
    // A user needs iam: permissions; another account never sees the role.
    kms.create_user(&root(ALICE), "app", vec![]).await.unwrap();
    assert_eq!(kms.get_role(&user(ALICE, "app"), "App").await.unwrap_err().code(), ErrorCode::AccessDenied);
    assert_eq!(kms.get_role(&root(BOB), "App").await.unwrap_err().code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn a_session_never_gets_long_term_keys_of_its_own() {
    let (kms, _) = kms_and_clock().await;
    let role_arn = role(&kms, ALICE, "admin", trust(ALICE)).await;
    kms.put_role_policy(&root(ALICE), "admin", "all", &allow("*")).await.unwrap();
    let creds = kms.assume_role(&root(ALICE), assume(&role_arn, "ops")).await.unwrap().credentials;
    let session = session_caller(&kms, &creds).await.unwrap();
    // Without a user name, IAM refuses a session (it would be a key for
    // the session's principal, which outlives the session).
    let e = kms.create_access_key(&session, None).await.err().unwrap();
    assert_eq!(e.code(), ErrorCode::Validation);
    // A role allowed iam:* manages users like any identity.
    kms.create_user(&session, "made-by-role", vec![]).await.unwrap();
    kms.create_access_key(&session, Some("made-by-role")).await.unwrap();
    // The session's principal with its session stripped is nobody.
    let stripped = Caller { session: None, ..session };
    let e = kms.list_users(&stripped).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnrecognizedClient);
}

#[tokio::test]
async fn a_key_policy_may_name_only_roles_that_exist() {
    let (kms, _) = kms_and_clock().await;
    let statement =
        |arn: &str| format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"{arn}"}},"Action":"kms:*","Resource":"*"}}"#);
    let root_arn = format!("arn:aws:iam::{ALICE}:root");
    let with = |arn: &str| doc(&[statement(&root_arn), statement(arn)]);
    let missing = format!("arn:aws:iam::{ALICE}:role/ghost");
    let req = CreateKeyRequest { policy: Some(with(&missing)), ..Default::default() };
    let e = kms.create_key(&root(ALICE), req).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::MalformedPolicyDocument);
    let arn = kms
        .create_role(
            &root(ALICE),
            NewRole { name: "real".into(), path: Some("/p/".into()), trust_policy: trust(ALICE), ..Default::default() },
        )
        .await
        .unwrap()
        .arn();
    // The role's ARN with its path, exactly.
    let req = CreateKeyRequest { policy: Some(with(&format!("arn:aws:iam::{ALICE}:role/real"))), ..Default::default() };
    assert_eq!(kms.create_key(&root(ALICE), req).await.unwrap_err().code(), ErrorCode::MalformedPolicyDocument);
    let req = CreateKeyRequest { policy: Some(with(&arn)), ..Default::default() };
    let key = kms.create_key(&root(ALICE), req).await.unwrap().key_metadata.unwrap().arn;

    // The policy names the role that bore the ARN when it was set: a role
    // deleted and re-created under the same name (another AROA… id) is not
    // admitted by it; its own identity policy would have to allow it.
    let session = async || {
        let assumed = kms.assume_role(&root(ALICE), assume(&arn, "s1")).await.unwrap();
        session_caller(&kms, &assumed.credentials).await.unwrap()
    };
    encrypt(&kms, &session().await, &key).await.unwrap();
    kms.delete_role(&root(ALICE), "real").await.unwrap();
    let again =
        NewRole { name: "real".into(), path: Some("/p/".into()), trust_policy: trust(ALICE), ..Default::default() };
    kms.create_role(&root(ALICE), again).await.unwrap();
    let (code, msg) = encrypt(&kms, &session().await, &key).await.unwrap_err();
    assert_eq!(code, ErrorCode::AccessDenied, "{msg}");
}

#[tokio::test]
async fn a_session_too_large_for_its_token_is_refused() {
    let (kms, _) = kms_and_clock().await;
    let both = doc(&[format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":["sts:AssumeRole","sts:TagSession"]}}"#
    )]);
    let role_arn = role(&kms, ALICE, "big", both).await;
    let tags: Vec<(String, String)> = (0..50).map(|i| (format!("{i:0>128}"), "v".repeat(256))).collect();
    let e = kms.assume_role(&root(ALICE), AssumeRoleInput { tags, ..assume(&role_arn, "big") }).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::PackedPolicyTooLarge);
    let tags: Vec<(String, String)> = (0..10).map(|i| (format!("k{i}"), "v".repeat(256))).collect();
    kms.assume_role(&root(ALICE), AssumeRoleInput { tags, ..assume(&role_arn, "ok") }).await.unwrap();
}

#[tokio::test]
async fn a_roles_managed_policies_apply_to_its_sessions_and_its_boundary_caps_them() {
    let (kms, _) = kms_and_clock().await;
    let role_arn = role(&kms, ALICE, "worker", trust(&format!("arn:aws:iam::{ALICE}:root"))).await;
    let everything = NewPolicy { name: "Everything".into(), document: allow("kms:*"), ..Default::default() };
    let everything = kms.create_policy(&root(ALICE), everything).await.unwrap().arn();
    kms.attach_policy(&root(ALICE), EntityKind::Role, "worker", &everything).await.unwrap();
    // The key policy also names the role for Decrypt.
    let key_policy = doc(&[
        format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ALICE}:root"}},"Action":"kms:*","Resource":"*"}}"#
        ),
        format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"{role_arn}"}},"Action":"kms:Decrypt","Resource":"*"}}"#),
    ]);
    let key = create_key(&kms, &root(ALICE), Some(key_policy)).await;
    let assumed = kms.assume_role(&root(ALICE), assume(&role_arn, "s1")).await.unwrap();
    let session = session_caller(&kms, &assumed.credentials).await.unwrap();
    let blob = encrypt(&kms, &session, &key).await.unwrap();
    decrypt(&kms, &session, blob.clone()).await.unwrap();

    let boundary = NewPolicy { name: "EncryptOnly".into(), document: allow("kms:Encrypt"), ..Default::default() };
    let boundary = kms.create_policy(&root(ALICE), boundary).await.unwrap().arn();
    kms.put_permissions_boundary(&root(ALICE), EntityKind::Role, "worker", &boundary).await.unwrap();
    // Sessions already issued are capped at their next request, and a key
    // policy naming the role is capped too.
    encrypt(&kms, &session, &key).await.unwrap();
    let (code, msg) = decrypt(&kms, &session, blob.clone()).await.unwrap_err();
    assert_eq!(code, ErrorCode::AccessDenied);
    assert!(msg.ends_with("because no permissions boundary allows the kms:Decrypt action"), "{msg}");
    // Detaching the managed policy leaves the role's sessions nothing.
    kms.delete_permissions_boundary(&root(ALICE), EntityKind::Role, "worker").await.unwrap();
    decrypt(&kms, &session, blob).await.unwrap();
    kms.detach_policy(&root(ALICE), EntityKind::Role, "worker", &everything).await.unwrap();
    assert_eq!(encrypt(&kms, &session, &key).await.unwrap_err().0, ErrorCode::AccessDenied);
    let e = kms.delete_role(&root(ALICE), "worker").await;
    assert!(e.is_ok(), "a role whose policies are detached is deleted: {e:?}");
}
