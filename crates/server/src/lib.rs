//! The HTTP front end of Trent.
//!
//! # Layout
//! - [`config`]: one configuration struct, layered defaults < TOML file <
//!   `TRENT_*` environment < flags, validated into [`config::ServerParams`]
//!   (whose `Debug` redacts secrets).
//! - [`startup`]: opens the store, the seal and the [`trent_core::Kms`], and
//!   bootstraps the first account; or, for `trent serve --ephemeral`, an
//!   in-memory SQLite store under a random in-memory root key.
//! - [`seed`]: seed files (`--seed seed.yaml`): keys with fixed ids and
//!   material, and aliases, made through the KMS operations at start.
//! - [`sigv4`]: verification of AWS Signature Version 4 (the `trent-sigv4`
//!   crate).
//! - `dispatch.rs`: runs an operation of [`trent_api::operation`]'s table
//!   (found from the `X-Amz-Target` header) on the core; parsing,
//!   validation and serialization around it ([`parse_request`] parses a
//!   body alone, for the fuzz target).
//! - `query.rs`: the Query protocol's front door (AWS IAM's user operations
//!   as `aws iam` and the SDKs' IAM clients send them): form-encoded
//!   actions, XML answers and IAM's error codes.
//! - `http.rs`: the axum handler: authentication, routing, error bodies,
//!   the audit event of every call (fail-closed), `/health`, `/ready`.
//! - `metrics.rs`: `GET /metrics` (Prometheus).
//! - [`listener`]: one accepted connection served under the limits that
//!   bound what a client can hold (header, body and idle timeouts; the
//!   connection cap; the memory of bodies being read).
//! - [`tls`]: TLS on the listener (rustls on aws-lc-rs), reloadable
//!   certificate, optional client certificates.
//! - [`run`]: accepts connections (at most the connection cap at once) in
//!   plain HTTP until a shutdown future resolves, finishing in-flight
//!   requests, with the scheduler task (due key deletions and automatic
//!   rotations) and the audit indexer (the trail's lookup indexes, built
//!   from its log) beside it; [`run_tls`] does the same over TLS (HTTP/1.1 or
//!   HTTP/2 by ALPN), with the certificate watcher beside it.
//!
//! The server decides nothing about access: it authenticates the caller and
//! hands it to the core, which authorizes.

pub mod config;
mod console;
mod dispatch;
mod http;
pub mod listener;
mod metrics;
pub mod peers;
mod query;
mod query_oidc;
mod query_policies;
pub mod rotate_root;
pub mod sealed;
pub mod seed;
mod sts;
/// SigV4 verification, its own crate (`trent-sigv4`) so that its fuzz target
/// and tests need no server.
pub use trent_sigv4 as sigv4;
pub mod startup;
pub mod tls;

pub use dispatch::{parse_request, request_operations, verify_response};
pub use http::{router, AppState};

use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Longest a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves `listener` in plain HTTP until `shutdown` resolves, running the
/// scheduler (key deletion, automatic rotation) beside it; in-flight
/// requests and any scheduler pass under way finish before this returns.
///
/// At most the connection cap of connections are open at once (see
/// [`listener`]): the loop accepts only while it holds a free slot, so
/// further clients wait in the kernel's backlog rather than each taking a
/// file descriptor.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve(listener, state, None, shutdown).await
}

/// [`run`] over TLS: HTTP/2 or HTTP/1.1 as ALPN negotiated, with the
/// certificate watcher (file change or SIGHUP, see [`tls`]) beside it. Each
/// request carries its connection's [`tls::TlsConnection`] (for
/// `aws:SecureTransport` and the audit event's `tlsDetails`). The same
/// limits apply; a handshake counts against the connection cap and must end
/// within `HANDSHAKE_TIMEOUT` (10 s).
pub async fn run_tls(
    listener: TcpListener,
    state: AppState,
    tls: Arc<tls::Tls>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve(listener, state, Some(tls), shutdown).await
}

async fn serve(
    listener: TcpListener,
    state: AppState,
    tls: Option<Arc<tls::Tls>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(scheduler(state.clone(), stop_rx.clone()));
    let indexer = tokio::spawn(audit_indexer(state.clone(), stop_rx.clone()));
    let watcher = tls.as_ref().map(|t| tokio::spawn(t.clone().watch(stop_rx.clone())));
    let acceptor = tls.as_ref().map(|t| tokio_rustls::TlsAcceptor::from(t.server_config()));
    let limits = state.limits().clone();
    let cap = listener::effective_max_connections(limits.max_connections, listener::raise_fd_limit())
        .min(tokio::sync::Semaphore::MAX_PERMITS)
        .min(u32::MAX as usize);
    tracing::info!(max_connections = cap, "accepting connections");
    let slots = Arc::new(tokio::sync::Semaphore::new(cap));
    let app = router(state);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept:
                    // back off briefly instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
        let (app, limits, stop, acceptor) = (app.clone(), limits.clone(), stop_rx.clone(), acceptor.clone());
        tokio::spawn(async move {
            match acceptor {
                None => listener::serve_connection(stream, peer, app, &limits, stop, None).await,
                Some(acceptor) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => {
                        let conn = Arc::new(tls::TlsConnection::of(stream.get_ref().1));
                        listener::serve_connection(stream, peer, app, &limits, stop, Some(conn)).await;
                    }
                    Ok(Err(e)) => tracing::debug!(peer = %peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(peer = %peer, "TLS handshake timed out"),
                },
            }
            drop(slot);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a slot until it ends: holding them all means
    // every in-flight request has been answered.
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    if let Err(e) = scheduler.await {
        tracing::error!(error = %e, "scheduler task failed");
    }
    if let Err(e) = indexer.await {
        tracing::error!(error = %e, "audit indexer task failed");
    }
    if let Some(Err(e)) = match watcher {
        Some(w) => Some(w.await),
        None => None,
    } {
        tracing::error!(error = %e, "certificate watcher task failed");
    }
    Ok(())
}

/// Builds the audit trail's lookup indexes from its log every
/// [`trent_core::audit::INDEX_INTERVAL`], off the request path, and once
/// more when told to stop. A failure is logged and retried at the next
/// tick: lookups read the unindexed records themselves meanwhile.
async fn audit_indexer(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(trent_core::audit::INDEX_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            _ = tick.tick() => false,
            _ = stop.changed() => true,
        };
        if let Err(e) = state.kms().index_audit().await {
            tracing::error!(error = %e, "audit indexing failed");
        }
        if stopping {
            return;
        }
    }
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
