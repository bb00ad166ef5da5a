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
//! - `http.rs`: the axum handler: authentication, routing, error bodies.
//! - [`run`]: serves a listener until a shutdown future resolves, finishing
//!   in-flight requests.
//!
//! The server decides nothing about access: it authenticates the caller and
//! hands it to the core, which authorizes.

pub mod config;
mod dispatch;
mod http;
pub mod sigv4;
pub mod startup;

pub use http::{router, AppState};

use std::future::Future;
use tokio::net::TcpListener;

/// Serves `listener` until `shutdown` resolves; in-flight requests finish
/// before this returns.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
