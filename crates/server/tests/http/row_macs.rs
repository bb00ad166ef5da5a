//! Row MACs end to end: someone who can write the SQLite database but does
//! not hold the seal edits the rows that decide access while the server is
//! down; after the restart the edited rows are refused (the request fails
//! closed with `KMSInternalException`), `/ready` names the row, and the
//! rows no one touched keep working.

use crate::common::{get, TestServer, ACCOUNT};
use aws_sdk_kms::primitives::Blob;

const OTHER: &str = "444455556666";
const OTHER_KEY: &str = "AKIAOTHERACCOUNT0001";
const OTHER_SECRET: &str = "otherSecretAccessKey0000000000000000000001";

fn edit(dir: &std::path::Path, sql: &str) {
    let c = rusqlite::Connection::open(dir.join("trent.db")).unwrap();
    assert_eq!(c.execute(sql, []).unwrap(), 1, "{sql}");
}

fn code<E: aws_sdk_kms::error::ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("").to_owned()
}

/// The outside test's attack: move another account's access key to the
/// operator's root, then use it as the operator.
#[tokio::test]
async fn an_access_key_moved_to_the_operator_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let s = TestServer::builder().data_dir(&dir).build().await;
    let other = s.client_of_new_account(OTHER, OTHER_KEY, OTHER_SECRET).await;
    other.list_keys().send().await.unwrap();
    s.stop().await;

    edit(
        &dir,
        &format!(
            "UPDATE access_keys SET account = '{ACCOUNT}', principal = 'arn:aws:iam::{ACCOUNT}:root' \
             WHERE id = '{OTHER_KEY}'"
        ),
    );
    let s = TestServer::builder().data_dir(&dir).build().await;
    assert_eq!(get(&s, "/ready").await.0, 200, "nothing read yet");
    let moved = s.client_with("us-east-1", OTHER_KEY, OTHER_SECRET);
    let e = moved.list_keys().send().await.unwrap_err().into_service_error();
    assert_eq!(code(&e), "KMSInternalException", "{e:?}");
    let (status, body) = get(&s, "/ready").await;
    assert_eq!(status, 503);
    assert!(body.contains(&format!("access_keys {OTHER_KEY}")), "{body}");
    // The operator's own key row is intact.
    s.client().list_keys().send().await.unwrap();
    s.stop().await;
}

/// A key policy rewritten to let everyone in, and a disabled key enabled
/// behind the server's back: both refused.
#[tokio::test]
async fn an_edited_key_policy_or_key_state_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let s = TestServer::builder().data_dir(&dir).build().await;
    let kms = s.client();
    let other = s.client_of_new_account(OTHER, OTHER_KEY, OTHER_SECRET).await;
    let shared = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    let disabled = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    kms.disable_key().key_id(&disabled).send().await.unwrap();
    let intact = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    let e = other.describe_key().key_id(shared.arn().unwrap()).send().await.unwrap_err().into_service_error();
    assert_eq!(code(&e), "AccessDeniedException");
    s.stop().await;

    let open =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}"#;
    edit(&dir, &format!("UPDATE keys SET policy = '{open}' WHERE id = '{}'", shared.key_id));
    edit(&dir, &format!("UPDATE keys SET state = 'Enabled' WHERE id = '{disabled}'"));
    let s = TestServer::builder().data_dir(&dir).build().await;
    let (kms, other) = (s.client(), s.client_with("us-east-1", OTHER_KEY, OTHER_SECRET));
    let e = other.describe_key().key_id(shared.arn().unwrap()).send().await.unwrap_err().into_service_error();
    assert_eq!(code(&e), "KMSInternalException", "{e:?}");
    let e = kms.encrypt().key_id(&disabled).plaintext(Blob::new("x")).send().await.unwrap_err().into_service_error();
    assert_eq!(code(&e), "KMSInternalException", "{e:?}");
    kms.encrypt().key_id(&intact).plaintext(Blob::new("x")).send().await.unwrap();
    let (status, body) = get(&s, "/ready").await;
    assert_eq!(status, 503);
    assert!(body.contains("keys "), "{body}");
    s.stop().await;
}

/// A data directory from before row MACs (no MAC on any row, the
/// migration's marker): the first start seals every row, once, and says so
/// in the audit trail; the deployment works as before.
#[tokio::test]
async fn rows_from_before_row_macs_are_sealed_once_with_an_event() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let s = TestServer::builder().data_dir(&dir).build().await;
    let key = s.client().create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    s.stop().await;
    let c = rusqlite::Connection::open(dir.join("trent.db")).unwrap();
    for table in [
        "accounts",
        "access_keys",
        "users",
        "user_policies",
        "roles",
        "role_policies",
        "groups",
        "group_policies",
        "group_members",
        "managed_policies",
        "policy_versions",
        "policy_attachments",
        "keys",
        "key_versions",
        "aliases",
        "grants",
    ] {
        c.execute(&format!("UPDATE {table} SET mac = NULL"), []).unwrap();
    }
    c.execute("INSERT INTO row_mac_pending (id) VALUES (1)", []).unwrap();
    let sealed_events = |c: &rusqlite::Connection| -> i64 {
        c.query_row("SELECT COUNT(*) FROM audit_events WHERE event_name = 'SealStoredRows'", [], |r| r.get(0)).unwrap()
    };
    assert_eq!(sealed_events(&c), 0);

    for _ in 0..2 {
        let s = TestServer::builder().data_dir(&dir).build().await;
        s.client().encrypt().key_id(&key).plaintext(Blob::new("x")).send().await.unwrap();
        let report = s.state.kms().verify_audit().await.unwrap();
        assert!(report.tamper.is_none(), "{:?}", report.tamper);
        s.stop().await;
        assert_eq!(sealed_events(&c), 1, "one event, at the first start only");
    }
    let unsealed: i64 = c.query_row("SELECT COUNT(*) FROM keys WHERE mac IS NULL", [], |r| r.get(0)).unwrap();
    assert_eq!(unsealed, 0);
}
