//! `trent bench`: a load generator that speaks the KMS API to any endpoint
//! (Trent or another), like `redis-benchmark` for Redis.
//!
//! Every request is SigV4-signed with `aws-sigv4`, as a stock client signs
//! it; connections are kept alive (one HTTP/1.1 pool shared by the workers).
//! It creates the keys it needs, runs a warm-up, then `concurrency` workers
//! for the duration (or request count), and reports requests/s, latency
//! percentiles, errors by code and bytes; finally it schedules its keys for
//! deletion (the shortest window, 7 days).

use crate::client::{error_code, Connection, Target};
use base64::Engine as _;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The operations `trent bench` can drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Op {
    /// Encrypt `--size` bytes.
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
    /// Sign a 32-byte digest with an ECC_NIST_P256 key (ECDSA_SHA_256).
    SignP256,
    /// Sign a 32-byte digest with an RSA_2048 key (RSASSA_PSS_SHA_256).
    SignRsa2048,
    /// Verify an ECDSA_SHA_256 signature of a 32-byte digest (ECC_NIST_P256).
    VerifyP256,
    /// Sign `--size` bytes with an ML_DSA_65 key.
    SignMlDsa65,
    /// GenerateMac over `--size` bytes with an HMAC_256 key.
    GenerateMac,
}

impl Op {
    fn target(self) -> &'static str {
        match self {
            Op::Encrypt => "TrentService.Encrypt",
            Op::Decrypt => "TrentService.Decrypt",
            Op::ReEncrypt => "TrentService.ReEncrypt",
            Op::VerifyP256 => "TrentService.Verify",
            Op::GenerateDataKey => "TrentService.GenerateDataKey",
            Op::GenerateRandom => "TrentService.GenerateRandom",
            Op::DescribeKey => "TrentService.DescribeKey",
            Op::SignP256 | Op::SignRsa2048 | Op::SignMlDsa65 => "TrentService.Sign",
            Op::GenerateMac => "TrentService.GenerateMac",
        }
    }

    /// CreateKey's body for the keys this operation uses.
    fn create_key(self) -> serde_json::Value {
        let (spec, usage) = match self {
            Op::SignP256 | Op::VerifyP256 => ("ECC_NIST_P256", "SIGN_VERIFY"),
            Op::SignRsa2048 => ("RSA_2048", "SIGN_VERIFY"),
            Op::SignMlDsa65 => ("ML_DSA_65", "SIGN_VERIFY"),
            Op::GenerateMac => ("HMAC_256", "GENERATE_VERIFY_MAC"),
            _ => ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
        };
        serde_json::json!({"Description": "trent bench", "KeySpec": spec, "KeyUsage": usage})
    }

    fn name(self) -> &'static str {
        match self {
            Op::SignP256 => "Sign(ECC_NIST_P256)",
            Op::VerifyP256 => "Verify(ECC_NIST_P256)",
            Op::SignRsa2048 => "Sign(RSA_2048)",
            Op::SignMlDsa65 => "Sign(ML_DSA_65)",
            other => other.target().trim_start_matches("TrentService."),
        }
    }
}

/// `trent bench` options.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    connection: Connection,
    /// Operation.
    #[arg(long, value_enum, default_value = "encrypt")]
    op: Op,
    /// Plaintext or message size in bytes (Encrypt, Decrypt, GenerateRandom,
    /// SignMlDsa65, GenerateMac).
    #[arg(long, default_value_t = 100)]
    size: usize,
    /// Keys to spread requests over.
    #[arg(long, default_value_t = 1)]
    keys: usize,
    /// Requests in flight.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
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
}

/// What every worker records.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: BTreeMap<String, u64>,
    bytes_in: u64,
    bytes_out: u64,
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

/// One ciphertext of `plaintext` (base64) under each key: (key, blob).
async fn ciphertexts<'k>(
    target: &Target,
    keys: &'k [String],
    plaintext: &str,
) -> Result<Vec<(&'k str, String)>, String> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let v = target.must("TrentService.Encrypt", serde_json::json!({"KeyId": k, "Plaintext": plaintext})).await?;
        let blob = v["CiphertextBlob"].as_str().ok_or("Encrypt: no CiphertextBlob")?;
        out.push((k.as_str(), blob.to_owned()));
    }
    Ok(out)
}

/// Runs the benchmark; prints the report.
pub async fn run(args: BenchArgs) -> Result<(), String> {
    let target = Arc::new(args.connection.target(args.concurrency.max(1))?);
    if args.keys == 0 || args.concurrency == 0 {
        return Err("--keys and --concurrency must be at least 1".into());
    }
    if args.op == Op::GenerateRandom && !(1..=1024).contains(&args.size) {
        return Err("GenerateRandom takes --size 1 to 1024".into());
    }

    // Keys, and one ciphertext per key for Decrypt.
    let b64 = base64::engine::general_purpose::STANDARD;
    let plaintext = b64.encode(vec![0x5au8; args.size]);
    let mut keys = Vec::with_capacity(args.keys);
    for _ in 0..args.keys {
        let v = target.must("TrentService.CreateKey", args.op.create_key()).await?;
        let arn = v["KeyMetadata"]["Arn"].as_str().ok_or("CreateKey: no Arn")?.to_owned();
        keys.push(arn);
    }
    let bodies: Vec<Vec<u8>> = match args.op {
        Op::Encrypt => keys
            .iter()
            .map(|k| serde_json::json!({"KeyId": k, "Plaintext": plaintext}).to_string().into_bytes())
            .collect(),
        Op::Decrypt => ciphertexts(&target, &keys, &plaintext)
            .await?
            .iter()
            .map(|(_, blob)| serde_json::json!({"CiphertextBlob": blob}).to_string().into_bytes())
            .collect(),
        Op::ReEncrypt => ciphertexts(&target, &keys, &plaintext)
            .await?
            .iter()
            .map(|(k, blob)| {
                serde_json::json!({"CiphertextBlob": blob, "DestinationKeyId": k}).to_string().into_bytes()
            })
            .collect(),
        Op::VerifyP256 => {
            let digest = b64.encode([0x5au8; 32]);
            let mut out = Vec::new();
            for k in &keys {
                let sign = serde_json::json!({"KeyId": k, "Message": digest, "MessageType": "DIGEST",
                    "SigningAlgorithm": "ECDSA_SHA_256"});
                let v = target.must("TrentService.Sign", sign).await?;
                let signature = v["Signature"].as_str().ok_or("Sign: no Signature")?;
                out.push(
                    serde_json::json!({"KeyId": k, "Message": digest, "MessageType": "DIGEST",
                        "Signature": signature, "SigningAlgorithm": "ECDSA_SHA_256"})
                    .to_string()
                    .into_bytes(),
                );
            }
            out
        }
        Op::GenerateDataKey => keys
            .iter()
            .map(|k| serde_json::json!({"KeyId": k, "KeySpec": "AES_256"}).to_string().into_bytes())
            .collect(),
        Op::GenerateRandom => vec![serde_json::json!({"NumberOfBytes": args.size}).to_string().into_bytes()],
        Op::DescribeKey => keys.iter().map(|k| serde_json::json!({"KeyId": k}).to_string().into_bytes()).collect(),
        Op::SignP256 | Op::SignRsa2048 => {
            let alg = if args.op == Op::SignP256 { "ECDSA_SHA_256" } else { "RSASSA_PSS_SHA_256" };
            let digest = b64.encode([0x5au8; 32]);
            keys.iter()
                .map(|k| {
                    serde_json::json!({"KeyId": k, "Message": digest, "MessageType": "DIGEST", "SigningAlgorithm": alg})
                        .to_string()
                        .into_bytes()
                })
                .collect()
        }
        Op::SignMlDsa65 => keys
            .iter()
            .map(|k| {
                serde_json::json!({"KeyId": k, "Message": plaintext, "SigningAlgorithm": "ML_DSA_SHAKE_256"})
                    .to_string()
                    .into_bytes()
            })
            .collect(),
        Op::GenerateMac => keys
            .iter()
            .map(|k| {
                serde_json::json!({"KeyId": k, "Message": plaintext, "MacAlgorithm": "HMAC_SHA_256"})
                    .to_string()
                    .into_bytes()
            })
            .collect(),
    };
    let bodies = Arc::new(bodies);

    let result = drive(&args, &target, &bodies).await;

    if !args.keep_keys {
        for k in &keys {
            let body = serde_json::json!({"KeyId": k, "PendingWindowInDays": 7});
            if let Err(e) = target.must("TrentService.ScheduleKeyDeletion", body).await {
                eprintln!("trent bench: cleaning up {k}: {e}");
            }
        }
    }
    let (tallies, elapsed) = result?;
    report(&args, tallies, elapsed);
    Ok(())
}

async fn drive(
    args: &BenchArgs,
    target: &Arc<Target>,
    bodies: &Arc<Vec<Vec<u8>>>,
) -> Result<(Vec<Tally>, Duration), String> {
    let op = args.op.target();
    // Warm-up: same load, not recorded.
    if args.warmup > 0 {
        phase(op, args.concurrency, target, bodies, Duration::from_secs(args.warmup), None, false).await?;
    }
    let started = Instant::now();
    let tallies =
        phase(op, args.concurrency, target, bodies, Duration::from_secs(args.duration), args.requests, true).await?;
    Ok((tallies, started.elapsed()))
}

async fn phase(
    op: &'static str,
    concurrency: usize,
    target: &Arc<Target>,
    bodies: &Arc<Vec<Vec<u8>>>,
    duration: Duration,
    max_requests: Option<u64>,
    progress: bool,
) -> Result<Vec<Tally>, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let issued = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (target, bodies, stop, issued, done) =
            (target.clone(), bodies.clone(), stop.clone(), issued.clone(), done.clone());
        workers.push(tokio::spawn(async move {
            let mut t = Tally::default();
            while !stop.load(Ordering::Relaxed) {
                let n = issued.fetch_add(1, Ordering::Relaxed);
                if max_requests.is_some_and(|m| n >= m) {
                    break;
                }
                let body = bodies[usize::try_from(n).unwrap_or(0) % bodies.len()].clone();
                t.bytes_out += body.len() as u64;
                let start = Instant::now();
                match target.call(op, body).await {
                    Ok(a) => {
                        t.latencies_us.push(u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX));
                        t.bytes_in += a.body.len() as u64;
                        if a.status != 200 {
                            *t.errors.entry(error_code(&a.body)).or_default() += 1;
                        }
                    }
                    Err(e) => *t.errors.entry(format!("transport: {e}")).or_default() += 1,
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            t
        }));
    }
    let deadline = Instant::now() + duration;
    let mut last = 0;
    while Instant::now() < deadline && workers.iter().any(|w| !w.is_finished()) {
        tokio::time::sleep(Duration::from_millis(200).min(deadline.saturating_duration_since(Instant::now()))).await;
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

fn report(args: &BenchArgs, tallies: Vec<Tally>, elapsed: Duration) {
    let mut lat: Vec<u64> = Vec::new();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let (mut bytes_in, mut bytes_out) = (0, 0);
    for t in tallies {
        lat.extend(t.latencies_us);
        for (k, v) in t.errors {
            *errors.entry(k).or_default() += v;
        }
        bytes_in += t.bytes_in;
        bytes_out += t.bytes_out;
    }
    lat.sort_unstable();
    let total: u64 =
        lat.len() as u64 + errors.iter().filter(|(k, _)| k.starts_with("transport")).map(|(_, v)| v).sum::<u64>();
    let secs = elapsed.as_secs_f64().max(1e-9);
    let rps = total as f64 / secs;
    let summary = serde_json::json!({
        "operation": args.op.name(),
        "payload_bytes": args.size,
        "keys": args.keys,
        "concurrency": args.concurrency,
        "seconds": secs,
        "requests": total,
        "requests_per_second": rps,
        "latency_ms": {
            "p50": percentile(&lat, 50.0),
            "p90": percentile(&lat, 90.0),
            "p99": percentile(&lat, 99.0),
            "p99.9": percentile(&lat, 99.9),
            "max": lat.last().map_or(0.0, |m| *m as f64 / 1000.0),
        },
        "errors": errors,
        "bytes_sent": bytes_out,
        "bytes_received": bytes_in,
    });
    if args.json {
        println!("{summary}");
        return;
    }
    println!("{} {}B  keys={} concurrency={}  {:.1}s", args.op.name(), args.size, args.keys, args.concurrency, secs);
    println!("  requests/s   {rps:.0}  ({total} requests)");
    println!(
        "  latency ms   p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}",
        percentile(&lat, 50.0),
        percentile(&lat, 90.0),
        percentile(&lat, 99.0),
        percentile(&lat, 99.9)
    );
    println!("  bytes        sent {bytes_out}  received {bytes_in}");
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
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=1000).map(|i| i * 1000).collect();
        assert_eq!(percentile(&v, 50.0), 500.0);
        assert_eq!(percentile(&v, 99.0), 990.0);
        assert_eq!(percentile(&v, 99.9), 999.0);
        assert_eq!(percentile(&v, 100.0), 1000.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
