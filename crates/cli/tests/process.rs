//! The `trent` binary as an operator runs it: first start prints the
//! endpoint and a bootstrap key; an acknowledged write survives `kill -9`;
//! SIGTERM shuts down cleanly.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kms::primitives::Blob;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

mod support;

struct Running {
    child: Child,
    endpoint: String,
    output: Vec<String>,
}

/// Starts `trent serve` on a free port and waits for its banner.
fn start(data_dir: &Path, env: &[(&str, &str)]) -> Running {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trent"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("TRENT_CONFIG")
        .env("TRENT_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    spawn_server(cmd)
}

/// Spawns a `trent serve` command and waits for its banner.
fn spawn_server(mut cmd: Command) -> Running {
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut output = Vec::new();
    let endpoint = loop {
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("trent printed its endpoint");
        output.push(line.clone());
        if let Some(url) = line.strip_prefix("Trent listening on ") {
            break url.to_owned();
        }
    };
    // Collect the rest of the banner.
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(300)) {
        output.push(line);
    }
    Running { child, endpoint, output }
}

fn client(endpoint: &str, ak: &str, sk: &str) -> aws_sdk_kms::Client {
    let conf = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(ak, sk, None, None, "test"))
        // A refused connection (a killed node) is an answer here, not a wait.
        .retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// A fixed bootstrap account and access key, from the environment.
const FIXED_BOOTSTRAP: [(&str, &str); 3] = [
    ("TRENT_BOOTSTRAP_ACCOUNT_ID", "123456789012"),
    ("TRENT_BOOTSTRAP_ACCESS_KEY_ID", ACCESS_KEY),
    ("TRENT_BOOTSTRAP_SECRET_ACCESS_KEY", SECRET_KEY),
];

/// Says, where the user sees it, that a PostgreSQL test was skipped: a line
/// on stderr, and a line in the file `TRENT_TEST_SKIP_LOG` names (set by
/// `./scripts/test`, which counts them in its summary; cargo shows a passing
/// test's stderr only with `--nocapture`).
fn note_postgres_skip() {
    let test = std::thread::current().name().unwrap_or("?").to_owned();
    eprintln!("SKIPPED {test}: TRENT_TEST_POSTGRES_URL is not set (PostgreSQL test)");
    if let Ok(path) = std::env::var("TRENT_TEST_SKIP_LOG") {
        use std::io::Write as _;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{test}");
        }
    }
}

/// A fresh schema in the database `.ci/run` provides, as a store URL;
/// `None` (with a note) when `TRENT_TEST_POSTGRES_URL` is not set.
async fn postgres_schema(prefix: &str) -> Option<String> {
    let Ok(base) = std::env::var("TRENT_TEST_POSTGRES_URL") else {
        note_postgres_skip();
        return None;
    };
    let schema = format!("{prefix}_{}", std::process::id());
    let (pg, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls).await.unwrap();
    let conn_task = tokio::spawn(conn);
    pg.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")).await.unwrap();
    drop(pg);
    let _ = conn_task.await;
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
}

/// Runs `trent admin ARGS` with `env`; exit status and stdout as JSON.
fn admin(args: &[&str], env: &[(&str, &str)]) -> (bool, serde_json::Value, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trent"));
    cmd.arg("admin").args(args).env_remove("TRENT_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success(), serde_json::from_slice(&out.stdout).unwrap_or_default(), stderr)
}

fn banner_value(output: &[String], prefix: &str) -> String {
    output
        .iter()
        .find_map(|l| l.trim().strip_prefix(prefix).map(str::to_owned))
        .unwrap_or_else(|| panic!("no {prefix} in banner: {output:#?}"))
}

#[tokio::test]
async fn first_start_prints_credentials_and_writes_survive_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut first = start(&dir, &[]);
    let ak = banner_value(&first.output, "AWS_ACCESS_KEY_ID=");
    let sk = banner_value(&first.output, "AWS_SECRET_ACCESS_KEY=");
    assert!(first.output.iter().any(|l| l.contains("DEVELOPMENT SEAL")), "the dev seal is loud");
    let creds_file = std::fs::read_to_string(dir.join("bootstrap-credentials")).unwrap();
    assert!(creds_file.contains(&sk));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("bootstrap-credentials")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let kms = client(&first.endpoint, &ak, &sk);
    let key = kms.create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    kms.create_alias().alias_name("alias/durable").target_key_id(&key).send().await.unwrap();
    let ct = kms.encrypt().key_id(&key).plaintext(Blob::new(b"durable".to_vec())).send().await.unwrap();
    kms.disable_key().key_id(&key).send().await.unwrap();
    first.child.kill().unwrap(); // SIGKILL: no chance to flush anything.
    first.child.wait().unwrap();

    let mut second = start(&dir, &[]);
    assert!(!second.output.iter().any(|l| l.contains("AWS_SECRET_ACCESS_KEY=")), "the secret is printed once");
    let kms = client(&second.endpoint, &ak, &sk);
    let md = kms.describe_key().key_id("alias/durable").send().await.unwrap();
    assert_eq!(md.key_metadata().unwrap().key_id(), key);
    assert!(!md.key_metadata().unwrap().enabled(), "the disable survived");
    kms.enable_key().key_id(&key).send().await.unwrap();
    let pt = kms.decrypt().ciphertext_blob(ct.ciphertext_blob().unwrap().clone()).send().await.unwrap();
    assert_eq!(pt.plaintext().unwrap().as_ref(), b"durable");

    #[cfg(unix)]
    {
        let status = Command::new("kill").args(["-TERM", &second.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let exit = second.child.wait().unwrap();
        assert!(exit.success(), "SIGTERM is a clean shutdown: {exit:?}");
    }
    #[cfg(not(unix))]
    second.child.kill().unwrap();
}

#[tokio::test]
async fn fixed_bootstrap_credentials_from_the_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let env = [
        ("TRENT_BOOTSTRAP_ACCOUNT_ID", "123456789012"),
        ("TRENT_BOOTSTRAP_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        ("TRENT_BOOTSTRAP_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ];
    let mut run = start(&dir, &env);
    assert!(!run.output.iter().any(|l| l.contains("wJalrXUtnFEMI")), "a given secret is never printed");
    assert!(!dir.join("bootstrap-credentials").exists());
    let kms = client(&run.endpoint, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    let md = kms.create_key().send().await.unwrap();
    assert_eq!(md.key_metadata().unwrap().aws_account_id(), Some("123456789012"));
    run.child.kill().unwrap();
    run.child.wait().unwrap();
}

#[tokio::test]
async fn bench_drives_signed_load_and_cleans_up() {
    let tmp = tempfile::tempdir().unwrap();
    let (ak, sk) = (ACCESS_KEY, SECRET_KEY);
    let mut run = start(&tmp.path().join("data"), &FIXED_BOOTSTRAP);
    let bench = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_trent"))
            .args(["bench", "--endpoint", &run.endpoint, "--concurrency", "4", "--duration", "60", "--warmup", "0"])
            .args(["--json"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", ak)
            .env("AWS_SECRET_ACCESS_KEY", sk)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["errors"], serde_json::json!({}), "{report}");
        report
    };
    let runs: [&[&str]; 7] = [
        &["--op", "encrypt"],
        &["--op", "decrypt"],
        &["--op", "generate-data-key"],
        &["--op", "re-encrypt"],
        &["--op", "verify", "--key-spec", "ECC_NIST_P384"],
        &["--op", "sign", "--key-spec", "RSA_2048"],
        &["--op", "decrypt", "--key-spec", "RSA_2048", "--size", "64"],
    ];
    for args in runs {
        let report = bench(&[args, &["--keys", "2", "--requests", "200"]].concat());
        assert_eq!(report["requests"], 200, "{report}");
        assert!(report["latency_ms"]["p99"].as_f64().unwrap() > 0.0);
    }
    // A weighted mix: each operation gets its share of the requests.
    let report = bench(&["--mix", "encrypt:3,decrypt:1,sign:1", "--keys", "2", "--requests", "500"]);
    assert_eq!(report["requests"], 500, "{report}");
    let shares: Vec<(String, u64)> = report["per_operation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["operation"].as_str().unwrap().to_owned(), o["requests"].as_u64().unwrap()))
        .collect();
    assert_eq!(shares, [("Encrypt".into(), 300), ("Decrypt".into(), 100), ("Sign".into(), 100)], "{report}");
    // Open loop at a fixed rate: 100 requests at 200/s take about half a second.
    let report = bench(&["--op", "generate-random", "--rate", "200", "--requests", "100"]);
    assert_eq!(report["requests"], 100, "{report}");
    let seconds = report["seconds"].as_f64().unwrap();
    assert!((0.45..5.0).contains(&seconds), "{report}");
    // Keys saved by one run and used by the next are kept.
    let saved = tmp.path().join("keys.txt");
    bench(&["--op", "describe-key", "--keys", "3", "--requests", "1", "--save-keys", saved.to_str().unwrap()]);
    let report = bench(&["--op", "encrypt", "--keys-file", saved.to_str().unwrap(), "--requests", "30"]);
    assert_eq!(report["keys"], 3, "{report}");
    // Created keys are scheduled for deletion afterwards; saved ones are not.
    let kms = client(&run.endpoint, ak, sk);
    let keys = kms.list_keys().limit(1000).send().await.unwrap();
    assert_eq!(keys.keys().len(), 7 * 2 + 2 + 2 + 3);
    let saved = std::fs::read_to_string(&saved).unwrap();
    for k in keys.keys() {
        let md = kms.describe_key().key_id(k.key_id().unwrap()).send().await.unwrap();
        let md = md.key_metadata().unwrap();
        let kept = saved.lines().any(|l| l == md.arn().unwrap());
        let state =
            if kept { aws_sdk_kms::types::KeyState::Enabled } else { aws_sdk_kms::types::KeyState::PendingDeletion };
        assert_eq!(md.key_state(), Some(&state), "{}", md.arn().unwrap());
    }
    run.child.kill().unwrap();
    run.child.wait().unwrap();
}

#[tokio::test]
async fn the_operator_creates_an_account_that_another_account_cannot() {
    let tmp = tempfile::tempdir().unwrap();
    let (ak, sk) = (ACCESS_KEY, SECRET_KEY);
    let mut run = start(&tmp.path().join("data"), &FIXED_BOOTSTRAP);
    let admin = |ak: &str, sk: &str, extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_trent"))
            .args(["admin", "create-account", "--endpoint", &run.endpoint])
            .args(extra)
            .env("AWS_ACCESS_KEY_ID", ak)
            .env("AWS_SECRET_ACCESS_KEY", sk)
            .output()
            .unwrap()
    };
    let out = admin(ak, sk, &["--account-id", "444455556666"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["AccountId"], "444455556666");
    assert_eq!(created["Principal"], "arn:aws:iam::444455556666:root");
    let (new_ak, new_sk) = (created["AccessKeyId"].as_str().unwrap(), created["SecretAccessKey"].as_str().unwrap());
    assert_eq!(new_sk.len(), 40);
    // The new account works, in its own namespace.
    let bob = client(&run.endpoint, new_ak, new_sk);
    let md = bob.create_key().send().await.unwrap();
    assert_eq!(md.key_metadata().unwrap().aws_account_id(), Some("444455556666"));
    // It is not an operator; the same account id cannot be created twice.
    let out = admin(new_ak, new_sk, &[]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("AccessDeniedException"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = admin(ak, sk, &["--account-id", "444455556666"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("AlreadyExistsException"));
    let out = admin(ak, sk, &["--account-id", "12"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("ValidationException"));
    run.child.kill().unwrap();
    run.child.wait().unwrap();
}

/// Three `trent serve` processes on one PostgreSQL database; load spread
/// over them; one is killed with SIGKILL in the middle. Every request that
/// was answered with success is durable and usable through the survivors.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_processes_on_postgresql_survive_a_kill_9() {
    let Some(url) = postgres_schema("nodes").await else {
        return;
    };

    let tmp = tempfile::tempdir().unwrap();
    let key_file = tmp.path().join("root.key");
    let (ak, sk) = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    let key_file_s = key_file.to_str().unwrap().to_owned();
    let env = [
        ("TRENT_STORE_URL", url.as_str()),
        ("TRENT_KEY_FILE", key_file_s.as_str()),
        ("TRENT_BOOTSTRAP_ACCOUNT_ID", "123456789012"),
        ("TRENT_BOOTSTRAP_ACCESS_KEY_ID", ak),
        ("TRENT_BOOTSTRAP_SECRET_ACCESS_KEY", sk),
    ];
    // The first node creates the key file and the schema; the others join.
    let mut nodes = vec![start(&tmp.path().join("n0"), &env)];
    nodes.push(start(&tmp.path().join("n1"), &env));
    nodes.push(start(&tmp.path().join("n2"), &env));
    let clients: Vec<_> = nodes.iter().map(|n| client(&n.endpoint, ak, sk)).collect();

    let key = clients[0].create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    let mut acked: Vec<(Blob, Vec<u8>)> = Vec::new();
    let mut created = vec![key.clone()];
    let mut victim = Some(nodes.remove(0));
    for i in 0..300usize {
        if i == 150 {
            let mut v = victim.take().unwrap();
            v.child.kill().unwrap(); // SIGKILL, mid-load.
            v.child.wait().unwrap();
        }
        let c = &clients[i % 3];
        let data = format!("message {i}").into_bytes();
        if i % 10 == 0 {
            if let Ok(out) = c.create_key().send().await {
                created.push(out.key_metadata().unwrap().key_id().to_owned());
            }
        } else if let Ok(out) = c.encrypt().key_id(&key).plaintext(Blob::new(data.clone())).send().await {
            acked.push((out.ciphertext_blob().unwrap().clone(), data));
        }
    }
    assert!(acked.len() >= 200, "most requests succeed: {}", acked.len());
    for (i, (blob, data)) in acked.iter().enumerate() {
        let c = &clients[1 + i % 2];
        let out = c.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap();
        assert_eq!(out.plaintext().unwrap().as_ref(), data.as_slice());
    }
    for k in &created {
        clients[2].describe_key().key_id(k).send().await.unwrap();
    }
    for mut n in nodes {
        n.child.kill().unwrap();
        n.child.wait().unwrap();
    }
    // Every acknowledged Encrypt left its event, and the nodes' appends form
    // a chain each, which verify offline against the stopped deployment.
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["admin", "audit", "verify", "--store", &url])
        .env("TRENT_KEY_FILE", &key_file_s)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(out.status.success(), "{report} {}", String::from_utf8_lossy(&out.stderr));
    assert!(report.get("Problem").is_none(), "{report}");
    let (pg, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    let conn_task = tokio::spawn(conn);
    let row = pg
        .query_one(
            "SELECT count(*) FROM audit_events WHERE event_name = 'Encrypt' AND record NOT LIKE '%\"errorCode\"%'",
            &[],
        )
        .await
        .unwrap();
    let encrypt_events: i64 = row.get(0);
    assert!(encrypt_events >= acked.len() as i64, "{encrypt_events} events for {} acknowledged", acked.len());
    // A chain per node, each whole from its start.
    let chains = report["Chains"].as_array().unwrap();
    assert_eq!(chains.len(), 3, "{report}");
    let walked: u64 = chains.iter().map(|c| c["LastSeq"].as_u64().unwrap()).sum();
    assert_eq!(report["Records"].as_u64().unwrap(), walked, "{report}");
    drop(pg);
    let _ = conn_task.await;
}

/// What a deployment held when its backup was taken, to check a restore by.
struct BeforeBackup {
    ciphertexts: Vec<(Blob, Vec<u8>)>,
    signature: (String, Vec<u8>, Vec<u8>),
    alias_target: String,
}

/// Fills a running deployment: keys, an alias, a grant, a rotation,
/// ciphertexts and a signature.
async fn fill(c: &aws_sdk_kms::Client) -> BeforeBackup {
    let key = c.create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    c.create_alias().alias_name("alias/drill").target_key_id(&key).send().await.unwrap();
    c.create_grant()
        .key_id(&key)
        .grantee_principal("arn:aws:iam::123456789012:root")
        .operations(aws_sdk_kms::types::GrantOperation::Decrypt)
        .send()
        .await
        .unwrap();
    let mut ciphertexts = Vec::new();
    for i in 0..5 {
        let data = format!("before the backup {i}").into_bytes();
        let out = c.encrypt().key_id(&key).plaintext(Blob::new(data.clone())).send().await.unwrap();
        ciphertexts.push((out.ciphertext_blob().unwrap().clone(), data));
        if i == 2 {
            c.rotate_key_on_demand().key_id(&key).send().await.unwrap();
        }
    }
    let signer = c
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::EccNistP256)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_owned();
    let message = b"signed before the backup".to_vec();
    let sig = c
        .sign()
        .key_id(&signer)
        .message(Blob::new(message.clone()))
        .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap()
        .signature()
        .unwrap()
        .as_ref()
        .to_vec();
    BeforeBackup { ciphertexts, signature: (signer, message, sig), alias_target: key }
}

/// Checks a restored deployment against what it held at backup time.
async fn check_restored(c: &aws_sdk_kms::Client, before: &BeforeBackup, not_in_backup: &str) {
    for (blob, data) in &before.ciphertexts {
        let out = c.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap();
        assert_eq!(out.plaintext().unwrap().as_ref(), data.as_slice());
    }
    let (signer, message, sig) = &before.signature;
    let ok = c
        .verify()
        .key_id(signer)
        .message(Blob::new(message.clone()))
        .signature(Blob::new(sig.clone()))
        .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap();
    assert!(ok.signature_valid());
    let alias = c.describe_key().key_id("alias/drill").send().await.unwrap();
    assert_eq!(alias.key_metadata().unwrap().key_id(), before.alias_target);
    assert_eq!(c.list_grants().key_id(&before.alias_target).send().await.unwrap().grants().len(), 1);
    let rotations = c.list_key_rotations().key_id(&before.alias_target).send().await.unwrap();
    assert_eq!(rotations.rotations().len(), 1);
    let e = c.describe_key().key_id(not_in_backup).send().await.unwrap_err();
    assert_eq!(e.into_service_error().meta().code(), Some("NotFoundException"), "made after the backup");
    // New work goes on, and the trail still verifies.
    c.encrypt().key_id(&before.alias_target).plaintext(Blob::new("after".as_bytes())).send().await.unwrap();
}

/// The backup drill: a backup taken while the server runs restores into a
/// new data directory, and everything made before it works there.
#[tokio::test]
async fn a_backup_taken_online_restores_into_a_new_deployment() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let file = tmp.path().join("trent.backup");
    let file_s = file.to_str().unwrap();
    let mut run = start(&a, &FIXED_BOOTSTRAP);
    let c = client(&run.endpoint, ACCESS_KEY, SECRET_KEY);
    let before = fill(&c).await;
    let (ok, out, err) = admin(&["backup", "--data-dir", a.to_str().unwrap(), "--out", file_s], &[]);
    assert!(ok, "{out} {err}");
    assert_eq!(out["Header"]["counts"]["keys"], 2, "{out}");
    let later = c.create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    run.child.kill().unwrap();
    run.child.wait().unwrap();
    // The backup file is private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // Without the deployment's seal there is nothing to restore with.
    let (ok, _, err) = admin(&["restore", "--data-dir", b.to_str().unwrap(), "--in", file_s], &[]);
    assert!(!ok && err.contains("root.key"), "{err}");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::copy(a.join("root.key"), b.join("root.key")).unwrap();
    let (ok, out, err) = admin(&["restore", "--data-dir", b.to_str().unwrap(), "--in", file_s], &[]);
    assert!(ok, "{out} {err}");
    assert_eq!(out["Restored"]["keys"], 2, "{out}");
    assert!(out.get("AuditProblem").is_none(), "{out}");
    // Not twice.
    let (ok, _, err) = admin(&["restore", "--data-dir", b.to_str().unwrap(), "--in", file_s], &[]);
    assert!(!ok && err.contains("not empty"), "{err}");
    // Nor into a directory whose database is gone but whose audit log file
    // is left: refused by the file's name, and nothing is created.
    let left = tmp.path().join("left");
    std::fs::create_dir_all(&left).unwrap();
    std::fs::copy(a.join("root.key"), left.join("root.key")).unwrap();
    std::fs::copy(a.join(trent_server::startup::AUDIT_LOG_FILE), left.join(trent_server::startup::AUDIT_LOG_FILE))
        .unwrap();
    let (ok, _, err) = admin(&["restore", "--data-dir", left.to_str().unwrap(), "--in", file_s], &[]);
    assert!(!ok && err.contains(trent_server::startup::AUDIT_LOG_FILE) && err.contains("new data directory"), "{err}");
    assert!(!left.join(trent_server::startup::DB_FILE).exists());

    let mut run = start(&b, &FIXED_BOOTSTRAP);
    let c = client(&run.endpoint, ACCESS_KEY, SECRET_KEY);
    check_restored(&c, &before, &later).await;
    let creds = [("AWS_ACCESS_KEY_ID", ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", SECRET_KEY)];
    let (ok, report, err) = admin(&["audit", "verify", "--endpoint", &run.endpoint], &creds);
    assert!(ok && report.get("Problem").is_none(), "{report} {err}");
    run.child.kill().unwrap();
    run.child.wait().unwrap();
}

/// Moving a deployment from SQLite to PostgreSQL: back up the SQLite data
/// directory, restore into PostgreSQL, serve from PostgreSQL.
#[tokio::test]
async fn a_sqlite_deployment_moves_to_postgresql() {
    let Some(url) = postgres_schema("migrate").await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let file = tmp.path().join("trent.backup");
    let file_s = file.to_str().unwrap();
    let mut run = start(&a, &FIXED_BOOTSTRAP);
    let c = client(&run.endpoint, ACCESS_KEY, SECRET_KEY);
    let before = fill(&c).await;
    run.child.kill().unwrap();
    run.child.wait().unwrap();
    let (ok, out, err) = admin(&["backup", "--data-dir", a.to_str().unwrap(), "--out", file_s], &[]);
    assert!(ok, "{out} {err}");
    let key_file = a.join("root.key");
    let key_file = key_file.to_str().unwrap();
    let pg_env = [("TRENT_STORE_URL", url.as_str()), ("TRENT_KEY_FILE", key_file)];
    let (ok, out, err) = admin(&["restore", "--in", file_s], &pg_env);
    assert!(ok, "{out} {err}");
    let mut env: Vec<(&str, &str)> = FIXED_BOOTSTRAP.to_vec();
    env.extend(pg_env);
    let mut run = start(&tmp.path().join("node"), &env);
    let c = client(&run.endpoint, ACCESS_KEY, SECRET_KEY);
    check_restored(&c, &before, "1234abcd-12ab-34cd-56ef-1234567890ab").await;
    run.child.kill().unwrap();
    run.child.wait().unwrap();
    let (ok, report, err) = admin(&["audit", "verify", "--store", &url], &[("TRENT_KEY_FILE", key_file)]);
    assert!(ok && report.get("Problem").is_none(), "{report} {err}");
}

/// A `trent` command with no AWS or Trent settings inherited from the test's
/// environment and an empty HOME (no `~/.aws`), so that only what a test
/// gives is seen.
fn clean_command(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trent"));
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("TRENT_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", home);
    cmd
}

#[tokio::test]
async fn admin_and_bench_find_credentials_region_and_endpoint_as_the_aws_cli_does() {
    let tmp = tempfile::tempdir().unwrap();
    // Every region the test signs for is served.
    let mut env = FIXED_BOOTSTRAP.to_vec();
    env.push(("TRENT_REGIONS", "us-east-1,eu-west-1,ap-south-1,us-west-2,sa-east-1"));
    let mut run = start(&tmp.path().join("data"), &env);
    let credentials = tmp.path().join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = AKIAIOSFODNN7WRONGXX\naws_secret_access_key = wrong\n\
             [trent]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
        ),
    )
    .unwrap();
    let config = tmp.path().join("config");
    std::fs::write(&config, "[profile trent]\nregion = eu-west-1\n").unwrap();
    let saved = tmp.path().join("keys.txt");
    // One bench run creating one key, kept: its ARN names the region signed for.
    let bench = |env: &[(&str, &str)], flags: &[&str]| {
        let _ = std::fs::remove_file(&saved);
        let mut cmd = clean_command(tmp.path());
        cmd.args(["bench", "--op", "describe-key", "--keys", "1", "--requests", "1", "--concurrency", "1"])
            .args(["--duration", "60", "--warmup", "0", "--json", "--save-keys"])
            .arg(&saved)
            .args(flags)
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_ENDPOINT_URL_KMS", &run.endpoint);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.success(), std::fs::read_to_string(&saved).unwrap_or_default(), stderr)
    };
    let arn_in = |region: &str| format!("arn:aws:kms:{region}:123456789012:key/");

    // The profile gives credentials and region; the environment the endpoint.
    let (ok, keys, err) = bench(&[("AWS_PROFILE", "trent")], &[]);
    assert!(ok && keys.starts_with(&arn_in("eu-west-1")), "{keys} {err}");
    // AWS_DEFAULT_REGION, then AWS_REGION, beat the profile's region; a flag beats both.
    let (ok, keys, err) = bench(&[("AWS_PROFILE", "trent"), ("AWS_DEFAULT_REGION", "ap-south-1")], &[]);
    assert!(ok && keys.starts_with(&arn_in("ap-south-1")), "{keys} {err}");
    let env = [("AWS_PROFILE", "trent"), ("AWS_DEFAULT_REGION", "ap-south-1"), ("AWS_REGION", "us-west-2")];
    let (ok, keys, err) = bench(&env, &[]);
    assert!(ok && keys.starts_with(&arn_in("us-west-2")), "{keys} {err}");
    let (ok, keys, err) = bench(&env, &["--region", "sa-east-1"]);
    assert!(ok && keys.starts_with(&arn_in("sa-east-1")), "{keys} {err}");
    // Without AWS_PROFILE the default profile's (wrong) key is used; the
    // environment's key beats it, and flags beat the environment.
    let (ok, _, err) = bench(&[], &[]);
    assert!(!ok && err.contains("UnrecognizedClientException"), "{err}");
    let (ok, keys, err) = bench(&[("AWS_ACCESS_KEY_ID", ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", SECRET_KEY)], &[]);
    assert!(ok && keys.starts_with(&arn_in("us-east-1")), "{keys} {err}");
    let flags = ["--access-key-id", ACCESS_KEY, "--secret-access-key", SECRET_KEY];
    let (ok, _, err) = bench(&[("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7WRONGXX"), ("AWS_SECRET_ACCESS_KEY", "x")], &flags);
    assert!(ok, "{err}");
    // A flag names the endpoint over the environment.
    let (ok, _, err) = bench(&[("AWS_PROFILE", "trent")], &["--endpoint", "http://127.0.0.1:9"]);
    assert!(!ok && !err.contains("Exception"), "nothing listens on port 9: {err}");

    // trent admin resolves the same way.
    let out = clean_command(tmp.path())
        .args(["admin", "audit", "tail", "-n", "1"])
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_PROFILE", "trent")
        .env("AWS_ENDPOINT_URL", &run.endpoint)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // No credentials anywhere: a clear error, no panic.
    let out = clean_command(tmp.path()).args(["admin", "audit", "tail", "-n", "1"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("no AWS credentials"), "{err}");
    run.child.kill().unwrap();
    run.child.wait().unwrap();
}

/// A CA and a server certificate for `localhost` / `127.0.0.1` it issued
/// (`expired`: one whose validity ended in 2020), as PEM files in `dir`:
/// `ca.pem`, `cert.pem`, `key.pem`.
fn make_pki(dir: &Path, expired: bool) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, "process test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    if expired {
        leaf.not_before = rcgen::date_time_ymd(2019, 1, 1);
        leaf.not_after = rcgen::date_time_ymd(2020, 1, 1);
    }
    let cert = leaf.signed_by(&key, &ca_cert, &ca_key).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
}

/// SIGHUP reloads the certificate (each check is a `trent bench` that must
/// create its key over TLS, so an untrusted server fails it). The new pair keeps the old files'
/// modification times, so the reload that polls for changed files cannot be
/// what picked it up.
#[cfg(unix)]
#[test]
fn sighup_reloads_the_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, live) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("live"));
    make_pki(&a, false);
    make_pki(&b, false);
    std::fs::create_dir(&live).unwrap();
    for f in ["cert.pem", "key.pem"] {
        std::fs::copy(a.join(f), live.join(f)).unwrap();
    }
    let (cert, key) = (live.join("cert.pem"), live.join("key.pem"));
    let mut env = FIXED_BOOTSTRAP.to_vec();
    env.extend([("TRENT_TLS_CERT", cert.to_str().unwrap()), ("TRENT_TLS_KEY", key.to_str().unwrap())]);
    let mut run = start(&tmp.path().join("data"), &env);
    let trusted_by = |ca: &Path| {
        Command::new(env!("CARGO_BIN_EXE_trent"))
            .args(["bench", "--endpoint", &run.endpoint, "--op", "encrypt", "--keys", "1", "--requests", "1"])
            .args(["--warmup", "0", "--json", "--ca-bundle"])
            .arg(ca)
            .env_remove("AWS_CA_BUNDLE")
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(trusted_by(&a.join("ca.pem")));
    assert!(!trusted_by(&b.join("ca.pem")));
    for f in ["cert.pem", "key.pem"] {
        let old = std::fs::metadata(live.join(f)).unwrap().modified().unwrap();
        std::fs::copy(b.join(f), live.join(f)).unwrap();
        std::fs::File::options().write(true).open(live.join(f)).unwrap().set_modified(old).unwrap();
    }
    // Longer than one poll of the files: nothing changed that it can see.
    std::thread::sleep(Duration::from_secs(3));
    assert!(!trusted_by(&b.join("ca.pem")), "reloaded without SIGHUP");
    let hup = Command::new("kill").args(["-HUP", &run.child.id().to_string()]).status().unwrap();
    assert!(hup.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !trusted_by(&b.join("ca.pem")) {
        assert!(std::time::Instant::now() < deadline, "SIGHUP did not reload the certificate");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!trusted_by(&a.join("ca.pem")));
    run.child.kill().unwrap();
    run.child.wait().unwrap();
}

#[tokio::test]
async fn serve_tls_and_clients_trust_it_through_a_ca_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = tmp.path().join("pki");
    make_pki(&pki, false);
    let (cert, key, ca) = (pki.join("cert.pem"), pki.join("key.pem"), pki.join("ca.pem"));
    let (cert, key, ca) = (cert.to_str().unwrap(), key.to_str().unwrap(), ca.to_str().unwrap());
    let mut env = FIXED_BOOTSTRAP.to_vec();
    env.extend([("TRENT_TLS_CERT", cert), ("TRENT_TLS_KEY", key)]);
    let mut run = start(&tmp.path().join("data"), &env);
    assert!(run.endpoint.starts_with("https://127.0.0.1:"), "{}", run.endpoint);
    let bench = |extra: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trent"));
        cmd.args(["bench", "--endpoint", &run.endpoint, "--op", "encrypt", "--keys", "1", "--requests", "20"])
            .args(["--warmup", "0", "--json"])
            .args(extra)
            .env_remove("AWS_CA_BUNDLE")
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = bench(&["--ca-bundle", ca], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["requests"].as_u64(), &report["errors"]), (Some(20), &serde_json::json!({})), "{report}");
    let out = bench(&[], &[("AWS_CA_BUNDLE", ca)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Without the CA the server is not trusted (the system roots do not
    // know the test CA).
    let out = bench(&[], &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).to_lowercase().contains("certificate"), "{out:?}");
    // Plain HTTP to the TLS port gets nowhere.
    let plain = run.endpoint.replace("https://", "http://");
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["bench", "--endpoint", &plain, "--op", "encrypt", "--keys", "1", "--requests", "1", "--json"])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .output()
        .unwrap();
    assert!(!out.status.success());
    run.child.kill().unwrap();
    run.child.wait().unwrap();
}

#[test]
fn a_busy_port_stops_a_first_start_before_it_makes_credentials_and_every_start_names_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let out = clean_command(tmp.path())
        .args(["serve", "--listen", &busy.local_addr().unwrap().to_string(), "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen"));
    assert!(!dir.join("bootstrap-credentials").exists(), "no identity made by a start that failed");
    drop(busy);

    let creds = std::path::absolute(dir.join("bootstrap-credentials")).unwrap();
    let hint = format!("export AWS_SHARED_CREDENTIALS_FILE={} AWS_PROFILE=trent", creds.display());
    let mut first = start(&dir, &[]);
    assert!(first.output.iter().any(|l| l.contains("AWS_SECRET_ACCESS_KEY=")), "{:#?}", first.output);
    assert!(first.output.iter().any(|l| l.trim() == hint), "the hint uses the credentials: {:#?}", first.output);
    assert!(first.output.iter().any(|l| l.contains("AWS_DEFAULT_REGION=us-east-1")), "{:#?}", first.output);
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let mut second = start(&dir, &[]);
    let named = format!("Bootstrap credentials: {} (profile trent)", creds.display());
    assert!(second.output.iter().any(|l| l.trim() == named), "{:#?}", second.output);
    assert!(second.output.iter().any(|l| l.trim() == hint), "{:#?}", second.output);
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}

#[tokio::test]
async fn every_request_is_logged_once_at_info_without_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = clean_command(tmp.path());
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(tmp.path().join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in FIXED_BOOTSTRAP {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let endpoint = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "trent printed its endpoint");
        if let Some(url) = line.trim().strip_prefix("Trent listening on ") {
            break url.to_owned();
        }
    };
    let kms = client(&endpoint, ACCESS_KEY, SECRET_KEY);
    let key = kms.create_key().send().await.unwrap();
    let key_id = key.key_metadata().unwrap().key_id().to_owned();
    kms.encrypt().key_id(&key_id).plaintext(Blob::new(b"top secret plaintext".to_vec())).send().await.unwrap();
    let stranger = client(&endpoint, "AKIAIOSFODNN7STRANGE", "not-a-known-secret-access-key");
    assert!(stranger.list_keys().send().await.is_err());
    child.kill().unwrap();
    child.wait().unwrap();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(" request ") || l.ends_with(" request")).collect();
    let line = |op: &str| {
        let found: Vec<&&str> = lines.iter().filter(|l| l.contains(&format!("op={op} "))).collect();
        assert_eq!(found.len(), 1, "one line for {op}: {log}");
        (*found[0]).to_owned()
    };
    let created = line("CreateKey");
    for field in ["INFO", "request_id=", "status=200", "code=ok", "ms=", "caller=arn:aws:iam::123456789012:root"] {
        assert!(created.contains(field), "{field} in {created}");
    }
    assert!(line("Encrypt").contains("status=200"));
    let refused = line("ListKeys");
    for field in ["status=400", "code=UnrecognizedClientException", "caller=AKIAIOSFODNN7STRANGE"] {
        assert!(refused.contains(field), "{field} in {refused}");
    }
    for secret in [SECRET_KEY, "not-a-known-secret", "top secret", "dG9wIHNlY3JldC"] {
        assert!(!log.contains(secret), "{secret} leaked into the log: {log}");
    }

    // request_log = false: no line per request.
    let mut quiet = clean_command(tmp.path());
    quiet
        .args(["serve", "--ephemeral", "--listen", "127.0.0.1:0"])
        .env("TRENT_REQUEST_LOG", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in FIXED_BOOTSTRAP {
        quiet.env(k, v);
    }
    let mut child = quiet.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let endpoint = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "trent printed its endpoint");
        if let Some(url) = line.trim().strip_prefix("Trent listening on ") {
            break url.to_owned();
        }
    };
    client(&endpoint, ACCESS_KEY, SECRET_KEY).create_key().send().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    assert!(!log.contains("op=CreateKey"), "{log}");
}

#[tokio::test]
async fn ephemeral_starts_share_seeded_keys_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let seed = tmp.path().join("seed.yaml");
    let fixed = "0b3f4c1e-6a2d-4e8f-9c1b-2d3e4f5a6b7c";
    let signer = "5d6e7f80-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
    std::fs::write(
        &seed,
        format!(
            "account_id: \"111122223333\"\nkeys:\n\
             \x20 - id: {fixed}\n    description: fixed material\n\
             \x20   material: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n    aliases: [alias/fixed, alias/other]\n\
             \x20 - id: {signer}\n    key_spec: ECC_NIST_P256\n    key_usage: SIGN_VERIFY\n"
        ),
    )
    .unwrap();
    let ephemeral = || {
        let mut cmd = clean_command(tmp.path());
        cmd.args(["serve", "--ephemeral", "--listen", "127.0.0.1:0", "--seed"])
            .arg(&seed)
            .current_dir(&work)
            .env("TRENT_LOG", "warn")
            .env("TRENT_BOOTSTRAP_ACCESS_KEY_ID", ACCESS_KEY)
            .env("TRENT_BOOTSTRAP_SECRET_ACCESS_KEY", SECRET_KEY);
        let started = std::time::Instant::now();
        let run = spawn_server(cmd);
        eprintln!("ephemeral start with seed: {:?} to the banner", started.elapsed());
        run
    };
    let mut first = ephemeral();
    let mut second = ephemeral();
    assert!(first.output.iter().any(|l| l.contains("store: in memory")), "{:#?}", first.output);
    assert!(first.output.iter().any(|l| l.contains("seed: 2 keys")), "{:#?}", first.output);
    let (a, b) = (client(&first.endpoint, ACCESS_KEY, SECRET_KEY), client(&second.endpoint, ACCESS_KEY, SECRET_KEY));

    let md = a.describe_key().key_id("alias/fixed").send().await.unwrap();
    let md = md.key_metadata().unwrap();
    assert_eq!(md.key_id(), fixed);
    assert_eq!(md.arn(), Some(format!("arn:aws:kms:us-east-1:111122223333:key/{fixed}").as_str()));
    assert_eq!(md.origin(), Some(&aws_sdk_kms::types::OriginType::External));
    assert_eq!(md.key_state(), Some(&aws_sdk_kms::types::KeyState::Enabled));
    assert_eq!(md.description(), Some("fixed material"));
    let other = a.describe_key().key_id("alias/other").send().await.unwrap();
    assert_eq!(other.key_metadata().unwrap().key_id(), fixed);
    let md = b.describe_key().key_id(signer).send().await.unwrap();
    assert_eq!(md.key_metadata().unwrap().key_spec(), Some(&aws_sdk_kms::types::KeySpec::EccNistP256));

    // Each start decrypts what the other encrypted: same key, same material.
    let ct = a.encrypt().key_id("alias/fixed").plaintext(Blob::new(b"from a".to_vec())).send().await.unwrap();
    let pt = b.decrypt().ciphertext_blob(ct.ciphertext_blob().unwrap().clone()).send().await.unwrap();
    assert_eq!(pt.plaintext().unwrap().as_ref(), b"from a");
    let ct = b.encrypt().key_id(fixed).plaintext(Blob::new(b"from b".to_vec())).send().await.unwrap();
    let pt = a.decrypt().ciphertext_blob(ct.ciphertext_blob().unwrap().clone()).send().await.unwrap();
    assert_eq!(pt.plaintext().unwrap().as_ref(), b"from b");
    for run in [&mut first, &mut second] {
        run.child.kill().unwrap();
        run.child.wait().unwrap();
    }
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0, "nothing was written to the working directory");

    // A bad seed stops the start with a clear message.
    std::fs::write(&seed, "keys:\n  - id: not-a-key-id\n").unwrap();
    let out = clean_command(tmp.path())
        .args(["serve", "--ephemeral", "--listen", "127.0.0.1:0", "--seed"])
        .arg(&seed)
        .current_dir(&work)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("not-a-key-id"), "{err}");
    // --seed without --ephemeral is refused by the command line.
    let out = clean_command(tmp.path()).args(["serve", "--seed"]).arg(&seed).current_dir(&work).output().unwrap();
    assert!(!out.status.success());
}

#[tokio::test]
async fn a_second_server_on_one_data_directory_refuses_to_start() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut first = start(&dir, &FIXED_BOOTSTRAP);
    let mut second = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .env_remove("TRENT_CONFIG")
        .env("TRENT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if status.is_none() {
        second.kill().unwrap();
        second.wait().unwrap();
    }
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().unwrap(), &mut stderr).unwrap();
    let status = status.expect("a second server on the same data directory kept running");
    assert!(!status.success());
    assert!(stderr.contains("in use by another trent server"), "{stderr}");
    // The first one still serves.
    let kms = client(&first.endpoint, ACCESS_KEY, SECRET_KEY);
    kms.list_keys().send().await.unwrap();
    first.child.kill().unwrap();
    first.child.wait().unwrap();
}

#[test]
fn serve_refuses_to_start_with_an_expired_or_mismatched_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, other) = (tmp.path().join("old"), tmp.path().join("other"));
    make_pki(&old, true);
    make_pki(&other, false);
    let serve = |cert: &Path, key: &Path| {
        Command::new(env!("CARGO_BIN_EXE_trent"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(tmp.path().join("data"))
            .arg("--tls-cert")
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .env_remove("TRENT_CONFIG")
            .output()
            .unwrap()
    };
    let out = serve(&old.join("cert.pem"), &old.join("key.pem"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("is not valid now"), "{stderr}");
    let out = serve(&other.join("cert.pem"), &old.join("key.pem"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("does not match the certificate"), "{stderr}");
    let out = serve(&tmp.path().join("absent.pem"), &old.join("key.pem"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("absent.pem"), "{stderr}");
    // Nothing was opened: the check comes before the data directory.
    assert!(!tmp.path().join("data").exists());
}

/// `trent serve | head -1`, or a supervisor that closed the server's
/// stdout: the announcement cannot be written, and the server goes on
/// serving (it used to panic on the broken pipe).
#[tokio::test]
async fn a_closed_stdout_does_not_stop_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = clean_command(tmp.path());
    cmd.args(["serve", "--ephemeral", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in FIXED_BOOTSTRAP {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // Close the reading end before the server prints anything.
    drop(child.stdout.take());
    let kms = client(&format!("http://127.0.0.1:{port}"), ACCESS_KEY, SECRET_KEY);
    let started = std::time::Instant::now();
    loop {
        if kms.list_keys().send().await.is_ok() {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the server exited: {:?}", child.try_wait());
        assert!(started.elapsed() < Duration::from_secs(60), "the server never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    kms.create_key().send().await.unwrap();
    assert!(child.try_wait().unwrap().is_none(), "the server is still running");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `GET path` over plain HTTP: the status and body.
fn http_get(endpoint: &str, path: &str) -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let addr = endpoint.trim_start_matches("http://");
    let Ok(mut s) = std::net::TcpStream::connect(addr) else { return (0, String::new()) };
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}

/// Waits until `GET /ready` answers `status`.
fn wait_ready(endpoint: &str, status: u16) {
    let start = std::time::Instant::now();
    while http_get(endpoint, "/ready").0 != status {
        assert!(start.elapsed() < Duration::from_secs(30), "/ready never answered {status}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `trent admin unseal SHARE` against `endpoint`: success, stdout + stderr.
fn unseal(endpoint: &str, share: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["admin", "unseal", "--endpoint", endpoint, share])
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// `trent serve` on the Shamir seal of `data`, with `env`, on a free port;
/// returns once it answers sealed: the process and its endpoint.
fn start_sealed(data: &Path, env: &[(&str, &str)]) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trent"));
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data)
        .env_remove("TRENT_CONFIG")
        .env("TRENT_LOG", "warn")
        .env("TRENT_SEAL", "shamir")
        .envs(env.iter().copied())
        .stdout(Stdio::null());
    let child = cmd.spawn().unwrap();
    let start = std::time::Instant::now();
    while http_get(&endpoint, "/health").1 != "sealed\n" {
        assert!(start.elapsed() < Duration::from_secs(60), "the sealed server never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, endpoint)
}

#[tokio::test]
async fn the_shamir_seal_opens_with_three_of_five_shares_and_seals_again() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let init = |dir: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_trent"))
            .args(["admin", "init", "--shares", "5", "--threshold", "3", "--data-dir"])
            .arg(dir)
            .env_remove("TRENT_CONFIG")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect::<Vec<_>>()
    };
    let shares = init(&data);
    assert_eq!(shares.len(), 5);
    let other = init(&tmp.path().join("other"));
    let (mut child, endpoint) = start_sealed(&data, &FIXED_BOOTSTRAP);

    // Sealed: health and status only; the KMS API is refused.
    assert_eq!(http_get(&endpoint, "/ready").0, 503);
    let kms = client(&endpoint, ACCESS_KEY, SECRET_KEY);
    let e = kms.list_keys().send().await.unwrap_err();
    assert_eq!(aws_sdk_kms::error::ProvideErrorMetadata::code(&e), Some("ServiceUnavailableException"));
    // Two shares and a stranger's: still sealed.
    assert!(unseal(&endpoint, &shares[0]).0);
    let (ok, text) = unseal(&endpoint, &other[1]);
    assert!(!ok && text.contains("AccessDeniedException"), "{text}");
    let (ok, text) = unseal(&endpoint, &shares[3]);
    assert!(ok && text.contains("\"Progress\":2") && text.contains("\"Sealed\":true"), "{text}");
    assert_eq!(http_get(&endpoint, "/ready").0, 503);
    let (_, status) = http_get(&endpoint, "/seal-status");
    assert!(status.contains("\"Threshold\":3"), "{status}");
    // The third opens it.
    assert!(unseal(&endpoint, &shares[4]).0);
    wait_ready(&endpoint, 200);
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    let ct = kms.encrypt().key_id(&key).plaintext(Blob::new(b"shamir".to_vec())).send().await.unwrap();
    let ct = ct.ciphertext_blob.unwrap();

    // Sealed again by the operator: the keys leave memory.
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["admin", "seal", "--endpoint", &endpoint])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    wait_ready(&endpoint, 503);
    assert!(kms.decrypt().ciphertext_blob(ct.clone()).send().await.is_err());
    // Other three shares open the same deployment.
    for s in &shares[1..4] {
        assert!(unseal(&endpoint, s).0);
    }
    wait_ready(&endpoint, 200);
    let pt = kms.decrypt().ciphertext_blob(ct).send().await.unwrap();
    assert_eq!(pt.plaintext().unwrap().as_ref(), b"shamir");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success(), "SIGTERM is a clean shutdown");
    // A key-file start over a Shamir data directory is refused.
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env_remove("TRENT_CONFIG")
        .env_remove("TRENT_SEAL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("shamir seal"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Stops a server with SIGTERM and waits for it.
fn stop(mut run: Running) {
    let status = Command::new("kill").args(["-TERM", &run.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    run.child.wait().unwrap();
}

/// Encrypts and decrypts in a loop until `stop` is set; the number of
/// round trips, and every failure's text.
async fn load(
    kms: aws_sdk_kms::Client,
    key: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> (u64, Vec<String>) {
    let (mut done, mut failures) = (0u64, Vec::new());
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let round = async {
            let ct = kms
                .encrypt()
                .key_id(&key)
                .plaintext(Blob::new(b"under load".to_vec()))
                .send()
                .await
                .map_err(|e| format!("{e:?}"))?;
            kms.decrypt()
                .ciphertext_blob(ct.ciphertext_blob.unwrap())
                .send()
                .await
                .map(drop)
                .map_err(|e| format!("{e:?}"))
        };
        match round.await {
            Ok(()) => {
                done += 1;
                count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Err(e) => failures.push(e),
        }
    }
    (done, failures)
}

/// `trent admin rotate-root` against a server under load: a key-file
/// deployment moves to the Shamir seal (no request fails meanwhile), starts
/// again under the new seal only, then (with SoftHSM2) moves to the PKCS#11
/// seal, whose data directory copied without the token opens nothing; every
/// move is in the audit trail, which verifies across them.
#[tokio::test]
async fn rotate_root_under_load_moves_the_deployment_to_shamir_and_pkcs11() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let creds = [("AWS_ACCESS_KEY_ID", ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", SECRET_KEY)];
    // The token the PKCS#11 seal will use, declared from the first start.
    let module = std::env::var("TRENT_TEST_PKCS11_MODULE").ok();
    let label = format!("root-{}", std::process::id());
    let mut env: Vec<(&str, &str)> = FIXED_BOOTSTRAP.to_vec();
    if let Some(m) = &module {
        trent_crypto::pkcs11::init_token(Path::new(m), &label, "so-pin-1234", "user-pin-1234").unwrap();
        env.extend([("TRENT_PKCS11_MODULE", m.as_str()), ("TRENT_PKCS11_TOKEN_LABEL", label.as_str())]);
        env.push(("TRENT_PKCS11_PIN", "user-pin-1234"));
    } else {
        note_pkcs11_skip();
    }
    let run = start(&data, &env);
    let kms = client(&run.endpoint, ACCESS_KEY, SECRET_KEY);
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    let before = kms.encrypt().key_id(&key).plaintext(Blob::new(b"before".to_vec())).send().await.unwrap();
    let before = before.ciphertext_blob.unwrap();

    // Under load: two clients encrypt and decrypt throughout the rotation.
    let stop_load = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let loads: Vec<_> =
        (0..2).map(|_| tokio::spawn(load(kms.clone(), key.clone(), stop_load.clone(), count.clone()))).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The rotation on a blocking thread, so that the load goes on meanwhile.
    let endpoint = run.endpoint.clone();
    let before_rotation = count.load(std::sync::atomic::Ordering::Relaxed);
    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        admin(
            &["rotate-root", "--endpoint", &endpoint, "--to", "shamir", "--shares", "5", "--threshold", "3"],
            &[("AWS_ACCESS_KEY_ID", ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", SECRET_KEY)],
        )
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    let during = count.load(std::sync::atomic::Ordering::Relaxed) - before_rotation;
    assert!(during > 0, "no request was answered while the root rotated");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop_load.store(true, std::sync::atomic::Ordering::Relaxed);
    for l in loads {
        let (done, failures) = l.await.unwrap();
        assert!(done > 0 && failures.is_empty(), "{done} round trips, failures: {failures:?}");
    }
    assert_eq!(out["Seal"], "shamir", "{out}");
    assert_eq!(out["DomainKeys"], 1, "{out}");
    let shares: Vec<String> =
        out["Shares"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
    assert_eq!(shares.len(), 5);
    assert!(data.join("shamir.seal").exists() && !data.join("root.key").exists(), "the old key file is gone");
    // The server goes on under the new root: a new key, and the old ciphertext.
    let pt = kms.decrypt().ciphertext_blob(before.clone()).send().await.unwrap();
    assert_eq!(pt.plaintext().unwrap().as_ref(), b"before");
    // Not a second account's call.
    let (ok, _, err) = admin(
        &["rotate-root", "--endpoint", &run.endpoint, "--to", "key-file"],
        &[("AWS_ACCESS_KEY_ID", "AKIANOTANACCESSKEY12"), ("AWS_SECRET_ACCESS_KEY", "not-a-secret-not-a-secret")],
    );
    assert!(!ok && err.contains("UnrecognizedClient"), "{err}");
    stop(run);

    // The key file's seal opens nothing now; the Shamir seal opens it all.
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env_remove("TRENT_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let (mut child, endpoint) = start_sealed(&data, &env);
    for s in &shares[2..5] {
        assert!(unseal(&endpoint, s).0);
    }
    wait_ready(&endpoint, 200);
    let kms = client(&endpoint, ACCESS_KEY, SECRET_KEY);
    let pt = kms.decrypt().ciphertext_blob(before.clone()).send().await.unwrap();
    assert_eq!(pt.plaintext().unwrap().as_ref(), b"before");

    let mut rotations = 1;
    if module.is_some() {
        let (ok, out, err) = admin(&["rotate-root", "--endpoint", &endpoint, "--to", "pkcs11"], &creds);
        assert!(ok && out["Seal"] == "pkcs11", "{out} {err}");
        assert!(out.get("Shares").is_none(), "{out}");
        rotations += 1;
        assert!(data.join("pkcs11.seal").exists() && !data.join("shamir.seal").exists());
        // Started on Shamir shares, no longer under them: no sealed state.
        let (ok, _, err) = admin(&["seal", "--endpoint", &endpoint], &creds);
        assert!(!ok && err.contains("rotated"), "{err}");
        // The data directory, copied off the machine without the token.
        let copy = tmp.path().join("copy");
        std::fs::create_dir(&copy).unwrap();
        for f in std::fs::read_dir(&data).unwrap() {
            let f = f.unwrap();
            if f.file_type().unwrap().is_file() && !f.file_name().to_string_lossy().ends_with(".lock") {
                std::fs::copy(f.path(), copy.join(f.file_name())).unwrap();
            }
        }
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(status.success());
        child.wait().unwrap();
        for (seal, token) in [("pkcs11", "not-this-token"), ("key-file", label.as_str())] {
            let out = Command::new(env!("CARGO_BIN_EXE_trent"))
                .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
                .arg(&copy)
                .env_remove("TRENT_CONFIG")
                .env("TRENT_SEAL", seal)
                .env("TRENT_PKCS11_MODULE", module.as_deref().unwrap())
                .env("TRENT_PKCS11_TOKEN_LABEL", token)
                .env("TRENT_PKCS11_PIN", "user-pin-1234")
                .output()
                .unwrap();
            assert!(!out.status.success(), "{seal} on {token} opened a copy without its token");
        }
        // With the token: served, the old ciphertext decrypts.
        let mut pk_env = env.clone();
        pk_env.push(("TRENT_SEAL", "pkcs11"));
        let run = start(&data, &pk_env);
        let kms = client(&run.endpoint, ACCESS_KEY, SECRET_KEY);
        let pt = kms.decrypt().ciphertext_blob(before.clone()).send().await.unwrap();
        assert_eq!(pt.plaintext().unwrap().as_ref(), b"before");
        let (ok, report, err) = admin(&["audit", "verify", "--endpoint", &run.endpoint], &creds);
        assert!(ok && report.get("Problem").is_none(), "{report} {err}");
        check_rotation_events(&run.endpoint, rotations).await;
        stop(run);
    } else {
        let (ok, report, err) = admin(&["audit", "verify", "--endpoint", &endpoint], &creds);
        assert!(ok && report.get("Problem").is_none(), "{report} {err}");
        check_rotation_events(&endpoint, rotations).await;
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(status.success());
        child.wait().unwrap();
    }
}

/// The trail holds `n` RotateRoot events that succeeded and the one
/// refused (an unknown access key), none with a share or a secret.
async fn check_rotation_events(endpoint: &str, n: usize) {
    let events = support::exported_events(endpoint, "RotateRoot", ACCESS_KEY, SECRET_KEY);
    let text = events.join("\n");
    let (refused, done): (Vec<&str>, Vec<&str>) =
        events.iter().map(String::as_str).partition(|e| e.contains("\"errorCode\""));
    assert_eq!((done.len(), refused.len()), (n, 1), "{text}");
    assert!(refused[0].contains("UnrecognizedClientException"), "{text}");
    for e in done {
        assert!(e.contains("\"seal\"") && !e.contains("trent-share-") && !e.contains("pin"), "{e}");
    }
}

fn note_pkcs11_skip() {
    let test = std::thread::current().name().unwrap_or("?").to_owned();
    eprintln!("SKIPPED {test}: TRENT_TEST_PKCS11_MODULE is not set (PKCS#11 test)");
    if let Ok(path) = std::env::var("TRENT_TEST_SKIP_LOG") {
        use std::io::Write as _;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{test}");
        }
    }
}
