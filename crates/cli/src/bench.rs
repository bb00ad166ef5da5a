//! `trent bench`: a load generator that speaks the KMS API to any endpoint
//! (Trent or another), like `redis-benchmark` for Redis.
//!
//! Every request is SigV4-signed with `aws-sigv4`, as a stock client signs
//! it; connections are kept alive (one HTTP/1.1 pool shared by the workers).
//! It creates the keys it needs (or takes them from `--keys-file`), runs a
//! warm-up, then `concurrency` workers for the duration (or request count),
//! closed-loop or at a fixed offered rate (`--rate`), one operation or a
//! weighted mix, and reports requests/s, latency percentiles, errors by code
//! and bytes; finally it schedules the keys it created for deletion (the
//! shortest window, 7 days).
//!
//! For a soak run, `--watch-pid` samples a local server process's resident
//! memory and open file descriptors from `/proc/PID` during the measured
//! phase (Linux) and reports them beside the latencies, so that a long run
//! at a fixed rate shows whether either grows after warm-up
//! (`scripts/soak` drives one).

use crate::client::{error_code, Connection, Target};
use base64::Engine as _;
use std::collections::BTreeMap;
use std::future::Future;
use std::hash::{BuildHasher as _, Hasher as _, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The operations `trent bench` can drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Op {
    /// Encrypt `--size` bytes (SYMMETRIC_DEFAULT, or RSA_* with RSAES_OAEP_SHA_256).
    Encrypt,
    /// Decrypt a ciphertext of `--size` bytes.
    Decrypt,
    /// ReEncrypt a ciphertext of `--size` bytes under the same key.
    ReEncrypt,
    /// GenerateDataKey with KeySpec AES_256.
    GenerateDataKey,
    /// GenerateRandom of `--size` bytes (at most 1024).
    GenerateRandom,
    /// DescribeKey.
    DescribeKey,
    /// Sign (ECC_NIST_P256 unless --key-spec): a digest of the key's hash
    /// size for ECDSA and RSA, `--size` bytes for ML-DSA and Ed25519.
    Sign,
    /// Verify a signature made as Sign makes it.
    Verify,
    /// GenerateMac over `--size` bytes (HMAC_256 unless --key-spec).
    GenerateMac,
}

impl Op {
    fn target(self) -> &'static str {
        match self {
            Op::Encrypt => "TrentService.Encrypt",
            Op::Decrypt => "TrentService.Decrypt",
            Op::ReEncrypt => "TrentService.ReEncrypt",
            Op::GenerateDataKey => "TrentService.GenerateDataKey",
            Op::GenerateRandom => "TrentService.GenerateRandom",
            Op::DescribeKey => "TrentService.DescribeKey",
            Op::Sign => "TrentService.Sign",
            Op::Verify => "TrentService.Verify",
            Op::GenerateMac => "TrentService.GenerateMac",
        }
    }

    fn default_spec(self) -> &'static str {
        match self {
            Op::Sign | Op::Verify => "ECC_NIST_P256",
            Op::GenerateMac => "HMAC_256",
            _ => "SYMMETRIC_DEFAULT",
        }
    }
}

/// How one operation is asked of keys of one spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Flavor {
    usage: &'static str,
    /// EncryptionAlgorithm, SigningAlgorithm or MacAlgorithm, when the
    /// operation names one.
    algorithm: Option<&'static str>,
    /// For Sign and Verify: `Some(n)` signs an n-byte digest (MessageType
    /// DIGEST); `None` signs `--size` bytes of message (RAW).
    digest: Option<usize>,
}

/// The flavor of `op` on `spec`, or why the pair makes no sense.
fn flavor(op: Op, spec: &str) -> Result<Flavor, String> {
    let f = |usage, algorithm, digest| Ok(Flavor { usage, algorithm, digest });
    let rsa = spec.starts_with("RSA_");
    match (op, spec) {
        (Op::GenerateRandom, _) => f("", None, None),
        (Op::Encrypt | Op::Decrypt | Op::ReEncrypt | Op::DescribeKey, "SYMMETRIC_DEFAULT") => {
            f("ENCRYPT_DECRYPT", None, None)
        }
        (Op::Encrypt | Op::Decrypt | Op::ReEncrypt, _) if rsa => f("ENCRYPT_DECRYPT", Some("RSAES_OAEP_SHA_256"), None),
        (Op::GenerateDataKey, "SYMMETRIC_DEFAULT") => f("ENCRYPT_DECRYPT", None, None),
        (Op::GenerateMac | Op::DescribeKey, s) if s.starts_with("HMAC_") => {
            let alg = match s {
                "HMAC_224" => "HMAC_SHA_224",
                "HMAC_256" => "HMAC_SHA_256",
                "HMAC_384" => "HMAC_SHA_384",
                "HMAC_512" => "HMAC_SHA_512",
                _ => return Err(format!("unknown key spec {s}")),
            };
            f("GENERATE_VERIFY_MAC", Some(alg), None)
        }
        (Op::DescribeKey, _) if rsa => f("ENCRYPT_DECRYPT", None, None),
        (Op::Sign | Op::Verify | Op::DescribeKey, s) => match s {
            "ECC_NIST_P256" | "ECC_SECG_P256K1" => f("SIGN_VERIFY", Some("ECDSA_SHA_256"), Some(32)),
            "ECC_NIST_P384" => f("SIGN_VERIFY", Some("ECDSA_SHA_384"), Some(48)),
            "ECC_NIST_P521" => f("SIGN_VERIFY", Some("ECDSA_SHA_512"), Some(64)),
            "RSA_2048" | "RSA_3072" | "RSA_4096" => f("SIGN_VERIFY", Some("RSASSA_PSS_SHA_256"), Some(32)),
            "ML_DSA_44" | "ML_DSA_65" | "ML_DSA_87" => f("SIGN_VERIFY", Some("ML_DSA_SHAKE_256"), None),
            "ECC_NIST_EDWARDS25519" => f("SIGN_VERIFY", Some("ED25519_SHA_512"), None),
            _ => Err(format!("{op:?} does not take key spec {s}")),
        },
        _ => Err(format!("{op:?} does not take key spec {spec}")),
    }
}

/// One entry of `--mix`: `operation:weight`.
#[derive(Clone, Copy, Debug)]
pub struct Weighted(Op, u32);

fn parse_weighted(s: &str) -> Result<Weighted, String> {
    use clap::ValueEnum as _;
    let (op, w) = s.split_once(':').unwrap_or((s, "1"));
    let op = Op::from_str(op, true).map_err(|_| format!("unknown operation {op:?}"))?;
    let w: u32 = w.parse().map_err(|_| format!("weight {w:?} is not a whole number"))?;
    if w == 0 {
        return Err("a weight must be at least 1".into());
    }
    Ok(Weighted(op, w))
}

/// `trent bench` options.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    connection: Connection,
    /// Operation.
    #[arg(long, value_enum, default_value = "encrypt", conflicts_with = "mix")]
    op: Op,
    /// A weighted mix instead of one operation, e.g.
    /// `encrypt:8,decrypt:8,generate-data-key:3,sign:1`; each operation uses
    /// its default key spec and its own requests of the same keys.
    #[arg(long, value_delimiter = ',', value_parser = parse_weighted)]
    mix: Vec<Weighted>,
    /// Key spec of the keys the operation uses (default: SYMMETRIC_DEFAULT,
    /// ECC_NIST_P256 for sign/verify, HMAC_256 for generate-mac).
    #[arg(long, conflicts_with = "mix")]
    key_spec: Option<String>,
    /// Plaintext or message size in bytes (Encrypt, Decrypt, ReEncrypt,
    /// GenerateRandom, GenerateMac, RAW Sign/Verify).
    #[arg(long, default_value_t = 100)]
    size: usize,
    /// Keys to create and spread requests over, uniformly.
    #[arg(long, default_value_t = 1, conflicts_with = "keys_file")]
    keys: usize,
    /// Use the keys listed in this file (one key id or ARN per line) instead
    /// of creating them; they are not deleted afterwards.
    #[arg(long)]
    keys_file: Option<std::path::PathBuf>,
    /// Write the ARNs of the keys created to this file and keep the keys
    /// (for a later run's --keys-file).
    #[arg(long, conflicts_with = "keys_file")]
    save_keys: Option<std::path::PathBuf>,
    /// Requests in flight (at most).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Offered load in requests/s (open loop): request n is due at n/rate
    /// seconds and its latency counts from then, so a slow answer delays no
    /// measurement. Without it every worker sends its next request when its
    /// answer arrives (closed loop).
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds to measure.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Stop after this many requests instead (still bounded by --duration).
    #[arg(long)]
    requests: Option<u64>,
    /// Seconds of warm-up, not measured.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
    /// Leave the created keys instead of scheduling their deletion.
    #[arg(long)]
    keep_keys: bool,
    /// A new connection (and, over https, a full TLS handshake) for every
    /// request instead of keep-alive connections.
    #[arg(long)]
    no_keep_alive: bool,
    /// Sample this local process's resident memory (VmRSS) and open file
    /// descriptors from /proc/PID during the measured phase (Linux only).
    #[arg(long)]
    watch_pid: Option<u32>,
    /// Seconds between two samples of --watch-pid.
    #[arg(long, default_value_t = 5, requires = "watch_pid")]
    sample_interval: u64,
    /// Send nothing: write --requests (default 1,000) requests of the
    /// workload, signed now, to this file for a faster load generator to
    /// replay within SigV4's five minutes (`wrk -s bench/wrk-replay.lua
    /// ENDPOINT -- FILE`). One request a line: its signed headers as
    /// `name: value`, then its body, separated by tabs. The keys are kept.
    #[arg(long, conflicts_with_all = ["rate", "watch_pid", "save_keys"])]
    presign: Option<std::path::PathBuf>,
}

/// One reading of a watched process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sample {
    /// Seconds since the measured phase began.
    at_s: u64,
    /// Resident set size (VmRSS), KiB.
    rss_kib: u64,
    /// Entries of /proc/PID/fd.
    fds: u64,
}

/// Reads VmRSS and the open descriptors of `pid` under `proc_root`
/// (`/proc`); an error when the process is gone or unreadable.
fn sample_process(proc_root: &std::path::Path, pid: u32, at_s: u64) -> Result<Sample, String> {
    let dir = proc_root.join(pid.to_string());
    let status = std::fs::read_to_string(dir.join("status")).map_err(|e| format!("process {pid}: {e}"))?;
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("process {pid}: no VmRSS in its status"))?;
    let fds = std::fs::read_dir(dir.join("fd")).map_err(|e| format!("process {pid}: {e}"))?.count() as u64;
    Ok(Sample { at_s, rss_kib, fds })
}

/// Samples `pid` every `interval` until `stop`; the first sample is taken
/// at once (the end of warm-up), the last when stopped.
async fn watch(pid: u32, interval: Duration, stop: Arc<AtomicBool>) -> Result<Vec<Sample>, String> {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let root = std::path::Path::new("/proc");
    loop {
        out.push(sample_process(root, pid, t0.elapsed().as_secs())?);
        let next = Instant::now() + interval;
        while Instant::now() < next {
            if stop.load(Ordering::Relaxed) {
                out.push(sample_process(root, pid, t0.elapsed().as_secs())?);
                return Ok(out);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The samples as reported: first (after warm-up), max and last of each
/// measure, and every sample.
fn process_json(pid: u32, samples: &[Sample]) -> serde_json::Value {
    let stats = |f: fn(&Sample) -> u64| {
        serde_json::json!({
            "first": samples.first().map(f),
            "max": samples.iter().map(f).max(),
            "last": samples.last().map(f),
        })
    };
    serde_json::json!({
        "pid": pid,
        "rss_kib": stats(|s| s.rss_kib),
        "fds": stats(|s| s.fds),
        "samples": samples.iter().map(|s| serde_json::json!([s.at_s, s.rss_kib, s.fds])).collect::<Vec<_>>(),
    })
}

/// The requests of one operation: one body per key, taken in turn.
struct Stream {
    op: Op,
    weight: u32,
    bodies: Vec<Vec<u8>>,
    next: AtomicUsize,
}

impl Stream {
    fn next_body(&self) -> Vec<u8> {
        self.bodies[self.next.fetch_add(1, Ordering::Relaxed) % self.bodies.len()].clone()
    }
}

/// What is sent: the streams, and which stream request n belongs to.
struct Workload {
    streams: Vec<Stream>,
    /// Stream indexes in a smooth weighted order; request n takes
    /// `schedule[n % len]`.
    schedule: Vec<usize>,
}

/// Smooth weighted round robin: each stream appears `weight` times per
/// cycle, spread out (weights 3, 1 give 0 0 1 0, not 0 0 0 1).
fn schedule(weights: &[u32]) -> Vec<usize> {
    let total: i64 = weights.iter().map(|w| i64::from(*w)).sum();
    let mut current = vec![0i64; weights.len()];
    let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for _ in 0..total {
        for (c, w) in current.iter_mut().zip(weights) {
            *c += i64::from(*w);
        }
        let (best, _) = current.iter().enumerate().max_by_key(|(i, c)| (**c, std::cmp::Reverse(*i))).unwrap_or((0, &0));
        current[best] -= total;
        out.push(best);
    }
    out
}

/// Runs `f(0..n)` with at most `concurrency` at a time, results in order;
/// stops at the first error. Shows progress for long runs.
async fn parallel<T, F, Fut>(n: usize, concurrency: usize, what: &str, f: F) -> Result<Vec<T>, String>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, String>> + Send + 'static,
{
    let f = Arc::new(f);
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    let out: Arc<Mutex<Vec<Option<T>>>> = Arc::new(Mutex::new((0..n).map(|_| None).collect()));
    let mut workers = Vec::new();
    for _ in 0..concurrency.clamp(1, n.max(1)) {
        let (f, next, failed, out) = (f.clone(), next.clone(), failed.clone(), out.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n || failed.load(Ordering::Relaxed) {
                    return Ok(());
                }
                match f(i).await {
                    Ok(v) => out.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[i] = Some(v),
                    Err(e) => {
                        failed.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
        }));
    }
    let show = n >= 10_000;
    while show && workers.iter().any(|w| !w.is_finished()) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        eprint!("\r  {what}: {} of {n}", next.load(Ordering::Relaxed).min(n));
    }
    if show {
        eprintln!();
    }
    for w in workers {
        w.await.map_err(|e| format!("{what}: {e}"))??;
    }
    let out = std::mem::take(&mut *out.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    out.into_iter().map(|v| v.ok_or_else(|| format!("{what}: missing result"))).collect()
}

/// Creates `n` keys of `spec` for `usage`; their ARNs.
async fn create_keys(
    target: &Arc<Target>,
    spec: &str,
    usage: &str,
    n: usize,
    concurrency: usize,
) -> Result<Vec<String>, String> {
    let body = serde_json::json!({"Description": "trent bench", "KeySpec": spec, "KeyUsage": usage});
    let t = target.clone();
    parallel(n, concurrency, "creating keys", move |_| {
        let (t, body) = (t.clone(), body.clone());
        async move {
            let v = t.must("TrentService.CreateKey", body).await?;
            Ok(v["KeyMetadata"]["Arn"].as_str().ok_or("CreateKey: no Arn")?.to_owned())
        }
    })
    .await
}

/// One body per key for `op` in `flavor`; Decrypt, ReEncrypt and Verify
/// first make the ciphertext or signature they send (one call per key).
async fn bodies(
    target: &Arc<Target>,
    op: Op,
    flavor: Flavor,
    keys: &Arc<Vec<String>>,
    size: usize,
    concurrency: usize,
) -> Result<Vec<Vec<u8>>, String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64.encode(vec![0x5au8; size]);
    let message = match flavor.digest {
        Some(n) => (b64.encode(vec![0x5au8; n]), "DIGEST"),
        None => (payload.clone(), "RAW"),
    };
    let to_bytes = |v: serde_json::Value| v.to_string().into_bytes();
    let with_alg = |mut v: serde_json::Value, member: &str| {
        if let Some(a) = flavor.algorithm {
            v[member] = a.into();
        }
        v
    };
    let encrypt = |k: &str| with_alg(serde_json::json!({"KeyId": k, "Plaintext": payload}), "EncryptionAlgorithm");
    let sign = |k: &str| {
        with_alg(serde_json::json!({"KeyId": k, "Message": message.0, "MessageType": message.1}), "SigningAlgorithm")
    };
    Ok(match op {
        Op::Encrypt => keys.iter().map(|k| to_bytes(encrypt(k))).collect(),
        Op::GenerateDataKey => {
            keys.iter().map(|k| to_bytes(serde_json::json!({"KeyId": k, "KeySpec": "AES_256"}))).collect()
        }
        Op::GenerateRandom => vec![to_bytes(serde_json::json!({"NumberOfBytes": size}))],
        Op::DescribeKey => keys.iter().map(|k| to_bytes(serde_json::json!({"KeyId": k}))).collect(),
        Op::Sign => keys.iter().map(|k| to_bytes(sign(k))).collect(),
        Op::GenerateMac => keys
            .iter()
            .map(|k| to_bytes(with_alg(serde_json::json!({"KeyId": k, "Message": payload}), "MacAlgorithm")))
            .collect(),
        Op::Decrypt | Op::ReEncrypt | Op::Verify => {
            // The first call of each key makes what the measured one sends.
            let (first, member) = match op {
                Op::Verify => ("TrentService.Sign", "Signature"),
                _ => ("TrentService.Encrypt", "CiphertextBlob"),
            };
            let requests: Arc<Vec<serde_json::Value>> =
                Arc::new(keys.iter().map(|k| if op == Op::Verify { sign(k) } else { encrypt(k) }).collect());
            let (t, keys) = (target.clone(), keys.clone());
            parallel(keys.len(), concurrency, "preparing requests", move |i| {
                let (t, keys, requests) = (t.clone(), keys.clone(), requests.clone());
                async move {
                    let v = t.must(first, requests[i].clone()).await?;
                    let made = v[member].as_str().ok_or(format!("{first}: no {member}"))?;
                    let mut body = match op {
                        Op::Verify => requests[i].clone(),
                        Op::Decrypt => serde_json::json!({"CiphertextBlob": made}),
                        _ => serde_json::json!({"CiphertextBlob": made, "DestinationKeyId": keys[i]}),
                    };
                    if let Some(a) = flavor.algorithm {
                        match op {
                            Op::Verify => body["Signature"] = made.into(),
                            Op::Decrypt => {
                                // An asymmetric Decrypt names its key.
                                body["KeyId"] = keys[i].clone().into();
                                body["EncryptionAlgorithm"] = a.into();
                            }
                            _ => {
                                body["SourceEncryptionAlgorithm"] = a.into();
                                body["DestinationEncryptionAlgorithm"] = a.into();
                            }
                        }
                    }
                    Ok(body.to_string().into_bytes())
                }
            })
            .await?
        }
    })
}

/// Key ids or ARNs from a file, one per line.
fn read_keys(path: &std::path::Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let keys: Vec<String> = text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    if keys.is_empty() {
        return Err(format!("{}: no keys", path.display()));
    }
    Ok(keys)
}

/// Runs the benchmark; prints the report.
pub async fn run(args: BenchArgs) -> Result<(), String> {
    // No idle connection kept: each request opens its own.
    let idle = if args.no_keep_alive { 0 } else { args.concurrency.max(1) };
    let target = Arc::new(args.connection.target(idle).await?);
    if args.keys == 0 || args.concurrency == 0 {
        return Err("--keys and --concurrency must be at least 1".into());
    }
    if args.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        return Err("--rate must be a positive number of requests per second".into());
    }
    let ops: Vec<Weighted> = if args.mix.is_empty() { vec![Weighted(args.op, 1)] } else { args.mix.clone() };
    if ops.iter().any(|w| w.0 == Op::GenerateRandom) && !(1..=1024).contains(&args.size) {
        return Err("GenerateRandom takes --size 1 to 1024".into());
    }
    // Each operation's flavor; operations of the same key spec and usage
    // share their keys.
    let mut plans = Vec::with_capacity(ops.len());
    for w in &ops {
        let spec = args.key_spec.clone().unwrap_or_else(|| w.0.default_spec().to_owned());
        plans.push((w.0, w.1, flavor(w.0, &spec)?, spec));
    }
    let listed = args.keys_file.as_deref().map(read_keys).transpose()?.map(Arc::new);
    let mut pools: BTreeMap<(String, &'static str), Arc<Vec<String>>> = BTreeMap::new();
    let mut created: Vec<String> = Vec::new();
    for (op, _, flavor, spec) in &plans {
        if *op == Op::GenerateRandom || pools.contains_key(&(spec.clone(), flavor.usage)) {
            continue;
        }
        let keys = match &listed {
            Some(keys) => keys.clone(),
            None => {
                let keys = create_keys(&target, spec, flavor.usage, args.keys, args.concurrency).await?;
                created.extend(keys.iter().cloned());
                Arc::new(keys)
            }
        };
        pools.insert((spec.clone(), flavor.usage), keys);
    }
    if let Some(path) = &args.save_keys {
        std::fs::write(path, created.iter().map(|k| format!("{k}\n")).collect::<String>())
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }

    let mut streams = Vec::with_capacity(plans.len());
    let setup = async {
        for (op, weight, flavor, spec) in &plans {
            let keys = pools.get(&(spec.clone(), flavor.usage)).cloned().unwrap_or_default();
            let bodies = bodies(&target, *op, *flavor, &keys, args.size, args.concurrency).await?;
            // Each run starts at a random key, so that consecutive runs over
            // many keys do not begin with the keys the last one left cached.
            let start =
                usize::try_from(RandomState::new().build_hasher().finish() % bodies.len().max(1) as u64).unwrap_or(0);
            streams.push(Stream { op: *op, weight: *weight, bodies, next: AtomicUsize::new(start) });
        }
        Ok::<_, String>(())
    };
    if let Some(path) = &args.presign {
        setup.await?;
        let schedule = schedule(&streams.iter().map(|s| s.weight).collect::<Vec<_>>());
        let n = args.requests.unwrap_or(1000);
        write_presigned(&target, &Workload { streams, schedule }, n, path)?;
        eprintln!(
            "trent bench: {n} signed requests in {} (replayable for 5 minutes); {} keys kept",
            path.display(),
            created.len()
        );
        return Ok(());
    }
    let result = match setup.await {
        Ok(()) => {
            let schedule = schedule(&streams.iter().map(|s| s.weight).collect::<Vec<_>>());
            drive(&args, &target, Arc::new(Workload { streams, schedule })).await
        }
        Err(e) => Err(e),
    };

    if !args.keep_keys && args.save_keys.is_none() && !created.is_empty() {
        let (t, n) = (target.clone(), created.len());
        let keys = Arc::new(created);
        let cleanup = parallel(n, args.concurrency, "scheduling deletion", move |i| {
            let (t, keys) = (t.clone(), keys.clone());
            async move {
                let body = serde_json::json!({"KeyId": keys[i], "PendingWindowInDays": 7});
                if let Err(e) = t.must("TrentService.ScheduleKeyDeletion", body).await {
                    eprintln!("trent bench: cleaning up {}: {e}", keys[i]);
                }
                Ok(())
            }
        });
        cleanup.await?;
    }
    let (workload, tallies, elapsed, samples) = result?;
    report(&args, &workload, tallies, elapsed, &samples);
    Ok(())
}

/// Writes `n` requests of `workload`, signed now, to `path`, one a line:
/// `name: value` for each header, then the body, tab-separated (JSON
/// bodies, as serialized here, hold no tab or newline; a header value
/// never does).
fn write_presigned(target: &Target, workload: &Workload, n: u64, path: &std::path::Path) -> Result<(), String> {
    let mut out = String::new();
    for i in 0..n {
        let stream = &workload.streams[workload.schedule[(i % workload.schedule.len() as u64) as usize]];
        let req = target.signed(stream.op.target(), stream.next_body())?;
        for (name, value) in req.headers() {
            let value = value.to_str().map_err(|e| format!("{name}: {e}"))?;
            out.push_str(&format!("{name}: {value}\t"));
        }
        let body = std::str::from_utf8(req.body()).map_err(|e| e.to_string())?;
        if body.contains(['\t', '\n', '\r']) {
            return Err("a request body holds a tab or a line break".into());
        }
        out.push_str(body);
        out.push('\n');
    }
    // A signed request is a credential for five minutes: the file is the
    // caller's alone (mode 0600).
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // A file that was there keeps its mode through open: tighten it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        f.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    f.write_all(out.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
}

async fn drive(
    args: &BenchArgs,
    target: &Arc<Target>,
    workload: Arc<Workload>,
) -> Result<(Arc<Workload>, Vec<Tally>, Duration, Vec<Sample>), String> {
    let p = Phase { concurrency: args.concurrency, rate: args.rate, max_requests: None };
    // Warm-up: same load, not recorded.
    if args.warmup > 0 {
        p.run(target, &workload, Duration::from_secs(args.warmup), false).await?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = args
        .watch_pid
        .map(|pid| tokio::spawn(watch(pid, Duration::from_secs(args.sample_interval.max(1)), stop.clone())));
    let started = Instant::now();
    let p = Phase { max_requests: args.requests, ..p };
    let tallies = p.run(target, &workload, Duration::from_secs(args.duration), true).await;
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let samples = match watcher {
        Some(w) => w.await.map_err(|e| format!("watching the server: {e}"))??,
        None => Vec::new(),
    };
    Ok((workload, tallies?, elapsed, samples))
}

/// What every worker records, per stream.
struct Tally {
    latencies_us: Vec<Vec<u64>>,
    errors: BTreeMap<String, u64>,
    bytes_in: u64,
    bytes_out: u64,
}

#[derive(Clone, Copy)]
struct Phase {
    concurrency: usize,
    rate: Option<f64>,
    max_requests: Option<u64>,
}

impl Phase {
    async fn run(
        self,
        target: &Arc<Target>,
        workload: &Arc<Workload>,
        duration: Duration,
        progress: bool,
    ) -> Result<Vec<Tally>, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let issued = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicU64::new(0));
        let t0 = Instant::now();
        let mut workers = Vec::with_capacity(self.concurrency);
        for _ in 0..self.concurrency {
            let (target, workload, stop, issued, done) =
                (target.clone(), workload.clone(), stop.clone(), issued.clone(), done.clone());
            workers.push(tokio::spawn(async move {
                let n_streams = workload.streams.len();
                let mut t = Tally {
                    latencies_us: vec![Vec::new(); n_streams],
                    errors: BTreeMap::new(),
                    bytes_in: 0,
                    bytes_out: 0,
                };
                while !stop.load(Ordering::Relaxed) {
                    let n = issued.fetch_add(1, Ordering::Relaxed);
                    if self.max_requests.is_some_and(|m| n >= m) {
                        break;
                    }
                    let start = match self.rate {
                        // Open loop: request n is due at t0 + n/rate. The
                        // timer wakes to the millisecond, so it sleeps to a
                        // millisecond before and sends at most that early;
                        // latency counts from the earlier of due and sent.
                        Some(rate) => {
                            let due = t0 + Duration::from_secs_f64(n as f64 / rate);
                            if let Some(wake) = due.checked_sub(Duration::from_millis(1)) {
                                if wake > Instant::now() {
                                    tokio::time::sleep_until(wake.into()).await;
                                }
                            }
                            if stop.load(Ordering::Relaxed) {
                                break;
                            }
                            due.min(Instant::now())
                        }
                        None => Instant::now(),
                    };
                    let s = workload.schedule[usize::try_from(n).unwrap_or(0) % workload.schedule.len()];
                    let stream = &workload.streams[s];
                    let body = stream.next_body();
                    t.bytes_out += body.len() as u64;
                    let tag = |code: String| {
                        if n_streams > 1 {
                            format!("{}: {code}", stream.op.target().trim_start_matches("TrentService."))
                        } else {
                            code
                        }
                    };
                    match target.call(stream.op.target(), body).await {
                        Ok(a) => {
                            t.latencies_us[s].push(u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX));
                            t.bytes_in += a.body.len() as u64;
                            if a.status != 200 {
                                *t.errors.entry(tag(error_code(&a.body))).or_default() += 1;
                            }
                        }
                        Err(e) => *t.errors.entry(tag(format!("transport: {e}"))).or_default() += 1,
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
                t
            }));
        }
        let deadline = t0 + duration;
        let mut last = 0;
        while Instant::now() < deadline && workers.iter().any(|w| !w.is_finished()) {
            tokio::time::sleep(Duration::from_millis(200).min(deadline.saturating_duration_since(Instant::now())))
                .await;
            let n = done.load(Ordering::Relaxed);
            if progress && n / 10_000 != last / 10_000 {
                eprint!("\r  {n} requests");
            }
            last = n;
        }
        stop.store(true, Ordering::Relaxed);
        if progress {
            eprintln!();
        }
        let mut out = Vec::with_capacity(workers.len());
        for w in workers {
            out.push(w.await.map_err(|e| format!("worker: {e}"))?);
        }
        Ok(out)
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // Nearest rank, in integer per-mille so that 99.9 of 1000 is rank 999.
    let permille = (p * 10.0).round() as usize;
    let rank = (permille * sorted.len()).div_ceil(1000).max(1);
    sorted[rank.min(sorted.len()) - 1] as f64 / 1000.0
}

fn latency_json(sorted: &[u64]) -> serde_json::Value {
    serde_json::json!({
        "p50": percentile(sorted, 50.0),
        "p90": percentile(sorted, 90.0),
        "p99": percentile(sorted, 99.0),
        "p99.9": percentile(sorted, 99.9),
        "max": sorted.last().map_or(0.0, |m| *m as f64 / 1000.0),
    })
}

fn report(args: &BenchArgs, workload: &Workload, tallies: Vec<Tally>, elapsed: Duration, samples: &[Sample]) {
    let mut per_stream: Vec<Vec<u64>> = vec![Vec::new(); workload.streams.len()];
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let (mut bytes_in, mut bytes_out) = (0, 0);
    for t in tallies {
        for (all, mine) in per_stream.iter_mut().zip(t.latencies_us) {
            all.extend(mine);
        }
        for (k, v) in t.errors {
            *errors.entry(k).or_default() += v;
        }
        bytes_in += t.bytes_in;
        bytes_out += t.bytes_out;
    }
    let mut lat: Vec<u64> = per_stream.iter().flatten().copied().collect();
    lat.sort_unstable();
    for s in &mut per_stream {
        s.sort_unstable();
    }
    let total: u64 =
        lat.len() as u64 + errors.iter().filter(|(k, _)| k.contains("transport")).map(|(_, v)| v).sum::<u64>();
    let secs = elapsed.as_secs_f64().max(1e-9);
    let rps = total as f64 / secs;
    let name = |s: &Stream| s.op.target().trim_start_matches("TrentService.");
    let operation = if args.mix.is_empty() {
        let spec = args.key_spec.as_deref().unwrap_or(args.op.default_spec());
        match args.op {
            Op::Sign | Op::Verify => format!("{}({spec})", name(&workload.streams[0])),
            _ if spec != args.op.default_spec() => format!("{}({spec})", name(&workload.streams[0])),
            _ => name(&workload.streams[0]).to_owned(),
        }
    } else {
        let parts: Vec<String> = workload.streams.iter().map(|s| format!("{}:{}", name(s), s.weight)).collect();
        format!("mix({})", parts.join(","))
    };
    let keys = workload.streams.iter().map(|s| s.bodies.len()).max().unwrap_or(0);
    let per_operation: Vec<serde_json::Value> = workload
        .streams
        .iter()
        .zip(&per_stream)
        .map(|(s, l)| {
            serde_json::json!({"operation": name(s), "weight": s.weight, "requests": l.len(),
                "requests_per_second": l.len() as f64 / secs, "latency_ms": latency_json(l)})
        })
        .collect();
    let mut summary = serde_json::json!({
        "operation": operation,
        "payload_bytes": args.size,
        "keys": keys,
        "concurrency": args.concurrency,
        "offered_rate": args.rate,
        "seconds": secs,
        "requests": total,
        "requests_per_second": rps,
        "latency_ms": latency_json(&lat),
        "per_operation": per_operation,
        "errors": errors,
        "bytes_sent": bytes_out,
        "bytes_received": bytes_in,
    });
    if let Some(pid) = args.watch_pid {
        summary["process"] = process_json(pid, samples);
    }
    if args.json {
        println!("{summary}");
        return;
    }
    let mode = args.rate.map_or_else(|| "closed loop".to_owned(), |r| format!("offered {r:.0}/s"));
    println!("{operation} {}B  keys={keys} concurrency={}  {mode}  {secs:.1}s", args.size, args.concurrency);
    println!("  requests/s   {rps:.0}  ({total} requests)");
    let line = |l: &[u64]| {
        format!(
            "p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}",
            percentile(l, 50.0),
            percentile(l, 90.0),
            percentile(l, 99.0),
            percentile(l, 99.9)
        )
    };
    println!("  latency ms   {}", line(&lat));
    if workload.streams.len() > 1 {
        for (s, l) in workload.streams.iter().zip(&per_stream) {
            println!("    {:<16} {:>8.0}/s  {}", name(s), l.len() as f64 / secs, line(l));
        }
    }
    println!("  bytes        sent {bytes_out}  received {bytes_in}");
    if let (Some(pid), Some(first), Some(last)) = (args.watch_pid, samples.first(), samples.last()) {
        let max_rss = samples.iter().map(|s| s.rss_kib).max().unwrap_or(0);
        let max_fds = samples.iter().map(|s| s.fds).max().unwrap_or(0);
        println!(
            "  process {pid}  RSS MiB first {:.1}  max {:.1}  last {:.1}   fds first {}  max {max_fds}  last {}  ({} samples)",
            first.rss_kib as f64 / 1024.0,
            max_rss as f64 / 1024.0,
            last.rss_kib as f64 / 1024.0,
            first.fds,
            last.fds,
            samples.len()
        );
    }
    if errors.is_empty() {
        println!("  errors       none");
    } else {
        for (code, n) in &errors {
            println!("  error        {code}: {n}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{
        flavor, parse_weighted, percentile, process_json, sample_process, schedule, write_presigned, Op, Sample,
        Stream, Workload,
    };

    fn workload(bodies: &[&str]) -> Workload {
        let stream = |op, body: &str| Stream {
            op,
            weight: 1,
            bodies: vec![body.as_bytes().to_vec()],
            next: std::sync::atomic::AtomicUsize::new(0),
        };
        Workload {
            streams: vec![stream(Op::Encrypt, bodies[0]), stream(Op::DescribeKey, bodies[1])],
            schedule: vec![0, 1],
        }
    }

    #[test]
    fn presigned_requests_are_one_signed_line_each() {
        let credentials = aws_credential_types::Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let target = crate::client::Target::new("http://127.0.0.1:4600", "eu-west-1", credentials, None, 0).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("requests");
        write_presigned(&target, &workload(&[r#"{"KeyId":"a","Plaintext":"AA=="}"#, r#"{"KeyId":"b"}"#]), 5, &path)
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        for (i, line) in lines.iter().enumerate() {
            let fields: Vec<&str> = line.split('\t').collect();
            let (body, headers) = fields.split_last().unwrap();
            let header = |name: &str| {
                headers.iter().find_map(|h| h.strip_prefix(name).and_then(|v| v.strip_prefix(": "))).unwrap_or("")
            };
            let (target, want) = if i % 2 == 0 {
                ("TrentService.Encrypt", r#"{"KeyId":"a","Plaintext":"AA=="}"#)
            } else {
                ("TrentService.DescribeKey", r#"{"KeyId":"b"}"#)
            };
            assert_eq!((header("x-amz-target"), *body), (target, want), "line {i}");
            assert_eq!(header("host"), "127.0.0.1:4600");
            let auth = header("authorization");
            assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), "{auth}");
            assert!(auth.contains("/eu-west-1/kms/aws4_request, SignedHeaders="), "{auth}");
            assert!(auth.contains("x-amz-target") && auth.contains("Signature="), "{auth}");
            assert!(!header("x-amz-date").is_empty());
        }
        // A body that would break the line format is refused.
        // A file that was there, readable by others, is tightened.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_presigned(&target, &workload(&["{}", "{}"]), 1, &path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let err = write_presigned(&target, &workload(&["{\"KeyId\":\"a\tb\"}", "{}"]), 1, &path).unwrap_err();
        assert!(err.contains("tab"), "{err}");
    }

    #[test]
    fn a_process_is_sampled_from_proc() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("4242");
        std::fs::create_dir_all(dir.join("fd")).unwrap();
        std::fs::write(dir.join("status"), "Name:\ttrent\nVmPeak:\t  9000 kB\nVmRSS:\t   51234 kB\nThreads:\t4\n")
            .unwrap();
        for fd in ["0", "1", "2", "7"] {
            std::fs::write(dir.join("fd").join(fd), "").unwrap();
        }
        assert_eq!(sample_process(tmp.path(), 4242, 3).unwrap(), Sample { at_s: 3, rss_kib: 51234, fds: 4 });
        assert!(sample_process(tmp.path(), 4243, 0).is_err(), "a process that is gone");
        // This very process, from the real /proc.
        if cfg!(target_os = "linux") {
            let me = sample_process(std::path::Path::new("/proc"), std::process::id(), 0).unwrap();
            assert!(me.rss_kib > 0 && me.fds >= 3, "{me:?}");
        }
        let samples = [
            Sample { at_s: 0, rss_kib: 10, fds: 5 },
            Sample { at_s: 5, rss_kib: 30, fds: 9 },
            Sample { at_s: 9, rss_kib: 20, fds: 6 },
        ];
        let j = process_json(7, &samples);
        assert_eq!(j["rss_kib"], serde_json::json!({"first": 10, "max": 30, "last": 20}));
        assert_eq!(j["fds"], serde_json::json!({"first": 5, "max": 9, "last": 6}));
        assert_eq!(j["samples"][1], serde_json::json!([5, 30, 9]));
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=1000).map(|i| i * 1000).collect();
        assert_eq!(percentile(&v, 50.0), 500.0);
        assert_eq!(percentile(&v, 99.0), 990.0);
        assert_eq!(percentile(&v, 99.9), 999.0);
        assert_eq!(percentile(&v, 100.0), 1000.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn weighted_schedule_is_smooth_and_exact() {
        assert_eq!(schedule(&[1]), vec![0]);
        assert_eq!(schedule(&[3, 1]), vec![0, 0, 1, 0]);
        let s = schedule(&[8, 8, 3, 1]);
        assert_eq!(s.len(), 20);
        for (i, w) in [8, 8, 3, 1].iter().enumerate() {
            assert_eq!(s.iter().filter(|x| **x == i).count(), *w);
        }
        // No stream runs three times in a row when others are waiting.
        assert!(s.windows(3).all(|w| !(w[0] == w[1] && w[1] == w[2])), "{s:?}");
    }

    #[test]
    fn mix_entries_parse() {
        let w = parse_weighted("generate-data-key:3").unwrap();
        assert_eq!((w.0, w.1), (Op::GenerateDataKey, 3));
        assert_eq!(parse_weighted("sign").unwrap().1, 1);
        assert!(parse_weighted("encrypt:0").is_err());
        assert!(parse_weighted("frobnicate:2").is_err());
        assert!(parse_weighted("encrypt:x").is_err());
    }

    #[test]
    fn key_specs_choose_the_algorithm_and_refuse_nonsense() {
        assert_eq!(flavor(Op::Sign, "ECC_NIST_P384").unwrap().algorithm, Some("ECDSA_SHA_384"));
        assert_eq!(flavor(Op::Sign, "ECC_NIST_P384").unwrap().digest, Some(48));
        assert_eq!(flavor(Op::Sign, "RSA_2048").unwrap().algorithm, Some("RSASSA_PSS_SHA_256"));
        assert_eq!(flavor(Op::Verify, "ML_DSA_65").unwrap().digest, None);
        assert_eq!(flavor(Op::Encrypt, "RSA_3072").unwrap().algorithm, Some("RSAES_OAEP_SHA_256"));
        assert_eq!(flavor(Op::Encrypt, "SYMMETRIC_DEFAULT").unwrap().algorithm, None);
        assert_eq!(flavor(Op::GenerateMac, "HMAC_512").unwrap().algorithm, Some("HMAC_SHA_512"));
        assert_eq!(flavor(Op::DescribeKey, "HMAC_256").unwrap().usage, "GENERATE_VERIFY_MAC");
        assert!(flavor(Op::Encrypt, "ECC_NIST_P256").is_err());
        assert!(flavor(Op::GenerateDataKey, "RSA_2048").is_err());
        assert!(flavor(Op::Sign, "SYMMETRIC_DEFAULT").is_err());
        assert!(flavor(Op::GenerateMac, "HMAC_999").is_err());
    }
}
