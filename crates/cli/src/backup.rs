//! `trent admin backup` and `trent admin restore`.
//!
//! Both open the deployment's store and seal directly (the same settings as
//! `trent serve`: `--data-dir`, `--store`, `--config`, `TRENT_*`). A backup
//! can be taken while the servers run: the store reads one consistent
//! snapshot (a read transaction) while they go on writing. A restore writes
//! into an empty store, SQLite or PostgreSQL, under the same seal: also the
//! way to move a deployment from SQLite to PostgreSQL.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use trent_core::backup;
use trent_core::Clock as _;
use trent_crypto::AwsLcProvider;

/// Where the deployment is (the flags of `trent serve`).
#[derive(clap::Args, Debug)]
pub struct Deployment {
    /// Data directory [default: ./data; env: TRENT_DATA_DIR]
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// PostgreSQL URL [default: SQLite in the data directory; env: TRENT_STORE_URL]
    #[arg(long, value_name = "URL")]
    pub(crate) store: Option<String>,
    /// TOML configuration file [env: TRENT_CONFIG]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// `trent admin backup` options.
#[derive(clap::Args, Debug)]
pub struct BackupArgs {
    /// The deployment to back up.
    #[command(flatten)]
    deployment: Deployment,
    /// The backup file to write (mode 0600; must not exist).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// `trent admin restore` options.
#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    /// The deployment to restore into: an empty store, with the seal of the
    /// deployment the backup came from.
    #[command(flatten)]
    deployment: Deployment,
    /// The backup file.
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
}

pub(crate) fn params(d: &Deployment) -> Result<trent_server::config::ServerParams, String> {
    let env: std::collections::HashMap<String, String> = std::env::vars().collect();
    let serve = crate::ServeArgs {
        tls_cert: None,
        tls_key: None,
        tls_client_ca: None,
        listen: None,
        data_dir: d.data_dir.clone(),
        config: d.config.clone(),
        store: d.store.clone(),
        ephemeral: false,
        seed: None,
    };
    crate::load_params(serve, &env)
}

/// The settings of a deployment that exists (its SQLite database, or a
/// store URL) with its seal's files in place: what reading a deployment
/// offline (backup, offline verify) needs, without creating anything.
pub(crate) fn existing_deployment(d: &Deployment) -> Result<trent_server::config::ServerParams, String> {
    let params = params(d)?;
    if params.store.is_none() && !params.data_dir.join(trent_server::startup::DB_FILE).exists() {
        return Err(format!("no Trent database in {}", params.data_dir.display()));
    }
    check_seal_files(&params)?;
    Ok(params)
}

/// A data directory without a database but with an audit log file (its
/// database deleted, or the file copied in) is not a new one: opening it
/// would move that file's events into the new database, and the restore
/// would then be refused as not empty. Refused here, naming the file, before
/// anything is created.
fn refuse_a_left_audit_log(data_dir: &Path) -> Result<(), String> {
    let log = data_dir.join(trent_server::startup::AUDIT_LOG_FILE);
    if !data_dir.join(trent_server::startup::DB_FILE).exists() && log.exists() {
        return Err(format!(
            "{} holds the audit events of an earlier deployment, whose database is not there: restore into a new data \
             directory (keep that file if you need its events)",
            log.display()
        ));
    }
    Ok(())
}

/// The seal's files must exist: opening a seal without them would make a
/// new root key, under which nothing of the deployment opens.
fn check_seal_files(params: &trent_server::config::ServerParams) -> Result<(), String> {
    for f in trent_server::startup::seal_files(params) {
        if !f.exists() {
            return Err(format!(
                "{} does not exist: copy it from the deployment (the same seal must open the backup), or point TRENT_KEY_FILE / --config at it",
                f.display()
            ));
        }
    }
    Ok(())
}

/// Writes `bytes` to a new file `path` with mode 0600, durably and whole:
/// into a temporary file beside it, synced, then renamed into place (which
/// fails if `path` exists), and the directory synced.
fn write_new_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    if path.exists() {
        return Err(format!("{} exists: choose a new file", path.display()));
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.partial-{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let written = opts
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    written.map_err(|e| err(path, e))?;
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| err(dir, e))
}

/// Runs `trent admin backup`.
pub async fn backup(args: BackupArgs) -> Result<bool, String> {
    let params = existing_deployment(&args.deployment)?;
    let crypto = AwsLcProvider::new();
    let root = trent_server::startup::open_seal(&params).open(&crypto).map_err(|e| e.to_string())?;
    let store = trent_server::startup::open_store(&params).await.map_err(|e| e.to_string())?;
    let now = trent_core::SystemClock.now_millis();
    let (bytes, header) = backup::create(store.as_ref(), &crypto, root, now).await.map_err(|e| e.to_string())?;
    write_new_private(&args.out, &bytes)?;
    let out = serde_json::json!({"File": args.out.display().to_string(), "Bytes": bytes.len(), "Header": header});
    println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
    Ok(true)
}

/// Runs `trent admin restore`; then verifies the restored audit trail.
pub async fn restore(args: RestoreArgs) -> Result<bool, String> {
    let params = params(&args.deployment)?;
    check_seal_files(&params)?;
    let bytes = std::fs::read(&args.input).map_err(|e| format!("{}: {e}", args.input.display()))?;
    if params.store.is_none() {
        refuse_a_left_audit_log(&params.data_dir)?;
        std::fs::create_dir_all(&params.data_dir).map_err(|e| format!("{}: {e}", params.data_dir.display()))?;
    }
    let crypto = AwsLcProvider::new();
    let root = trent_server::startup::open_seal(&params).open(&crypto).map_err(|e| e.to_string())?;
    let store = trent_server::startup::open_store(&params).await.map_err(|e| e.to_string())?;
    let header = backup::restore(store.as_ref(), &crypto, root, &bytes).await.map_err(|e| e.to_string())?;
    drop(store);
    // Open it as the server will, and check the trail came back whole.
    let (kms, _) =
        trent_server::startup::open_kms(&params, Arc::new(trent_core::SystemClock)).await.map_err(|e| e.to_string())?;
    let report = kms.verify_audit().await.map_err(|e| e.to_string())?;
    let mut out = serde_json::json!({
        "Restored": header.counts,
        "BackupCreatedAt": header.created_at,
        "AuditRecords": report.records,
    });
    if let Some(t) = report.problem() {
        out["AuditProblem"] = serde_json::Value::String(t);
    }
    println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
    Ok(report.tamper.is_none())
}
