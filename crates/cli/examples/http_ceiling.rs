//! The bare-HTTP ceiling for `bench/compare.sh`: an axum server on the same
//! HTTP stack as Trent that reads each request and answers one fixed JSON 1.1
//! body (shaped like an Encrypt/CreateKey answer, so `trent bench` can set
//! up against it). No SigV4, no crypto, no storage: what the HTTP stack alone
//! costs per request. A benchmark reference only, never part of the server.
//!
//! Usage: `cargo run --release --example http_ceiling -- 127.0.0.1:4700`

#![allow(clippy::print_stdout)]

use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;

const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000";

fn body() -> String {
    // A ciphertext-sized blob, as Trent's Encrypt answers for 100 bytes.
    let blob = "A".repeat(200);
    serde_json::json!({
        "KeyId": ARN,
        "KeyMetadata": {"KeyId": "00000000-0000-4000-8000-000000000000", "Arn": ARN},
        "CiphertextBlob": blob,
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    })
    .to_string()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:4700".into());
    let fixed = Bytes::from(body());
    let app = axum::Router::new().fallback(move |request: Bytes| {
        let fixed = fixed.clone();
        async move {
            drop(request);
            ([(header::CONTENT_TYPE, "application/x-amz-json-1.1")], fixed).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("http ceiling listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
