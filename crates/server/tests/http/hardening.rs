//! What an outside probe broke (issue 27): signatures that do not bind the
//! operation, session tokens, duplicate headers, unserved regions, content
//! types, tag characters, unbounded audit events, and connections and
//! bodies that hold the server.

use crate::common::{TestServer, ACCESS_KEY, SECRET_KEY};
use crate::protocol::send;
use aws_credential_types::Credentials;
use serde_json::Value;
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use trent_server::config::Config;

const HOST: &str = "kms.us-east-1.amazonaws.com";

/// A POST signed by aws-sigv4 over exactly `headers` (plus what the signer
/// adds), in `region`, with an optional session token.
fn signed(headers: &[(&str, &str)], body: &str, region: &str, token: Option<&str>) -> http::Request<Vec<u8>> {
    let mut b = http::Request::builder().method("POST").uri(format!("http://{HOST}/")).header("host", HOST);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let mut req = b.body(body.as_bytes().to_vec()).unwrap();
    crate::common::sign_request(
        &mut req,
        Credentials::new(ACCESS_KEY, SECRET_KEY, token.map(str::to_owned), None, "test"),
        region,
        "kms",
        SystemTime::now(),
    );
    req
}

const JSON: (&str, &str) = ("content-type", "application/x-amz-json-1.1");

fn op(name: &str) -> (&'static str, String) {
    ("x-amz-target", format!("TrentService.{name}"))
}

fn kms_request(name: &str, body: &str) -> http::Request<Vec<u8>> {
    let (k, v) = op(name);
    signed(&[JSON, (k, &v)], body, "us-east-1", None)
}

async fn key_state(s: &TestServer, key: &str) -> String {
    let (st, _, v) = send(s, kms_request("DescribeKey", &format!(r#"{{"KeyId":"{key}"}}"#))).await;
    assert_eq!(st, 200, "{v}");
    v["KeyMetadata"]["KeyState"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_signature_binds_the_operation() {
    let s = TestServer::builder().build().await;
    let key = s.client().create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    // Signed without X-Amz-Target; the target is added afterwards.
    let mut req = signed(&[JSON], &format!(r#"{{"KeyId":"{key}"}}"#), "us-east-1", None);
    req.headers_mut().insert("x-amz-target", "TrentService.DisableKey".parse().unwrap());
    let (st, ty, v) = send(&s, req).await;
    assert_eq!((st, ty.as_str()), (400, "InvalidSignatureException"), "{v}");
    assert_eq!(v["message"], "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
    assert_eq!(key_state(&s, &key).await, "Enabled");
}

#[tokio::test]
async fn session_tokens_and_unsigned_amz_headers_are_refused() {
    let s = TestServer::builder().build().await;
    // A session token, signed as every SDK signs it: Trent issued none.
    let (k, v) = op("ListKeys");
    let req = signed(&[JSON, (k, &v)], "{}", "us-east-1", Some("FQoGZXIvYXdzEXAMPLETOKEN"));
    assert!(req.headers().contains_key("x-amz-security-token"));
    let (st, ty, body) = send(&s, req).await;
    assert_eq!((st, ty.as_str()), (400, "UnrecognizedClientException"), "{body}");
    assert_eq!(body["message"], "The security token included in the request is invalid.");
    // A token added after signing.
    let mut req = kms_request("ListKeys", "{}");
    req.headers_mut().insert("x-amz-security-token", "token".parse().unwrap());
    let (_, ty, body) = send(&s, req).await;
    assert_eq!(ty, "InvalidSignatureException");
    assert_eq!(body["message"], "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization.");
    // Any other x-amz-* header added after signing.
    let mut req = kms_request("ListKeys", "{}");
    req.headers_mut().insert("x-amz-extra", "1".parse().unwrap());
    let (_, ty, body) = send(&s, req).await;
    assert_eq!(ty, "InvalidSignatureException");
    assert_eq!(body["message"], "'x-amz-extra' must be a 'SignedHeader' in the AWS Authorization.");
}

#[tokio::test]
async fn duplicate_authorization_and_target_headers_are_refused() {
    let s = TestServer::builder().build().await;
    let key = s.client().create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    let body = format!(r#"{{"KeyId":"{key}"}}"#);
    // Two targets, both signed: not resolved to the first.
    let req = signed(
        &[JSON, ("x-amz-target", "TrentService.DescribeKey"), ("x-amz-target", "TrentService.DisableKey")],
        &body,
        "us-east-1",
        None,
    );
    let (st, ty, v) = send(&s, req).await;
    assert_eq!((st, ty.as_str()), (400, "UnknownOperationException"), "{v}");
    assert_eq!(key_state(&s, &key).await, "Enabled");
    // Two Authorization headers.
    let mut req = kms_request("DescribeKey", &body);
    let auth = req.headers()["authorization"].clone();
    req.headers_mut().append("authorization", auth);
    let (st, ty, v) = send(&s, req).await;
    assert_eq!((st, ty.as_str()), (400, "IncompleteSignatureException"), "{v}");
}

#[tokio::test]
async fn only_configured_regions_are_served() {
    let s = TestServer::builder().build().await;
    let (k, v) = op("ListKeys");
    let west = || signed(&[JSON, (k, &v)], "{}", "eu-west-1", None);
    let (st, ty, body) = send(&s, west()).await;
    assert_eq!((st, ty.as_str()), (400, "InvalidSignatureException"), "{body}");
    assert_eq!(body["message"], "Credential should be scoped to a valid region, not 'eu-west-1'. ");
    let s = TestServer::builder()
        .config(Config { regions: Some(vec!["us-east-1".into(), "eu-west-1".into()]), ..Config::default() })
        .build()
        .await;
    assert_eq!(send(&s, west()).await.0, 200);
}

#[tokio::test]
async fn the_content_type_must_be_json_1_1() {
    let s = TestServer::builder().build().await;
    let (k, v) = op("ListKeys");
    for (ct, ok) in [
        (Some("application/x-amz-json-1.1"), true),
        (Some("application/x-amz-json-1.1; charset=utf-8"), true),
        (Some("application/json"), false),
        (Some("application/x-amz-json-1.0"), false),
        (Some("text/plain"), false),
        (None, false),
    ] {
        let mut headers = vec![(k, v.as_str())];
        if let Some(ct) = ct {
            headers.push(("content-type", ct));
        }
        let (st, ty, body) = send(&s, signed(&headers, "{}", "us-east-1", None)).await;
        if ok {
            assert_eq!(st, 200, "{ct:?}: {body}");
        } else {
            assert_eq!((st, ty.as_str()), (400, "UnknownOperationException"), "{ct:?}: {body}");
        }
    }
}

#[tokio::test]
async fn control_characters_in_tags_are_refused() {
    let s = TestServer::builder().build().await;
    for (key, value) in [("a\u{0}b", "v"), ("k", "v\u{0}"), ("k\u{7}", "v"), ("k", "line\u{1b}"), ("k\t", "v")] {
        let body = serde_json::json!({"Tags": [{"TagKey": key, "TagValue": value}]}).to_string();
        let (st, ty, v) = send(&s, kms_request("CreateKey", &body)).await;
        assert_eq!((st, ty.as_str()), (400, "ValidationException"), "{key:?}={value:?}: {v}");
        assert!(v["message"].as_str().unwrap().contains("Member must satisfy regular expression pattern"), "{v}");
    }
    // Printable Unicode and punctuation stay allowed.
    let body = serde_json::json!({"Tags": [{"TagKey": "owner (team) #1", "TagValue": "é ü +-=._:/@"}]}).to_string();
    assert_eq!(send(&s, kms_request("CreateKey", &body)).await.0, 200);
    let (_, ty, _) = send(&s, kms_request("UntagResource", r#"{"KeyId":"alias/x","TagKeys":["a\u0000"]}"#)).await;
    assert_eq!(ty, "ValidationException");
}

/// Every stored event, parsed, with its stored size.
async fn events(s: &TestServer) -> Vec<(usize, Value)> {
    let records = s.state.kms().store().audit_records(0, 10_000).await.unwrap();
    records.iter().map(|r| (r.entry.record.len(), serde_json::from_str(&r.entry.record).unwrap())).collect()
}

#[tokio::test]
async fn audit_events_are_bounded() {
    let s = TestServer::builder().build().await;
    let key = s.client().create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    let big: serde_json::Map<String, Value> =
        (0..2000).map(|i| (format!("k{i:04}"), Value::String("x".repeat(400)))).collect();
    let body = serde_json::json!({"KeyId": key, "Plaintext": "aGk=", "EncryptionContext": big}).to_string();
    assert!(body.len() > 800_000);
    // Unauthenticated: the wrong secret.
    let (k, v) = op("Encrypt");
    let mut req = http::Request::builder()
        .method("POST")
        .uri(format!("http://{HOST}/"))
        .header("host", HOST)
        .header(JSON.0, JSON.1)
        .header(k, &v)
        .body(body.clone().into_bytes())
        .unwrap();
    crate::common::sign_request(
        &mut req,
        Credentials::new(ACCESS_KEY, "not-the-secret", None, None, "t"),
        "us-east-1",
        "kms",
        SystemTime::now(),
    );
    let long_agent = "a".repeat(100_000);
    req.headers_mut().insert("user-agent", long_agent.parse().unwrap());
    let (_, ty, _) = send(&s, req).await;
    assert_eq!(ty, "InvalidSignatureException");
    // Authenticated, the same body (a valid call).
    let (st, _, v) = send(&s, kms_request("Encrypt", &body)).await;
    assert_eq!(st, 200, "{v}");

    let all = events(&s).await;
    let encrypts: Vec<&(usize, Value)> = all.iter().filter(|(_, e)| e["eventName"] == "Encrypt").collect();
    assert_eq!(encrypts.len(), 2);
    let (size, unauthenticated) = encrypts[0];
    assert_eq!(unauthenticated["errorCode"], "InvalidSignatureException");
    assert_eq!(unauthenticated["requestParameters"], Value::Null, "no request members");
    assert_eq!(unauthenticated["userIdentity"]["accessKeyId"], ACCESS_KEY);
    assert_eq!(unauthenticated["sourceIPAddress"], Value::Null, "in-process router: no peer");
    assert!(unauthenticated["userAgent"].as_str().unwrap().len() <= 1024);
    assert!(*size < 8 * 1024, "unauthenticated event of {size} bytes");
    let (size, authenticated) = encrypts[1];
    assert_eq!(authenticated["requestParameters"]["truncated"], true, "{}", authenticated["requestParameters"]);
    assert!(*size < 2 * trent_core::audit::MAX_ELEMENTS_BYTES + 16 * 1024, "event of {size} bytes");
    assert_eq!(s.state.kms().verify_audit().await.unwrap().tamper, None);
}

// ---------------------------------------------------------------------------
// Connections, over real TCP.

fn limits(header: u64, body: u64, idle: u64) -> Config {
    Config {
        header_read_timeout_secs: Some(header),
        body_read_timeout_secs: Some(body),
        idle_timeout_secs: Some(idle),
        ..Config::default()
    }
}

/// Reads until the server closes the connection or `within` passes;
/// returns what was read and whether it closed.
async fn read_until_closed(c: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, c.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
    }
}

/// Reads one response head (up to the blank line) within `within`.
async fn read_head(c: &mut TcpStream, within: Duration) -> Option<String> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    let mut byte = [0u8; 1];
    while !out.ends_with(b"\r\n\r\n") {
        match tokio::time::timeout_at(deadline, c.read(&mut byte)).await {
            Ok(Ok(1)) => out.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// The wire form of a request's head (HTTP/1.1), without its body.
fn wire_head(req: &http::Request<Vec<u8>>, content_length: usize) -> Vec<u8> {
    let mut out = format!("{} / HTTP/1.1\r\n", req.method()).into_bytes();
    for (k, v) in req.headers() {
        out.extend_from_slice(k.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("content-length: {content_length}\r\n\r\n").as_bytes());
    out
}

#[tokio::test]
async fn slow_headers_and_idle_connections_are_closed() {
    let s = TestServer::builder().config(limits(1, 5, 2)).build().await;
    // Headers that never end.
    let mut slow = TcpStream::connect(s.addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(4)).await;
    assert!(closed, "a connection whose headers never end stays open");
    // A client that connects and says nothing.
    let mut silent = TcpStream::connect(s.addr).await.unwrap();
    let (_, closed) = read_until_closed(&mut silent, Duration::from_secs(5)).await;
    assert!(closed, "a silent connection stays open");
    // A kept-alive connection after its request.
    let mut kept = TcpStream::connect(s.addr).await.unwrap();
    kept.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let (text, closed) = read_until_closed(&mut kept, Duration::from_secs(5)).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(closed, "an idle kept-alive connection stays open");
    s.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let s = TestServer::builder().config(Config { max_connections: Some(2), ..limits(30, 30, 30) }).build().await;
    let a = TcpStream::connect(s.addr).await.unwrap();
    let _b = TcpStream::connect(s.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    assert_eq!(read_head(&mut c, Duration::from_millis(800)).await, None, "served beyond the cap");
    drop(a);
    let head = read_head(&mut c, Duration::from_secs(5)).await.expect("served once a slot is free");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

#[tokio::test]
async fn a_slow_body_times_out_and_an_aborted_upload_is_recorded_as_such() {
    let s = TestServer::builder().config(limits(10, 1, 30)).build().await;
    let req = kms_request("ListKeys", "{}");
    // Declares 100 bytes, sends 2.
    let mut slow = TcpStream::connect(s.addr).await.unwrap();
    slow.write_all(&wire_head(&req, 100)).await.unwrap();
    slow.write_all(b"{}").await.unwrap();
    let head = read_head(&mut slow, Duration::from_secs(5)).await.expect("an answer to a slow body");
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    // Declares 1000 bytes, sends 10, and goes away.
    let mut gone = TcpStream::connect(s.addr).await.unwrap();
    gone.write_all(&wire_head(&kms_request("Encrypt", "{}"), 1000)).await.unwrap();
    gone.write_all(b"{\"KeyId\":1").await.unwrap();
    gone.shutdown().await.unwrap();
    drop(gone);
    let mut found = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let all = events(&s).await;
        if let Some((_, e)) = all.iter().find(|(_, e)| e["eventName"] == "Encrypt") {
            found = Some(e.clone());
            break;
        }
    }
    let e = found.expect("the aborted upload has an event");
    assert_eq!(e["errorCode"], "IncompleteBody", "{e}");
    assert_eq!(e["userIdentity"]["accessKeyId"], ACCESS_KEY);
    assert_eq!(e["sourceIPAddress"], "127.0.0.1");
    let slow_event = events(&s).await.into_iter().find(|(_, e)| e["eventName"] == "ListKeys").unwrap().1;
    assert_eq!(slow_event["errorCode"], "RequestTimeout", "{slow_event}");
    s.stop().await;
}

#[tokio::test]
async fn bodies_in_memory_are_bounded() {
    let s = TestServer::builder().config(Config { body_memory_mib: Some(1), ..limits(10, 5, 30) }).build().await;
    // One upload declares the whole budget (1 MiB) and holds it.
    let big = format!(r#"{{"Limit":5,"Marker":"{}"}}"#, "x".repeat(1024 * 1024 - 40));
    let big_req = kms_request("ListKeys", &big);
    let mut holder = TcpStream::connect(s.addr).await.unwrap();
    holder.write_all(&wire_head(&big_req, big.len())).await.unwrap();
    holder.write_all(&big.as_bytes()[..100]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Another request waits for the budget instead of adding to memory.
    let small = kms_request("ListKeys", "{}");
    let mut waiting = TcpStream::connect(s.addr).await.unwrap();
    waiting.write_all(&wire_head(&small, 2)).await.unwrap();
    waiting.write_all(b"{}").await.unwrap();
    assert_eq!(read_head(&mut waiting, Duration::from_millis(800)).await, None, "read beyond the budget");
    // The first body completes: its request is answered, the budget freed.
    holder.write_all(&big.as_bytes()[100..]).await.unwrap();
    assert!(read_head(&mut holder, Duration::from_secs(5)).await.is_some());
    let head = read_head(&mut waiting, Duration::from_secs(5)).await.expect("served once the budget frees");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

// ---------------------------------------------------------------------------
// Operating: the data directory, its files and the startup checks.

fn dev_config(dir: &std::path::Path) -> Config {
    Config {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(dir.to_owned()),
        log: Some("warn".into()),
        ..Config::default()
    }
}

fn params(c: Config) -> trent_server::config::ServerParams {
    c.into_params(|p| std::fs::read_to_string(p)).unwrap()
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn a_second_server_on_one_data_directory_refuses_to_start() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let p = params(dev_config(&dir));
    let first = trent_server::startup::open(&p).await.unwrap();
    assert!(first.lock.is_some());
    let e = trent_server::startup::open(&p).await.err().expect("a second server on the same directory");
    assert!(matches!(e, trent_server::startup::StartError::Locked { .. }), "{e}");
    assert!(e.to_string().contains("in use by another trent server"), "{e}");
    drop(first);
    trent_server::startup::open(&p).await.unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn files_are_private_and_a_loose_directory_is_tightened() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let opened = trent_server::startup::open(&params(dev_config(&dir))).await.unwrap();
    assert!(opened.credentials_file.is_some(), "development: the generated secret is written");
    assert_eq!(mode(&dir), 0o700);
    for f in ["trent.db", "trent.db-wal", "trent.db-shm", "root.key", "bootstrap-credentials", "trent.lock"] {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn production_refuses_a_loose_directory_and_never_writes_the_secret() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).unwrap();
    let prod = || Config {
        production: Some(true),
        seal: Some("passphrase".into()),
        passphrase: Some("correct horse battery staple, for a test".into()),
        ..dev_config(&dir)
    };
    let e = trent_server::startup::open(&params(prod())).await.err().expect("a loose directory in production");
    assert!(matches!(e, trent_server::startup::StartError::DataDirNotPrivate { .. }), "{e}");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let opened = trent_server::startup::open(&params(prod())).await.unwrap();
    let creds = opened.bootstrap.as_ref().unwrap();
    assert!(creds.generated_secret);
    assert_eq!(opened.credentials_file, None);
    assert!(!dir.join("bootstrap-credentials").exists());
    // The secret is in no file of the data directory.
    let secret = creds.secret_access_key.as_str().as_bytes().to_vec();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_slice()));
    }
}

#[tokio::test]
async fn a_lost_database_next_to_its_seal_is_not_a_fresh_start() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let p = params(dev_config(&dir));
    drop(trent_server::startup::open(&p).await.unwrap());
    for f in ["trent.db-wal", "trent.db-shm"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    // Empty, then missing.
    std::fs::write(dir.join("trent.db"), b"").unwrap();
    let e = trent_server::startup::open(&p).await.err().expect("an empty database next to a seal");
    assert!(matches!(e, trent_server::startup::StartError::DatabaseMissing { .. }), "{e}");
    std::fs::remove_file(dir.join("trent.db")).unwrap();
    let e = trent_server::startup::open(&p).await.err().expect("a missing database next to a seal");
    assert!(e.to_string().contains("will not start a fresh one"), "{e}");
    assert!(!dir.join("trent.db").exists(), "nothing created");
}
