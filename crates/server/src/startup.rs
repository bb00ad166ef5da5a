//! Opening a deployment: data directory, store (SQLite in the data
//! directory, or PostgreSQL for several nodes), seal, KMS, bootstrap; or an
//! ephemeral one ([`open_ephemeral`]) that lives in memory only.
//!
//! Checks before serving:
//! - The data directory is private (0700): created so, a looser one is
//!   tightened (refused in production mode).
//! - One server per SQLite data directory: `trent serve` holds an exclusive
//!   lock on `DATA_DIR/trent.lock` for as long as it runs; a second one
//!   refuses to start. (Online backups and offline audit checks read the
//!   database without it.)
//! - A missing or empty database next to an existing seal is refused: that
//!   is a lost database, not a first start.
//! - The store refuses a read-only or corrupt database (`SqliteStore::open`).
//! - In production mode a generated bootstrap secret is never written to
//!   disk; it is shown once by `trent serve`.

use crate::config::{SealParams, ServerParams};
use crate::AppState;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use trent_core::keyring::OpenError;
use trent_core::{BootstrapCredentials, BootstrapSpec, Clock, Kms, KmsError, KmsOptions, Store, SystemClock};
use trent_crypto::seal::{
    Argon2Params, EphemeralSeal, KeyFileSeal, PassphraseSeal, Pkcs11Seal, Seal, ShamirSeal, ShamirSealFile,
};
use trent_crypto::AwsLcProvider;
use trent_store::{PostgresStore, SqliteStore};

/// Name of the SQLite database in the data directory.
pub const DB_FILE: &str = "trent.db";
/// Name of the served SQLite store's audit log file in the data directory.
pub use trent_store::AUDIT_LOG_FILE;
/// Name of the passphrase seal's salt file in the data directory.
pub const SALT_FILE: &str = "seal.salt";
/// Name of the file holding generated bootstrap credentials.
pub const BOOTSTRAP_FILE: &str = "bootstrap-credentials";
/// Name of the lock file that keeps one server per SQLite data directory.
pub const LOCK_FILE: &str = "trent.lock";

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// Data directory problems.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The store could not be opened.
    #[error("store: {0}")]
    Store(#[from] trent_core::StoreError),
    /// The seal or the key hierarchy could not be opened.
    #[error("{0}")]
    Open(#[from] OpenError),
    /// The peer sites' clients could not be made.
    #[error("peers: {0}")]
    Peers(String),
    /// Bootstrapping the first account failed.
    #[error("bootstrap: {0}")]
    Bootstrap(#[source] KmsError),
    /// Another server holds the data directory.
    #[error(
        "data directory {path} is in use by another trent server (it holds {lock}); \
         one server per SQLite data directory: stop the other one, or use PostgreSQL for several nodes"
    )]
    Locked {
        /// The directory.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The data directory may be read by others, in production mode.
    #[error("data directory {path} has mode {mode:o}: production requires 0700 (chmod 700 it)")]
    DataDirNotPrivate {
        /// The directory.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The database is missing or empty while the seal exists.
    #[error(
        "database {db} is missing or empty, but the seal {seal} exists: this deployment's data is lost or \
         misplaced, so Trent will not start a fresh one over it. Restore the database (trent admin restore), \
         or move the seal away to start a new deployment"
    )]
    DatabaseMissing {
        /// The database file.
        db: PathBuf,
        /// The seal file found.
        seal: PathBuf,
    },
    /// Writing the bootstrap credentials file failed.
    #[error("writing {path}: {source}")]
    CredentialsFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// An opened deployment, ready to serve.
pub struct Opened {
    /// Handler state.
    pub state: AppState,
    /// The seal in use (`key-file` or `passphrase`).
    pub seal_kind: &'static str,
    /// The identity created on this first start, if any.
    pub bootstrap: Option<BootstrapCredentials>,
    /// Where generated bootstrap credentials were written.
    pub credentials_file: Option<PathBuf>,
    /// The exclusive lock on a SQLite data directory: keep it as long as
    /// the server runs.
    pub lock: Option<DataDirLock>,
}

/// An exclusive lock on a data directory, released when dropped (or when
/// the process ends, however it ends).
pub struct DataDirLock {
    _file: std::fs::File,
}

/// Takes the exclusive lock on `dir` (non-blocking `flock` on
/// `dir/trent.lock`, created with mode 0600).
pub fn lock_data_dir(dir: &Path) -> Result<DataDirLock, StartError> {
    let path = dir.join(LOCK_FILE);
    let io = |source| StartError::DataDir { path: path.clone(), source };
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let file = opts.open(&path).map_err(io)?;
    #[cfg(unix)]
    {
        use rustix::fs::{flock, FlockOperation};
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(rustix::io::Errno::WOULDBLOCK) => {
                return Err(StartError::Locked { path: dir.to_owned(), lock: path.clone() });
            }
            Err(e) => return Err(io(e.into())),
        }
    }
    Ok(DataDirLock { _file: file })
}

/// Makes an existing data directory private: tightened to 0700, or refused
/// in production mode.
fn check_dir_private(dir: &Path, production: bool) -> Result<(), StartError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let io = |source| StartError::DataDir { path: dir.to_owned(), source };
        let mode = std::fs::metadata(dir).map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            if production {
                return Err(StartError::DataDirNotPrivate { path: dir.to_owned(), mode });
            }
            tracing::warn!(path = %dir.display(), mode = %format!("{mode:o}"), "data directory tightened to 0700");
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, production);
    Ok(())
}

/// A SQLite deployment whose seal exists must have its database.
/// Beside a Shamir seal that `trent admin init` made and no deployment has
/// opened yet: the first start may make the database. (A Shamir seal file
/// exists before its deployment; the other seals' files are made by it.)
pub const SHAMIR_FRESH_FILE: &str = "shamir.new";

fn check_database_present(params: &ServerParams) -> Result<(), StartError> {
    let db = params.data_dir.join(DB_FILE);
    if matches!(std::fs::metadata(&db), Ok(m) if m.len() > 0) {
        return Ok(());
    }
    if matches!(params.seal, SealParams::Shamir { .. }) && params.data_dir.join(SHAMIR_FRESH_FILE).exists() {
        return Ok(());
    }
    match seal_files(params).into_iter().find(|f| f.exists()) {
        Some(seal) => Err(StartError::DatabaseMissing { db, seal }),
        None => Ok(()),
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        b.mode(0o700);
    }
    b.create(dir)
}

fn write_credentials(path: &Path, creds: &BootstrapCredentials) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    // The AWS shared-credentials format, so that
    // AWS_SHARED_CREDENTIALS_FILE=<this file> AWS_PROFILE=trent works as is.
    let text = zeroize::Zeroizing::new(format!(
        "# Trent bootstrap credentials for account {}. Keep this file private.\n[trent]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        creds.account_id,
        creds.access_key_id,
        creds.secret_access_key.as_str()
    ));
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// Opens a deployment that exists only in this process's memory (`trent
/// serve --ephemeral`): the SQLite store in memory, a random root key
/// ([`EphemeralSeal`]), no data directory, no credentials file: nothing is
/// written to disk, and everything is gone at exit. `params.data_dir`,
/// `store` and `seal` are not used.
pub async fn open_ephemeral(params: &ServerParams) -> Result<Opened, StartError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory()?);
    // Nothing on disk: no digest files.
    let opts =
        KmsOptions { audit_digest_dir: None, seal_requests: None, root_rotation: None, ..kms_options(params, &clock)? };
    let kms = Kms::open(store, Arc::new(AwsLcProvider::new()), clock.clone(), &EphemeralSeal, opts).await?;
    let bootstrap = kms.bootstrap(bootstrap_spec(params)).await.map_err(StartError::Bootstrap)?;
    Ok(Opened {
        state: app_state(params, kms, clock),
        seal_kind: EphemeralSeal.kind(),
        bootstrap,
        credentials_file: None,
        // Nothing on disk to guard.
        lock: None,
    })
}

/// The KMS options a deployment's parameters give.
fn kms_options(params: &ServerParams, clock: &Arc<dyn Clock>) -> Result<KmsOptions, StartError> {
    let peers: Option<Arc<dyn trent_core::peers::PeerLink>> = match (&params.peer_secret, params.peers.is_empty()) {
        (Some(secret), false) => Some(Arc::new(
            crate::peers::HttpsPeers::new(&params.peers, secret.as_bytes(), clock.clone())
                .map_err(StartError::Peers)?,
        )),
        _ => None,
    };
    Ok(KmsOptions {
        peers,
        backing_key_cache_capacity: params.key_cache_capacity,
        audit_retention_days: params.audit_retention_days,
        audit_digest_dir: Some(params.audit_digest_dir.clone()),
        checkpoint_interval_ms: i64::try_from(params.scheduler_interval.as_millis()).unwrap_or(i64::MAX),
        regions: params.regions.clone(),
        oidc_keys: params.oidc_keys.clone(),
        hsms: params.hsms.clone(),
        seal_requests: match &params.seal {
            SealParams::Shamir { seal_requests, .. } => Some(seal_requests.clone()),
            _ => None,
        },
        root_rotation: Some(Arc::new(crate::rotate_root::SealFiles::new(params))),
    })
}

fn bootstrap_spec(params: &ServerParams) -> BootstrapSpec {
    BootstrapSpec {
        account_id: params.bootstrap_account_id.clone(),
        access_key_id: params.bootstrap_access_key_id.clone(),
        secret_access_key: params.bootstrap_secret_access_key.clone(),
    }
}

fn app_state(params: &ServerParams, kms: Kms, clock: Arc<dyn Clock>) -> AppState {
    let state = AppState::new(
        kms,
        clock,
        params.max_clock_skew,
        params.scheduler_interval,
        params.regions.clone(),
        params.limits.clone(),
    )
    .trusting_proxies(params.trusted_proxies.clone())
    .with_peer_secret(params.peer_secret.as_ref().map(|s| s.as_bytes()));
    state.set_request_log(params.request_log);
    state
}

/// Opens the deployment described by `params`, on the system clock.
pub async fn open(params: &ServerParams) -> Result<Opened, StartError> {
    open_with_clock(params, Arc::new(SystemClock)).await
}

/// Opens the store, the seal and the KMS of a deployment, without
/// bootstrapping an account: also the offline path of `trent admin audit
/// verify` against a stopped deployment. Returns the seal's kind too.
pub async fn open_kms(params: &ServerParams, clock: Arc<dyn Clock>) -> Result<(Kms, &'static str), StartError> {
    open_kms_on(open_store(params).await?, params, clock).await
}

/// [`open_kms`] on a store already open.
async fn open_kms_on(
    store: Arc<dyn Store>,
    params: &ServerParams,
    clock: Arc<dyn Clock>,
) -> Result<(Kms, &'static str), StartError> {
    // A deployment that exists never gets a new seal file (a key file or a
    // salt made here would only fail to open it, and stay behind): a
    // missing one means the configured seal is not the deployment's.
    if !store.domain_keys().await.map_err(OpenError::from)?.is_empty() {
        if let Some(missing) = seal_files(params).into_iter().find(|f| !f.exists()) {
            return Err(StartError::Open(OpenError::Crypto(trent_crypto::CryptoError::Seal(format!(
                "the seal does not open this deployment: {} is missing (seal = \"{}\" is not this deployment's seal: \
                 after a root rotation, set seal to the new one; else put the file back)",
                missing.display(),
                open_seal(params).kind()
            )))));
        }
    }
    let seal = open_seal(params);
    let kms =
        Kms::open(store, Arc::new(AwsLcProvider::new()), clock.clone(), seal.as_ref(), kms_options(params, &clock)?)
            .await?;
    Ok((kms, seal.kind()))
}

/// The store of the server that holds the data directory's lock: on SQLite,
/// with the audit log file its group commits append to
/// ([`SqliteStore::open_served`]); else [`open_store`].
async fn open_served_store(params: &ServerParams) -> Result<Arc<dyn Store>, StartError> {
    Ok(match &params.store {
        Some(_) => open_store(params).await?,
        None => Arc::new(SqliteStore::open_served(&params.data_dir.join(DB_FILE))?),
    })
}

/// The deployment's store: PostgreSQL when a URL is given, else SQLite in
/// the data directory, for a command beside the server (backup, restore,
/// offline verification). The events a stopped server left in its audit
/// log file come into the database first, under the data directory's lock;
/// beside a running server (which holds the lock, and moves them itself
/// every [`trent_core::audit::INDEX_INTERVAL`]) the database is read as it
/// is.
pub async fn open_store(params: &ServerParams) -> Result<Arc<dyn Store>, StartError> {
    Ok(match &params.store {
        Some(url) => Arc::new(PostgresStore::connect(url).await?),
        None => {
            let path = params.data_dir.join(DB_FILE);
            if let Ok(_lock) = lock_data_dir(&params.data_dir) {
                drop(SqliteStore::open_served(&path)?);
            }
            Arc::new(SqliteStore::open(&path)?)
        }
    })
}

/// The deployment's seal (not yet opened).
pub fn open_seal(params: &ServerParams) -> Box<dyn Seal> {
    match &params.seal {
        SealParams::KeyFile(path) => Box::new(KeyFileSeal::new(path)),
        SealParams::Passphrase(p) => {
            Box::new(PassphraseSeal::new(p.clone(), params.data_dir.join(SALT_FILE), Argon2Params::default()))
        }
        SealParams::Shamir { file, shares, .. } => {
            Box::new(CollectedShares { file: file.clone(), shares: shares.clone() })
        }
        SealParams::Pkcs11(p) => Box::new(Pkcs11Seal::new(&p.module, &p.token_label, p.pin.clone(), &p.file)),
    }
}

/// The Shamir seal with the shares the sealed server collected: opening it
/// takes them (they are zeroized once the root key is made).
struct CollectedShares {
    file: PathBuf,
    shares: Arc<std::sync::Mutex<Vec<trent_crypto::shamir::Share>>>,
}

impl Seal for CollectedShares {
    fn open(
        &self,
        p: &dyn trent_crypto::CryptoProvider,
    ) -> Result<trent_crypto::hierarchy::RootKey, trent_crypto::CryptoError> {
        let file = ShamirSealFile::load(&self.file)?;
        let shares = std::mem::take(&mut *self.shares.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        ShamirSeal::new(file, shares).open(p)
    }

    fn kind(&self) -> &'static str {
        "shamir"
    }
}

/// The file a seal of `kind` (as [`Seal::kind`] and a rotation name it)
/// keeps for a deployment in `data_dir` whose key file would be
/// `key_file`: what [`seal_files`], a root rotation and the start's check
/// for another seal's file all go by.
pub(crate) fn seal_file(data_dir: &Path, key_file: &Path, kind: &str) -> Option<PathBuf> {
    match kind {
        "key-file" => Some(key_file.to_path_buf()),
        "passphrase" => Some(data_dir.join(SALT_FILE)),
        "shamir" => Some(data_dir.join(trent_crypto::seal::SHAMIR_FILE)),
        "pkcs11" => Some(data_dir.join(trent_crypto::seal::PKCS11_FILE)),
        _ => None,
    }
}

/// The files a seal keeps in the data directory or beside it, which must
/// exist (copied from the deployment) before a restore: a restore must not
/// make a new root key.
pub fn seal_files(params: &ServerParams) -> Vec<PathBuf> {
    seal_file(&params.data_dir, &params.key_file, open_seal(params).kind()).into_iter().collect()
}

/// Opens the deployment on a given clock (tests move time with a
/// [`trent_core::ManualClock`]; SigV4 checks and the scheduler both read it).
pub async fn open_with_clock(params: &ServerParams, clock: Arc<dyn Clock>) -> Result<Opened, StartError> {
    let dir = &params.data_dir;
    create_private_dir(dir).map_err(|source| StartError::DataDir { path: dir.clone(), source })?;
    check_dir_private(dir, params.production)?;
    let lock = match params.store {
        Some(_) => None,
        None => {
            let lock = lock_data_dir(dir)?;
            check_database_present(params)?;
            Some(lock)
        }
    };
    // Never a new key file (or salt) beside another seal's file: after a
    // root rotation, the configuration must name the new seal.
    let configured = open_seal(params).kind();
    for kind in ["shamir", "pkcs11", "passphrase"].into_iter().filter(|k| *k != configured) {
        let Some(file) = seal_file(dir, &params.key_file, kind).filter(|f| f.exists()) else { continue };
        return Err(StartError::Open(OpenError::Crypto(trent_crypto::CryptoError::Seal(format!(
            "{} holds a {kind} seal ({}): set seal = \"{kind}\"",
            dir.display(),
            file.file_name().unwrap_or_default().to_string_lossy()
        )))));
    }
    let (kms, seal_kind) = match open_kms_on(open_served_store(params).await?, params, clock.clone()).await {
        Err(StartError::Open(OpenError::WrongSeal(id))) => {
            // A rotation that committed but did not put its file in place.
            if let Some(next) = seal_files(params).iter().map(|f| crate::rotate_root::next_path(f)).find(|n| n.exists())
            {
                return Err(StartError::Open(OpenError::Crypto(trent_crypto::CryptoError::Seal(format!(
                    "the seal does not open this deployment (domain key {id}), and {} is there: a root rotation \
                     committed without putting its seal file in place; rename it without .next",
                    next.display()
                )))));
            }
            return Err(StartError::Open(OpenError::WrongSeal(id)));
        }
        other => other?,
    };
    if matches!(params.seal, SealParams::Shamir { .. }) {
        // The deployment exists now: a lost database is refused from here on.
        let fresh = dir.join(SHAMIR_FRESH_FILE);
        if fresh.exists() {
            std::fs::remove_file(&fresh).map_err(|source| StartError::DataDir { path: fresh, source })?;
        }
    }
    let bootstrap = kms.bootstrap(bootstrap_spec(params)).await.map_err(StartError::Bootstrap)?;
    let mut credentials_file = None;
    // In production a generated secret never touches the disk: `trent
    // serve` shows it once.
    if let Some(creds) = bootstrap.as_ref().filter(|c| c.generated_secret && !params.production) {
        let path = dir.join(BOOTSTRAP_FILE);
        write_credentials(&path, creds).map_err(|source| StartError::CredentialsFile { path: path.clone(), source })?;
        credentials_file = Some(path);
    }
    Ok(Opened { state: app_state(params, kms, clock), seal_kind, bootstrap, credentials_file, lock })
}
