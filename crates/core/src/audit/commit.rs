//! The group-committing [`Auditor`]: every caller returns once its event is durable.

#[allow(unused_imports)]
use super::*;

/// Why an event could not be recorded.
#[derive(Debug, Clone, thiserror::Error)]
#[error("audit event not recorded: {0}")]
pub struct AuditError(String);

pub(super) enum Turn {
    /// The entry's batch was appended (or failed).
    Done(Result<(), AuditError>),
    /// The previous leader is done: append the queue, starting with this
    /// entry (handed back because its waiter owns no sender any more).
    Lead(AuditEntry),
}

#[derive(Default)]
pub(super) struct Queue {
    pending: VecDeque<(AuditEntry, oneshot::Sender<Turn>)>,
    /// True while some caller is appending a batch (the leader).
    leading: bool,
}

/// Appends events with group commit; see the module documentation.
///
/// There is no writer task: the first caller to find nobody appending
/// becomes the leader, appends everything queued in one store transaction,
/// answers each caller of the batch, and hands leadership to the first
/// caller that queued meanwhile. A leader whose request is cancelled hands
/// over the same way (in `Drop`), so the queue never stalls.
pub struct Auditor {
    store: Arc<dyn Store>,
    queue: Arc<Mutex<Queue>>,
    /// Most events appended in one transaction.
    max_batch: usize,
    stats: Counters,
}

#[derive(Default)]
pub(super) struct Counters {
    commits: AtomicU64,
    events: AtomicU64,
    failures: AtomicU64,
    commit_micros: AtomicU64,
    last_failed: AtomicBool,
    last_failure: Mutex<Option<std::time::Instant>>,
}

/// What the auditor has done since start (for metrics and readiness).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditStats {
    /// Store transactions that appended events.
    pub commits: u64,
    /// Events appended.
    pub events: u64,
    /// Appends that failed.
    pub failures: u64,
    /// Time spent in appends, in microseconds.
    pub commit_micros: u64,
    /// Events waiting now.
    pub queue_depth: u64,
    /// Whether the latest append failed.
    pub last_failed: bool,
    /// Time since the latest failed append, if any failed.
    pub since_failure: Option<std::time::Duration>,
}

/// Hands leadership on when dropped (the leader finished or was cancelled).
pub(super) struct Leadership(Arc<Mutex<Queue>>);

impl Drop for Leadership {
    fn drop(&mut self) {
        let mut q = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some((entry, tx)) = q.pending.pop_front() {
            match tx.send(Turn::Lead(entry)) {
                Ok(()) => return,
                // That caller was cancelled: its event goes unrecorded with
                // its request; try the next.
                Err(_) => continue,
            }
        }
        q.leading = false;
    }
}

/// A waiter that may be handed leadership after it stopped listening: its
/// `Drop` passes leadership on so that nobody waits for it.
pub(super) struct Waiter {
    rx: Option<oneshot::Receiver<Turn>>,
    queue: Arc<Mutex<Queue>>,
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if let Some(mut rx) = self.rx.take() {
            if let Ok(Turn::Lead(_)) = rx.try_recv() {
                drop(Leadership(self.queue.clone()));
            }
        }
    }
}

impl Auditor {
    /// An auditor appending to `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Auditor { store, queue: Default::default(), max_batch: 512, stats: Counters::default() }
    }

    /// Counters since start.
    pub fn stats(&self) -> AuditStats {
        let c = &self.stats;
        AuditStats {
            commits: c.commits.load(Relaxed),
            events: c.events.load(Relaxed),
            failures: c.failures.load(Relaxed),
            commit_micros: c.commit_micros.load(Relaxed),
            queue_depth: self.queue.lock().unwrap_or_else(PoisonError::into_inner).pending.len() as u64,
            last_failed: c.last_failed.load(Relaxed),
            since_failure: c.last_failure.lock().unwrap_or_else(PoisonError::into_inner).map(|t| t.elapsed()),
        }
    }

    /// Whether this build discards events (feature `bench-discard-audit`,
    /// a benchmark reference only).
    pub const DISCARDS: bool = cfg!(feature = "bench-discard-audit");

    /// Appends `entry`; returns once it is durable in the store.
    pub async fn record(&self, entry: AuditEntry) -> Result<(), AuditError> {
        if Self::DISCARDS {
            drop(entry);
            return Ok(());
        }
        let (tx, rx) = oneshot::channel();
        let lead = {
            let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            q.pending.push_back((entry, tx));
            !std::mem::replace(&mut q.leading, true)
        };
        let mut waiter = Waiter { rx: Some(rx), queue: self.queue.clone() };
        if lead {
            self.lead(None).await;
        }
        loop {
            let rx = waiter.rx.as_mut().ok_or_else(|| AuditError("internal: no receiver".into()))?;
            match rx.await {
                Ok(Turn::Done(result)) => {
                    waiter.rx = None;
                    return result;
                }
                Ok(Turn::Lead(entry)) => {
                    // Our sender was used for the hand-over: queue a new one.
                    let (tx, rx) = oneshot::channel();
                    waiter.rx = Some(rx);
                    self.lead(Some((entry, tx))).await;
                }
                Err(_) => {
                    waiter.rx = None;
                    return Err(AuditError("the appending request was cancelled".into()));
                }
            }
        }
    }

    /// Appends one batch as the leader, answers its callers, hands over.
    async fn lead(&self, first: Option<(AuditEntry, oneshot::Sender<Turn>)>) {
        let leadership = Leadership(self.queue.clone());
        let batch: Vec<_> = {
            let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(f) = first {
                q.pending.push_front(f);
            }
            let n = q.pending.len().min(self.max_batch);
            q.pending.drain(..n).collect()
        };
        let (entries, senders): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let started = std::time::Instant::now();
        let events = entries.len();
        let result = self.store.append_audit(entries).await.map(|_| ()).map_err(|e| {
            tracing::error!(error = %e, events, "audit append failed");
            AuditError(e.to_string())
        });
        let c = &self.stats;
        c.commit_micros.fetch_add(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX), Relaxed);
        c.last_failed.store(result.is_err(), Relaxed);
        if result.is_ok() {
            c.commits.fetch_add(1, Relaxed);
            c.events.fetch_add(events as u64, Relaxed);
        } else {
            c.failures.fetch_add(1, Relaxed);
            *c.last_failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(std::time::Instant::now());
        }
        for tx in senders {
            let _ = tx.send(Turn::Done(result.clone()));
        }
        drop(leadership);
    }
}

impl From<AuditError> for crate::KmsError {
    fn from(e: AuditError) -> Self {
        crate::KmsError::Internal(crate::error::InternalError::Audit(e))
    }
}
