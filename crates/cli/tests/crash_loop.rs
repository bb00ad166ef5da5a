//! Crash loop: the real `trent` binary on one SQLite data directory is
//! `kill -9`ed at a random moment while several clients drive mixed writes
//! (CreateKey, CreateAlias, PutKeyPolicy, CreateGrant, RotateKeyOnDemand,
//! DisableKey/EnableKey, ScheduleKeyDeletion/CancelKeyDeletion, Encrypt),
//! then restarted. After each kill the audit trail verifies offline
//! (`trent admin audit verify --data-dir`: what the cycle added, from the
//! last verified record with `--after`, and the whole trail every 50 cycles
//! and at the end); after each restart every acknowledged write is present
//! and every acknowledged ciphertext decrypts (or, where its key is no
//! longer enabled, is refused for that reason).
//!
//! A write whose answer was lost to the kill may or may not have happened:
//! the check accepts either outcome and adopts what the server has.
//!
//! `cargo test` runs 20 cycles. The long run (1,000 cycles; the seed is
//! printed, and `TRENT_CRASH_SEED` replays one):
//!
//! ```text
//! TRENT_CRASH_CYCLES=1000 cargo test --release -p trent-cli --test crash_loop -- --nocapture
//! ```

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{GrantOperation, KeyState};
use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;

const ACCOUNT: &str = "123456789012";
const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const ENV: [(&str, &str); 4] = [
    ("TRENT_BOOTSTRAP_ACCOUNT_ID", ACCOUNT),
    ("TRENT_BOOTSTRAP_ACCESS_KEY_ID", ACCESS_KEY),
    ("TRENT_BOOTSTRAP_SECRET_ACCESS_KEY", SECRET_KEY),
    ("TRENT_LOG", "error"),
];
/// Concurrent writers; each owns the keys it created, so the model needs no
/// ordering between them.
const WRITERS: usize = 3;
/// Stay under the limit on on-demand rotations of a key.
const MAX_ROTATIONS: u32 = 5;
/// Keys per writer at most, so that checking every key after each restart
/// stays linear in the number of cycles.
const MAX_KEYS: usize = 30;

/// xorshift64*: reproducible from the printed seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the clients know about one key: acknowledged facts, plus the
/// outcome of a write whose answer was lost (`maybe_*`).
#[derive(Debug)]
struct Key {
    id: String,
    owner: usize,
    state: KeyState,
    maybe_state: Option<KeyState>,
    aliases: BTreeSet<String>,
    maybe_aliases: BTreeSet<String>,
    /// The `Id` of the acknowledged key policy (None: the default policy).
    policy: Option<String>,
    maybe_policy: Option<String>,
    grants: BTreeSet<String>,
    rotations: u32,
    maybe_rotations: u32,
    /// (ciphertext, plaintext, checked after a restart yet)
    ciphertexts: Vec<(Vec<u8>, Vec<u8>, bool)>,
}

#[derive(Default)]
struct Model {
    keys: Vec<Key>,
    /// Counter for unique alias names and policy ids.
    serial: u64,
    acknowledged: u64,
    /// Writes refused with a 4xx answer, by error code.
    refused: std::collections::BTreeMap<String, u64>,
    lost: u64,
}

struct Running {
    child: Child,
    endpoint: String,
}

fn start(data_dir: &Path) -> Running {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trent"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("TRENT_CONFIG")
        .envs(ENV)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    // Read stdout to its end: a closed pipe would fail the server's next print.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let endpoint = loop {
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("trent printed its endpoint");
        if let Some(url) = line.strip_prefix("Trent listening on ") {
            break url.to_owned();
        }
    };
    Running { child, endpoint }
}

fn client(endpoint: &str) -> aws_sdk_kms::Client {
    let conf = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
        .retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_sdk_kms::config::timeout::TimeoutConfig::builder().operation_timeout(Duration::from_secs(30)).build(),
        )
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

/// How a write ended.
enum Outcome<T> {
    Done(T),
    /// Refused with an answer (its error code): it did not happen.
    Refused(String),
    /// No answer (the server died): it may or may not have happened.
    Lost,
}

fn outcome<T, E: ProvideErrorMetadata>(
    r: Result<T, SdkError<E, aws_sdk_kms::config::http::HttpResponse>>,
) -> Outcome<T> {
    match r {
        Ok(v) => Outcome::Done(v),
        Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() < 500 => {
            Outcome::Refused(e.err().code().unwrap_or("?").to_owned())
        }
        Err(_) => Outcome::Lost,
    }
}

fn policy(id: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Id": id,
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
            "Action": "kms:*",
            "Resource": "*",
        }],
    })
    .to_string()
}

/// One writer: random writes on its own keys until a write is lost (the
/// server is gone).
async fn writer(kms: aws_sdk_kms::Client, model: Arc<Mutex<Model>>, owner: usize, mut rng: Rng) {
    loop {
        let (pick, serial) = {
            let mut m = model.lock().unwrap();
            m.serial += 1;
            let mine: Vec<usize> = (0..m.keys.len()).filter(|&i| m.keys[i].owner == owner).collect();
            let create = mine.len() < 2 || (mine.len() < MAX_KEYS && rng.below(10) == 0);
            let pick = if create { None } else { Some(mine[rng.below(mine.len() as u64) as usize]) };
            (pick, m.serial)
        };
        let answer = match pick {
            None => match outcome(kms.create_key().description(format!("crash-loop {owner}")).send().await) {
                Outcome::Done(out) => {
                    let id = out.key_metadata().unwrap().key_id().to_owned();
                    let mut m = model.lock().unwrap();
                    m.keys.push(Key {
                        id,
                        owner,
                        state: KeyState::Enabled,
                        maybe_state: None,
                        aliases: BTreeSet::new(),
                        maybe_aliases: BTreeSet::new(),
                        policy: None,
                        maybe_policy: None,
                        grants: BTreeSet::new(),
                        rotations: 0,
                        maybe_rotations: 0,
                        ciphertexts: Vec::new(),
                    });
                    Answer::Acknowledged
                }
                Outcome::Refused(code) => panic!("CreateKey refused: {code}"),
                Outcome::Lost => Answer::Lost,
            },
            Some(i) => write_one(&kms, &model, i, serial, &mut rng).await,
        };
        let mut m = model.lock().unwrap();
        match answer {
            Answer::Acknowledged => m.acknowledged += 1,
            Answer::Refused(code) => *m.refused.entry(code).or_default() += 1,
            Answer::Lost => {
                m.lost += 1;
                return;
            }
        }
    }
}

/// How a write ended, without its value.
enum Answer {
    Acknowledged,
    Refused(String),
    Lost,
}

/// One random write on key `i`.
async fn write_one(kms: &aws_sdk_kms::Client, model: &Mutex<Model>, i: usize, serial: u64, rng: &mut Rng) -> Answer {
    let (id, state, rotations) = {
        let m = model.lock().unwrap();
        (m.keys[i].id.clone(), m.keys[i].state.clone(), m.keys[i].rotations)
    };
    let choice = rng.below(8);
    macro_rules! apply {
        ($result:expr, |$k:ident, $v:ident| $done:block, |$lk:ident| $lost:block) => {
            match outcome($result) {
                Outcome::Done($v) => {
                    let mut m = model.lock().unwrap();
                    let $k = &mut m.keys[i];
                    $done;
                    Answer::Acknowledged
                }
                Outcome::Refused(code) => Answer::Refused(code),
                Outcome::Lost => {
                    let mut m = model.lock().unwrap();
                    let $lk = &mut m.keys[i];
                    $lost;
                    Answer::Lost
                }
            }
        };
    }
    match (state, choice) {
        (KeyState::PendingDeletion, _) => {
            apply!(kms.cancel_key_deletion().key_id(&id).send().await, |k, _v| { k.state = KeyState::Disabled }, |k| {
                k.maybe_state = Some(KeyState::Disabled)
            })
        }
        (KeyState::Enabled, 0..=2) => {
            let plaintext = format!("crash-loop plaintext {serial}").into_bytes();
            apply!(
                kms.encrypt().key_id(&id).plaintext(Blob::new(plaintext.clone())).send().await,
                |k, v| { k.ciphertexts.push((v.ciphertext_blob().unwrap().as_ref().to_vec(), plaintext, false)) },
                |_k| {}
            )
        }
        (KeyState::Enabled, 3) if rotations + 1 < MAX_ROTATIONS => {
            apply!(kms.rotate_key_on_demand().key_id(&id).send().await, |k, _v| { k.rotations += 1 }, |k| {
                k.maybe_rotations += 1
            })
        }
        (KeyState::Enabled, 4) => {
            apply!(kms.disable_key().key_id(&id).send().await, |k, _v| { k.state = KeyState::Disabled }, |k| {
                k.maybe_state = Some(KeyState::Disabled)
            })
        }
        (KeyState::Disabled, 4 | 3) => {
            apply!(kms.enable_key().key_id(&id).send().await, |k, _v| { k.state = KeyState::Enabled }, |k| {
                k.maybe_state = Some(KeyState::Enabled)
            })
        }
        (_, 5) => {
            let alias = format!("alias/crash-{serial}");
            apply!(
                kms.create_alias().alias_name(&alias).target_key_id(&id).send().await,
                |k, _v| { k.aliases.insert(alias) },
                |k| { k.maybe_aliases.insert(alias) }
            )
        }
        (_, 6) => {
            let pid = format!("crash-{serial}");
            apply!(
                kms.put_key_policy().key_id(&id).policy_name("default").policy(policy(&pid)).send().await,
                |k, _v| { k.policy = Some(pid) },
                |k| { k.maybe_policy = Some(pid) }
            )
        }
        (_, 7) if rng.below(4) == 0 => apply!(
            kms.schedule_key_deletion().key_id(&id).pending_window_in_days(30).send().await,
            |k, _v| { k.state = KeyState::PendingDeletion },
            |k| { k.maybe_state = Some(KeyState::PendingDeletion) }
        ),
        _ => apply!(
            kms.create_grant()
                .key_id(&id)
                .grantee_principal(format!("arn:aws:iam::{ACCOUNT}:root"))
                .operations(GrantOperation::Decrypt)
                .send()
                .await,
            |k, v| { k.grants.insert(v.grant_id().unwrap().to_owned()) },
            |_k| {}
        ),
    }
}

/// After a restart: every acknowledged write is there; a lost one either is
/// or is not, and what the server has becomes the model.
async fn check(kms: &aws_sdk_kms::Client, model: &Mutex<Model>, rng: &mut Rng) -> usize {
    let keys: Vec<String> = model.lock().unwrap().keys.iter().map(|k| k.id.clone()).collect();
    let mut decrypted = 0;
    for (i, id) in keys.iter().enumerate() {
        let md = kms.describe_key().key_id(id).send().await.unwrap();
        let state = md.key_metadata().unwrap().key_state().unwrap().clone();
        let policy_text = kms.get_key_policy().key_id(id).policy_name("default").send().await.unwrap();
        let policy_id = serde_json::from_str::<serde_json::Value>(policy_text.policy().unwrap()).unwrap()["Id"]
            .as_str()
            .map(str::to_owned);
        let aliases: Vec<_> = kms.list_aliases().key_id(id).into_paginator().items().send().collect().await;
        let aliases: BTreeSet<String> = aliases.into_iter().map(|a| a.unwrap().alias_name.unwrap()).collect();
        let grants: Vec<_> = kms.list_grants().key_id(id).into_paginator().items().send().collect().await;
        let grants: BTreeSet<String> = grants.into_iter().map(|g| g.unwrap().grant_id.unwrap()).collect();
        let rotations: Vec<_> = kms.list_key_rotations().key_id(id).into_paginator().items().send().collect().await;
        let rotations = rotations.into_iter().map(Result::unwrap).count() as u32;

        let samples = {
            let mut m = model.lock().unwrap();
            let k = &mut m.keys[i];
            assert!(state == k.state || Some(&state) == k.maybe_state.as_ref(), "{id}: {state:?}, model {k:?}");
            k.state = state.clone();
            k.maybe_state = None;
            let expected = "key-default-1".to_owned();
            let acked = k.policy.clone().unwrap_or(expected);
            let ok = policy_id.as_deref() == Some(acked.as_str())
                || (k.policy.is_none() && policy_id.is_none())
                || (k.maybe_policy.is_some() && policy_id == k.maybe_policy);
            assert!(ok, "{id}: policy {policy_id:?}, model {k:?}");
            if policy_id.as_deref().is_some_and(|p| p.starts_with("crash-")) {
                k.policy = policy_id;
            }
            k.maybe_policy = None;
            assert!(aliases.is_superset(&k.aliases), "{id}: aliases {aliases:?}, model {k:?}");
            let allowed: BTreeSet<String> = k.aliases.union(&k.maybe_aliases).cloned().collect();
            assert!(aliases.is_subset(&allowed), "{id}: aliases {aliases:?}, model {k:?}");
            k.aliases = aliases;
            k.maybe_aliases.clear();
            assert!(grants.is_superset(&k.grants), "{id}: grants {grants:?}, model {k:?}");
            assert!(
                (k.rotations..=k.rotations + k.maybe_rotations).contains(&rotations),
                "{id}: {rotations} rotations, model {k:?}"
            );
            k.rotations = rotations;
            k.maybe_rotations = 0;
            // Every ciphertext not checked yet, and a few older ones.
            let mut samples = Vec::new();
            for (ct, pt, checked) in k.ciphertexts.iter_mut() {
                if !*checked || rng.below(20) == 0 {
                    samples.push((ct.clone(), pt.clone()));
                    *checked = true;
                }
            }
            samples
        };
        for (ct, pt) in samples {
            let r = kms.decrypt().ciphertext_blob(Blob::new(ct)).send().await;
            match state {
                KeyState::Enabled => {
                    assert_eq!(r.unwrap().plaintext().unwrap().as_ref(), pt.as_slice(), "{id}");
                    decrypted += 1;
                }
                _ => {
                    let e = r.unwrap_err().into_service_error();
                    assert!(e.is_disabled_exception() || e.is_kms_invalid_state_exception(), "{id}: {e:?}");
                }
            }
        }
    }
    let listed: Vec<_> = kms.list_keys().into_paginator().items().send().collect().await;
    let listed = listed.into_iter().map(Result::unwrap).count();
    assert!(listed >= keys.len(), "{listed} keys listed, {} acknowledged", keys.len());
    decrypted
}

/// Where the last verification ended: `--after` for the next.
type Head = Option<(u64, String)>;

/// `trent admin audit verify --data-dir`: the whole trail (`head` None), or
/// what followed the head of the last verification. Returns the new head.
fn audit_verifies(data_dir: &Path, head: &Head) -> Head {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trent"));
    cmd.args(["admin", "audit", "verify", "--data-dir"]).arg(data_dir).env_remove("TRENT_CONFIG");
    if let Some((seq, hash)) = head {
        cmd.arg("--after").arg(format!("{seq}:{hash}"));
    }
    let out = cmd.output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert!(
        out.status.success() && report.get("Problem").is_none() && report.is_object(),
        "audit verify after a kill: {report} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seq = report["LastSeq"].as_u64().unwrap();
    Some((seq, report["LastHash"].as_str().unwrap().to_owned()))
}

/// Encrypt events that succeeded, read with `trent admin audit export`.
fn encrypt_events(endpoint: &str) -> usize {
    support::exported_events(endpoint, "Encrypt", ACCESS_KEY, SECRET_KEY)
        .iter()
        .filter(|l| !l.contains("\"errorCode\""))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_at_random_points() {
    let cycles: u64 = std::env::var("TRENT_CRASH_CYCLES").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let seed: u64 = std::env::var("TRENT_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    eprintln!("crash loop: {cycles} cycles, TRENT_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let model = Arc::new(Mutex::new(Model::default()));
    let began = Instant::now();
    let mut decrypted = 0;
    let mut head: Head = None;
    for cycle in 0..cycles {
        let mut run = start(&dir);
        let kms = client(&run.endpoint);
        decrypted += check(&kms, &model, &mut rng).await;
        let writers: Vec<_> = (0..WRITERS)
            .map(|owner| tokio::spawn(writer(kms.clone(), model.clone(), owner, Rng(rng.next() | 1))))
            .collect();
        // Kill at a random point: sometimes at once, mostly mid-stream.
        tokio::time::sleep(Duration::from_millis(rng.below(400))).await;
        run.child.kill().unwrap(); // SIGKILL
        run.child.wait().unwrap();
        for w in writers {
            w.await.unwrap();
        }
        // What each kill added, from where the last check ended; the whole
        // trail every 50 cycles and at the end, which must end at the same
        // record with the same hash.
        head = audit_verifies(&dir, &head);
        if cycle % 50 == 49 || cycle + 1 == cycles {
            assert_eq!(audit_verifies(&dir, &None), head, "a full walk and the walks since agree");
        }
        if cycle % 50 == 49 {
            let m = model.lock().unwrap();
            eprintln!("cycle {}: {} keys, {} acknowledged writes", cycle + 1, m.keys.len(), m.acknowledged);
        }
    }
    // The last kill's writes, checked once more.
    let mut run = start(&dir);
    decrypted += check(&client(&run.endpoint), &model, &mut rng).await;
    // Every acknowledged Encrypt left its event (on SQLite the group commit
    // appends to the audit log file, whose records a restart recovers).
    let encrypts = encrypt_events(&run.endpoint);
    let acknowledged: usize = model.lock().unwrap().keys.iter().map(|k| k.ciphertexts.len()).sum();
    assert!(acknowledged > 0, "no Encrypt was acknowledged: the check below would prove nothing");
    assert!(encrypts >= acknowledged, "{encrypts} Encrypt events for {acknowledged} acknowledged Encrypts");
    run.child.kill().unwrap();
    run.child.wait().unwrap();
    let m = model.lock().unwrap();
    eprintln!(
        "crash loop: {cycles} kill -9 cycles in {:.1}s: {} keys, {} acknowledged writes all present, refused {:?}, \
         {} lost to a kill, {decrypted} ciphertext decryptions checked, audit trail intact after every kill, \
         {acknowledged} acknowledged Encrypts all in it",
        began.elapsed().as_secs_f64(),
        m.keys.len(),
        m.acknowledged,
        m.refused,
        m.lost,
    );
    assert!(m.acknowledged > cycles, "the writers did write");
}
