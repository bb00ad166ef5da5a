//! TLS to PostgreSQL through rustls (on aws-lc-rs, as the rest of Trent).
//!
//! The store URL takes libpq's parameters:
//! - `sslmode=verify-full`: TLS required; the server's certificate must
//!   chain to `sslrootcert` (a PEM file; the system's roots without it) and
//!   name the host of the URL.
//! - `sslmode=require`: TLS required; with `sslrootcert` the chain is
//!   checked but not the name (libpq's behaviour when a root file is
//!   present), without it the connection is encrypted but the server is not
//!   authenticated (libpq's `require`: use `verify-full`).
//! - `disable`, `prefer` or none: no TLS, as before.
//!
//! tokio-postgres does not know `verify-full` or `sslrootcert`: they are
//! taken out of the URL here and the rest is parsed by it. SCRAM channel
//! binding is not offered (`ChannelBinding::none`).

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

/// How the store URL asks for TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgTlsMode {
    /// No TLS (`disable`, `prefer`, or no `sslmode`).
    None,
    /// `require`.
    Require,
    /// `verify-full`.
    VerifyFull,
}

/// A store URL split into what tokio-postgres parses and the TLS settings.
#[derive(Debug)]
pub struct PgTlsUrl {
    /// The URL without `sslmode=verify-full`/`require` and `sslrootcert`.
    pub url: String,
    /// The TLS mode asked for.
    pub mode: PgTlsMode,
    /// `sslrootcert`: the PEM file of the CA(s) to trust.
    pub root_cert: Option<std::path::PathBuf>,
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits the TLS parameters out of a `postgres://` URL.
pub fn split_url(url: &str) -> Result<PgTlsUrl, String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok(PgTlsUrl { url: url.to_owned(), mode: PgTlsMode::None, root_cert: None });
    };
    let mut mode = PgTlsMode::None;
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sslmode", v)) => match v {
                "verify-full" => mode = PgTlsMode::VerifyFull,
                "require" => mode = PgTlsMode::Require,
                "disable" | "prefer" | "allow" => {
                    mode = PgTlsMode::None;
                    kept.push(pair);
                }
                "verify-ca" => return Err("sslmode=verify-ca is not supported: use verify-full".into()),
                other => return Err(format!("unknown sslmode '{other}'")),
            },
            Some(("sslrootcert", v)) => root_cert = Some(std::path::PathBuf::from(percent_decode(v))),
            _ => kept.push(pair),
        }
    }
    if mode != PgTlsMode::None {
        kept.push("sslmode=require");
    }
    let url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    Ok(PgTlsUrl { url, mode, root_cert })
}

/// Accepts the server's certificate without checking its name (`require`
/// with a root file) or without checking it at all (`require` without);
/// handshake signatures are always verified.
#[derive(Debug)]
struct RequireVerifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for RequireVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else { return Ok(ServerCertVerified::assertion()) };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Ok(v) => Ok(v),
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext { .. })) => {
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// The rustls client configuration for `mode` and `root_cert`.
pub fn client_config(mode: PgTlsMode, root_cert: Option<&std::path::Path>) -> Result<ClientConfig, String> {
    use rustls::pki_types::pem::PemObject as _;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = match root_cert {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_slice_iter(&pem) {
                let c = c.map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
                roots.add(c).map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            }
            if roots.is_empty() {
                return Err(format!("sslrootcert {}: no CERTIFICATE in it", path.display()));
            }
            Some(roots)
        }
        None if mode == PgTlsMode::VerifyFull => {
            let mut roots = rustls::RootCertStore::empty();
            for c in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(c);
            }
            Some(roots)
        }
        None => None,
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = match (mode, roots) {
        (PgTlsMode::VerifyFull, Some(roots)) => builder.with_root_certificates(roots).with_no_client_auth(),
        (_, roots) => {
            let chain = match roots {
                Some(r) => Some(
                    WebPkiServerVerifier::builder_with_provider(Arc::new(r), provider.clone())
                        .build()
                        .map_err(|e| e.to_string())?,
                ),
                None => None,
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(RequireVerifier { chain, provider }))
                .with_no_client_auth()
        }
    };
    Ok(config)
}

/// A tokio-postgres TLS connector over rustls.
#[derive(Clone)]
pub struct RustlsConnect(Arc<ClientConfig>);

impl RustlsConnect {
    /// A connector with this configuration.
    pub fn new(config: ClientConfig) -> Self {
        RustlsConnect(Arc::new(config))
    }
}

/// One connection's TLS set-up.
pub struct RustlsConnectOne {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

/// A TLS stream to PostgreSQL.
pub struct RustlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S> MakeTlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnectOne;
    type Error = rustls::pki_types::InvalidDnsNameError;

    fn make_tls_connect(&mut self, domain: &str) -> Result<RustlsConnectOne, Self::Error> {
        let name = ServerName::try_from(domain.to_owned())?;
        Ok(RustlsConnectOne { config: self.0.clone(), name })
    }
}

impl<S> TlsConnect<S> for RustlsConnectOne
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = std::io::Result<RustlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let s = tokio_rustls::TlsConnector::from(self.config).connect(self.name, stream).await?;
            Ok(RustlsStream(s))
        })
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for RustlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_are_taken_out_of_the_url() {
        let u = split_url("postgres://u@db:5432/t?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&options=x").unwrap();
        assert_eq!(u.mode, PgTlsMode::VerifyFull);
        assert_eq!(u.root_cert.as_deref(), Some(std::path::Path::new("/etc/ca.pem")));
        assert_eq!(u.url, "postgres://u@db:5432/t?options=x&sslmode=require");
        let u = split_url("postgres://u@db/t?sslmode=require").unwrap();
        assert_eq!((u.mode, u.url.as_str()), (PgTlsMode::Require, "postgres://u@db/t?sslmode=require"));
        let u = split_url("postgres://u@db/t?sslmode=disable").unwrap();
        assert_eq!((u.mode, u.url.as_str()), (PgTlsMode::None, "postgres://u@db/t?sslmode=disable"));
        assert_eq!(split_url("postgres://u@db/t").unwrap().mode, PgTlsMode::None);
        assert!(split_url("postgres://u@db/t?sslmode=verify-ca").is_err());
        assert!(split_url("postgres://u@db/t?sslmode=bogus").is_err());
    }
}
