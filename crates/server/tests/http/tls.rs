//! TLS on the listener: the AWS SDK with a custom root, HTTP/2 by ALPN,
//! refused protocol versions and suites, start-up errors, certificate
//! reload under load, client certificates, and `aws:SecureTransport`
//! (Trent's TLS, or a trusted proxy's `X-Forwarded-Proto`).

use crate::common::{TestPki, TestServer, ACCESS_KEY, ACCOUNT, SECRET_KEY};
use aws_credential_types::Credentials;
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use http_body_util::BodyExt as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or_default().to_owned()
}

/// A policy giving the account everything but denying any call not over TLS
/// (AWS's common statement).
fn tls_only_policy() -> String {
    format!(
        r#"{{"Statement":[
  {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}},
  {{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}]}}"#
    )
}

async fn events(s: &TestServer) -> Vec<Value> {
    let records = s.state.kms().store().audit_records(0, 10_000).await.unwrap();
    records.iter().map(|r| serde_json::from_str(&r.entry.record).unwrap()).collect()
}

fn client_config(
    ca_pem: &[u8],
    alpn: &[&[u8]],
    client: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(c.unwrap()).unwrap();
    }
    let b = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut cfg = match client {
        Some((chain, key)) => b.with_client_auth_cert(chain, key).unwrap(),
        None => b.with_no_client_auth(),
    };
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(cfg)
}

type Tls = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

async fn connect(s: &TestServer, cfg: Arc<rustls::ClientConfig>) -> std::io::Result<Tls> {
    let tcp = tokio::net::TcpStream::connect(s.addr).await?;
    let name = ServerName::try_from("localhost").unwrap();
    tokio_rustls::TlsConnector::from(cfg).connect(name, tcp).await
}

/// A signed ListKeys for `https://localhost:PORT/`; with `host` false it has
/// no Host header (HTTP/2 sends `:authority` instead; it is signed as host).
fn list_keys(s: &TestServer, host: bool) -> http::Request<Vec<u8>> {
    let authority = format!("localhost:{}", s.addr.port());
    let mut b = http::Request::builder()
        .method("POST")
        .uri(format!("https://{authority}/"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "TrentService.ListKeys");
    if host {
        b = b.header("host", &authority);
    }
    let mut req = b.body(b"{}".to_vec()).unwrap();
    crate::common::sign_request(
        &mut req,
        Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"),
        "us-east-1",
        "kms",
        std::time::SystemTime::now(),
    );
    assert_eq!(req.headers().contains_key("host"), host);
    req
}

/// Sends one request on a TLS stream over HTTP/1.1 or HTTP/2 (as ALPN
/// settled); returns the HTTP version and status.
async fn send_on(stream: Tls, req: http::Request<Vec<u8>>) -> Result<(http::Version, u16), String> {
    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    let io = hyper_util::rt::TokioIo::new(stream);
    let req = req.map(|b| http_body_util::Full::new(bytes::Bytes::from(b)));
    let resp = if h2 {
        let (mut send, conn) = hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        send.send_request(req).await.map_err(|e| e.to_string())?
    } else {
        let (mut send, conn) = hyper::client::conn::http1::handshake(io).await.map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        send.send_request(req).await.map_err(|e| e.to_string())?
    };
    let version = resp.version();
    let status = resp.status().as_u16();
    let _ = resp.into_body().collect().await;
    Ok((version, status))
}

#[tokio::test]
async fn the_sdk_works_over_tls_with_a_custom_root_and_secure_transport_is_true() {
    let pki = TestPki::new();
    let s = TestServer::builder().tls(&pki).build().await;
    assert!(s.endpoint().starts_with("https://"));
    let kms = s.client();
    // AWS's "deny unless TLS" statement: over Trent's TLS, the key works.
    let key = kms.create_key().policy(tls_only_policy()).send().await.unwrap().key_metadata.unwrap().key_id;
    let ct = kms.encrypt().key_id(&key).plaintext(Blob::new(b"over tls".to_vec())).send().await.unwrap();
    let pt = kms.decrypt().ciphertext_blob(ct.ciphertext_blob.unwrap()).send().await.unwrap();
    assert_eq!(pt.plaintext.unwrap().as_ref(), b"over tls");
    // The audit event says how the request came.
    let all = events(&s).await;
    let enc = all.iter().find(|e| e["eventName"] == "Encrypt").unwrap();
    let tls = &enc["tlsDetails"];
    assert!(tls["tlsVersion"] == "TLSv1.3" || tls["tlsVersion"] == "TLSv1.2", "{tls}");
    assert!(
        tls["cipherSuite"].as_str().unwrap().contains("GCM") || tls["cipherSuite"].as_str().unwrap().contains("CHACHA")
    );
    assert_eq!(tls["clientProvidedHostHeader"], format!("localhost:{}", s.addr.port()));
    assert!(tls.get("clientCertificateSubject").is_none());
    // A client that does not trust the CA cannot connect.
    let other = TestPki::new();
    let e = connect(&s, client_config(other.ca_pem.as_bytes(), &[], None)).await.unwrap_err();
    assert!(e.to_string().contains("certificate"), "{e}");
}

#[tokio::test]
async fn http2_by_alpn_is_signed_with_authority_and_http11_still_works() {
    let pki = TestPki::new();
    let s = TestServer::builder().tls(&pki).build().await;
    let ca = s.ca_pem.clone().unwrap();
    let stream = connect(&s, client_config(&ca, &[b"h2", b"http/1.1"], None)).await.unwrap();
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (version, status) = send_on(stream, list_keys(&s, false)).await.unwrap();
    assert_eq!((version, status), (http::Version::HTTP_2, 200));
    let stream = connect(&s, client_config(&ca, &[b"http/1.1"], None)).await.unwrap();
    let (version, status) = send_on(stream, list_keys(&s, true)).await.unwrap();
    assert_eq!((version, status), (http::Version::HTTP_11, 200));
    // The HTTP/2 request's host in the event is its :authority.
    let all = events(&s).await;
    let h2 = all.iter().find(|e| e["eventName"] == "ListKeys").unwrap();
    assert_eq!(h2["tlsDetails"]["clientProvidedHostHeader"], format!("localhost:{}", s.addr.port()));
    assert!(h2.get("errorCode").is_none(), "{h2}");
}

/// A raw ClientHello: `version` in the hello, these cipher suites, and the
/// extensions a TLS 1.2 ECDHE handshake needs (no supported_versions: no
/// TLS 1.3).
fn client_hello(version: [u8; 2], suites: &[u16]) -> Vec<u8> {
    let mut body = version.to_vec();
    body.extend([7u8; 32]);
    body.push(0);
    body.extend(u16::try_from(suites.len() * 2).unwrap().to_be_bytes());
    for s in suites {
        body.extend(s.to_be_bytes());
    }
    body.extend([1, 0]);
    let mut ext = Vec::new();
    ext.extend([0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17]); // groups: x25519, P-256
    ext.extend([0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]); // ec_point_formats: uncompressed
    ext.extend([0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01]); // signature_algorithms
    body.extend(u16::try_from(ext.len()).unwrap().to_be_bytes());
    body.extend(ext);
    let mut hs = vec![1u8];
    hs.extend(&u32::try_from(body.len()).unwrap().to_be_bytes()[1..]);
    hs.extend(body);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend(u16::try_from(hs.len()).unwrap().to_be_bytes());
    rec.extend(hs);
    rec
}

/// The server's first record to a ClientHello: (content type, first two
/// bytes of its payload).
async fn first_record(s: &TestServer, hello: &[u8]) -> (u8, [u8; 2]) {
    let mut tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    tcp.write_all(hello).await.unwrap();
    let mut head = [0u8; 7];
    tcp.read_exact(&mut head).await.unwrap();
    (head[0], [head[5], head[6]])
}

const ALERT: u8 = 0x15;
const HANDSHAKE: u8 = 0x16;

#[tokio::test]
async fn old_protocol_versions_and_non_forward_secret_suites_are_refused() {
    let pki = TestPki::new();
    let s = TestServer::builder().tls(&pki).build().await;
    // The control: TLS 1.2 with ECDHE-ECDSA-AES128-GCM-SHA256 gets a ServerHello.
    let (ty, body) = first_record(&s, &client_hello([3, 3], &[0xc02b])).await;
    assert_eq!((ty, body[0]), (HANDSHAKE, 2), "ServerHello");
    // TLS 1.1 and 1.0: a protocol_version (70) fatal alert.
    for v in [[3, 2], [3, 1]] {
        let (ty, alert) = first_record(&s, &client_hello(v, &[0xc02b, 0xc013])).await;
        assert_eq!((ty, alert), (ALERT, [2, 70]), "{v:?}");
    }
    // RSA key exchange (no forward secrecy), GCM and CBC: handshake_failure (40).
    let (ty, alert) = first_record(&s, &client_hello([3, 3], &[0x009c, 0x009d, 0x002f, 0x0035])).await;
    assert_eq!((ty, alert), (ALERT, [2, 40]));
    // ECDHE with CBC (forward secret, not AEAD): refused too.
    let (ty, alert) = first_record(&s, &client_hello([3, 3], &[0xc009, 0xc013, 0xc023, 0xc027])).await;
    assert_eq!((ty, alert), (ALERT, [2, 40]));
}

#[test]
fn start_up_errors_are_clear() {
    use trent_server::config::TlsParams;
    use trent_server::tls::{Tls, TlsError};
    let pki = TestPki::new();
    let other = TestPki::new();
    let params = |cert: std::path::PathBuf, key: std::path::PathBuf| TlsParams { cert, key, client_ca: None };
    assert!(Tls::load(&params(pki.cert_path(), pki.key_path())).is_ok());
    let missing = pki.cert_path().with_file_name("absent.pem");
    let e = Tls::load(&params(missing.clone(), pki.key_path())).unwrap_err();
    assert!(matches!(e, TlsError::Read { .. }) && e.to_string().contains("absent.pem"), "{e}");
    // A key file that holds a certificate, and a certificate file that holds a key.
    let e = Tls::load(&params(pki.cert_path(), pki.cert_path())).unwrap_err();
    assert!(matches!(e, TlsError::Pem { what: "key", .. }), "{e}");
    let e = Tls::load(&params(pki.key_path(), pki.key_path())).unwrap_err();
    assert!(matches!(e, TlsError::Pem { what: "certificate", .. }), "{e}");
    // Another certificate's key.
    let e = Tls::load(&params(pki.cert_path(), other.key_path())).unwrap_err();
    assert!(matches!(e, TlsError::KeyMismatch { .. }), "{e}");
    assert!(e.to_string().contains("does not match"));
    // An expired certificate.
    pki.issue_server("old", Some(()));
    let e = Tls::load(&params(pki.cert_path(), pki.key_path())).unwrap_err();
    assert!(matches!(e, TlsError::NotValidNow { .. }), "{e}");
    // No message carries the key.
    let key_pem = std::fs::read_to_string(other.key_path()).unwrap();
    let key_line = key_pem.lines().nth(1).unwrap();
    let e = Tls::load(&params(pki.cert_path(), other.key_path())).unwrap_err();
    assert!(!format!("{e} {e:?}").contains(key_line));
}

/// The common name of the certificate a new handshake gets.
async fn served_cn(s: &TestServer) -> String {
    let stream = connect(s, client_config(s.ca_pem.as_ref().unwrap(), &[], None)).await.unwrap();
    let cert = stream.get_ref().1.peer_certificates().unwrap()[0].clone();
    let text = String::from_utf8_lossy(cert.as_ref()).into_owned();
    ["trent one", "trent two", "trent three"].iter().find(|cn| text.contains(*cn)).unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_reload_under_load_fails_no_request() {
    let pki = TestPki::new();
    let s = Arc::new(TestServer::builder().tls(&pki).build().await);
    let kms = s.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    assert_eq!(served_cn(&s).await, "trent one");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut load = Vec::new();
    // Keep-alive SDK clients, and fresh connections (a handshake each).
    for fresh in [false, false, true] {
        let (s, kms, key, stop, ok, failed) =
            (s.clone(), kms.clone(), key.clone(), stop.clone(), ok.clone(), failed.clone());
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let good = if fresh {
                    let stream = connect(&s, client_config(s.ca_pem.as_ref().unwrap(), &[b"h2"], None)).await;
                    match stream {
                        Ok(st) => matches!(send_on(st, list_keys(&s, false)).await, Ok((_, 200))),
                        Err(_) => false,
                    }
                } else {
                    kms.encrypt().key_id(&key).plaintext(Blob::new(vec![1; 100])).send().await.is_ok()
                };
                if good { &ok } else { &failed }.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // New files: picked up by the watcher (modification time) without a call.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    pki.issue_server("trent two", None);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while served_cn(&s).await != "trent two" {
        assert!(std::time::Instant::now() < deadline, "the new certificate was not picked up");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // A bad pair (expired) is refused and the good one stays.
    pki.issue_server("trent three", Some(()));
    tokio::time::sleep(trent_server::tls::RELOAD_POLL * 2).await;
    assert_eq!(served_cn(&s).await, "trent two");
    stop.store(true, Ordering::Relaxed);
    for l in load {
        l.await.unwrap();
    }
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    assert_eq!(failed, 0, "{failed} failed of {}", ok + failed);
    assert!(ok > 20, "too little load to mean anything: {ok}");
}

#[tokio::test]
async fn client_certificates_are_required_and_their_subject_is_audited() {
    let pki = TestPki::new();
    let s = TestServer::builder().tls(&pki).tls_client_ca(&pki).build().await;
    let ca = s.ca_pem.clone().unwrap();
    // Without a certificate: no request gets through (TLS 1.3 reports the
    // refusal after the client's side of the handshake, on first use).
    let refused = match connect(&s, client_config(&ca, &[], None)).await {
        Err(_) => true,
        Ok(stream) => send_on(stream, list_keys(&s, true)).await.is_err(),
    };
    assert!(refused);
    // A certificate from another CA: refused too.
    let stranger = TestPki::new().client_cert("mallory");
    let refused = match connect(&s, client_config(&ca, &[], Some(stranger))).await {
        Err(_) => true,
        Ok(stream) => send_on(stream, list_keys(&s, true)).await.is_err(),
    };
    assert!(refused);
    // With one: SigV4 still decides (a good signature passes)...
    let stream = connect(&s, client_config(&ca, &[], Some(pki.client_cert("app-server-1")))).await.unwrap();
    assert_eq!(send_on(stream, list_keys(&s, true)).await.unwrap().1, 200);
    // ...and a bad one fails despite the certificate.
    let mut bad = list_keys(&s, true);
    *bad.body_mut() = b"{\"Limit\":1}".to_vec();
    let stream = connect(&s, client_config(&ca, &[], Some(pki.client_cert("app-server-1")))).await.unwrap();
    assert_eq!(send_on(stream, bad).await.unwrap().1, 400);
    let all = events(&s).await;
    let ok = all.iter().find(|e| e["eventName"] == "ListKeys" && e.get("errorCode").is_none()).unwrap();
    assert_eq!(ok["tlsDetails"]["clientCertificateSubject"], "CN=app-server-1");
}

#[tokio::test]
async fn forwarded_proto_is_believed_only_from_trusted_proxies() {
    // The test client connects from 127.0.0.1.
    for (proxies, header, allowed) in [
        (vec!["127.0.0.1"], Some("https"), true),
        (vec!["127.0.0.0/8"], Some("https"), true),
        (vec!["127.0.0.1"], Some("http"), false),
        (vec!["127.0.0.1"], None, false),
        (vec!["10.0.0.0/8"], Some("https"), false),
    ] {
        let s = TestServer::builder().behind_proxies(&proxies).build().await;
        let kms = s.client();
        let key = kms.create_key().policy(tls_only_policy()).bypass_policy_lockout_safety_check(true).send().await;
        // CreateKey itself is not governed by the new key's policy.
        let key = key.unwrap().key_metadata.unwrap().key_id;
        let enc = kms.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec()));
        if let Some(h) = header {
            let r = enc
                .customize()
                .mutate_request(move |r| {
                    r.headers_mut().insert("x-forwarded-proto", h);
                })
                .send()
                .await;
            assert_eq!(r.is_ok(), allowed, "{proxies:?} {header:?}: {:?}", r.err().map(|e| code(&e)));
        } else {
            let r = enc.send().await;
            assert_eq!(r.is_ok(), allowed, "{proxies:?}: {:?}", r.err().map(|e| code(&e)));
        }
    }
}

#[tokio::test]
async fn postgresql_over_verify_full_and_a_wrong_ca_refuses() {
    let Some(url) = crate::common::postgres_schema_url().await else { return };
    let Ok(ca) = std::env::var("TRENT_TEST_POSTGRES_CA") else {
        eprintln!("TRENT_TEST_POSTGRES_CA is not set: PostgreSQL TLS test skipped");
        return;
    };
    let tls_url = format!("{url}&sslmode=verify-full&sslrootcert={ca}");
    let store = trent_store::PostgresStore::connect(&tls_url).await;
    assert!(store.is_ok(), "{:?}", store.err().map(|e| e.to_string()));
    // The connection is TLS, as the server sees it.
    use trent_store::postgres_tls::{client_config, split_url, PgTlsMode, RustlsConnect};
    let split = split_url(&tls_url).unwrap();
    let cfg = client_config(PgTlsMode::VerifyFull, split.root_cert.as_deref()).unwrap();
    let (client, conn) = tokio_postgres::connect(&split.url, RustlsConnect::new(cfg)).await.unwrap();
    tokio::spawn(conn);
    let row = client.query_one("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).await.unwrap();
    assert!(row.get::<_, bool>(0));
    let version: String = row.get(1);
    assert!(version == "TLSv1.3" || version == "TLSv1.2", "{version}");
    // A CA that did not issue the server's certificate: no connection.
    let other = TestPki::new();
    let wrong = format!("{url}&sslmode=verify-full&sslrootcert={}", other.ca_path().display());
    let Err(e) = trent_store::PostgresStore::connect(&wrong).await else { panic!("a wrong CA must refuse") };
    assert!(format!("{e:?}").to_lowercase().contains("certificate"), "{e:?}");
}
