//! The audit log file of a served SQLite deployment: the group commit's
//! durable append.
//!
//! A group commit of read and cryptographic events writes its records to
//! one file (`trent.audit-log` beside the database) with one `pwrite` and
//! one `fdatasync`, and answers its callers; it takes no SQLite lock and
//! writes no B-tree page. The records stay in memory too (`pending`), and
//! move into the database's log table, `audit_events`, in one transaction
//! (`synchronous = FULL`) before the writer connection does anything else:
//! the indexer's pass every [`trent_core::audit::INDEX_INTERVAL`], a state
//! change (whose own events chain after them, in its transaction), a read
//! of the trail (lookups, export, verify: [`super::SqliteStore::settle`]).
//! Everything that reads the trail therefore reads the database as before,
//! and sees every event whose answer has left.
//!
//! Why a file of our own: SQLite's commit of a few events writes their
//! B-tree pages into the WAL (the last, partly filled leaf again at every
//! commit), later copies them into the database, and takes its file locks;
//! moving them in batches of 50 ms does that once per batch instead of
//! once per group commit. No crate offers a durable append-only record
//! file with this recovery rule; it is short, and written here.
//!
//! The file: a header (magic, generation), then frames (payload length,
//! the generation, a CRC-32, the payload: one record). Once everything in it is in
//! the database and it holds more than [`REUSE_AFTER`] bytes, the next
//! generation starts at its beginning, overwriting the old frames in place
//! (no new blocks, so an `fdatasync` writes no file metadata). A frame of
//! an older generation is not read as one of the current one.
//!
//! Recovery ([`AuditLog::open`]), at the served start, under the data
//! directory's lock: frames are read in order until the first that is
//! short, of another generation, fails its CRC or does not decode and
//! verify (its record hashed again into the chain), or
//! that does not continue the chain: acknowledged records always continue
//! it, in order, so what follows them is the torn or left-over write of an
//! append that failed or was never acknowledged (an append that fails
//! moves nothing, and the next one writes over the same place). A record
//! the database already holds (seq at or below its head) is skipped.

use super::backend;
use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use trent_core::audit::{chain_owned, AuditEntry, AuditRecord, Hash};
use trent_core::store::{StoreError, StoreResult};

/// The log file's name in the data directory.
pub const AUDIT_LOG_FILE: &str = "trent.audit-log";

const MAGIC: &[u8; 8] = b"TRENTAL1";
const HEADER_LEN: u64 = 16;
/// A frame's payload length (u32), generation (u64) and CRC-32 (of the
/// generation and the payload: a frame torn by a crash, some of its pages
/// on disk and some not, is told from a whole one).
const FRAME_HEAD: usize = 16;
/// Larger payloads are not frames (events are bounded far below).
const MAX_PAYLOAD: usize = 16 << 20;
/// Start again from the beginning once everything is in the database and
/// the file holds more than this.
pub(super) const REUSE_AFTER: u64 = 16 << 20;

/// Records kept waiting at most: while they cannot move into the database
/// (it fails: a full disk, say), appends go on until this many, a few
/// seconds' worth, and then fail (audit fails closed) rather than holding
/// ever more in memory.
pub(super) const MAX_PENDING: usize = 1 << 16;

/// The open log: the file, where the next frame goes, the chain's head,
/// and the records not yet in the database.
pub(super) struct AuditLog {
    path: PathBuf,
    file: File,
    generation: u64,
    end: u64,
    /// The chain's head: the last record in the file not yet in the
    /// database, or the database's head. `Err` when it could not be read
    /// after a change (appends fail closed until it is read again).
    head: Result<Option<(u64, Hash)>, String>,
    /// Records durable in the file and not yet in the database, in order.
    pub(super) pending: Vec<AuditRecord>,
    /// Whether records taken from `pending` are moving into the database.
    moving: bool,
    /// The last move's emptied vector, and the frames' buffer: kept, so
    /// that appends and moves reuse their memory rather than fault in
    /// fresh pages (the allocator gives large freed blocks back to the
    /// system, and the kernel zeroes them again: 15 % of the server's CPU
    /// under load, measured before they were kept).
    spare: Vec<AuditRecord>,
    buf: Vec<u8>,
}

impl AuditLog {
    /// Opens the log at `path` (creating it with mode 0600, tightening a
    /// looser one) for a database whose chain ends at `stored`. The records
    /// past `stored` that it holds are in [`AuditLog::pending`], for the
    /// caller to move into the database.
    pub(super) fn open(path: &Path, stored: Option<(u64, Hash)>) -> StoreResult<Self> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let io = |e: std::io::Error| log_error(path, &e.to_string());
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        super::tighten_mode(path).map_err(io)?;
        let bytes = std::fs::read(path).map_err(io)?;
        let mut log = AuditLog {
            path: path.to_owned(),
            file,
            generation: 0,
            end: 0,
            head: Ok(stored),
            pending: vec![],
            moving: false,
            spare: vec![],
            buf: vec![],
        };
        if bytes.len() < HEADER_LEN as usize {
            // New (or its first header never reached the disk: no frame did).
            log.restart()?;
            return Ok(log);
        }
        if &bytes[..8] != MAGIC {
            return Err(log_error(path, "not a Trent audit log (bad magic)"));
        }
        log.generation = u64_at(&bytes, 8).unwrap_or(0);
        let mut off = HEADER_LEN as usize;
        let mut head = stored;
        let mut ended = None;
        while let Some((record, next)) = frame_at(&bytes, off, log.generation) {
            let Some(record) = record else {
                ended = Some("a record that does not decode or verify");
                break;
            };
            if head.is_some_and(|(seq, _)| record.seq <= seq) && log.pending.is_empty() {
                off = next;
                continue; // already in the database
            }
            let continues = chain_owned(head, vec![record.entry.clone()])
                .first()
                .is_some_and(|e| e.seq == record.seq && e.hash == record.hash);
            if !continues {
                ended = Some("a record that does not continue the chain");
                break;
            }
            off = next;
            head = Some((record.seq, record.hash));
            log.pending.push(record);
        }
        if let Some(what) = ended {
            // Acknowledged records always continue the chain, in order:
            // what follows them is the torn or left-over write of an
            // append that failed or was never acknowledged (or a file of
            // another trail, whose records are all ignored).
            tracing::warn!(
                log = %path.display(),
                offset = off,
                records = log.pending.len(),
                "audit log: reading stopped at {what}; the records before it are recovered"
            );
        }
        log.end = off as u64;
        log.head = Ok(head);
        Ok(log)
    }

    /// Starts the next generation at the file's beginning. Only when
    /// nothing is pending or moving, and the caller knows every record in
    /// the file to be durable in the database.
    pub(super) fn restart(&mut self) -> StoreResult<()> {
        if self.waiting() {
            return Err(log_error(&self.path, "internal: restarted with records pending"));
        }
        let generation = self.generation + 1;
        let mut header = Vec::with_capacity(HEADER_LEN as usize);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&generation.to_le_bytes());
        // Durable with the next append's fdatasync. Until then a crash
        // leaves the old header, whose frames are all in the database.
        self.file.write_all_at(&header, 0).map_err(|e| log_error(&self.path, &e.to_string()))?;
        self.generation = generation;
        self.end = HEADER_LEN;
        Ok(())
    }

    /// Whether the file should start again (see [`REUSE_AFTER`]).
    pub(super) fn full(&self) -> bool {
        self.end > REUSE_AFTER
    }

    /// Whether records are pending or moving (not yet surely in the
    /// database).
    pub(super) fn waiting(&self) -> bool {
        self.moving || !self.pending.is_empty()
    }

    /// Takes the pending records to move them into the database; call
    /// [`AuditLog::moved`] with the outcome.
    pub(super) fn take_pending(&mut self) -> Vec<AuditRecord> {
        self.moving = !self.pending.is_empty();
        let spare = std::mem::take(&mut self.spare);
        std::mem::replace(&mut self.pending, spare)
    }

    /// After a move: on failure its records are pending again, before
    /// those appended meanwhile.
    pub(super) fn moved(&mut self, mut batch: Vec<AuditRecord>, result: StoreResult<()>) -> StoreResult<()> {
        self.moving = false;
        if result.is_err() {
            let newer = std::mem::replace(&mut self.pending, batch);
            self.pending.extend(newer);
        } else {
            batch.clear();
            self.spare = batch;
        }
        result
    }

    /// Sets the chain's head after the database's log changed (nothing
    /// pending), or marks it unknown.
    pub(super) fn set_head(&mut self, head: Result<Option<(u64, Hash)>, String>) {
        self.head = head;
    }

    /// Chains `entries` after the head, writes them with one `pwrite` and
    /// one `fdatasync`, and returns their records once durable. On failure
    /// nothing moves: the next append writes over the same place.
    pub(super) fn append(&mut self, entries: Vec<AuditEntry>) -> StoreResult<Vec<AuditRecord>> {
        let head = self.head.clone().map_err(|e| log_error(&self.path, &format!("chain head unknown: {e}")))?;
        if self.pending.len() >= MAX_PENDING {
            return Err(log_error(&self.path, "its records are not moving into the database (see earlier errors)"));
        }
        let records = chain_owned(head, entries);
        let Some(last) = records.last() else { return Ok(records) };
        let new_head = (last.seq, last.hash);
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        for r in &records {
            encode_frame(r, self.generation, &mut buf);
        }
        let io = |e: std::io::Error| log_error(&self.path, &e.to_string());
        let written = self.file.write_all_at(&buf, self.end).and_then(|()| self.file.sync_data());
        let len = buf.len() as u64;
        // Not a large batch's worth for ever (events are bounded, but a
        // batch of large ones would keep megabytes).
        if buf.capacity() <= 1 << 20 {
            self.buf = buf;
        }
        written.map_err(io)?;
        self.end += len;
        self.head = Ok(Some(new_head));
        self.pending.extend(records.iter().cloned());
        Ok(records)
    }
}

/// The thread of its own that runs the group commits' appends, one at a
/// time, in order (the [`trent_core::audit::Auditor`] above runs one at a
/// time): `append` hands it a batch and awaits the answer.
///
/// Why not `spawn_blocking`: from the call to the closure starting, the
/// blocking pool took 318–338 µs of each group commit's 0.91 ms on the
/// pinned one-core benchmark, and a thread that waits on a channel
/// 131–145 µs (commits of 0.74–0.79 ms against 0.98–1.02; bench/README.md,
/// "The group commit's dispatch"). Commits run one at a time, so this
/// latency is every request's.
pub(super) struct Appender {
    jobs: std::sync::mpsc::Sender<AppendJob>,
}

type AppendJob = (Vec<AuditEntry>, tokio::sync::oneshot::Sender<StoreResult<Vec<AuditRecord>>>);

impl Appender {
    /// Starts the thread, which ends once every `Appender` handle is gone.
    pub(super) fn start(log: std::sync::Arc<std::sync::Mutex<AuditLog>>) -> StoreResult<Self> {
        let (jobs, queue) = std::sync::mpsc::channel::<AppendJob>();
        let path = log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).path.clone();
        std::thread::Builder::new()
            .name("trent-audit-log".into())
            .spawn(move || {
                while let Ok((entries, reply)) = queue.recv() {
                    // A panic (none is known) fails this batch, not every
                    // later one: the log changes nothing before its write.
                    let appended = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).append(entries)
                    }))
                    .unwrap_or_else(|_| Err(log_error(&path, "internal: an append panicked")));
                    // The caller may have gone (its request cancelled).
                    let _ = reply.send(appended);
                }
            })
            .map_err(backend)?;
        Ok(Appender { jobs })
    }

    /// Appends `entries` on the thread: [`AuditLog::append`].
    pub(super) async fn append(&self, entries: Vec<AuditEntry>) -> StoreResult<Vec<AuditRecord>> {
        let stopped = || backend(super::SchemaError("the audit log's thread has stopped".into()));
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs.send((entries, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn log_error(path: &Path, what: &str) -> StoreError {
    backend(super::SchemaError(format!("audit log {}: {what}", path.display())))
}

fn encode_frame(r: &AuditRecord, generation: u64, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&generation.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let e = &r.entry;
    out.extend_from_slice(&r.seq.to_le_bytes());
    out.extend_from_slice(&r.prev_hash);
    out.extend_from_slice(&r.hash);
    out.extend_from_slice(&e.event_time.to_le_bytes());
    out.push(u8::from(e.read_only));
    put_str(out, Some(&e.event_id));
    put_str(out, Some(&e.event_name));
    put_str(out, e.account.as_deref());
    put_str(out, e.username.as_deref());
    put_str(out, e.access_key_id.as_deref());
    out.extend_from_slice(&(e.resources.len() as u32).to_le_bytes());
    for arn in &e.resources {
        put_str(out, Some(arn));
    }
    put_str(out, Some(&e.record));
    let len = (out.len() - start - FRAME_HEAD) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    let crc = checksum(generation, &out[start + FRAME_HEAD..]);
    out[start + 12..start + FRAME_HEAD].copy_from_slice(&crc.to_le_bytes());
}

fn checksum(generation: u64, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&generation.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// `None` is written as length `u32::MAX`.
fn put_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
}

/// The frame at `off` of generation `generation`: `None` at the end (too
/// short for a frame, or a frame of another generation), `Some((None, _))`
/// for a frame that does not decode or verify (torn), else its record and
/// the next frame's offset.
fn frame_at(bytes: &[u8], off: usize, generation: u64) -> Option<(Option<AuditRecord>, usize)> {
    let len = u32_at(bytes, off)? as usize;
    if u64_at(bytes, off + 4)? != generation {
        return None;
    }
    let start = off + FRAME_HEAD;
    let end = start.checked_add(len).filter(|&e| len <= MAX_PAYLOAD && e <= bytes.len());
    let Some(end) = end else { return Some((None, bytes.len())) };
    let payload = &bytes[start..end];
    if u32_at(bytes, off + 12)? != checksum(generation, payload) {
        return Some((None, end));
    }
    Some((decode(payload), end))
}

/// A payload's record, if it decodes whole and its hash is that of its
/// record after its `prev_hash`.
fn decode(p: &[u8]) -> Option<AuditRecord> {
    let mut r = Reader { p, at: 0 };
    let seq = r.u64()?;
    let prev_hash: Hash = r.take(32)?.try_into().ok()?;
    let hash: Hash = r.take(32)?.try_into().ok()?;
    let event_time = i64::from_le_bytes(r.take(8)?.try_into().ok()?);
    let read_only = match r.take(1)? {
        [0] => false,
        [1] => true,
        _ => return None,
    };
    let event_id = r.string()??;
    let event_name = r.string()??;
    let account = r.string()?;
    let username = r.string()?;
    let access_key_id = r.string()?;
    let n = r.u32()? as usize;
    let mut resources = Vec::with_capacity(n.min(64));
    for _ in 0..n {
        resources.push(r.string()??);
    }
    let record = r.string()??;
    if r.at != p.len() {
        return None;
    }
    let entry =
        AuditEntry { event_id, event_time, event_name, account, username, access_key_id, read_only, resources, record };
    let position = seq.checked_sub(1)?;
    let again = chain_owned(Some((position, prev_hash)), vec![entry]).pop()?;
    (again.hash == hash && again.seq == seq).then_some(again)
}

struct Reader<'a> {
    p: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.p.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    /// `Some(None)` for an absent string, `None` when it does not decode.
    fn string(&mut self) -> Option<Option<String>> {
        let n = self.u32()?;
        if n == u32::MAX {
            return Some(None);
        }
        let s = self.take(n as usize)?;
        Some(Some(std::str::from_utf8(s).ok()?.to_owned()))
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u32) -> AuditEntry {
        let event_id = format!("{n:08x}-aaaa-4bbb-8ccc-000000000000");
        AuditEntry {
            record: format!(r#"{{"eventID":"{event_id}","n":{n},"note":"✓ \"x\""}}"#),
            event_id,
            event_time: 1_700_000_000_000 + i64::from(n),
            event_name: "Encrypt".into(),
            account: (n % 3 != 2).then(|| "111122223333".into()),
            username: (n % 2 == 0).then(|| "root".into()),
            access_key_id: None,
            read_only: n % 2 == 1,
            resources: (0..n % 3).map(|i| format!("arn:aws:kms:us-east-1:111122223333:key/k{i}")).collect(),
        }
    }

    fn entries(range: std::ops::Range<u32>) -> Vec<AuditEntry> {
        range.map(entry).collect()
    }

    fn seqs(records: &[AuditRecord]) -> Vec<u64> {
        records.iter().map(|r| r.seq).collect()
    }

    #[test]
    fn appended_records_come_back_at_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(AUDIT_LOG_FILE);
        let mut log = AuditLog::open(&path, None).unwrap();
        let mut written = log.append(entries(0..3)).unwrap();
        written.extend(log.append(entries(3..4)).unwrap());
        assert_eq!(seqs(&written), [1, 2, 3, 4]);
        assert_eq!(log.pending, written);
        drop(log);
        let again = AuditLog::open(&path, None).unwrap();
        assert_eq!(again.pending, written, "every record, fields and hashes, in order");
        assert_eq!(again.head, Ok(Some((4, written[3].hash))));
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        drop(again);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        AuditLog::open(&path, None).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "tightened");
    }

    #[test]
    fn records_the_database_holds_are_skipped_and_the_rest_chain_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(AUDIT_LOG_FILE);
        let mut log = AuditLog::open(&path, None).unwrap();
        let written = log.append(entries(0..5)).unwrap();
        drop(log);
        let stored = Some((2, written[1].hash));
        let mut again = AuditLog::open(&path, stored).unwrap();
        assert_eq!(seqs(&again.pending), [3, 4, 5]);
        // The next append continues after the last record of the file.
        again.pending.clear();
        let more = again.append(entries(5..6)).unwrap();
        assert_eq!((more[0].seq, more[0].prev_hash), (6, written[4].hash));
    }

    #[test]
    fn a_torn_or_left_over_tail_ends_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(AUDIT_LOG_FILE);
        let mut log = AuditLog::open(&path, None).unwrap();
        let written = log.append(entries(0..3)).unwrap();
        let end = log.end;
        drop(log);
        // The next append cut short by a crash: its first frame whole, the
        // second not.
        let other = chain_owned(Some((3, written[2].hash)), entries(10..12));
        let mut buf = Vec::new();
        for r in &other {
            encode_frame(r, 1, &mut buf);
        }
        let mut one = Vec::new();
        encode_frame(&other[0], 1, &mut one);
        let first = one.len();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.write_all_at(&buf[..buf.len() - 7], end).unwrap();
        let again = AuditLog::open(&path, None).unwrap();
        assert_eq!(seqs(&again.pending), [1, 2, 3, 4]);
        assert_eq!(again.end, end + first as u64, "the next append overwrites the torn frame");
        // A byte of a frame's payload flipped: its CRC fails, the log ends there.
        let mut flipped = buf.clone();
        flipped[FRAME_HEAD + 40] ^= 1;
        file.write_all_at(&flipped, end).unwrap();
        assert_eq!(seqs(&AuditLog::open(&path, None).unwrap().pending), [1, 2, 3]);
        // Whole frames of a chain the file's records do not continue (an
        // append that failed, written over by a shorter one): not read.
        let stray = chain_owned(Some((3, [7; 32])), entries(20..22));
        let mut buf = Vec::new();
        for r in &stray {
            encode_frame(r, 1, &mut buf);
        }
        file.write_all_at(&buf, end).unwrap();
        assert_eq!(seqs(&AuditLog::open(&path, None).unwrap().pending), [1, 2, 3]);
    }

    #[test]
    fn a_new_generation_starts_at_the_beginning_and_hides_the_old_frames() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(AUDIT_LOG_FILE);
        let mut log = AuditLog::open(&path, None).unwrap();
        let written = log.append(entries(0..4)).unwrap();
        assert!(log.restart().is_err(), "never over records not yet in the database");
        let batch = log.take_pending();
        assert!(log.waiting() && log.restart().is_err(), "nor over records moving");
        let failed = log.append(entries(4..5)).unwrap();
        log.moved(batch.clone(), Err(log_error(&path, "test"))).unwrap_err();
        assert_eq!(log.pending, [batch, failed.clone()].concat(), "a failed move's records pending again, first");
        let batch = log.take_pending();
        log.moved(batch, Ok(())).unwrap();
        assert!(!log.waiting() && !log.full(), "small");
        let written = [written, failed].concat();
        log.restart().unwrap();
        let next = log.append(entries(5..6)).unwrap();
        assert_eq!((next[0].seq, next[0].prev_hash), (6, written[4].hash));
        drop(log);
        // The old generation's frames after the new one's are not read.
        let again = AuditLog::open(&path, Some((5, written[4].hash))).unwrap();
        assert_eq!(again.pending, next);
        assert_eq!(again.generation, 2);
    }

    #[test]
    fn a_file_that_is_not_a_log_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(AUDIT_LOG_FILE);
        std::fs::write(&path, b"SQLite format 3\0 and more").unwrap();
        let e = AuditLog::open(&path, None).err().unwrap();
        assert!(e.to_string().contains("not a Trent audit log"), "{e}");
    }

    #[test]
    fn an_unknown_head_fails_appends_until_it_is_set() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AuditLog::open(&dir.path().join(AUDIT_LOG_FILE), None).unwrap();
        log.set_head(Err("a change did not finish".into()));
        assert!(log.append(entries(0..1)).is_err());
        assert!(log.pending.is_empty());
        log.set_head(Ok(None));
        assert_eq!(seqs(&log.append(entries(0..1)).unwrap()), [1]);
    }

    #[test]
    fn a_failed_write_moves_nothing_and_the_next_append_writes_over_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(AUDIT_LOG_FILE);
        let mut log = AuditLog::open(&path, None).unwrap();
        let first = log.append(entries(0..2)).unwrap();
        let (end, writable) = (log.end, std::mem::replace(&mut log.file, File::open(&path).unwrap()));
        // A read-only handle: the write fails, as on a full disk.
        assert!(log.append(entries(2..4)).is_err());
        assert_eq!((log.end, log.pending.len(), log.head.clone()), (end, 2, Ok(Some((2, first[1].hash)))));
        log.file = writable;
        let next = log.append(entries(4..5)).unwrap();
        assert_eq!((next[0].seq, next[0].prev_hash), (3, first[1].hash), "the same seq, after the same record");
        drop(log);
        assert_eq!(seqs(&AuditLog::open(&path, None).unwrap().pending), [1, 2, 3]);
    }

    #[tokio::test]
    async fn the_appender_thread_appends_in_order_and_ends_with_its_handle() {
        let dir = tempfile::tempdir().unwrap();
        let log =
            std::sync::Arc::new(std::sync::Mutex::new(AuditLog::open(&dir.path().join(AUDIT_LOG_FILE), None).unwrap()));
        let appender = Appender::start(log.clone()).unwrap();
        let first = appender.append(entries(0..2)).await.unwrap();
        let next = appender.append(entries(2..3)).await.unwrap();
        assert_eq!(seqs(&first), [1, 2]);
        assert_eq!((next[0].seq, next[0].prev_hash), (3, first[1].hash));
        assert_eq!(log.lock().unwrap().pending, [first, next].concat(), "durable in the file, pending for the move");
        // Its failures come back as the log's.
        log.lock().unwrap().set_head(Err("test".into()));
        assert!(appender.append(entries(3..4)).await.is_err());
        // Without its handle the thread ends, and lets the log go.
        drop(appender);
        for _ in 0..500 {
            if std::sync::Arc::strong_count(&log) == 1 {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("the appender's thread still holds the log");
    }

    #[test]
    fn appends_fail_while_too_many_records_wait() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AuditLog::open(&dir.path().join(AUDIT_LOG_FILE), None).unwrap();
        log.append(entries(0..1)).unwrap();
        let waiting = log.pending[0].clone();
        log.pending.resize(MAX_PENDING, waiting);
        assert!(log.append(entries(1..2)).is_err());
        log.pending.clear();
        assert_eq!(seqs(&log.append(entries(1..2)).unwrap()), [2]);
    }
}
