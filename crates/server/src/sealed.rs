//! The sealed server of a deployment on the Shamir seal: until enough
//! shares arrive it answers only `/health` (200, "sealed"), `/ready` (503),
//! `GET /seal-status` (threshold and progress) and `POST /unseal` (a share
//! in the body); every other request is refused with 503
//! (`ServiceUnavailableException`). A share is authenticated by itself:
//! its digest must be the one the seal file keeps for its number. Wrong
//! shares are rate-limited ([`MAX_FAILURES`] per [`FAILURE_WINDOW`]), and
//! the shares given are kept only in memory, zeroized once the root key is
//! made from them (or the server stops).
//!
//! [`serve_sealed`] returns the shares once the threshold is reached; the
//! caller opens the deployment with them ([`crate::config::SealParams`])
//! and serves it on the same listener.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use trent_crypto::seal::ShamirSealFile;
use trent_crypto::shamir::Share;

/// Failed unseal attempts allowed per [`FAILURE_WINDOW`]; more are answered
/// 429 without being looked at.
pub const MAX_FAILURES: usize = 5;
/// The window of [`MAX_FAILURES`].
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// The largest unseal body read (a share is 78 characters).
const MAX_BODY: usize = 1024;

struct Unsealer {
    file: ShamirSealFile,
    shares: Mutex<Vec<Share>>,
    failures: Mutex<VecDeque<Instant>>,
    done: tokio::sync::Notify,
}

impl Unsealer {
    fn progress(&self) -> usize {
        self.shares.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    fn status(&self) -> serde_json::Value {
        json!({
            "Sealed": self.progress() < usize::from(self.file.threshold),
            "Threshold": self.file.threshold,
            "Shares": self.file.shares,
            "Progress": self.progress(),
        })
    }

    /// True when the failures of the window are used up (dropping those
    /// older than it).
    fn throttled(&self, now: Instant) -> bool {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        while failures.front().is_some_and(|t| now.duration_since(*t) > FAILURE_WINDOW) {
            failures.pop_front();
        }
        failures.len() >= MAX_FAILURES
    }

    fn failed(&self, now: Instant) {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner).push_back(now);
    }
}

/// A JSON answer (axum's `json` feature is not built in).
fn answer(status: StatusCode, body: &serde_json::Value) -> Response {
    (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn refused(status: StatusCode, code: &str, message: &str) -> Response {
    answer(status, &json!({ "__type": code, "message": message }))
}

async fn unseal(State(u): State<Arc<Unsealer>>, body: axum::body::Bytes) -> Response {
    let now = Instant::now();
    if u.throttled(now) {
        tracing::warn!("unseal refused: too many wrong shares");
        return refused(
            StatusCode::TOO_MANY_REQUESTS,
            "ThrottlingException",
            "Too many wrong shares; wait a minute before the next.",
        );
    }
    let share = std::str::from_utf8(&body).ok().map(Share::parse);
    let Some(Ok(share)) = share.filter(|_| body.len() <= MAX_BODY) else {
        u.failed(now);
        return refused(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "The body is not a Trent share (trent-share-…).",
        );
    };
    if !u.file.accepts(&share) {
        u.failed(now);
        tracing::warn!(share = share.index(), "unseal refused: not a share of this deployment's seal");
        return refused(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            "That is not a share of this deployment's seal.",
        );
    }
    let reached = {
        let mut shares = u.shares.lock().unwrap_or_else(PoisonError::into_inner);
        if !shares.iter().any(|s| s.index() == share.index()) {
            tracing::info!(share = share.index(), "unseal: share accepted");
            shares.push(share);
        }
        shares.len() >= usize::from(u.file.threshold)
    };
    if reached {
        u.done.notify_one();
    }
    answer(StatusCode::OK, &u.status())
}

async fn not_yet() -> Response {
    refused(
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailableException",
        "Trent is sealed: it answers only /health, /ready, /seal-status and /unseal until enough shares are given (trent admin unseal).",
    )
}

fn router(unsealer: Arc<Unsealer>) -> Router {
    Router::new()
        .route("/health", get(|| async { "sealed\n" }))
        .route("/ready", get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "sealed\n") }))
        .route("/seal-status", get(|State(u): State<Arc<Unsealer>>| async move { answer(StatusCode::OK, &u.status()) }))
        .route("/unseal", post(unseal))
        .fallback(not_yet)
        .with_state(unsealer)
}

/// Serves the sealed endpoints on `listener` (over TLS when `tls` is
/// given) until the seal file's threshold of shares has arrived, and
/// returns them; `None` when `shutdown` comes first.
pub async fn serve_sealed(
    listener: &TcpListener,
    tls: Option<Arc<crate::tls::Tls>>,
    file: ShamirSealFile,
    shutdown: impl std::future::Future<Output = ()>,
) -> Option<Vec<Share>> {
    let unsealer =
        Arc::new(Unsealer { file, shares: Mutex::default(), failures: Mutex::default(), done: Default::default() });
    let app = router(unsealer.clone());
    let acceptor = tls.map(|t| tokio_rustls::TlsAcceptor::from(t.server_config()));
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = unsealer.done.notified() => break,
            () = &mut shutdown => return None,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let app = app.clone();
                let acceptor = acceptor.clone();
                connections.spawn(async move {
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                    let served = match acceptor {
                        Some(a) => match tokio::time::timeout(Duration::from_secs(10), a.accept(stream)).await {
                            Ok(Ok(tls)) => builder.serve_connection(hyper_util::rt::TokioIo::new(tls), service).await,
                            _ => return,
                        },
                        None => builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service).await,
                    };
                    drop(served);
                });
            }
        }
        while connections.try_join_next().is_some() {}
    }
    // The answer to the last share goes out before the sealed
    // connections close; the deployment opens on the same listener.
    tokio::time::sleep(Duration::from_millis(100)).await;
    connections.abort_all();
    let shares = std::mem::take(&mut *unsealer.shares.lock().unwrap_or_else(PoisonError::into_inner));
    Some(shares)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt as _;

    async fn post_share(app: &Router, share: &str) -> (StatusCode, String) {
        let req = axum::http::Request::post("/unseal").body(axum::body::Body::from(share.to_owned())).unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let body = http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn wrong_shares_are_refused_then_throttled_and_the_threshold_ends_the_wait() {
        let p = trent_crypto::AwsLcProvider::new();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seal");
        let shares = ShamirSealFile::init(&p, &path, 3, 2).unwrap();
        let strangers = ShamirSealFile::init(&p, &dir.path().join("other"), 3, 2).unwrap();
        let u = Arc::new(Unsealer {
            file: ShamirSealFile::load(&path).unwrap(),
            shares: Mutex::default(),
            failures: Mutex::default(),
            done: Default::default(),
        });
        let app = router(u.clone());
        assert_eq!(post_share(&app, "nonsense").await.0, StatusCode::BAD_REQUEST);
        for s in &strangers {
            assert_eq!(post_share(&app, &s.to_text()).await.0, StatusCode::FORBIDDEN);
        }
        // Four failures so far; the fifth uses the window up.
        assert_eq!(post_share(&app, &strangers[0].to_text()).await.0, StatusCode::FORBIDDEN);
        let (status, body) = post_share(&app, &shares[0].to_text()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(u.progress(), 0, "a throttled share is not looked at");
        // Once the window has passed, shares are taken again.
        u.failures.lock().unwrap().clear();
        let (status, body) = post_share(&app, &shares[0].to_text()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("\"Progress\":1"), "{body}");
        // The same share twice counts once.
        post_share(&app, &shares[0].to_text()).await;
        assert_eq!(u.progress(), 1);
        let other = router(u.clone());
        let req = axum::http::Request::post("/")
            .header("x-amz-target", "TrentService.ListKeys")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(other.oneshot(req).await.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
        let (status, body) = post_share(&app, &shares[2].to_text()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("\"Sealed\":false"), "{body}");
    }
}
