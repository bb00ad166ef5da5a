//! IAM's OpenID Connect providers (in-memory store, no HTTP): named by
//! their URL as IAM names them, their client ids, thumbprints and tags
//! kept to IAM's quotas, and reached only in the caller's account with
//! the identity-policy permission.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use trent_api::ErrorCode;
use trent_core::{Caller, Kms, NewOidcProvider};

const ALICE: &str = "111122223333";
const REGION: &str = "us-east-1";
const THUMB: &str = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";

fn root() -> Caller {
    common::root_caller(ALICE, REGION)
}

fn provider(url: &str) -> NewOidcProvider {
    NewOidcProvider { url: url.into(), thumbprints: vec![THUMB.into()], ..Default::default() }
}

async fn create(kms: &Kms, new: NewOidcProvider) -> Result<String, ErrorCode> {
    kms.create_oidc_provider(&root(), new).await.map(|p| p.arn()).map_err(|e| e.code())
}

#[tokio::test]
async fn providers_are_named_by_url_and_keep_their_client_ids() {
    let kms = common::kms().await;
    let new = NewOidcProvider {
        client_ids: ["a", "b", "a"].map(str::to_owned).to_vec(),
        tags: vec![("team".into(), "blue".into())],
        ..provider("https://Issuer.Example.com/Tenant/")
    };
    let arn = create(&kms, new).await.unwrap();
    assert_eq!(arn, format!("arn:aws:iam::{ALICE}:oidc-provider/issuer.example.com/Tenant"));
    let p = kms.get_oidc_provider(&root(), &arn).await.unwrap();
    assert_eq!(p.url, "issuer.example.com/Tenant");
    assert_eq!(p.client_ids, ["a", "b"]);
    assert_eq!(p.created_at, 1_700_000_000_000);
    let e = kms.create_oidc_provider(&root(), provider("https://issuer.example.com/Tenant")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AlreadyExists);
    assert_eq!(e.public_message(), "Provider with url https://issuer.example.com/Tenant already exists.");

    kms.add_oidc_client_id(&root(), &arn, "c").await.unwrap();
    kms.add_oidc_client_id(&root(), &arn, "a").await.unwrap();
    kms.remove_oidc_client_id(&root(), &arn, "b").await.unwrap();
    kms.remove_oidc_client_id(&root(), &arn, "absent").await.unwrap();
    assert_eq!(kms.get_oidc_provider(&root(), &arn).await.unwrap().client_ids, ["a", "c"]);
    kms.update_oidc_thumbprints(&root(), &arn, vec![]).await.unwrap();
    assert!(kms.get_oidc_provider(&root(), &arn).await.unwrap().thumbprints.is_empty());
    kms.tag_oidc_provider(&root(), &arn, vec![("TEAM".into(), "red".into())]).await.unwrap();
    assert_eq!(kms.list_oidc_provider_tags(&root(), &arn).await.unwrap(), [("TEAM".to_owned(), "red".to_owned())]);
    kms.untag_oidc_provider(&root(), &arn, vec!["team".into()]).await.unwrap();
    assert!(kms.list_oidc_provider_tags(&root(), &arn).await.unwrap().is_empty());

    kms.delete_oidc_provider(&root(), &arn).await.unwrap();
    let e = kms.delete_oidc_provider(&root(), &arn).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(e.public_message(), format!("OpenIDConnect Provider not found for arn {arn}"));
    assert!(kms.list_oidc_providers(&root()).await.unwrap().is_empty());
}

#[tokio::test]
async fn providers_keep_to_iam_quotas_and_the_callers_account() {
    let kms = common::kms().await;
    assert_eq!(create(&kms, provider("http://issuer.example.com")).await.unwrap_err(), ErrorCode::Validation);
    assert_eq!(create(&kms, provider("https://issuer.example.com?x=1")).await.unwrap_err(), ErrorCode::Validation);
    let too_many = NewOidcProvider {
        client_ids: (0..101).map(|i| i.to_string()).collect(),
        ..provider("https://issuer.example.com")
    };
    assert_eq!(create(&kms, too_many).await.unwrap_err(), ErrorCode::LimitExceeded);
    let six = NewOidcProvider { thumbprints: vec![THUMB.into(); 6], ..provider("https://issuer.example.com") };
    assert_eq!(create(&kms, six).await.unwrap_err(), ErrorCode::Validation);
    let reserved =
        NewOidcProvider { tags: vec![("aws:x".into(), "v".into())], ..provider("https://issuer.example.com") };
    assert_eq!(create(&kms, reserved).await.unwrap_err(), ErrorCode::Validation);

    let arn = create(&kms, NewOidcProvider { client_ids: vec!["0".into()], ..provider("https://issuer.example.com") })
        .await
        .unwrap();
    for i in 1..100 {
        kms.add_oidc_client_id(&root(), &arn, &i.to_string()).await.unwrap();
    }
    let e = kms.add_oidc_client_id(&root(), &arn, "one-too-many").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::LimitExceeded);
    // Already there: no change, no quota.
    kms.add_oidc_client_id(&root(), &arn, "7").await.unwrap();

    // Another account's provider is not there; a role's ARN is no provider's.
    let e = kms.get_oidc_provider(&root(), "arn:aws:iam::444455556666:oidc-provider/issuer.example.com").await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::NotFound);
    let e = kms.get_oidc_provider(&root(), &format!("arn:aws:iam::{ALICE}:role/R")).await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::Validation);

    // A user with no iam: permission manages no provider.
    kms.create_user(&root(), "dev", vec![]).await.unwrap();
    let dev = common::user_caller(ALICE, "dev", REGION);
    assert_eq!(kms.list_oidc_providers(&dev).await.unwrap_err().code(), ErrorCode::AccessDenied);
    assert_eq!(kms.get_oidc_provider(&dev, &arn).await.unwrap_err().code(), ErrorCode::AccessDenied);
}
