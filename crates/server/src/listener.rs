//! Connections: the limits that keep a slow or hostile client from holding
//! the server's file descriptors, memory or tasks.
//!
//! [`serve_connection`] serves one already-accepted stream (plain TCP
//! today, a TLS stream as well: it only needs `AsyncRead + AsyncWrite`), so
//! every transport shares these rules:
//!
//! - **Connection cap.** The caller holds a permit of a semaphore of
//!   [`Limits::max_connections`] for as long as the connection lives; the
//!   accept loop waits for a permit before accepting, so connections beyond
//!   the cap wait in the kernel's backlog instead of taking a descriptor each.
//!   The default is below the file-descriptor limit ([`effective_max_connections`]),
//!   which [`raise_fd_limit`] raises from the soft to the hard limit at start.
//! - **Header-read timeout.** HTTP/1 headers must arrive within
//!   [`Limits::header_read_timeout`] (hyper's timer, which also starts when a
//!   kept-alive connection waits for its next request).
//! - **Idle timeout.** A connection with no request in flight for
//!   [`Limits::idle_timeout`] is shut down gracefully (HTTP/1 and HTTP/2, and
//!   a client that never sends a byte).
//! - **Body-read timeout and body memory** are enforced where the body is
//!   read, in the handler (`http.rs`): the body must arrive within
//!   [`Limits::body_read_timeout`], and the bytes of bodies being read are
//!   bounded by a global budget ([`Limits::body_memory`]), so many slow
//!   uploads cannot hold more memory than that whatever the connection count.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tower::ServiceExt as _;

/// Limits on connections and request bodies.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Time allowed for a request's headers (HTTP/1), counted from when the
    /// connection starts waiting for them.
    pub header_read_timeout: Duration,
    /// Time allowed for a request's body, counted from its headers.
    pub body_read_timeout: Duration,
    /// Time a connection may stay open with no request in flight.
    pub idle_timeout: Duration,
    /// Open connections at most; `None`: below the file-descriptor limit
    /// ([`effective_max_connections`]).
    pub max_connections: Option<usize>,
    /// Bytes of request bodies held in memory at once, over all requests.
    pub body_memory: usize,
}

/// Default header-read timeout (seconds).
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;
/// Default body-read timeout (seconds): a 1 MiB body at 64 KiB/s.
pub const DEFAULT_BODY_READ_TIMEOUT_SECS: u64 = 20;
/// Default idle timeout (seconds). A client whose pooled connection the
/// server closed reconnects; the SDK and interop tests pass with it.
pub const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 60;
/// Default budget of body bytes in memory: 64 MiB, room for 64 bodies of
/// the 1 MiB maximum at once (KMS requests are mostly well under 8 KiB).
pub const DEFAULT_BODY_MEMORY: usize = 64 * 1024 * 1024;
/// Descriptors kept free of connections: the database and its WAL, the
/// PostgreSQL pool, the key file, logs.
pub const RESERVED_FDS: u64 = 64;
/// Largest default connection cap, however high the descriptor limit.
pub const MAX_DEFAULT_CONNECTIONS: u64 = 16_384;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECS),
            body_read_timeout: Duration::from_secs(DEFAULT_BODY_READ_TIMEOUT_SECS),
            idle_timeout: Duration::from_secs(DEFAULT_IDLE_TIMEOUT_SECS),
            max_connections: None,
            body_memory: DEFAULT_BODY_MEMORY,
        }
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit where the system
/// allows it, and returns the soft limit in force afterwards (`None` when it
/// is unlimited or cannot be read).
pub fn raise_fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        let limit = getrlimit(Resource::Nofile);
        if limit.current != limit.maximum {
            let raised = Rlimit { current: limit.maximum, maximum: limit.maximum };
            if let Err(e) = setrlimit(Resource::Nofile, raised) {
                tracing::debug!(error = %e, "file-descriptor limit not raised");
            }
        }
        getrlimit(Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The connection cap: the configured one, else the descriptor limit less
/// [`RESERVED_FDS`] (at most [`MAX_DEFAULT_CONNECTIONS`]). A configured cap
/// above that is lowered to it, with a warning: beyond it, `accept` would
/// fail and the database could not open its files.
pub fn effective_max_connections(configured: Option<usize>, fd_limit: Option<u64>) -> usize {
    let room = fd_limit.map_or(MAX_DEFAULT_CONNECTIONS, |l| l.saturating_sub(RESERVED_FDS).max(1));
    let room = usize::try_from(room).unwrap_or(usize::MAX);
    match configured {
        Some(n) if n > room => {
            tracing::warn!(configured = n, allowed = room, "max_connections lowered below the file-descriptor limit");
            room
        }
        Some(n) => n.max(1),
        None => room.min(usize::try_from(MAX_DEFAULT_CONNECTIONS).unwrap_or(usize::MAX)),
    }
}

/// Activity of one connection, for the idle timeout.
struct Activity {
    in_flight: AtomicUsize,
    /// Milliseconds since `start` at the last request's start or end.
    last: AtomicU64,
    start: Instant,
}

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }

    /// How long the connection has had no request in flight (zero while
    /// one is).
    fn idle_for(&self) -> Duration {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return Duration::ZERO;
        }
        let now = self.start.elapsed();
        now.saturating_sub(Duration::from_millis(self.last.load(Ordering::Relaxed)))
    }
}

/// Counts a request in flight while it lives.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(a: &Arc<Activity>) -> Self {
        a.in_flight.fetch_add(1, Ordering::AcqRel);
        a.touch();
        InFlight(a.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves one accepted stream from `peer` with `app` (HTTP/1.1 or HTTP/2,
/// as the client speaks) until the client closes it, a timeout ends it, or
/// `shutdown` turns true (then in-flight requests finish first). Over TLS,
/// `tls` describes the connection to each of its requests.
pub async fn serve_connection<I>(
    io: I,
    peer: SocketAddr,
    app: Router,
    limits: &Limits,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    tls: Option<Arc<crate::tls::TlsConnection>>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity =
        Arc::new(Activity { in_flight: AtomicUsize::new(0), last: AtomicU64::new(0), start: Instant::now() });
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |mut req: axum::extract::Request<hyper::body::Incoming>| {
            let guard = InFlight::new(&activity);
            req.extensions_mut().insert(ConnectInfo(peer));
            if let Some(tls) = &tls {
                req.extensions_mut().insert(tls.clone());
            }
            let app = app.clone();
            async move {
                let resp = app.oneshot(req.map(axum::body::Body::new)).await;
                drop(guard);
                resp
            }
        })
    };
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(conn);
    let idle = limits.idle_timeout;
    let mut closing = false;
    loop {
        let wait = idle.saturating_sub(activity.idle_for()).max(Duration::from_millis(10));
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(peer = %peer, error = %e, "connection ended");
                }
                return;
            }
            _ = tokio::time::sleep(wait), if !closing => {
                if activity.idle_for() >= idle {
                    tracing::debug!(peer = %peer, "idle connection closed");
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
            _ = shutdown.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_stays_below_the_descriptor_limit() {
        assert_eq!(effective_max_connections(None, Some(1024)), 960);
        assert_eq!(effective_max_connections(Some(5000), Some(1024)), 960);
        assert_eq!(effective_max_connections(Some(100), Some(1024)), 100);
        assert_eq!(effective_max_connections(None, Some(1_048_576)), 16_384);
        assert_eq!(effective_max_connections(None, None), 16_384);
        assert_eq!(effective_max_connections(Some(0), Some(1024)), 1);
    }
}
