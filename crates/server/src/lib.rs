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
//!   operation name; parsing, validation and serialization around the core
//!   ([`parse_request`] parses a body alone, for the fuzz target).
//! - `http.rs`: the axum handler: authentication, routing, error bodies,
//!   the audit event of every call (fail-closed), `/health`, `/ready`.
//! - `metrics.rs`: `GET /metrics` (Prometheus).
//! - [`run`]: serves a listener until a shutdown future resolves, finishing
//!   in-flight requests, with the scheduler task (due key deletions and
//!   automatic rotations) beside it.
//!
//! The server decides nothing about access: it authenticates the caller and
//! hands it to the core, which authorizes.

pub mod config;
mod dispatch;
mod http;
mod metrics;
pub mod sigv4;
pub mod startup;

pub use dispatch::{parse_request, request_operations, verify_response};
pub use http::{router, AppState};

use std::future::Future;
use tokio::net::TcpListener;

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
