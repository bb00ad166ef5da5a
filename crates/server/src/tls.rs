//! TLS on the listener: rustls on aws-lc-rs (the provider of the rest of
//! Trent's cryptography).
//!
//! # What is offered
//! - TLS 1.2 and 1.3 only (rustls implements nothing older), and only the
//!   forward-secret AEAD suites, listed in [`CIPHER_SUITES`]: ECDHE with
//!   AES-GCM or ChaCha20-Poly1305 for TLS 1.2, the three TLS 1.3 suites.
//!   A client offering only RSA key exchange, CBC or anything older gets a
//!   `handshake_failure` alert; a TLS 1.1 ClientHello a `protocol_version`.
//! - ALPN `h2` then `http/1.1`: the connection is served by hyper-util's
//!   automatic builder, HTTP/2 when the client negotiated it.
//! - Optional client certificates (mTLS) from one CA bundle
//!   (`tls_client_ca`): a second factor of the connection, not an identity;
//!   SigV4 still authenticates the caller. The subject goes into the audit
//!   event's `tlsDetails`.
//!
//! # Reload
//! The certificate chain and key are re-read when either file's modification
//! time changes (polled every [`RELOAD_POLL`]) or on SIGHUP. A new pair is
//! checked exactly as at start-up (readable, key matches, within validity)
//! before it replaces the old one in the [`ResolvesServerCert`]; a bad pair
//! is logged and the old one kept. Established connections keep the session
//! they negotiated; only new handshakes see the new certificate.

use crate::config::TlsParams;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, SupportedCipherSuite};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

/// How often the certificate and key files are checked for a change.
pub const RELOAD_POLL: Duration = Duration::from_secs(2);

/// The suites offered: forward-secret (ECDHE, or TLS 1.3) and AEAD only.
pub const CIPHER_SUITES: &[SupportedCipherSuite] = {
    use rustls::crypto::aws_lc_rs::cipher_suite as cs;
    &[
        cs::TLS13_AES_256_GCM_SHA384,
        cs::TLS13_AES_128_GCM_SHA256,
        cs::TLS13_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]
};

/// Why TLS could not be set up (or a reload was refused). Worded for the
/// operator; never carries key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read.
    #[error("TLS {what} {path}: {source}")]
    Read {
        /// Which file (`certificate`, `key`, `client CA`).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file holds no usable PEM object of the expected kind.
    #[error("TLS {what} {path}: {detail}")]
    Pem {
        /// Which file.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong (no secret in it).
        detail: String,
    },
    /// The private key does not belong to the certificate.
    #[error("TLS key {key} does not match the certificate {cert}")]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// The certificate is outside its validity period.
    #[error("TLS certificate {path} is not valid now: valid from {not_before} to {not_after} (unix seconds)")]
    NotValidNow {
        /// The certificate file.
        path: PathBuf,
        /// Start of validity (unix seconds).
        not_before: u64,
        /// End of validity (unix seconds).
        not_after: u64,
    },
    /// rustls refused the configuration.
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The connection facts of a request that came over TLS, attached to each
/// request of the connection (a request extension).
#[derive(Debug, Clone)]
pub struct TlsConnection {
    /// `TLSv1.2` or `TLSv1.3`, as CloudTrail writes it.
    pub version: &'static str,
    /// The suite's OpenSSL name, as CloudTrail writes it
    /// (`TLS_AES_128_GCM_SHA256`, `ECDHE-RSA-AES128-GCM-SHA256`).
    pub cipher_suite: &'static str,
    /// The client certificate's subject (RFC 4514), under mTLS.
    pub client_subject: Option<String>,
}

impl TlsConnection {
    /// The facts of an established server connection.
    pub fn of(conn: &rustls::ServerConnection) -> TlsConnection {
        let version = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
            _ => "unknown",
        };
        let cipher_suite = conn.negotiated_cipher_suite().map_or("unknown", |s| openssl_name(s.suite()));
        let client_subject = conn.peer_certificates().and_then(|c| c.first()).and_then(|c| subject(c));
        TlsConnection { version, cipher_suite, client_subject }
    }
}

/// The OpenSSL name of a suite Trent offers (CloudTrail's `cipherSuite`).
fn openssl_name(suite: rustls::CipherSuite) -> &'static str {
    use rustls::CipherSuite as C;
    match suite {
        C::TLS13_AES_256_GCM_SHA384 => "TLS_AES_256_GCM_SHA384",
        C::TLS13_AES_128_GCM_SHA256 => "TLS_AES_128_GCM_SHA256",
        C::TLS13_CHACHA20_POLY1305_SHA256 => "TLS_CHACHA20_POLY1305_SHA256",
        C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
        C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
        C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-ECDSA-CHACHA20-POLY1305",
        C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "ECDHE-RSA-AES256-GCM-SHA384",
        C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "ECDHE-RSA-AES128-GCM-SHA256",
        C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-RSA-CHACHA20-POLY1305",
        other => other.as_str().unwrap_or("unknown"),
    }
}

/// A certificate's subject, RFC 4514.
fn subject(cert: &CertificateDer<'_>) -> Option<String> {
    use x509_cert::der::Decode as _;
    let c = x509_cert::Certificate::from_der(cert.as_ref()).ok()?;
    Some(c.tbs_certificate.subject.to_string())
}

/// The certificate in use, swapped whole on reload.
#[derive(Debug)]
struct Resolver(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
    }
}

/// The listener's TLS: the acceptor configuration and the reloadable
/// certificate behind it.
pub struct Tls {
    config: Arc<ServerConfig>,
    resolver: Arc<Resolver>,
    params: TlsParams,
    provider: Arc<CryptoProvider>,
    /// Modification times of the certificate and key files last loaded.
    stamp: Mutex<Option<(SystemTime, SystemTime)>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("params", &self.params).finish_non_exhaustive()
    }
}

fn provider() -> Arc<CryptoProvider> {
    let mut p = rustls::crypto::aws_lc_rs::default_provider();
    p.cipher_suites = CIPHER_SUITES.to_vec();
    Arc::new(p)
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read { what, path: path.to_owned(), source })
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The certificates of a PEM file (at least one).
fn certificates(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(what, path)?;
    let pem_err = |detail: String| TlsError::Pem { what, path: path.to_owned(), detail };
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_err(format!("not a PEM certificate file: {e}")))?;
    if certs.is_empty() {
        return Err(pem_err("no CERTIFICATE in the file".into()));
    }
    Ok(certs)
}

/// Checks that `cert` is within its validity period at `now`.
fn check_validity(path: &Path, cert: &CertificateDer<'_>, now: SystemTime) -> Result<(), TlsError> {
    use x509_cert::der::Decode as _;
    let c = x509_cert::Certificate::from_der(cert.as_ref()).map_err(|e| TlsError::Pem {
        what: "certificate",
        path: path.to_owned(),
        detail: format!("not an X.509 certificate: {e}"),
    })?;
    let v = &c.tbs_certificate.validity;
    let not_before = v.not_before.to_unix_duration();
    let not_after = v.not_after.to_unix_duration();
    let now = now.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    if now < not_before || now > not_after {
        return Err(TlsError::NotValidNow {
            path: path.to_owned(),
            not_before: not_before.as_secs(),
            not_after: not_after.as_secs(),
        });
    }
    Ok(())
}

/// Reads and checks a certificate chain and its key.
/// The SHA-256 of the leaf certificate of the PEM chain at `path`, as hex:
/// what a peer site pins (`[[peers]] certificate_sha256`).
pub fn certificate_sha256(path: &std::path::Path) -> Option<String> {
    let chain = certificates("certificate", path).ok()?;
    let leaf = chain.first()?;
    Some(hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, leaf.as_ref()).as_ref()))
}

fn certified_key(params: &TlsParams, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let chain = certificates("certificate", &params.cert)?;
    if let Some(leaf) = chain.first() {
        check_validity(&params.cert, leaf, SystemTime::now())?;
    }
    let key_pem = zeroize::Zeroizing::new(read("key", &params.key)?);
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::Pem {
        what: "key",
        path: params.key.clone(),
        // The error names the PEM problem, never the key's bytes.
        detail: format!("no PEM private key (PKCS#8, PKCS#1 or SEC1) in the file: {e}"),
    })?;
    let signing = provider.key_provider.load_private_key(key).map_err(|e| TlsError::Pem {
        what: "key",
        path: params.key.clone(),
        detail: format!("unusable private key: {e}"),
    })?;
    let ck = CertifiedKey::new(chain, signing);
    match ck.keys_match() {
        Ok(()) => Ok(ck),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(TlsError::KeyMismatch { cert: params.cert.clone(), key: params.key.clone() })
        }
        Err(e) => Err(TlsError::Rustls(e)),
    }
}

impl Tls {
    /// Loads the certificate and key (and client CA) and builds the server
    /// configuration; every problem is a clear [`TlsError`].
    pub fn load(params: &TlsParams) -> Result<Arc<Tls>, TlsError> {
        let provider = provider();
        let stamp = (mtime(&params.cert), mtime(&params.key));
        let resolver = Arc::new(Resolver(RwLock::new(Arc::new(certified_key(params, &provider)?))));
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?;
        let builder = match &params.client_ca {
            None => builder.with_no_client_auth(),
            Some(path) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in certificates("client CA", path)? {
                    roots.add(cert).map_err(|e| TlsError::Pem {
                        what: "client CA",
                        path: path.clone(),
                        detail: format!("not a usable CA certificate: {e}"),
                    })?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .map_err(|e| TlsError::Pem { what: "client CA", path: path.clone(), detail: e.to_string() })?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_cert_resolver(resolver.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let stamp = match stamp {
            (Some(c), Some(k)) => Some((c, k)),
            _ => None,
        };
        Ok(Arc::new(Tls {
            config: Arc::new(config),
            resolver,
            params: params.clone(),
            provider,
            stamp: Mutex::new(stamp),
        }))
    }

    /// The rustls server configuration (shared by every connection).
    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.config.clone()
    }

    /// Re-reads the certificate and key and, when they pass the start-up
    /// checks, serves them to every new handshake. On error the pair in use
    /// stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let stamp = (mtime(&self.params.cert), mtime(&self.params.key));
        let ck = certified_key(&self.params, &self.provider)?;
        *self.resolver.0.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(ck);
        if let (Some(c), Some(k)) = stamp {
            *self.stamp.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some((c, k));
        }
        Ok(())
    }

    /// Reloads when a file's modification time differs from the last load.
    fn reload_if_changed(&self) {
        let now = (mtime(&self.params.cert), mtime(&self.params.key));
        let (Some(c), Some(k)) = now else { return };
        let last = *self.stamp.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last == Some((c, k)) {
            return;
        }
        self.reload_logged("files changed");
    }

    fn reload_logged(&self, why: &str) {
        match self.reload() {
            Ok(()) => tracing::info!(reason = why, cert = %self.params.cert.display(), "TLS certificate reloaded"),
            Err(e) => {
                // Do not retry the same bad files every poll: remember them.
                let now = (mtime(&self.params.cert), mtime(&self.params.key));
                if let (Some(c), Some(k)) = now {
                    *self.stamp.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some((c, k));
                }
                tracing::error!(reason = why, error = %e, "TLS certificate not reloaded; the previous one stays in use");
            }
        }
    }

    /// Watches the files (and SIGHUP) until `stop` changes.
    pub(crate) async fn watch(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(RELOAD_POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        #[cfg(unix)]
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        loop {
            #[cfg(unix)]
            let hangup = async {
                match hup.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let hangup = std::future::pending::<()>();
            tokio::select! {
                _ = tick.tick() => self.reload_if_changed(),
                () = hangup => self.reload_logged("SIGHUP"),
                _ = stop.changed() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_forward_secret_aead_suites_are_offered() {
        for s in CIPHER_SUITES {
            let name = format!("{:?}", s.suite());
            assert!(name.starts_with("TLS13_") || name.starts_with("TLS_ECDHE_"), "{name}");
            assert!(name.contains("GCM") || name.contains("CHACHA20_POLY1305"), "{name}");
            assert_ne!(openssl_name(s.suite()), "unknown");
        }
        assert_eq!(CIPHER_SUITES.len(), 9);
    }
}
