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
    /// `seal`: `key-file` (development) or `passphrase`.
    pub seal: Option<String>,
    /// `key_file`: the key-file seal's path (default `DATA_DIR/root.key`).
    pub key_file: Option<PathBuf>,
    /// `passphrase`: the passphrase seal's passphrase (prefer the env or a file).
    pub passphrase: Option<String>,
    /// `passphrase_file`: a file holding the passphrase.
    pub passphrase_file: Option<PathBuf>,
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
            .field("production", &self.production)
            .field("max_clock_skew_secs", &self.max_clock_skew_secs)
            .field("key_cache_capacity", &self.key_cache_capacity)
            .field("scheduler_interval_secs", &self.scheduler_interval_secs)
            .field("audit_retention_days", &self.audit_retention_days)
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
            production,
            max_clock_skew_secs: parse_u64("TRENT_MAX_CLOCK_SKEW_SECS")?,
            key_cache_capacity: parse_u64("TRENT_KEY_CACHE_CAPACITY")?
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            scheduler_interval_secs: parse_u64("TRENT_SCHEDULER_INTERVAL_SECS")?,
            audit_retention_days: parse_u64("TRENT_AUDIT_RETENTION_DAYS")?,
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
            production,
            max_clock_skew_secs,
            key_cache_capacity,
            scheduler_interval_secs,
            audit_retention_days,
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
            bootstrap_secret_access_key
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
        let seal = match self.seal.as_deref().unwrap_or("key-file") {
            "key-file" => {
                if production {
                    return Err(ConfigError(
                        "the key-file seal is for development only; production requires seal = \"passphrase\"".into(),
                    ));
                }
                SealParams::KeyFile(self.key_file.unwrap_or_else(|| data_dir.join("root.key")))
            }
            "passphrase" => {
                let pass = match (self.passphrase, self.passphrase_file) {
                    (Some(p), _) => Zeroizing::new(p),
                    (None, Some(f)) => {
                        let text = Zeroizing::new(
                            read_file(&f).map_err(|e| ConfigError(format!("passphrase file {}: {e}", f.display())))?,
                        );
                        Zeroizing::new(text.trim_end_matches(['\n', '\r']).to_owned())
                    }
                    (None, None) => {
                        return Err(ConfigError(
                            "seal = \"passphrase\" needs TRENT_SEAL_PASSPHRASE or passphrase_file".into(),
                        ))
                    }
                };
                SealParams::Passphrase(pass)
            }
            other => return Err(ConfigError(format!("unknown seal '{other}': use key-file or passphrase"))),
        };
        let skew = self.max_clock_skew_secs.unwrap_or(300);
        if skew == 0 || skew > 3600 {
            return Err(ConfigError("max_clock_skew_secs must be between 1 and 3600".into()));
        }
        let interval = self.scheduler_interval_secs.unwrap_or(60);
        if interval == 0 || interval > 86_400 {
            return Err(ConfigError("scheduler_interval_secs must be between 1 and 86400".into()));
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
        Ok(ServerParams {
            listen,
            regions,
            limits,
            audit_retention_days,
            data_dir,
            store,
            seal,
            production,
            max_clock_skew: time::Duration::seconds(i64::try_from(skew).unwrap_or(300)),
            key_cache_capacity: self.key_cache_capacity.unwrap_or(100_000).max(1),
            scheduler_interval: std::time::Duration::from_secs(interval),
            log: self.log.unwrap_or_else(|| "info".into()),
            request_log: self.request_log.unwrap_or(true),
            bootstrap_account_id: self.bootstrap_account_id,
            bootstrap_access_key_id: self.bootstrap_access_key_id,
            bootstrap_secret_access_key: self.bootstrap_secret_access_key.map(Zeroizing::new),
        })
    }
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

/// Where the root key comes from.
pub enum SealParams {
    /// A key file (development).
    KeyFile(PathBuf),
    /// An Argon2id passphrase.
    Passphrase(Zeroizing<String>),
}

impl fmt::Debug for SealParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SealParams::KeyFile(p) => f.debug_tuple("KeyFile").field(p).finish(),
            SealParams::Passphrase(_) => f.write_str("Passphrase(**redacted**)"),
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
            .field("log", &self.log)
            .field("request_log", &self.request_log)
            .field("regions", &self.regions)
            .field("limits", &self.limits)
            .field("bootstrap_account_id", &self.bootstrap_account_id)
            .field("bootstrap_access_key_id", &self.bootstrap_access_key_id)
            .field("bootstrap_secret_access_key", &self.bootstrap_secret_access_key.as_ref().map(|_| "**redacted**"))
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
}
