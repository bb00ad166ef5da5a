//! The HTTP front end of Trent.
//!
//! # Layout
//! - [`config`]: one configuration struct, layered defaults < TOML file <
//!   `TRENT_*` environment < flags, validated into [`config::ServerParams`]
//!   (whose `Debug` redacts secrets).
//! - [`startup`]: opens the store, the seal and the [`trent_core::Kms`], and
//!   bootstraps the first account.
//! - [`sigv4`]: verification of AWS Signature Version 4.
//! - `dispatch.rs`: the table of operations keyed by the `X-Amz-Target`
//!   operation name; parsing, validation and serialization around the core.
//! - `http.rs`: the axum handler: authentication, routing, error bodies,
//!   the audit event of every call (fail-closed), `/health`, `/ready`.
//! - `metrics.rs`: `GET /metrics` (Prometheus).
//! - [`tls`]: TLS on the listener (rustls on aws-lc-rs), reloadable
//!   certificate, optional client certificates.
//! - [`run`]: serves a listener in plain HTTP until a shutdown future
//!   resolves, finishing in-flight requests, with the scheduler task (due key
//!   deletions and automatic rotations) beside it; [`run_tls`] does the same
//!   over TLS (HTTP/1.1 or HTTP/2 by ALPN), with the certificate watcher
//!   beside it.
//!
//! The server decides nothing about access: it authenticates the caller and
//! hands it to the core, which authorizes.

pub mod config;
mod dispatch;
mod http;
mod metrics;
pub mod sigv4;
pub mod startup;
pub mod tls;

pub use dispatch::verify_response;
pub use http::{router, AppState};

use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Longest a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves `listener` until `shutdown` resolves, running the scheduler (key
/// deletion, automatic rotation) beside it; in-flight requests and any
/// scheduler pass under way finish before this returns.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(scheduler(state.clone(), stop_rx));
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    let _ = stop_tx.send(true);
    if let Err(e) = scheduler.await {
        tracing::error!(error = %e, "scheduler task failed");
    }
    served
}

/// Serves `listener` over TLS until `shutdown` resolves: HTTP/2 or HTTP/1.1
/// as ALPN negotiated, the scheduler and the certificate watcher (file change
/// or SIGHUP, see [`tls`]) beside it. Each request carries its connection's
/// [`tls::TlsConnection`] (for `aws:SecureTransport` and the audit event's
/// `tlsDetails`). On shutdown no new connection is accepted and open ones
/// finish their in-flight requests before this returns.
pub async fn run_tls(
    listener: TcpListener,
    state: AppState,
    tls: Arc<tls::Tls>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use tower::ServiceExt as _;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(scheduler(state.clone(), stop_rx.clone()));
    let watcher = tokio::spawn(tls.clone().watch(stop_rx));
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.server_config());
    let app = router(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        let watch = graceful.watcher();
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(peer = %peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(peer = %peer, "TLS handshake timed out");
                    return;
                }
            };
            let conn = Arc::new(tls::TlsConnection::of(stream.get_ref().1));
            let service = hyper::service::service_fn(move |mut req: ::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                req.extensions_mut().insert(conn.clone());
                app.clone().oneshot(req)
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let served = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(e) = watch.watch(served).await {
                tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    let _ = stop_tx.send(true);
    if let Err(e) = scheduler.await {
        tracing::error!(error = %e, "scheduler task failed");
    }
    if let Err(e) = watcher.await {
        tracing::error!(error = %e, "certificate watcher task failed");
    }
    Ok(())
}

/// Runs due jobs at start and then every interval until told to stop.
async fn scheduler(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(state.scheduler_interval());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let report = state.kms().run_due_jobs().await;
        if let Ok(r) = &report {
            state.metrics().jobs(r);
        }
        match report {
            Ok(r) if r.destroyed + r.rotated + r.expired + r.failed > 0 => {
                tracing::info!(
                    destroyed = r.destroyed,
                    rotated = r.rotated,
                    expired = r.expired,
                    failed = r.failed,
                    "scheduler pass"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "scheduler pass failed"),
        }
    }
}
