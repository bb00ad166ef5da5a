//! Opening a deployment: data directory, store (SQLite in the data
//! directory, or PostgreSQL for several nodes), seal, KMS, bootstrap.

use crate::config::{SealParams, ServerParams};
use crate::AppState;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use trent_core::keyring::OpenError;
use trent_core::{BootstrapCredentials, BootstrapSpec, Clock, Kms, KmsError, KmsOptions, Store, SystemClock};
use trent_crypto::seal::{Argon2Params, KeyFileSeal, PassphraseSeal, Seal};
use trent_crypto::AwsLcProvider;
use trent_store::{PostgresStore, SqliteStore};

/// Name of the SQLite database in the data directory.
pub const DB_FILE: &str = "trent.db";
/// Name of the passphrase seal's salt file in the data directory.
pub const SALT_FILE: &str = "seal.salt";
/// Name of the file holding generated bootstrap credentials.
pub const BOOTSTRAP_FILE: &str = "bootstrap-credentials";

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
    /// Bootstrapping the first account failed.
    #[error("bootstrap: {0}")]
    Bootstrap(#[source] KmsError),
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

/// Opens the deployment described by `params`, on the system clock.
pub async fn open(params: &ServerParams) -> Result<Opened, StartError> {
    open_with_clock(params, Arc::new(SystemClock)).await
}

/// Opens the store, the seal and the KMS of a deployment, without
/// bootstrapping an account: also the offline path of `trent admin audit
/// verify` against a stopped deployment. Returns the seal's kind too.
pub async fn open_kms(params: &ServerParams, clock: Arc<dyn Clock>) -> Result<(Kms, &'static str), StartError> {
    let store = open_store(params).await?;
    let seal = open_seal(params);
    let opts = KmsOptions {
        backing_key_cache_capacity: params.key_cache_capacity,
        audit_retention_days: params.audit_retention_days,
    };
    let kms = Kms::open(store, Arc::new(AwsLcProvider::new()), clock.clone(), seal.as_ref(), opts).await?;
    Ok((kms, seal.kind()))
}

/// The deployment's store: PostgreSQL when a URL is given, else SQLite in
/// the data directory.
pub async fn open_store(params: &ServerParams) -> Result<Arc<dyn Store>, StartError> {
    Ok(match &params.store {
        Some(url) => Arc::new(PostgresStore::connect(url).await?),
        None => Arc::new(SqliteStore::open(&params.data_dir.join(DB_FILE))?),
    })
}

/// The deployment's seal (not yet opened).
pub fn open_seal(params: &ServerParams) -> Box<dyn Seal> {
    match &params.seal {
        SealParams::KeyFile(path) => Box::new(KeyFileSeal::new(path)),
        SealParams::Passphrase(p) => {
            Box::new(PassphraseSeal::new(p.clone(), params.data_dir.join(SALT_FILE), Argon2Params::default()))
        }
    }
}

/// The files a seal keeps in the data directory or beside it, which must
/// exist (copied from the deployment) before a restore: a restore must not
/// make a new root key.
pub fn seal_files(params: &ServerParams) -> Vec<PathBuf> {
    match &params.seal {
        SealParams::KeyFile(path) => vec![path.clone()],
        SealParams::Passphrase(_) => vec![params.data_dir.join(SALT_FILE)],
    }
}

/// Opens the deployment on a given clock (tests move time with a
/// [`trent_core::ManualClock`]; SigV4 checks and the scheduler both read it).
pub async fn open_with_clock(params: &ServerParams, clock: Arc<dyn Clock>) -> Result<Opened, StartError> {
    let dir = &params.data_dir;
    create_private_dir(dir).map_err(|source| StartError::DataDir { path: dir.clone(), source })?;
    let (kms, seal_kind) = open_kms(params, clock.clone()).await?;
    let spec = BootstrapSpec {
        account_id: params.bootstrap_account_id.clone(),
        access_key_id: params.bootstrap_access_key_id.clone(),
        secret_access_key: params.bootstrap_secret_access_key.clone(),
    };
    let bootstrap = kms.bootstrap(spec).await.map_err(StartError::Bootstrap)?;
    let mut credentials_file = None;
    if let Some(creds) = bootstrap.as_ref().filter(|c| c.generated_secret) {
        let path = dir.join(BOOTSTRAP_FILE);
        write_credentials(&path, creds).map_err(|source| StartError::CredentialsFile { path: path.clone(), source })?;
        credentials_file = Some(path);
    }
    Ok(Opened {
        state: AppState::new(kms, clock, params.max_clock_skew, params.scheduler_interval)
            .trusting_proxies(params.trusted_proxies.clone()),
        seal_kind,
        bootstrap,
        credentials_file,
    })
}
