//! `GET /metrics` in the Prometheus text format (prometheus-client), and
//! the counters behind it.
//!
//! Request counters and latencies are kept here; the audit trail's and the
//! key cache's counters are kept by the core and read at each scrape.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use trent_core::Kms;

/// Label sets of names known at compile time (operations, error codes, job
/// kinds): counting a request allocates nothing, and a client cannot grow
/// the set.
type Labels<const N: usize> = [(&'static str, &'static str); N];

/// The server's metrics.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<Labels<2>, Counter>,
    latency: Family<Labels<1>, Histogram, fn() -> Histogram>,
    store_errors: Counter,
    jobs: Family<Labels<1>, Counter>,
    audit_events: Counter,
    audit_commits: Counter,
    audit_failures: Counter,
    audit_commit_seconds: prometheus_client::metrics::counter::Counter<f64, std::sync::atomic::AtomicU64>,
    audit_queue: Gauge,
    audit_last_seq: Gauge,
    key_cache_hits: Counter,
    key_cache_misses: Counter,
    /// Scrapes read-then-advance the core's counters: one at a time.
    render_lock: std::sync::Mutex<()>,
}

fn latency_histogram() -> Histogram {
    // 50 µs to about 3.3 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 17))
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("trent");
        let requests = Family::<Labels<2>, Counter>::default();
        registry.register("requests", "API requests by operation and outcome (ok or the error code)", requests.clone());
        let latency = Family::<Labels<1>, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram as _);
        registry.register("request_duration_seconds", "Time to answer an API request, by operation", latency.clone());
        let store_errors = Counter::default();
        registry.register("store_errors", "Requests failed by a store error", store_errors.clone());
        let jobs = Family::<Labels<1>, Counter>::default();
        registry.register(
            "scheduler_jobs",
            "Scheduler jobs by kind (destroyed, rotated, expired, failed)",
            jobs.clone(),
        );
        let audit_events = Counter::default();
        registry.register(
            "audit_events",
            "Audit events appended by group commit (those of state changes commit with the change: see audit_last_seq)",
            audit_events.clone(),
        );
        let audit_commits = Counter::default();
        registry.register("audit_commits", "Store transactions that appended audit events", audit_commits.clone());
        let audit_failures = Counter::default();
        registry.register(
            "audit_failures",
            "Audit appends that failed (their requests failed)",
            audit_failures.clone(),
        );
        let audit_commit_seconds = Default::default();
        registry.register(
            "audit_commit_seconds",
            "Time spent appending audit events (divide by audit_commits for the mean commit latency)",
            std::clone::Clone::clone(&audit_commit_seconds),
        );
        let audit_last_seq = Gauge::default();
        registry.register(
            "audit_last_seq",
            "Sequence number of the last record of the audit trail (of every node's chain)",
            audit_last_seq.clone(),
        );
        let audit_queue = Gauge::default();
        registry.register("audit_queue_depth", "Audit events waiting for a commit", audit_queue.clone());
        let key_cache_hits = Counter::default();
        registry.register("key_cache_hits", "Unwrapped key material served from memory", key_cache_hits.clone());
        let key_cache_misses = Counter::default();
        registry.register("key_cache_misses", "Key material unwrapped from the store", key_cache_misses.clone());
        Metrics {
            registry,
            requests,
            latency,
            store_errors,
            jobs,
            audit_events,
            audit_commits,
            audit_failures,
            audit_commit_seconds,
            audit_queue,
            audit_last_seq,
            key_cache_hits,
            key_cache_misses,
            render_lock: std::sync::Mutex::new(()),
        }
    }

    /// Counts one answered request.
    pub(crate) fn request(&self, operation: &'static str, outcome: &'static str, seconds: f64, store_error: bool) {
        self.requests.get_or_create(&[("operation", operation), ("outcome", outcome)]).inc();
        self.latency.get_or_create(&[("operation", operation)]).observe(seconds);
        if store_error {
            self.store_errors.inc();
        }
    }

    /// Counts one scheduler pass.
    pub(crate) fn jobs(&self, r: &trent_core::JobReport) {
        for (kind, n) in
            [("destroyed", r.destroyed), ("rotated", r.rotated), ("expired", r.expired), ("failed", r.failed)]
        {
            if n > 0 {
                self.jobs.get_or_create(&[("kind", kind)]).inc_by(n as u64);
            }
        }
    }

    /// The text exposition, with the core's counters read now and the
    /// trail's last seq (`None` when the store did not answer).
    pub(crate) fn render(&self, kms: &Kms, last_seq: Option<u64>) -> String {
        let _one = self.render_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let a = kms.audit_stats();
        // The core's counters only grow: advance ours to them.
        let catch_up = |c: &Counter, v: u64| {
            let now = c.get();
            if v > now {
                c.inc_by(v - now);
            }
        };
        catch_up(&self.audit_events, a.events);
        catch_up(&self.audit_commits, a.commits);
        catch_up(&self.audit_failures, a.failures);
        #[allow(clippy::cast_precision_loss)]
        let secs = a.commit_micros as f64 / 1e6;
        let now = self.audit_commit_seconds.get();
        if secs > now {
            self.audit_commit_seconds.inc_by(secs - now);
        }
        self.audit_queue.set(i64::try_from(a.queue_depth).unwrap_or(i64::MAX));
        if let Some(seq) = last_seq {
            self.audit_last_seq.set(i64::try_from(seq).unwrap_or(i64::MAX));
        }
        let (hits, misses) = kms.key_cache_stats();
        catch_up(&self.key_cache_hits, hits);
        catch_up(&self.key_cache_misses, misses);
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "encoding metrics failed");
        }
        out
    }
}
