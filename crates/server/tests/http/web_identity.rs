//! Workload identity end to end with the real SDKs: an OpenID Connect
//! provider registered with `aws-sdk-iam`, its JWKS given in the
//! configuration (`oidc_jwks`), a Kubernetes-style service-account token
//! signed here (RS256, then ES256) exchanged with `aws-sdk-sts`'s unsigned
//! AssumeRoleWithWebIdentity for a role session that encrypts with
//! `aws-sdk-kms`; refusals with STS's codes (wrong subject, audience,
//! issuer or signature; expired); the WebIdentityUser event.

use crate::common::{TestServer, ACCESS_KEY, ACCOUNT, SECRET_KEY};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_sts::error::ProvideErrorMetadata;
use base64::Engine as _;
use std::sync::Arc;
use trent_core::ManualClock;
use trent_server::config::Config;

const REGION: &str = "us-east-1";
const ISSUER: &str = "https://oidc.cluster.example/id/ABC";
const PROVIDER_URL: &str = "oidc.cluster.example/id/ABC";
const SUBJECT: &str = "system:serviceaccount:payments:app";
const AUDIENCE: &str = "sts.amazonaws.com";
const NOW: i64 = 1_800_000_000;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token issuer's keys: an RSA key (`kid` "rsa") and a P-256 key ("ec").
struct Issuer {
    rsa: RsaKeyPair,
    ec: EcdsaKeyPair,
}

impl Issuer {
    fn new() -> Self {
        Issuer {
            rsa: RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap(),
            ec: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap(),
        }
    }

    fn jwks(&self) -> String {
        let public = self.rsa.public_key();
        let n = public.modulus().big_endian_without_leading_zero().to_vec();
        let e = public.exponent().big_endian_without_leading_zero().to_vec();
        let point = self.ec.public_key().as_ref();
        serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "rsa", "use": "sig", "alg": "RS256", "n": b64(&n), "e": b64(&e)},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..])},
        ]})
        .to_string()
    }

    /// A token with `claims`, signed with RS256 (`ec`: ES256).
    fn token(&self, claims: &serde_json::Value, ec: bool) -> String {
        let header = if ec { r#"{"alg":"ES256","kid":"ec"}"# } else { r#"{"alg":"RS256","kid":"rsa","typ":"JWT"}"# };
        let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.to_string().as_bytes()));
        let sig = if ec {
            self.ec.sign(&SystemRandom::new(), input.as_bytes()).unwrap().as_ref().to_vec()
        } else {
            let mut sig = vec![0; self.rsa.public_modulus_len()];
            self.rsa.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), input.as_bytes(), &mut sig).unwrap();
            sig
        };
        format!("{input}.{}", b64(&sig))
    }
}

fn claims(sub: &str, aud: &str, exp: i64) -> serde_json::Value {
    serde_json::json!({"iss": ISSUER, "sub": sub, "aud": [aud], "exp": exp, "iat": NOW - 10, "nbf": NOW - 10,
                       "kubernetes.io": {"namespace": "payments"}})
}

fn admin_iam(s: &TestServer) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new(REGION))
        .endpoint_url(s.endpoint())
        .time_source(s.time_source())
        .credentials_provider(aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

/// An STS client with no credentials at all: AssumeRoleWithWebIdentity is
/// sent unsigned.
fn anonymous_sts(s: &TestServer) -> aws_sdk_sts::Client {
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(REGION))
        .endpoint_url(s.endpoint())
        .time_source(s.time_source())
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

fn kms(s: &TestServer, c: &aws_sdk_sts::types::Credentials) -> aws_sdk_kms::Client {
    let conf = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new(REGION))
        .endpoint_url(s.endpoint())
        .time_source(s.time_source())
        .credentials_provider(aws_credential_types::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            None,
            "test",
        ))
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

#[tokio::test]
async fn a_service_account_token_assumes_a_role_and_its_session_encrypts() {
    let issuer = Issuer::new();
    let dir = tempfile::tempdir().unwrap();
    let jwks_path = dir.path().join("jwks.json");
    std::fs::write(&jwks_path, issuer.jwks()).unwrap();
    let clock = Arc::new(ManualClock::new(NOW * 1000));
    let config = Config {
        oidc_jwks: Some([(ISSUER.to_owned(), jwks_path.display().to_string())].into_iter().collect()),
        ..Config::default()
    };
    let s = TestServer::builder().manual_clock(clock.clone()).config(config).build().await;
    let iam = admin_iam(&s);
    let provider_arn = iam
        .create_open_id_connect_provider()
        .url(ISSUER)
        .client_id_list(AUDIENCE)
        .send()
        .await
        .unwrap()
        .open_id_connect_provider_arn
        .unwrap();
    assert_eq!(provider_arn, format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{PROVIDER_URL}"));
    let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            format!("{PROVIDER_URL}:sub"): SUBJECT,
            format!("{PROVIDER_URL}:aud"): AUDIENCE,
        }},
    }]});
    let role = iam
        .create_role()
        .role_name("payments-app")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    let kms_policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}]}"#;
    iam.put_role_policy()
        .role_name("payments-app")
        .policy_name("kms")
        .policy_document(kms_policy)
        .send()
        .await
        .unwrap();
    let root_kms = aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::Config::builder()
            .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
            .region(aws_sdk_kms::config::Region::new(REGION))
            .endpoint_url(s.endpoint())
            .time_source(s.time_source())
            .credentials_provider(aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "t"))
            .build(),
    );
    let key_id = root_kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;

    // The token becomes a role session, and the session encrypts.
    let sts = anonymous_sts(&s);
    let token = issuer.token(&claims(SUBJECT, AUDIENCE, NOW + 3600), false);
    let out = sts
        .assume_role_with_web_identity()
        .role_arn(role.arn())
        .role_session_name("pod-1")
        .web_identity_token(&token)
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    assert_eq!(out.subject_from_web_identity_token(), Some(SUBJECT));
    assert_eq!(out.audience(), Some(AUDIENCE));
    assert_eq!(out.provider(), Some(ISSUER));
    let session_arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/payments-app/pod-1");
    assert_eq!(out.assumed_role_user().unwrap().arn(), session_arn);
    let c = out.credentials().unwrap();
    assert!(c.access_key_id().starts_with("ASIA"));
    let k = kms(&s, c);
    let blob = k.encrypt().key_id(&key_id).plaintext(Blob::new("pay")).send().await.unwrap().ciphertext_blob.unwrap();
    assert_eq!(k.decrypt().ciphertext_blob(blob).send().await.unwrap().plaintext.unwrap().as_ref(), b"pay");
    assert_eq!(k.create_key().send().await.unwrap_err().into_service_error().code(), Some("AccessDeniedException"));

    // ES256 with the JWKS's other key.
    let es = issuer.token(&claims(SUBJECT, AUDIENCE, NOW + 3600), true);
    sts.assume_role_with_web_identity()
        .role_arn(role.arn())
        .role_session_name("pod-2")
        .web_identity_token(es)
        .send()
        .await
        .unwrap();

    // A managed session policy (PolicyArns) narrows the session to Encrypt.
    let enc_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}]}"#;
    let policy_arn = iam
        .create_policy()
        .policy_name("encrypt-only")
        .policy_document(enc_only)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    let narrow = sts
        .assume_role_with_web_identity()
        .role_arn(role.arn())
        .role_session_name("pod-narrow")
        .web_identity_token(issuer.token(&claims(SUBJECT, AUDIENCE, NOW + 3600), false))
        .policy_arns(aws_sdk_sts::types::PolicyDescriptorType::builder().arn(&policy_arn).build())
        .send()
        .await
        .unwrap();
    let nk = kms(&s, narrow.credentials().unwrap());
    let blob = nk.encrypt().key_id(&key_id).plaintext(Blob::new("n")).send().await.unwrap().ciphertext_blob.unwrap();
    let e = nk.decrypt().ciphertext_blob(blob).send().await.unwrap_err().into_service_error();
    assert_eq!(e.code(), Some("AccessDeniedException"));
    assert!(e.message().unwrap().ends_with("because no session policy allows the kms:Decrypt action"), "{e:?}");

    // Refusals, with STS's codes.
    let refused = async |token: String| {
        let e = sts
            .assume_role_with_web_identity()
            .role_arn(role.arn())
            .role_session_name("pod-x")
            .web_identity_token(token)
            .send()
            .await
            .unwrap_err();
        let status = e.raw_response().map_or(0, |r| r.status().as_u16());
        (e.code().unwrap_or("").to_owned(), e.message().unwrap_or("").to_owned(), status)
    };
    // Another service account: the trust policy's condition does not hold.
    let (code, _, status) =
        refused(issuer.token(&claims("system:serviceaccount:x:y", AUDIENCE, NOW + 60), false)).await;
    assert_eq!((code.as_str(), status), ("AccessDenied", 403));
    // An audience the provider does not list.
    let (code, message, _) = refused(issuer.token(&claims(SUBJECT, "other", NOW + 60), false)).await;
    assert_eq!((code.as_str(), message.as_str()), ("InvalidIdentityToken", "Incorrect token audience"));
    // Expired.
    let (code, message, status) = refused(issuer.token(&claims(SUBJECT, AUDIENCE, NOW - 1), false)).await;
    assert_eq!((code.as_str(), status), ("ExpiredTokenException", 400), "{message}");
    assert!(message.starts_with("Token expired: current date/time"), "{message}");
    // Signed by a key the JWKS does not hold; altered after signing.
    let stranger = Issuer::new().token(&claims(SUBJECT, AUDIENCE, NOW + 60), false);
    assert_eq!(refused(stranger).await.0, "InvalidIdentityToken");
    let good = issuer.token(&claims(SUBJECT, AUDIENCE, NOW + 60), false);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    parts[1] = b64(claims(SUBJECT, AUDIENCE, NOW + 99_999).to_string().as_bytes());
    assert_eq!(refused(parts.join(".")).await.0, "InvalidIdentityToken");
    // `alg: none`, and not a JWT at all.
    let none =
        format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(claims(SUBJECT, AUDIENCE, NOW + 60).to_string().as_bytes()));
    assert_eq!(refused(none).await.0, "InvalidIdentityToken");
    assert_eq!(refused("not-a-token".into()).await.0, "InvalidIdentityToken");
    // An issuer with no provider in the account.
    let mut other_issuer = claims(SUBJECT, AUDIENCE, NOW + 60);
    other_issuer["iss"] = "https://elsewhere.example".into();
    let (code, message, _) = refused(issuer.token(&other_issuer, false)).await;
    assert_eq!(code, "InvalidIdentityToken");
    assert_eq!(message, "No OpenIDConnect provider found in your account for https://elsewhere.example");

    // A rotated key set is read again without a restart.
    let rotated = Issuer::new();
    std::fs::write(&jwks_path, rotated.jwks()).unwrap();
    let old = issuer.token(&claims(SUBJECT, AUDIENCE, NOW + 60), false);
    // The file's modification time moves with the write (nanoseconds on
    // the filesystems CI uses); a second write is a fallback for coarse ones.
    if refused(old.clone()).await.0 != "InvalidIdentityToken" {
        std::thread::sleep(std::time::Duration::from_millis(1100));
        std::fs::write(&jwks_path, rotated.jwks()).unwrap();
        assert_eq!(refused(old).await.0, "InvalidIdentityToken");
    }
    sts.assume_role_with_web_identity()
        .role_arn(role.arn())
        .role_session_name("pod-3")
        .web_identity_token(rotated.token(&claims(SUBJECT, AUDIENCE, NOW + 60), false))
        .send()
        .await
        .unwrap();

    // The event: a WebIdentityUser in the role's account, without the token.
    let records = s.state.kms().store().audit_records(0, 10_000).await.unwrap();
    let events: Vec<(serde_json::Value, String)> = records
        .iter()
        .map(|r| (serde_json::from_str(&r.entry.record).unwrap(), r.entry.record.clone()))
        .filter(|(e, _): &(serde_json::Value, String)| e["eventName"] == "AssumeRoleWithWebIdentity")
        .collect();
    assert!(events.len() >= 10, "{}", events.len());
    let (ok, _) = events.iter().find(|(e, _)| e["errorCode"].is_null()).unwrap();
    assert_eq!(ok["eventSource"], "sts.amazonaws.com");
    assert_eq!(ok["recipientAccountId"], ACCOUNT);
    assert_eq!(ok["userIdentity"]["type"], "WebIdentityUser");
    assert_eq!(ok["userIdentity"]["userName"], SUBJECT);
    assert_eq!(ok["userIdentity"]["identityProvider"], provider_arn.as_str());
    assert_eq!(ok["requestParameters"]["roleSessionName"], "pod-1");
    let (narrowed, _) = events.iter().find(|(e, _)| e["requestParameters"]["roleSessionName"] == "pod-narrow").unwrap();
    assert_eq!(narrowed["requestParameters"]["policyArns"][0]["arn"], policy_arn.as_str());
    assert!(ok["responseElements"]["credentials"]["accessKeyId"].as_str().unwrap().starts_with("ASIA"));
    let expired = events.iter().find(|(e, _)| e["errorCode"] == "ExpiredTokenException");
    assert!(expired.is_some());
    for (_, text) in &events {
        assert!(!text.contains(&token[token.len() - 40..]), "a token in the trail: {text}");
    }
}
