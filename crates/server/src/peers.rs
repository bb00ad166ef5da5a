//! The channel between sites: [`HttpsPeers`], the [`PeerLink`] the core
//! sends multi-Region messages through, and [`verify`], which the
//! receiving site's `POST /trent/peer/v1` checks them with.
//!
//! Two things make a message trusted, both configured by the operator on
//! both sites:
//! - **TLS with the peer's certificate pinned**: the client accepts exactly
//!   the certificate whose SHA-256 `[[peers]]` names (no CA, no host name:
//!   the pin is the identity), and still verifies the handshake signature
//!   with its key, so only the holder of that certificate's private key can
//!   answer. The receiving listener must be TLS.
//! - **The shared peer secret**: every message carries an HMAC-SHA256 under
//!   it of its time and body (`X-Trent-Peer-Date`,
//!   `X-Trent-Peer-Signature`), checked in constant time, within the SigV4
//!   clock skew. A replay within that window repeats a message that is
//!   idempotent (or answers `AlreadyExists`), and only to a site that
//!   already trusts the sender.
//!
//! Written here rather than with SigV4 because a peer is a site, not a
//! principal of any account: it has no access key, and what it may do is
//! the fixed set of [`PeerMessage`]s, not a policy's.

use crate::config::PeerParams;
use aws_lc_rs::{digest, hmac};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;
use std::time::Duration;
use trent_api::ids::Region;
use trent_api::ErrorCode;
use trent_core::peers::{PeerError, PeerLink, PeerMessage, PeerReply};
use zeroize::Zeroizing;

/// The path of the peer endpoint.
pub const PEER_PATH: &str = "/trent/peer/v1";
/// The header with the message's time, epoch milliseconds.
pub const DATE_HEADER: &str = "x-trent-peer-date";
/// The header with the message's HMAC, hex.
pub const SIGNATURE_HEADER: &str = "x-trent-peer-signature";
/// How long a site waits for a peer's answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// The HMAC-SHA256 of a message: its time and the SHA-256 of its body.
fn mac(secret: &[u8], date_ms: i64, body: &[u8]) -> hmac::Tag {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let body_hash = digest::digest(&digest::SHA256, body);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(b"TRENT-PEER-V1\n");
    ctx.update(date_ms.to_string().as_bytes());
    ctx.update(b"\n");
    ctx.update(hex::encode(body_hash.as_ref()).as_bytes());
    ctx.sign()
}

/// Checks a received message's time and HMAC: `Err` with the reason (for
/// the log; the sender learns only that it was refused).
pub fn verify(
    secret: &[u8],
    headers: &http::HeaderMap,
    body: &[u8],
    now_ms: i64,
    max_skew_ms: i64,
) -> Result<(), &'static str> {
    let date: i64 =
        headers.get(DATE_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).ok_or("no date")?;
    if (now_ms - date).abs() > max_skew_ms {
        return Err("date outside the allowed skew");
    }
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| hex::decode(v).ok())
        .ok_or("no signature")?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let body_hash = digest::digest(&digest::SHA256, body);
    let mut message = Vec::with_capacity(96);
    message.extend_from_slice(b"TRENT-PEER-V1\n");
    message.extend_from_slice(date.to_string().as_bytes());
    message.push(b'\n');
    message.extend_from_slice(hex::encode(body_hash.as_ref()).as_bytes());
    // Constant-time comparison.
    hmac::verify(&key, &message, &signature).map_err(|_| "bad signature")
}

/// An error with its sources, for the log.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out = format!("{out}: {s}");
        source = s.source();
    }
    out
}

/// Accepts exactly the pinned certificate; handshake signatures are
/// verified with its key.
#[derive(Debug)]
struct PinnedVerifier {
    pin: [u8; 32],
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = digest::digest(&digest::SHA256, end_entity.as_ref());
        if subtle::ConstantTimeEq::ct_eq(got.as_ref(), &self.pin[..]).into() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

type HttpsClient =
    Client<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, Full<Bytes>>;

/// One peer site.
struct Peer {
    regions: Vec<Region>,
    uri: String,
    client: HttpsClient,
}

/// The peer sites of `[[peers]]`, over HTTPS.
pub struct HttpsPeers {
    peers: Vec<Peer>,
    secret: Zeroizing<Vec<u8>>,
    clock: Arc<dyn trent_core::Clock>,
}

impl std::fmt::Debug for HttpsPeers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpsPeers")
            .field("peers", &self.peers.iter().map(|p| (&p.regions, &p.uri)).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl HttpsPeers {
    /// A client for each of `peers`, authenticating messages with `secret`.
    pub fn new(peers: &[PeerParams], secret: &[u8], clock: Arc<dyn trent_core::Clock>) -> Result<Self, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut out = Vec::with_capacity(peers.len());
        for p in peers {
            let verifier = Arc::new(PinnedVerifier { pin: p.certificate_sha256, provider: provider.clone() });
            let tls = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("peer TLS: {e}"))?
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth();
            let https =
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_only().enable_http1().build();
            let client: HttpsClient = Client::builder(TokioExecutor::new()).build(https);
            out.push(Peer { regions: p.regions.clone(), uri: format!("{}{PEER_PATH}", p.url), client });
        }
        Ok(HttpsPeers { peers: out, secret: Zeroizing::new(secret.to_vec()), clock })
    }

    async fn send(&self, peer: &Peer, message: &PeerMessage) -> Result<PeerReply, PeerError> {
        let region = message.region().clone();
        let unreachable = |detail: String| PeerError::Unreachable { region: region.clone(), detail };
        let body = serde_json::to_vec(message).map_err(|e| unreachable(format!("encoding: {e}")))?;
        let date = self.clock.now_millis();
        let signature = hex::encode(mac(&self.secret, date, &body).as_ref());
        let req = http::Request::builder()
            .method("POST")
            .uri(&peer.uri)
            .header("content-type", "application/json")
            .header(DATE_HEADER, date.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| unreachable(e.to_string()))?;
        let resp = tokio::time::timeout(ANSWER_TIMEOUT, peer.client.request(req))
            .await
            .map_err(|_| unreachable("no answer in time".into()))?
            .map_err(|e| unreachable(with_causes(&e)))?;
        let status = resp.status();
        let body = tokio::time::timeout(ANSWER_TIMEOUT, resp.into_body().collect())
            .await
            .map_err(|_| unreachable("no answer in time".into()))?
            .map_err(|e| unreachable(e.to_string()))?
            .to_bytes();
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| unreachable(format!("answer: {e}")));
        }
        let error: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| unreachable(format!("HTTP {status}")))?;
        let code = error["__type"].as_str().and_then(ErrorCode::from_name);
        let text = error["message"].as_str().unwrap_or_default().to_owned();
        match code {
            // The peer refused the message itself (its trust is not ours):
            // the operator's to fix, not the caller's.
            Some(ErrorCode::AccessDenied) | None => Err(unreachable(format!("HTTP {status}: {text}"))),
            Some(code) => Err(PeerError::Refused(code, text)),
        }
    }
}

#[async_trait::async_trait]
impl PeerLink for HttpsPeers {
    fn serves(&self, region: &Region) -> bool {
        self.peers.iter().any(|p| p.regions.contains(region))
    }

    async fn call(&self, message: &PeerMessage) -> Result<PeerReply, PeerError> {
        let region = message.region();
        let peer =
            self.peers.iter().find(|p| p.regions.contains(region)).ok_or_else(|| PeerError::NoPeer(region.clone()))?;
        self.send(peer, message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(date: i64, sig: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(DATE_HEADER, date.to_string().parse().unwrap());
        h.insert(SIGNATURE_HEADER, sig.parse().unwrap());
        h
    }

    #[test]
    fn a_message_verifies_with_its_secret_body_and_time_only() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let body = br#"{"Message":"Relate"}"#;
        let now = 1_700_000_000_000;
        let sig = hex::encode(mac(secret, now, body).as_ref());
        assert_eq!(verify(secret, &headers(now, &sig), body, now + 1000, 300_000), Ok(()));
        assert_eq!(
            verify(b"another secret of 32 characters!", &headers(now, &sig), body, now, 300_000),
            Err("bad signature")
        );
        assert_eq!(verify(secret, &headers(now, &sig), br#"{"Message":"Other"}"#, now, 300_000), Err("bad signature"));
        assert_eq!(verify(secret, &headers(now + 1, &sig), body, now, 300_000), Err("bad signature"));
        assert_eq!(
            verify(secret, &headers(now, &sig), body, now + 300_001, 300_000),
            Err("date outside the allowed skew")
        );
        assert_eq!(verify(secret, &http::HeaderMap::new(), body, now, 300_000), Err("no date"));
        assert_eq!(verify(secret, &headers(now, "zz"), body, now, 300_000), Err("no signature"));
    }
}
