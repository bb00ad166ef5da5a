//! Configuration: one struct, layered defaults < TOML file < `TRENT_*`
//! environment < command-line flags, then validated into [`ServerParams`].
//!
//! The environment is passed in as a map, never read from a global here, so
//! tests do not touch the process environment.

use crate::listener::{self, Limits};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use trent_api::ids::Region;
use zeroize::Zeroizing;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4600";
/// The region served when none is configured.
pub const DEFAULT_REGION: &str = "us-east-1";

/// One layer of configuration: every setting optional. The TOML file, the
/// environment and the flags each produce one; [`Config::merge`] stacks them.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `listen`: address and port to serve on.
    pub listen: Option<String>,
    /// `data_dir`: where the SQLite database and seal files live.
    pub data_dir: Option<PathBuf>,
    /// `store`: a `postgres://…` URL for a deployment of several nodes;
    /// absent, the SQLite database in the data directory.
    pub store: Option<String>,
    /// `seal`: `key-file` (development), `passphrase` or `shamir`.
    pub seal: Option<String>,
    /// `key_file`: the key-file seal's path (default `DATA_DIR/root.key`).
    pub key_file: Option<PathBuf>,
    /// `passphrase`: the passphrase seal's passphrase (prefer the env or a file).
    pub passphrase: Option<String>,
    /// `passphrase_file`: a file holding the passphrase.
    pub passphrase_file: Option<PathBuf>,
    /// `pkcs11_module`: the PKCS#11 module (`.so`) of the token that holds
    /// the root key (`seal = "pkcs11"`, or a rotation to it).
    pub pkcs11_module: Option<PathBuf>,
    /// `pkcs11_token_label`: that token's label.
    pub pkcs11_token_label: Option<String>,
    /// `pkcs11_pin`: its crypto-user PIN (prefer the env or a file).
    pub pkcs11_pin: Option<String>,
    /// `pkcs11_pin_file`: a file holding the PIN.
    pub pkcs11_pin_file: Option<PathBuf>,
    /// `production`: refuse development conveniences (key-file seal, printing
    /// generated secrets).
    pub production: Option<bool>,
    /// `max_clock_skew_secs`: allowed SigV4 clock skew (default 300).
    pub max_clock_skew_secs: Option<u64>,
    /// `key_cache_capacity`: unwrapped backing keys kept in memory.
    pub key_cache_capacity: Option<usize>,
    /// `scheduler_interval_secs`: seconds between scheduler passes (default 60).
    pub scheduler_interval_secs: Option<u64>,
    /// `audit_retention_days`: days audit records are kept (default: forever).
    pub audit_retention_days: Option<u64>,
    /// `audit_digest_dir`: where audit checkpoints are also written as
    /// digest files (default `DATA_DIR/audit-digests`); put it on other
    /// storage than the database.
    pub audit_digest_dir: Option<PathBuf>,
    /// `log`: a tracing filter (`info`, `trent=debug`, …).
    pub log: Option<String>,
    /// `request_log`: one info line per request (default true).
    pub request_log: Option<bool>,
    /// `regions`: the regions served (default `["us-east-1"]`); a request
    /// scoped to another is refused. `TRENT_REGIONS` is comma-separated.
    pub regions: Option<Vec<String>>,
    /// `header_read_timeout_secs`: time allowed for a request's headers
    /// (default 10).
    pub header_read_timeout_secs: Option<u64>,
    /// `body_read_timeout_secs`: time allowed for a request's body (default 20).
    pub body_read_timeout_secs: Option<u64>,
    /// `idle_timeout_secs`: time a connection may stay open with no request
    /// (default 60).
    pub idle_timeout_secs: Option<u64>,
    /// `max_connections`: open connections at most (default: the
    /// file-descriptor limit less 64, at most 16384).
    pub max_connections: Option<usize>,
    /// `body_memory_mib`: MiB of request bodies held at once (default 64).
    pub body_memory_mib: Option<u64>,
    /// `bootstrap_account_id`: the first account's id (12 digits).
    pub bootstrap_account_id: Option<String>,
    /// `bootstrap_access_key_id`: the first access key id.
    pub bootstrap_access_key_id: Option<String>,
    /// `bootstrap_secret_access_key`: the first secret access key.
    pub bootstrap_secret_access_key: Option<String>,
    /// `tls_cert`: PEM certificate chain (leaf first); with `tls_key`, the
    /// listener speaks TLS only.
    pub tls_cert: Option<PathBuf>,
    /// `tls_key`: PEM private key of the certificate.
    pub tls_key: Option<PathBuf>,
    /// `tls_client_ca`: PEM CA certificates; clients must then present a
    /// certificate issued by one of them (mTLS).
    pub tls_client_ca: Option<PathBuf>,
    /// `tls_terminated_by_proxy`: plain HTTP behind a TLS proxy; needs
    /// `trusted_proxies`.
    pub tls_terminated_by_proxy: Option<bool>,
    /// `trusted_proxies`: addresses or CIDR ranges of the TLS proxies whose
    /// `X-Forwarded-Proto` is believed.
    pub trusted_proxies: Option<Vec<String>>,
    /// `oidc_jwks`: each OpenID Connect issuer's signing keys, which
    /// AssumeRoleWithWebIdentity checks tokens with (a table from the
    /// issuer URL, `https://…`, to a JWKS file or the JWKS JSON inline).
    /// Trent does not fetch them from the issuer.
    pub oidc_jwks: Option<std::collections::BTreeMap<String, String>>,
    /// `[hsm.NAME]`: the PKCS#11 tokens custom key stores may use, NAME
    /// being the `CloudHsmClusterId` that CreateCustomKeyStore names
    /// (`cluster-` and 11–16 letters or digits 2–7, as AWS's model
    /// requires).
    pub hsm: Option<std::collections::BTreeMap<String, HsmConfig>>,
    /// `[[peers]]`: other Trent deployments (sites) serving other Regions,
    /// where multi-Region keys may have related keys. `TRENT_PEERS`:
    /// `REGION[,REGION]=https://HOST:PORT#SHA256` entries separated by
    /// spaces.
    pub peers: Option<Vec<PeerConfig>>,
    /// `peer_secret`: the trust shared with every peer site (at least 32
    /// characters; prefer the env or a file), which authenticates each
    /// message between sites.
    pub peer_secret: Option<String>,
    /// `peer_secret_file`: a file holding it.
    pub peer_secret_file: Option<PathBuf>,
}

/// One `[[peers]]` table.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// The Regions the peer serves.
    pub regions: Vec<String>,
    /// Its listener: `https://HOST:PORT`.
    pub url: String,
    /// SHA-256 of its TLS certificate (DER), 64 hex digits: the only
    /// certificate accepted from it (`openssl x509 -in cert.pem -outform
    /// DER | sha256sum`, or the `TLS certificate SHA-256` line of its
    /// start banner).
    pub certificate_sha256: String,
}

impl PeerConfig {
    /// Reads `TRENT_PEERS` entries: `REGION[,REGION]=URL#SHA256`.
    fn from_env(v: &str) -> Result<Vec<PeerConfig>, ConfigError> {
        v.split_whitespace()
            .map(|entry| {
                let bad =
                    || ConfigError(format!("TRENT_PEERS: '{entry}' is not REGION[,REGION]=https://HOST:PORT#SHA256"));
                let (regions, rest) = entry.split_once('=').ok_or_else(bad)?;
                let (url, pin) = rest.rsplit_once('#').ok_or_else(bad)?;
                Ok(PeerConfig {
                    regions: regions.split(',').map(str::to_owned).collect(),
                    url: url.to_owned(),
                    certificate_sha256: pin.to_owned(),
                })
            })
            .collect()
    }
}

/// A validated peer site.
#[derive(Clone, Debug)]
pub struct PeerParams {
    /// The Regions it serves.
    pub regions: Vec<Region>,
    /// Its listener.
    pub url: String,
    /// SHA-256 of its certificate.
    pub certificate_sha256: [u8; 32],
}

/// One `[hsm.NAME]` table.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HsmConfig {
    /// `module`: the PKCS#11 library (`.so`).
    pub module: PathBuf,
    /// `token_label`: the token's label.
    pub token_label: String,
}

/// AWS's pattern for `CloudHsmClusterIdType`: `cluster-[2-7a-zA-Z]{11,16}`.
fn cluster_id_ok(name: &str) -> bool {
    name.strip_prefix("cluster-")
        .is_some_and(|rest| (11..=16).contains(&rest.len()) && trent_api::validate::cluster_id_chars_ok(rest))
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("store", &self.store.as_deref().map(redact_url))
            .field("seal", &self.seal)
            .field("key_file", &self.key_file)
            .field("passphrase", &self.passphrase.as_ref().map(|_| "**redacted**"))
            .field("passphrase_file", &self.passphrase_file)
            .field("pkcs11_module", &self.pkcs11_module)
            .field("pkcs11_token_label", &self.pkcs11_token_label)
            .field("pkcs11_pin", &self.pkcs11_pin.as_ref().map(|_| "**redacted**"))
            .field("pkcs11_pin_file", &self.pkcs11_pin_file)
            .field("production", &self.production)
            .field("max_clock_skew_secs", &self.max_clock_skew_secs)
            .field("key_cache_capacity", &self.key_cache_capacity)
            .field("scheduler_interval_secs", &self.scheduler_interval_secs)
            .field("audit_retention_days", &self.audit_retention_days)
            .field("audit_digest_dir", &self.audit_digest_dir)
            .field("log", &self.log)
            .field("request_log", &self.request_log)
            .field("regions", &self.regions)
            .field("header_read_timeout_secs", &self.header_read_timeout_secs)
            .field("body_read_timeout_secs", &self.body_read_timeout_secs)
            .field("idle_timeout_secs", &self.idle_timeout_secs)
            .field("max_connections", &self.max_connections)
            .field("body_memory_mib", &self.body_memory_mib)
            .field("bootstrap_account_id", &self.bootstrap_account_id)
            .field("bootstrap_access_key_id", &self.bootstrap_access_key_id)
            .field("bootstrap_secret_access_key", &self.bootstrap_secret_access_key.as_ref().map(|_| "**redacted**"))
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("tls_client_ca", &self.tls_client_ca)
            .field("tls_terminated_by_proxy", &self.tls_terminated_by_proxy)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("oidc_jwks", &self.oidc_jwks.as_ref().map(|m| m.keys().collect::<Vec<_>>()))
            .field("hsm", &self.hsm)
            .field("peers", &self.peers)
            .field("peer_secret", &self.peer_secret.as_ref().map(|_| "**redacted**"))
            .field("peer_secret_file", &self.peer_secret_file)
            .finish()
    }
}

/// A configuration error, worded for the operator.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

macro_rules! merge_fields {
    ($self:ident, $top:ident, $($f:ident),+) => { $( if $top.$f.is_some() { $self.$f = $top.$f; } )+ };
}

impl Config {
    /// Parses a TOML file's text.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError(format!("invalid config file: {e}")))
    }

    /// Reads the `TRENT_*` variables from `env`.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let s = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
        let parse_u64 = |k: &str| -> Result<Option<u64>, ConfigError> {
            s(k).map(|v| v.parse().map_err(|_| ConfigError(format!("{k} must be a whole number")))).transpose()
        };
        let parse_bool = |k: &str| match s(k).as_deref() {
            None => Ok(None),
            Some("1" | "true" | "yes") => Ok(Some(true)),
            Some("0" | "false" | "no") => Ok(Some(false)),
            Some(_) => Err(ConfigError(format!("{k} must be true or false"))),
        };
        let production = parse_bool("TRENT_PRODUCTION")?;
        Ok(Config {
            listen: s("TRENT_LISTEN"),
            data_dir: s("TRENT_DATA_DIR").map(PathBuf::from),
            store: s("TRENT_STORE_URL"),
            seal: s("TRENT_SEAL"),
            key_file: s("TRENT_KEY_FILE").map(PathBuf::from),
            passphrase: s("TRENT_SEAL_PASSPHRASE"),
            passphrase_file: s("TRENT_SEAL_PASSPHRASE_FILE").map(PathBuf::from),
            pkcs11_module: s("TRENT_PKCS11_MODULE").map(PathBuf::from),
            pkcs11_token_label: s("TRENT_PKCS11_TOKEN_LABEL"),
            pkcs11_pin: s("TRENT_PKCS11_PIN"),
            pkcs11_pin_file: s("TRENT_PKCS11_PIN_FILE").map(PathBuf::from),
            production,
            max_clock_skew_secs: parse_u64("TRENT_MAX_CLOCK_SKEW_SECS")?,
            key_cache_capacity: parse_u64("TRENT_KEY_CACHE_CAPACITY")?
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            scheduler_interval_secs: parse_u64("TRENT_SCHEDULER_INTERVAL_SECS")?,
            audit_retention_days: parse_u64("TRENT_AUDIT_RETENTION_DAYS")?,
            audit_digest_dir: s("TRENT_AUDIT_DIGEST_DIR").map(PathBuf::from),
            log: s("TRENT_LOG"),
            request_log: parse_bool("TRENT_REQUEST_LOG")?,
            regions: s("TRENT_REGIONS").map(|v| v.split(',').map(|r| r.trim().to_owned()).collect()),
            header_read_timeout_secs: parse_u64("TRENT_HEADER_READ_TIMEOUT_SECS")?,
            body_read_timeout_secs: parse_u64("TRENT_BODY_READ_TIMEOUT_SECS")?,
            idle_timeout_secs: parse_u64("TRENT_IDLE_TIMEOUT_SECS")?,
            max_connections: parse_u64("TRENT_MAX_CONNECTIONS")?.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            body_memory_mib: parse_u64("TRENT_BODY_MEMORY_MIB")?,
            bootstrap_account_id: s("TRENT_BOOTSTRAP_ACCOUNT_ID"),
            bootstrap_access_key_id: s("TRENT_BOOTSTRAP_ACCESS_KEY_ID"),
            bootstrap_secret_access_key: s("TRENT_BOOTSTRAP_SECRET_ACCESS_KEY"),
            tls_cert: s("TRENT_TLS_CERT").map(PathBuf::from),
            tls_key: s("TRENT_TLS_KEY").map(PathBuf::from),
            tls_client_ca: s("TRENT_TLS_CLIENT_CA").map(PathBuf::from),
            tls_terminated_by_proxy: parse_bool("TRENT_TLS_TERMINATED_BY_PROXY")?,
            trusted_proxies: s("TRENT_TRUSTED_PROXIES")
                .map(|v| v.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()),
            peers: s("TRENT_PEERS").map(|v| PeerConfig::from_env(&v)).transpose()?,
            peer_secret: s("TRENT_PEER_SECRET"),
            peer_secret_file: s("TRENT_PEER_SECRET_FILE").map(PathBuf::from),
            // Tables: the configuration file only.
            oidc_jwks: None,
            hsm: None,
        })
    }

    /// Stacks `top` over `self`: every setting `top` has wins.
    pub fn merge(mut self, top: Config) -> Config {
        merge_fields!(
            self,
            top,
            listen,
            data_dir,
            store,
            seal,
            key_file,
            passphrase,
            passphrase_file,
            pkcs11_module,
            pkcs11_token_label,
            pkcs11_pin,
            pkcs11_pin_file,
            production,
            max_clock_skew_secs,
            key_cache_capacity,
            scheduler_interval_secs,
            audit_retention_days,
            audit_digest_dir,
            log,
            request_log,
            regions,
            header_read_timeout_secs,
            body_read_timeout_secs,
            idle_timeout_secs,
            max_connections,
            body_memory_mib,
            bootstrap_account_id,
            bootstrap_access_key_id,
            bootstrap_secret_access_key,
            tls_cert,
            tls_key,
            tls_client_ca,
            tls_terminated_by_proxy,
            trusted_proxies,
            oidc_jwks,
            hsm,
            peers,
            peer_secret,
            peer_secret_file
        );
        self
    }

    /// Validates into parameters. `read_file` reads the passphrase file
    /// (injected for tests).
    pub fn into_params(
        self,
        read_file: impl Fn(&std::path::Path) -> std::io::Result<String>,
    ) -> Result<ServerParams, ConfigError> {
        let listen: SocketAddr = self
            .listen
            .as_deref()
            .unwrap_or(DEFAULT_LISTEN)
            .parse()
            .map_err(|_| ConfigError("listen must be ADDRESS:PORT, e.g. 127.0.0.1:4600".into()))?;
        let data_dir = self.data_dir.unwrap_or_else(|| PathBuf::from("./data"));
        let production = self.production.unwrap_or(false);
        let store = match self.store {
            None => None,
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Some(Zeroizing::new(url))
            }
            Some(_) => return Err(ConfigError("store must be a postgres:// URL (or absent for SQLite)".into())),
        };
        let pkcs11 = match (self.pkcs11_module, self.pkcs11_token_label) {
            (None, None) => None,
            (Some(module), Some(token_label)) => {
                let pin =
                    secret(self.pkcs11_pin, self.pkcs11_pin_file, "PKCS#11 PIN", &read_file)?.ok_or_else(|| {
                        ConfigError("pkcs11_module needs the token's PIN: TRENT_PKCS11_PIN or pkcs11_pin_file".into())
                    })?;
                Some(Pkcs11Params { module, token_label, pin, file: data_dir.join(trent_crypto::seal::PKCS11_FILE) })
            }
            _ => return Err(ConfigError("pkcs11_module and pkcs11_token_label go together".into())),
        };
        let key_file = self.key_file.unwrap_or_else(|| data_dir.join("root.key"));
        let seal = match self.seal.as_deref().unwrap_or("key-file") {
            "key-file" => {
                if production {
                    return Err(ConfigError(
                        "the key-file seal is for development only; production requires seal = \"passphrase\", \"shamir\" or \"pkcs11\"".into(),
                    ));
                }
                SealParams::KeyFile(key_file.clone())
            }
            "passphrase" => {
                let pass =
                    secret(self.passphrase, self.passphrase_file, "passphrase", &read_file)?.ok_or_else(|| {
                        ConfigError("seal = \"passphrase\" needs TRENT_SEAL_PASSPHRASE or passphrase_file".into())
                    })?;
                SealParams::Passphrase(pass)
            }
            "shamir" => SealParams::Shamir {
                file: data_dir.join(trent_crypto::seal::SHAMIR_FILE),
                shares: std::sync::Arc::default(),
                seal_requests: std::sync::Arc::default(),
            },
            "pkcs11" => SealParams::Pkcs11(pkcs11.clone().ok_or_else(|| {
                ConfigError("seal = \"pkcs11\" needs pkcs11_module, pkcs11_token_label and the PIN".into())
            })?),
            other => {
                return Err(ConfigError(format!("unknown seal '{other}': use key-file, passphrase, shamir or pkcs11")))
            }
        };
        let skew = self.max_clock_skew_secs.unwrap_or(300);
        if skew == 0 || skew > 3600 {
            return Err(ConfigError("max_clock_skew_secs must be between 1 and 3600".into()));
        }
        let interval = self.scheduler_interval_secs.unwrap_or(60);
        if interval == 0 || interval > 86_400 {
            return Err(ConfigError("scheduler_interval_secs must be between 1 and 86400".into()));
        }
        let tls = match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsParams { cert, key, client_ca: self.tls_client_ca }),
            (None, None) if self.tls_client_ca.is_some() => {
                return Err(ConfigError("tls_client_ca needs tls_cert and tls_key".into()))
            }
            (None, None) => None,
            _ => return Err(ConfigError("tls_cert and tls_key go together: give both or neither".into())),
        };
        let behind_proxy = self.tls_terminated_by_proxy.unwrap_or(false);
        let trusted_proxies = self
            .trusted_proxies
            .unwrap_or_default()
            .iter()
            .map(|p| {
                IpNet::parse(p).ok_or_else(|| {
                    ConfigError(format!("trusted_proxies: '{p}' is not an IP address or CIDR range (10.0.0.0/8)"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if behind_proxy && tls.is_some() {
            return Err(ConfigError("tls_terminated_by_proxy = true and tls_cert: choose one".into()));
        }
        if behind_proxy && trusted_proxies.is_empty() {
            return Err(ConfigError(
                "tls_terminated_by_proxy = true needs trusted_proxies (the proxies' addresses)".into(),
            ));
        }
        if !behind_proxy && !trusted_proxies.is_empty() {
            return Err(ConfigError("trusted_proxies is used only with tls_terminated_by_proxy = true".into()));
        }
        if production && tls.is_none() && !behind_proxy && !listen.ip().is_loopback() {
            return Err(ConfigError(format!(
                "production mode refuses plain HTTP on {listen}: set tls_cert and tls_key, or \
                 tls_terminated_by_proxy = true with trusted_proxies, or listen on a loopback address"
            )));
        }
        if let (true, Some(url)) = (production, store.as_deref()) {
            if !postgres_url_is_safe(url) {
                return Err(ConfigError(
                    "production mode refuses PostgreSQL without TLS off this host: add \
                     sslmode=verify-full&sslrootcert=/path/ca.pem to the store URL (or use a Unix socket \
                     or a loopback address)"
                        .into(),
                ));
            }
        }
        let audit_retention_days = match self.audit_retention_days {
            None => None,
            Some(d @ 1..=36_500) => u32::try_from(d).ok(),
            Some(_) => return Err(ConfigError("audit_retention_days must be between 1 and 36500".into())),
        };
        let regions = match self.regions {
            None => vec![Region::parse(DEFAULT_REGION).ok_or_else(|| ConfigError("bad default region".into()))?],
            Some(list) => {
                let mut out: Vec<Region> = Vec::with_capacity(list.len());
                for name in list.iter().filter(|r| !r.is_empty()) {
                    let r = Region::parse(name).ok_or_else(|| {
                        ConfigError(format!("regions: '{name}' is not a region name (e.g. us-east-1)"))
                    })?;
                    if !out.contains(&r) {
                        out.push(r);
                    }
                }
                if out.is_empty() {
                    return Err(ConfigError("regions must name at least one region".into()));
                }
                out
            }
        };
        let secs = |v: Option<u64>, default: u64, name: &str| -> Result<std::time::Duration, ConfigError> {
            match v.unwrap_or(default) {
                n @ 1..=3600 => Ok(std::time::Duration::from_secs(n)),
                _ => Err(ConfigError(format!("{name} must be between 1 and 3600"))),
            }
        };
        let body_memory_mib = self.body_memory_mib.unwrap_or(64);
        if !(1..=65_536).contains(&body_memory_mib) {
            return Err(ConfigError("body_memory_mib must be between 1 and 65536".into()));
        }
        if self.max_connections == Some(0) {
            return Err(ConfigError("max_connections must be at least 1".into()));
        }
        let limits = Limits {
            header_read_timeout: secs(
                self.header_read_timeout_secs,
                listener::DEFAULT_HEADER_READ_TIMEOUT_SECS,
                "header_read_timeout_secs",
            )?,
            body_read_timeout: secs(
                self.body_read_timeout_secs,
                listener::DEFAULT_BODY_READ_TIMEOUT_SECS,
                "body_read_timeout_secs",
            )?,
            idle_timeout: secs(self.idle_timeout_secs, listener::DEFAULT_IDLE_TIMEOUT_SECS, "idle_timeout_secs")?,
            max_connections: self.max_connections,
            body_memory: usize::try_from(body_memory_mib * 1024 * 1024).unwrap_or(listener::DEFAULT_BODY_MEMORY),
        };
        let audit_digest_dir = self.audit_digest_dir.unwrap_or_else(|| data_dir.join("audit-digests"));
        let sources: std::collections::BTreeMap<String, trent_core::oidc::JwksSource> = self
            .oidc_jwks
            .unwrap_or_default()
            .into_iter()
            .map(|(issuer, v)| (issuer, trent_core::oidc::JwksSource::from_config(&v)))
            .collect();
        let oidc_keys = std::sync::Arc::new(trent_core::oidc::OidcKeys::new(&sources).map_err(ConfigError)?);
        let mut hsms = std::collections::BTreeMap::new();
        for (name, h) in self.hsm.unwrap_or_default() {
            if !cluster_id_ok(&name) {
                return Err(ConfigError(format!(
                    "[hsm.{name}]: the name is the CloudHsmClusterId clients send, which must match cluster-[2-7a-zA-Z]{{11,16}}"
                )));
            }
            if h.token_label.is_empty() || h.token_label.len() > 32 {
                return Err(ConfigError(format!("[hsm.{name}]: token_label must have 1 to 32 characters")));
            }
            hsms.insert(name, trent_core::hsm::HsmDecl { module: h.module, token_label: h.token_label });
        }
        let peer_secret = secret(self.peer_secret, self.peer_secret_file, "peer secret", &read_file)?;
        let mut peers: Vec<PeerParams> = Vec::new();
        for p in self.peers.unwrap_or_default() {
            let url = p.url.trim_end_matches('/').to_owned();
            let valid_url = url.strip_prefix("https://").is_some_and(|h| !h.is_empty() && !h.contains('/'));
            if !valid_url {
                return Err(ConfigError(format!("peers: url '{}' must be https://HOST:PORT", p.url)));
            }
            let pin: [u8; 32] = hex::decode(&p.certificate_sha256)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| ConfigError(format!("peers: certificate_sha256 of {url} must be 64 hex digits")))?;
            let mut served = Vec::new();
            for name in &p.regions {
                let r = Region::parse(name)
                    .ok_or_else(|| ConfigError(format!("peers: '{name}' is not a region name (e.g. eu-west-1)")))?;
                if regions.contains(&r) || peers.iter().any(|q| q.regions.contains(&r)) {
                    return Err(ConfigError(format!("peers: Region {r} is served twice")));
                }
                served.push(r);
            }
            if served.is_empty() {
                return Err(ConfigError(format!("peers: {url} names no Region")));
            }
            peers.push(PeerParams { regions: served, url, certificate_sha256: pin });
        }
        let peer_secret = match (peers.is_empty(), peer_secret) {
            (true, None) => None,
            (true, Some(_)) => return Err(ConfigError("peer_secret is used only with [[peers]]".into())),
            (false, None) => {
                return Err(ConfigError("[[peers]] needs peer_secret (TRENT_PEER_SECRET or peer_secret_file)".into()))
            }
            (false, Some(s)) if s.len() < 32 => {
                return Err(ConfigError("peer_secret must have at least 32 characters".into()))
            }
            (false, Some(s)) => Some(s),
        };
        if !peers.is_empty() && tls.is_none() {
            return Err(ConfigError("[[peers]] needs TLS on this listener (tls_cert and tls_key)".into()));
        }
        Ok(ServerParams {
            peers,
            peer_secret,
            hsms: std::sync::Arc::new(trent_core::hsm::Hsms::new(hsms)),
            oidc_keys,
            listen,
            regions,
            limits,
            audit_retention_days,
            audit_digest_dir,
            data_dir,
            store,
            seal,
            key_file,
            pkcs11,
            production,
            max_clock_skew: time::Duration::seconds(i64::try_from(skew).unwrap_or(300)),
            key_cache_capacity: self.key_cache_capacity.unwrap_or(100_000).max(1),
            scheduler_interval: std::time::Duration::from_secs(interval),
            log: self.log.unwrap_or_else(|| "info".into()),
            request_log: self.request_log.unwrap_or(true),
            bootstrap_account_id: self.bootstrap_account_id,
            bootstrap_access_key_id: self.bootstrap_access_key_id,
            bootstrap_secret_access_key: self.bootstrap_secret_access_key.map(Zeroizing::new),
            tls,
            trusted_proxies,
        })
    }
}

/// Whether a PostgreSQL URL keeps the database traffic private: TLS
/// (`sslmode=verify-full` or `require`), a Unix socket, or a loopback host.
fn postgres_url_is_safe(url: &str) -> bool {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let params: Vec<(&str, &str)> = query.split('&').filter_map(|p| p.split_once('=')).collect();
    if params.iter().any(|(k, v)| *k == "sslmode" && matches!(*v, "verify-full" | "require")) {
        return true;
    }
    // A `host` parameter overrides the URL's host (libpq).
    let host = match params.iter().rev().find(|(k, _)| *k == "host") {
        Some((_, h)) => (*h).to_owned(),
        None => {
            let rest = base.split_once("://").map_or(base, |(_, r)| r);
            let authority = rest.split('/').next().unwrap_or("");
            let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            match hostport.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or("").to_owned(),
                None => hostport.split(':').next().unwrap_or("").to_owned(),
            }
        }
    };
    let host = host.to_ascii_lowercase();
    host.is_empty()
        || host.starts_with('/')
        || host.starts_with("%2f")
        || host == "localhost"
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A store URL for logs and banners: scheme, host, port and database; the
/// user, the password and the options are left out.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "**redacted**".into();
    };
    let host_and_db = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host_and_db = host_and_db.split_once('?').map_or(host_and_db, |(h, _)| h);
    format!("{scheme}://{host_and_db}")
}

/// The listener's TLS files.
#[derive(Debug, Clone)]
pub struct TlsParams {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
    /// PEM CA certificates of client certificates (mTLS), if required.
    pub client_ca: Option<PathBuf>,
}

/// An address range (`10.0.0.0/8`, `::1/128`; a bare address is one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `ADDR` or `ADDR/PREFIX`.
    pub fn parse(text: &str) -> Option<IpNet> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.parse::<std::net::IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.parse().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpNet { addr, prefix })
    }

    /// Whether `ip` is in the range (an IPv4-mapped IPv6 address counts as
    /// its IPv4 address).
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// A secret given as a value or in a file (its line end trimmed); `None`
/// when neither is.
fn secret(
    value: Option<String>,
    file: Option<PathBuf>,
    what: &str,
    read_file: &impl Fn(&std::path::Path) -> std::io::Result<String>,
) -> Result<Option<Zeroizing<String>>, ConfigError> {
    match (value, file) {
        (Some(v), _) => Ok(Some(Zeroizing::new(v))),
        (None, Some(f)) => {
            let text =
                Zeroizing::new(read_file(&f).map_err(|e| ConfigError(format!("{what} file {}: {e}", f.display())))?);
            Ok(Some(Zeroizing::new(text.trim_end_matches(['\n', '\r']).to_owned())))
        }
        (None, None) => Ok(None),
    }
}

/// Where the root key comes from.
pub enum SealParams {
    /// A key file (development).
    KeyFile(PathBuf),
    /// An Argon2id passphrase.
    Passphrase(Zeroizing<String>),
    /// Shamir shares of the root key (`trent admin init`), given to the
    /// sealed server (`trent admin unseal`): `shares` holds them from the
    /// moment the threshold is reached until the seal opens, which takes
    /// them.
    Shamir {
        /// The seal file ([`trent_crypto::seal::SHAMIR_FILE`] in the data directory).
        file: PathBuf,
        /// The shares collected.
        shares: std::sync::Arc<std::sync::Mutex<Vec<trent_crypto::shamir::Share>>>,
        /// Notified by `TrentAdmin.Seal`: the server seals itself again.
        seal_requests: std::sync::Arc<tokio::sync::Notify>,
    },
    /// The root key in a PKCS#11 token.
    Pkcs11(Pkcs11Params),
}

/// A token for the root key (`pkcs11_module`, `pkcs11_token_label`, the
/// PIN), and the seal file that names the key in it.
#[derive(Clone)]
pub struct Pkcs11Params {
    /// The module (`.so`).
    pub module: PathBuf,
    /// The token's label.
    pub token_label: String,
    /// The crypto-user PIN.
    pub pin: Zeroizing<String>,
    /// The seal file ([`trent_crypto::seal::PKCS11_FILE`] in the data
    /// directory).
    pub file: PathBuf,
}

impl fmt::Debug for Pkcs11Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Params")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for SealParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SealParams::KeyFile(p) => f.debug_tuple("KeyFile").field(p).finish(),
            SealParams::Passphrase(_) => f.write_str("Passphrase(**redacted**)"),
            SealParams::Shamir { file, .. } => f.debug_struct("Shamir").field("file", file).finish_non_exhaustive(),
            SealParams::Pkcs11(p) => f.debug_tuple("Pkcs11").field(p).finish(),
        }
    }
}

/// Validated server parameters.
pub struct ServerParams {
    /// Listen address.
    pub listen: SocketAddr,
    /// Data directory.
    pub data_dir: PathBuf,
    /// PostgreSQL URL; `None` for SQLite in the data directory. It may hold
    /// a password: never logged whole.
    pub store: Option<Zeroizing<String>>,
    /// Seal.
    pub seal: SealParams,
    /// The key-file seal's path (for a rotation to it too).
    pub key_file: PathBuf,
    /// The token that holds (or is to hold, after a rotation) the root key.
    pub pkcs11: Option<Pkcs11Params>,
    /// Production mode: no development conveniences.
    pub production: bool,
    /// Allowed SigV4 clock skew.
    pub max_clock_skew: time::Duration,
    /// Backing-key cache capacity.
    pub key_cache_capacity: usize,
    /// Time between scheduler passes (key deletion, automatic rotation).
    pub scheduler_interval: std::time::Duration,
    /// Days audit records are kept (`None`: forever).
    pub audit_retention_days: Option<u32>,
    /// Where audit checkpoints are also written as digest files.
    pub audit_digest_dir: PathBuf,
    /// Tracing filter.
    pub log: String,
    /// One info line per request.
    pub request_log: bool,
    /// The regions served.
    pub regions: Vec<Region>,
    /// Limits on connections and request bodies.
    pub limits: Limits,
    /// Bootstrap account id.
    pub bootstrap_account_id: Option<String>,
    /// Bootstrap access key id.
    pub bootstrap_access_key_id: Option<String>,
    /// Bootstrap secret.
    pub bootstrap_secret_access_key: Option<Zeroizing<String>>,
    /// TLS on the listener; `None`: plain HTTP.
    pub tls: Option<TlsParams>,
    /// TLS proxies whose `X-Forwarded-Proto` is believed (empty unless
    /// `tls_terminated_by_proxy`).
    pub trusted_proxies: Vec<IpNet>,
    /// The OpenID Connect issuers' signing keys.
    pub oidc_keys: std::sync::Arc<trent_core::oidc::OidcKeys>,
    /// The declared HSM tokens.
    pub hsms: std::sync::Arc<trent_core::hsm::Hsms>,
    /// The peer sites.
    pub peers: Vec<PeerParams>,
    /// The trust shared with them.
    pub peer_secret: Option<Zeroizing<String>>,
}

impl fmt::Debug for ServerParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerParams")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("store", &self.store.as_deref().map(|u| redact_url(u)))
            .field("seal", &self.seal)
            .field("production", &self.production)
            .field("max_clock_skew", &self.max_clock_skew)
            .field("key_cache_capacity", &self.key_cache_capacity)
            .field("scheduler_interval", &self.scheduler_interval)
            .field("audit_retention_days", &self.audit_retention_days)
            .field("audit_digest_dir", &self.audit_digest_dir)
            .field("log", &self.log)
            .field("request_log", &self.request_log)
            .field("regions", &self.regions)
            .field("limits", &self.limits)
            .field("bootstrap_account_id", &self.bootstrap_account_id)
            .field("bootstrap_access_key_id", &self.bootstrap_access_key_id)
            .field("bootstrap_secret_access_key", &self.bootstrap_secret_access_key.as_ref().map(|_| "**redacted**"))
            .field("tls", &self.tls)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("oidc_keys", &self.oidc_keys)
            .field("hsms", &self.hsms)
            .field("peers", &self.peers)
            .field("peer_secret", &self.peer_secret.as_ref().map(|_| "**redacted**"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn no_file(_: &std::path::Path) -> std::io::Result<String> {
        Err(std::io::Error::other("no file"))
    }

    #[test]
    fn layers_stack_in_order() {
        let file = Config::from_toml("listen = \"127.0.0.1:1\"\ndata_dir = \"/f\"\nlog = \"warn\"").unwrap();
        let env = Config::from_env(&env(&[("TRENT_LISTEN", "127.0.0.1:2"), ("TRENT_DATA_DIR", "/e")])).unwrap();
        let flags = Config { listen: Some("127.0.0.1:3".into()), ..Config::default() };
        let p = Config::default().merge(file).merge(env).merge(flags).into_params(no_file).unwrap();
        assert_eq!(p.listen.port(), 3, "flags beat env");
        assert_eq!(p.data_dir, PathBuf::from("/e"), "env beats file");
        assert_eq!(p.log, "warn", "file beats default");
        assert_eq!(p.max_clock_skew, time::Duration::minutes(5), "default");
        assert!(matches!(p.seal, SealParams::KeyFile(ref f) if f == &PathBuf::from("/e/root.key")));
    }

    #[test]
    fn secrets_are_redacted_and_production_refuses_key_file() {
        let c = Config::from_env(&env(&[
            ("TRENT_SEAL", "passphrase"),
            ("TRENT_SEAL_PASSPHRASE", "hunter2hunter2"),
            ("TRENT_BOOTSTRAP_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG"),
        ]))
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        let p = c.into_params(no_file).unwrap();
        let dbg = format!("{p:?}");
        assert!(!dbg.contains("hunter2") && !dbg.contains("wJalr"), "{dbg}");
        let prod = Config { production: Some(true), ..Config::default() };
        assert!(prod.into_params(no_file).is_err());
        assert!(Config::from_toml("unknown_setting = 1").is_err());
        assert!(Config::from_env(&env(&[("TRENT_MAX_CLOCK_SKEW_SECS", "five")])).is_err());
    }

    #[test]
    fn request_log_is_on_by_default_and_can_be_turned_off() {
        assert!(Config::default().into_params(no_file).unwrap().request_log);
        let off = Config::from_env(&env(&[("TRENT_REQUEST_LOG", "false")])).unwrap();
        assert!(!off.into_params(no_file).unwrap().request_log);
        let file = Config::from_toml("request_log = false").unwrap();
        assert!(!file.into_params(no_file).unwrap().request_log);
        assert!(Config::from_env(&env(&[("TRENT_REQUEST_LOG", "sometimes")])).is_err());
    }

    #[test]
    fn peers_need_https_a_pin_a_secret_and_tls_and_serve_other_regions() {
        let pin = "ab".repeat(32);
        let secret = "s".repeat(32);
        let base = |peers: &str, secret: &str| {
            let mut pairs = vec![("TRENT_TLS_CERT", "/c.pem"), ("TRENT_TLS_KEY", "/k.pem"), ("TRENT_PEERS", peers)];
            if !secret.is_empty() {
                pairs.push(("TRENT_PEER_SECRET", secret));
            }
            Config::from_env(&env(&pairs)).and_then(|c| c.into_params(no_file))
        };
        let p =
            base(&format!("eu-west-1,ap-south-1=https://b.example:4600/#{pin} sa-east-1=https://c:1#{pin}"), &secret)
                .unwrap();
        assert_eq!(p.peers.len(), 2);
        assert_eq!(p.peers[0].url, "https://b.example:4600");
        assert_eq!(p.peers[0].regions.iter().map(|r| r.as_str()).collect::<Vec<_>>(), ["eu-west-1", "ap-south-1"]);
        assert_eq!(p.peers[0].certificate_sha256, [0xab; 32]);
        assert!(!format!("{p:?}").contains(&secret), "the peer secret is redacted");
        let refused = |peers: &str, secret: &str| base(peers, secret).err().map(|e| e.0).unwrap_or_default();
        assert!(refused(&format!("eu-west-1=http://b:1#{pin}"), &secret).contains("https://"));
        assert!(refused("eu-west-1=https://b:1#abcd", &secret).contains("64 hex digits"));
        assert!(refused(&format!("us-east-1=https://b:1#{pin}"), &secret).contains("served twice"));
        assert!(refused(&format!("eu-west-1=https://b:1#{pin}"), "").contains("needs peer_secret"));
        assert!(refused(&format!("eu-west-1=https://b:1#{pin}"), "short").contains("at least 32"));
        assert!(refused("eu-west-1", &secret).contains("TRENT_PEERS"));
        let plain = Config::from_env(&env(&[
            ("TRENT_PEERS", &format!("eu-west-1=https://b:1#{pin}")),
            ("TRENT_PEER_SECRET", &secret),
        ]))
        .unwrap()
        .into_params(no_file);
        assert!(plain.err().map(|e| e.0).unwrap_or_default().contains("needs TLS"));
        let toml =
            format!("[[peers]]\nregions = [\"eu-west-1\"]\nurl = \"https://b:1\"\ncertificate_sha256 = \"{pin}\"\n");
        assert_eq!(Config::from_toml(&toml).unwrap().peers.unwrap()[0].regions, ["eu-west-1"]);
    }

    #[test]
    fn regions_default_to_us_east_1_and_are_checked() {
        let p = Config::default().into_params(no_file).unwrap();
        assert_eq!(p.regions.iter().map(|r| r.as_str()).collect::<Vec<_>>(), ["us-east-1"]);
        let c = Config::from_env(&env(&[("TRENT_REGIONS", "eu-west-1, us-east-1,eu-west-1")])).unwrap();
        let p = c.into_params(no_file).unwrap();
        assert_eq!(p.regions.iter().map(|r| r.as_str()).collect::<Vec<_>>(), ["eu-west-1", "us-east-1"]);
        let file = Config::from_toml("regions = [\"ap-south-1\"]").unwrap();
        assert_eq!(file.into_params(no_file).unwrap().regions[0].as_str(), "ap-south-1");
        assert!(Config::from_env(&env(&[("TRENT_REGIONS", "US_EAST")])).unwrap().into_params(no_file).is_err());
        assert!(Config { regions: Some(vec![]), ..Config::default() }.into_params(no_file).is_err());
    }

    #[test]
    fn passphrase_file_is_read_and_trimmed() {
        let c = Config { seal: Some("passphrase".into()), passphrase_file: Some("/p".into()), ..Config::default() };
        let p = c.into_params(|_| Ok("a long passphrase\n".into())).unwrap();
        assert!(matches!(p.seal, SealParams::Passphrase(ref s) if s.as_str() == "a long passphrase"));
    }

    #[test]
    fn store_urls_are_checked_and_redacted() {
        let cfg = Config { store: Some("mysql://x".into()), ..Config::default() };
        assert!(cfg.into_params(|_| Ok(String::new())).is_err());
        let url = "postgres://trent:s3cret@db.internal:5432/trent?sslmode=disable";
        let cfg = Config { store: Some(url.into()), ..Config::default() };
        let params = cfg.into_params(|_| Ok(String::new())).unwrap();
        assert_eq!(params.store.as_deref().map(|u| u.as_str()), Some(url));
        let shown = format!("{params:?}");
        assert!(!shown.contains("s3cret") && shown.contains("postgres://db.internal:5432/trent"), "{shown}");
        assert_eq!(redact_url("garbage"), "**redacted**");
    }

    #[test]
    fn tls_settings_layer_and_production_refuses_plain_http_off_loopback() {
        let e = env(&[("TRENT_TLS_CERT", "/c.pem"), ("TRENT_TLS_KEY", "/k.pem"), ("TRENT_TLS_CLIENT_CA", "/ca.pem")]);
        let p = Config::from_env(&e).unwrap().into_params(no_file).unwrap();
        let tls = p.tls.unwrap();
        assert_eq!((tls.cert, tls.key), (PathBuf::from("/c.pem"), PathBuf::from("/k.pem")));
        assert_eq!(tls.client_ca, Some(PathBuf::from("/ca.pem")));
        let only_cert = Config { tls_cert: Some("/c".into()), ..Config::default() };
        assert!(only_cert.into_params(no_file).is_err());
        let only_ca = Config { tls_client_ca: Some("/ca".into()), ..Config::default() };
        assert!(only_ca.into_params(no_file).is_err());

        let prod = |listen: &str| Config {
            production: Some(true),
            seal: Some("passphrase".into()),
            passphrase: Some("a long passphrase".into()),
            listen: Some(listen.into()),
            ..Config::default()
        };
        assert!(prod("127.0.0.1:4600").into_params(no_file).is_ok(), "loopback plain HTTP is fine");
        assert!(prod("[::1]:4600").into_params(no_file).is_ok());
        let e = prod("0.0.0.0:4600").into_params(no_file).unwrap_err();
        assert!(e.0.contains("plain HTTP"), "{e}");
        let with_tls = Config { tls_cert: Some("/c".into()), tls_key: Some("/k".into()), ..prod("0.0.0.0:4600") };
        assert!(with_tls.into_params(no_file).is_ok());
        let proxied = Config {
            tls_terminated_by_proxy: Some(true),
            trusted_proxies: Some(vec!["10.1.2.3".into(), "fd00::/8".into()]),
            ..prod("0.0.0.0:4600")
        };
        let p = proxied.into_params(no_file).unwrap();
        assert!(p.trusted_proxies[0].contains("10.1.2.3".parse().unwrap()));
        assert!(!p.trusted_proxies[0].contains("10.1.2.4".parse().unwrap()));
        assert!(p.trusted_proxies[1].contains("fd12::1".parse().unwrap()));
        let no_list = Config { tls_terminated_by_proxy: Some(true), ..prod("0.0.0.0:4600") };
        assert!(no_list.into_params(no_file).is_err());
        let list_only = Config { trusted_proxies: Some(vec!["10.0.0.1".into()]), ..Config::default() };
        assert!(list_only.into_params(no_file).is_err());
        let bad = Config {
            tls_terminated_by_proxy: Some(true),
            trusted_proxies: Some(vec!["10.0.0.0/33".into()]),
            ..Config::default()
        };
        assert!(bad.into_params(no_file).is_err());
        let e = env(&[("TRENT_TLS_TERMINATED_BY_PROXY", "true"), ("TRENT_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.2")]);
        assert_eq!(Config::from_env(&e).unwrap().into_params(no_file).unwrap().trusted_proxies.len(), 2);
    }

    #[test]
    fn ip_ranges_match_by_prefix() {
        let net = IpNet::parse("192.168.0.0/16").unwrap();
        assert!(net.contains("192.168.255.1".parse().unwrap()));
        assert!(net.contains("::ffff:192.168.1.1".parse().unwrap()), "IPv4-mapped");
        assert!(!net.contains("192.169.0.1".parse().unwrap()));
        assert!(!net.contains("::1".parse().unwrap()));
        assert!(IpNet::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        assert!(IpNet::parse("not an ip").is_none());
        assert!(IpNet::parse("::/129").is_none());
    }

    #[test]
    fn production_refuses_postgresql_without_tls_off_this_host() {
        let prod = |url: &str| Config {
            production: Some(true),
            seal: Some("passphrase".into()),
            passphrase: Some("a long passphrase".into()),
            store: Some(url.into()),
            ..Config::default()
        };
        for ok in [
            "postgres://trent@db.internal:5432/trent?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            "postgres://trent@db.internal/trent?sslmode=require",
            "postgres://trent@127.0.0.1:5432/trent",
            "postgres://trent@localhost/trent",
            "postgres://trent@[::1]:5432/trent",
            "postgres://trent@%2Frun%2Fpostgresql/trent",
            "postgres:///trent?host=/run/postgresql",
        ] {
            assert!(prod(ok).into_params(no_file).is_ok(), "{ok}");
        }
        for refused in [
            "postgres://trent@db.internal:5432/trent",
            "postgres://trent@db.internal/trent?sslmode=prefer",
            "postgres://trent:pw@10.0.0.5/trent?sslmode=disable",
            "postgres://trent@127.0.0.1/trent?host=db.internal",
        ] {
            let e = prod(refused).into_params(no_file).unwrap_err();
            assert!(e.0.contains("without TLS") && !e.0.contains("pw"), "{refused}: {e}");
        }
        let dev = Config { store: Some("postgres://trent@db.internal/trent".into()), ..Config::default() };
        assert!(dev.into_params(no_file).is_ok(), "development mode allows it");
    }
}
