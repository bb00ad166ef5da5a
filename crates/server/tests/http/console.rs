//! The web console over the real router: sign-in, the session cookie, the
//! CSRF and origin checks, the headers, and that its actions are the API's
//! own (authorized and audited as the signed-in principal). The browser
//! scenario (Chromium, axe) is `tests/console/`.

use crate::common::*;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

async fn send(s: &TestServer, req: http::Request<axum::body::Body>) -> Answer {
    let resp = trent_server::router(s.state.clone()).oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Answer { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
}

async fn page(s: &TestServer, path: &str, cookie: Option<&str>) -> Answer {
    let mut req = http::Request::get(path).header("host", "console.test");
    if let Some(c) = cookie {
        req = req.header("cookie", format!("trent_console={c}"));
    }
    send(s, req.body(axum::body::Body::empty()).unwrap()).await
}

async fn post(s: &TestServer, path: &str, cookie: Option<&str>, form: &[(&str, &str)], origin: Option<&str>) -> Answer {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut req = http::Request::post(path)
        .header("host", "console.test")
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header("cookie", format!("trent_console={c}"));
    }
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    send(s, req.body(axum::body::Body::from(body)).unwrap()).await
}

/// Signs in as the bootstrap root; answers the cookie value and the CSRF
/// token of its pages.
async fn sign_in(s: &TestServer) -> (String, String) {
    let a = post(
        s,
        "/console/signin",
        None,
        &[("access_key_id", ACCESS_KEY), ("secret_access_key", SECRET_KEY)],
        Some("http://console.test"),
    )
    .await;
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.headers["location"], "/console/keys");
    let set = a.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/console"), "{set}");
    // Plain HTTP here: no Secure attribute (it is set over TLS).
    assert!(!set.contains("Secure"), "{set}");
    let cookie = set.split(';').next().unwrap().strip_prefix("trent_console=").unwrap().to_owned();
    let keys = page(s, "/console/keys", Some(&cookie)).await;
    assert_eq!(keys.status, 200, "{}", keys.body);
    (cookie, csrf_of(&keys.body))
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..at + 64].to_owned()
}

#[tokio::test]
async fn pages_need_a_session_and_a_forged_cookie_is_none() {
    let s = TestServer::builder().build().await;
    for cookie in [None, Some("0123456789abcdef".repeat(4).as_str()), Some("not-hex")] {
        let a = page(&s, "/console/keys", cookie).await;
        assert_eq!(a.status, 303, "{cookie:?}");
        assert_eq!(a.headers["location"], "/console/signin");
        assert!(!a.body.contains("Keys in"), "{cookie:?}");
        let a = post(&s, "/console/keys", cookie, &[("spec", "SYMMETRIC_DEFAULT")], None).await;
        assert_eq!(a.status, 403, "{cookie:?}");
    }
    assert!(s.client().list_keys().send().await.unwrap().keys().is_empty(), "a refused form created a key");
}

#[tokio::test]
async fn every_answer_forbids_script_framing_and_caching() {
    let s = TestServer::builder().build().await;
    let a = page(&s, "/console/signin", None).await;
    assert_eq!(a.status, 200);
    let csp = a.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("script-src") && !csp.contains("unsafe"), "{csp}");
    assert_eq!(a.headers["x-frame-options"], "DENY");
    assert_eq!(a.headers["cache-control"], "no-store");
    assert!(!a.body.contains("<script"), "the console has no script");
    // The console's root, with and without its slash.
    for root in ["/console", "/console/"] {
        let a = page(&s, root, None).await;
        assert_eq!((a.status, a.headers["location"].to_str().unwrap()), (303, "/console/signin"), "{root}");
    }
    let css = page(&s, "/console/assets/console.css", None).await;
    assert_eq!(css.status, 200);
    assert!(css.headers["content-type"].to_str().unwrap().starts_with("text/css"));
}

#[tokio::test]
async fn a_wrong_secret_opens_nothing_and_is_audited() {
    let s = TestServer::builder().build().await;
    let a = post(
        &s,
        "/console/signin",
        None,
        &[("access_key_id", ACCESS_KEY), ("secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEz")],
        None,
    )
    .await;
    assert_eq!(a.status, 401);
    assert!(a.headers.get("set-cookie").is_none());
    assert!(a.body.contains("role=\"alert\""), "{}", a.body);
    // From another site: refused before the secret is looked at.
    let a = post(
        &s,
        "/console/signin",
        None,
        &[("access_key_id", ACCESS_KEY), ("secret_access_key", SECRET_KEY)],
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(a.status, 403);
    assert!(a.headers.get("set-cookie").is_none());
    // A browser's own word decides: Sec-Fetch-Site (Chromium may send
    // `Origin: null` with a same-origin form).
    for (site, status) in [("cross-site", 403), ("same-site", 403), ("same-origin", 303)] {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("access_key_id", ACCESS_KEY), ("secret_access_key", SECRET_KEY)])
            .finish();
        let req = http::Request::post("/console/signin")
            .header("host", "console.test")
            .header("origin", "null")
            .header("sec-fetch-site", site)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .unwrap();
        assert_eq!(send(&s, req).await.status, status, "{site}");
    }
    let records = s.state.kms().store().audit_records(0, 1000).await.unwrap();
    let logins: Vec<_> = records.iter().filter(|r| r.entry.event_name == "ConsoleLogin").collect();
    assert_eq!(logins.len(), 2, "the refused sign-in and the one that succeeded are in the trail");
    assert!(logins[0].entry.record.contains("\"errorCode\":\"AccessDenied"), "{}", logins[0].entry.record);
    assert!(!logins[1].entry.record.contains("errorCode"), "{}", logins[1].entry.record);
    assert!(records.iter().all(|r| !r.entry.record.contains("EXAMPLEKE")), "no secret in any event");
}

#[tokio::test]
async fn actions_are_api_calls_of_the_principal_behind_the_csrf_token() {
    let s = TestServer::builder().build().await;
    let (cookie, csrf) = sign_in(&s).await;
    // CreateKey through the console's form.
    let a = post(
        &s,
        "/console/keys",
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("spec", "SYMMETRIC_DEFAULT"),
            ("usage", "ENCRYPT_DECRYPT"),
            ("origin", "AWS_KMS"),
            ("description", "<b>x</b>"),
            ("alias", "console-made"),
        ],
        Some("http://console.test"),
    )
    .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let location = a.headers["location"].to_str().unwrap().to_owned();
    let id = location.strip_prefix("/console/keys/").unwrap().split('?').next().unwrap().to_owned();
    let kms = s.client();
    let key = kms.describe_key().key_id("alias/console-made").send().await.unwrap();
    assert_eq!(key.key_metadata().unwrap().key_id(), id);
    // The key page escapes what it shows.
    let p = page(&s, &location, Some(&cookie)).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("&lt;b&gt;x&lt;/b&gt;") && !p.body.contains("<b>x</b>"), "description not escaped");
    assert!(p.body.contains("id=\"key-state\">Enabled<"), "state shown");
    // Without the token, with another's token, from another origin: refused, nothing changes.
    let action = format!("/console/keys/{id}/disable");
    let other = "f".repeat(64);
    for (form, origin) in [
        (vec![], Some("http://console.test")),
        (vec![("csrf", other.as_str())], Some("http://console.test")),
        (vec![("csrf", csrf.as_str())], Some("https://evil.example")),
    ] {
        let a = post(&s, &action, Some(&cookie), &form, origin).await;
        assert_eq!(a.status, 403, "{form:?} {origin:?}");
    }
    let state = kms.describe_key().key_id(&id).send().await.unwrap();
    assert_eq!(state.key_metadata().unwrap().key_state().unwrap().as_str(), "Enabled");
    // With it: DisableKey, as the root, in the trail.
    let a = post(&s, &action, Some(&cookie), &[("csrf", &csrf)], Some("http://console.test")).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let state = kms.describe_key().key_id(&id).send().await.unwrap();
    assert_eq!(state.key_metadata().unwrap().key_state().unwrap().as_str(), "Disabled");
    let records = s.state.kms().store().audit_records(0, 10_000).await.unwrap();
    let disable = records.iter().find(|r| r.entry.event_name == "DisableKey").expect("DisableKey audited");
    assert!(disable.entry.record.contains(&format!("arn:aws:iam::{ACCOUNT}:root")), "{}", disable.entry.record);
    // Its members, kept by the one parse of its shape as for the API's calls.
    let record: serde_json::Value = serde_json::from_str(&disable.entry.record).unwrap();
    assert_eq!(record["requestParameters"], serde_json::json!({"keyId": id}), "{record}");
    // A refused policy is shown in place with the service's reason.
    let a = post(
        &s,
        &format!("/console/keys/{id}/policy"),
        Some(&cookie),
        &[("csrf", &csrf), ("policy", "{\"Version\":")],
        Some("http://console.test"),
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.body.contains("MalformedPolicyDocumentException"), "{}", a.body);
    assert!(a.body.contains("{&quot;Version&quot;:</textarea>"), "the refused text stays in the editor");
    // Scheduling deletion, then cancelling it.
    let a = post(
        &s,
        &format!("/console/keys/{id}/schedule-deletion"),
        Some(&cookie),
        &[("csrf", &csrf), ("days", "7")],
        None,
    )
    .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let p = page(&s, &format!("/console/keys/{id}"), Some(&cookie)).await;
    assert!(p.body.contains("id=\"key-state\">PendingDeletion<"), "{}", p.body);
    let a = post(&s, &format!("/console/keys/{id}/cancel-deletion"), Some(&cookie), &[("csrf", &csrf)], None).await;
    assert_eq!(a.status, 303, "{}", a.body);
    // The chain status: VerifyAuditTrail as the operator, and the newest
    // checkpoint once one is signed.
    s.state.kms().audit_checkpoint().await.unwrap();
    let a = post(&s, "/console/audit/verify", Some(&cookie), &[("csrf", &csrf)], None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("The trail verifies") && a.body.contains("Newest checkpoint: number "), "{}", a.body);
    // Signing out ends the session.
    let a = post(&s, "/console/signout", Some(&cookie), &[("csrf", &csrf)], None).await;
    assert_eq!(a.status, 303);
    assert_eq!(page(&s, "/console/keys", Some(&cookie)).await.status, 303);
}

#[tokio::test]
async fn a_deactivated_access_key_ends_its_console_session() {
    let s = TestServer::builder().build().await;
    let root = crate::iam_query::iam(&s, ACCESS_KEY, SECRET_KEY);
    root.create_user().user_name("carol").send().await.unwrap();
    let created = root.create_access_key().user_name("carol").send().await.unwrap();
    let key = created.access_key().unwrap();
    let (ak, sk) = (key.access_key_id(), key.secret_access_key());
    let a = post(&s, "/console/signin", None, &[("access_key_id", ak), ("secret_access_key", sk)], None).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let set = a.headers["set-cookie"].to_str().unwrap().to_owned();
    let cookie = set.split(';').next().unwrap().strip_prefix("trent_console=").unwrap().to_owned();
    // Carol has no policy: the console shows the API's refusal, as carol.
    let p = page(&s, "/console/keys", Some(&cookie)).await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(
        p.body.contains("AccessDeniedException") && p.body.contains(&format!("arn:aws:iam::{ACCOUNT}:user/carol")),
        "{}",
        p.body
    );
    // Nor may carol verify the whole trail (an operator's operation).
    let csrf = csrf_of(&p.body);
    let a = post(&s, "/console/audit/verify", Some(&cookie), &[("csrf", &csrf)], None).await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.body.contains("AccessDeniedException"), "{}", a.body);
    root.update_access_key()
        .user_name("carol")
        .access_key_id(ak)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .unwrap();
    assert_eq!(page(&s, "/console/keys", Some(&cookie)).await.status, 303, "the session outlived its key");
}

#[tokio::test]
async fn the_usage_page_counts_the_calls_of_the_account() {
    let s = TestServer::builder().build().await;
    let (cookie, _) = sign_in(&s).await;
    let kms = s.client();
    let key = kms.create_key().send().await.unwrap();
    let id = key.key_metadata().unwrap().key_id().to_owned();
    for _ in 0..3 {
        kms.encrypt().key_id(&id).plaintext(aws_sdk_kms::primitives::Blob::new(b"x".to_vec())).send().await.unwrap();
    }
    let p = page(&s, "/console/usage", Some(&cookie)).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("<td>Encrypt</td><td class=\"num\">3</td>"), "{}", p.body);
    assert!(p.body.contains("<svg role=\"img\""), "a chart");
    // SVG elements closed (an unclosed <line> would swallow the rest).
    assert!(p.body.contains("</line>") && p.body.contains("</polyline>"), "{}", p.body);
    let arn = key.key_metadata().unwrap().arn().unwrap();
    assert!(p.body.contains(arn), "the key's row");
    // One key's usage: its own calls only (not the CreateKey of another).
    let other = kms.create_key().send().await.unwrap();
    kms.encrypt()
        .key_id(other.key_metadata().unwrap().key_id())
        .plaintext(aws_sdk_kms::primitives::Blob::new(b"y".to_vec()))
        .send()
        .await
        .unwrap();
    let query = form_urlencoded::Serializer::new(String::new()).append_pair("key", arn).finish();
    let p = page(&s, &format!("/console/usage?{query}"), Some(&cookie)).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("<td>Encrypt</td><td class=\"num\">3</td>"), "{}", p.body);
    assert!(p.body.contains("Requests that named the key"), "{}", p.body);
    // The account's: both keys' Encrypts, over each period.
    for period in ["24h", "7d", "30d"] {
        let p = page(&s, &format!("/console/usage?period={period}"), Some(&cookie)).await;
        assert_eq!(p.status, 200, "{period}: {}", p.body);
        assert!(p.body.contains("<td>Encrypt</td><td class=\"num\">4</td>"), "{period}");
    }
}

#[tokio::test]
async fn key_material_is_imported_through_the_console() {
    let s = TestServer::builder().build().await;
    let (cookie, csrf) = sign_in(&s).await;
    let a = post(
        &s,
        "/console/keys",
        Some(&cookie),
        &[("csrf", &csrf), ("spec", "SYMMETRIC_DEFAULT"), ("usage", "ENCRYPT_DECRYPT"), ("origin", "EXTERNAL")],
        None,
    )
    .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let id = a.headers["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/console/keys/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let p = page(&s, &format!("/console/keys/{id}"), Some(&cookie)).await;
    assert!(p.body.contains("id=\"key-state\">PendingImport<"), "{}", p.body);
    let a = post(
        &s,
        &format!("/console/keys/{id}/import-parameters"),
        Some(&cookie),
        &[("csrf", &csrf), ("wrapping_algorithm", "RSAES_OAEP_SHA_256"), ("wrapping_key_spec", "RSA_2048")],
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let public = page(&s, &format!("/console/keys/{id}/import/wrapping-key.der"), Some(&cookie)).await;
    assert_eq!(public.status, 200);
    assert_eq!(public.headers["content-disposition"], "attachment; filename=\"WrappingPublicKey.bin\"");
    // The downloads are bytes: read them without the lossy text conversion.
    let raw = |file: &str| {
        let req = http::Request::get(format!("/console/keys/{id}/import/{file}"))
            .header("cookie", format!("trent_console={cookie}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let router = trent_server::router(s.state.clone());
        async move { router.oneshot(req).await.unwrap().into_body().collect().await.unwrap().to_bytes().to_vec() }
    };
    let (public, token) = (raw("wrapping-key.der").await, raw("import-token.bin").await);
    // Another session's downloads: none.
    assert_eq!(
        page(&s, &format!("/console/keys/{id}/import/import-token.bin"), Some(&"e".repeat(64))).await.status,
        303
    );
    let wrapped = crate::imported::wrap(&public, &aws_sdk_kms::types::AlgorithmSpec::RsaesOaepSha256, &[7u8; 32]);
    // The upload: multipart, as the browser sends a file input.
    let boundary = "trentboundary1234";
    let mut body = Vec::new();
    let mut part = |name: &str, file: Option<&str>, data: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    };
    part("csrf", None, csrf.as_bytes());
    part("import_token", Some("ImportToken.bin"), &token);
    part("material", Some("EncryptedKeyMaterial.bin"), &wrapped);
    part("expiration", None, b"KEY_MATERIAL_DOES_NOT_EXPIRE");
    part("valid_to", None, b"");
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let req = http::Request::post(format!("/console/keys/{id}/import"))
        .header("host", "console.test")
        .header("cookie", format!("trent_console={cookie}"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(axum::body::Body::from(body))
        .unwrap();
    let a = send(&s, req).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let kms = s.client();
    let key = kms.describe_key().key_id(&id).send().await.unwrap();
    assert_eq!(key.key_metadata().unwrap().key_state().unwrap().as_str(), "Enabled");
    let ct =
        kms.encrypt().key_id(&id).plaintext(aws_sdk_kms::primitives::Blob::new(b"hi".to_vec())).send().await.unwrap();
    let pt = kms.decrypt().ciphertext_blob(ct.ciphertext_blob().unwrap().clone()).send().await.unwrap();
    assert_eq!(pt.plaintext().unwrap().as_ref(), b"hi");
}
