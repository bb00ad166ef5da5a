//! A SigV4-signing JSON 1.1 client for the KMS API and Trent's admin API,
//! shared by `trent bench` and `trent admin`: one keep-alive HTTP/1.1 pool,
//! every request signed with `aws-sigv4` as a stock AWS client signs it.
//! An `https://` endpoint is reached over TLS (rustls on aws-lc-rs), trusting
//! the system's roots or, as the `aws` CLI does, only the PEM certificates of
//! `--ca-bundle` / `AWS_CA_BUNDLE`.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Where, and as whom, a command talks to an endpoint (the flags shared by
/// `trent bench` and `trent admin`). `Debug` leaves the secret out.
#[derive(clap::Args)]
pub(crate) struct Connection {
    /// The endpoint.
    #[arg(long, default_value = "http://127.0.0.1:4600")]
    endpoint: String,
    /// Region to sign for.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Access key id [env: AWS_ACCESS_KEY_ID]
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    access_key_id: String,
    /// Secret access key [env: AWS_SECRET_ACCESS_KEY]
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_access_key: String,
    /// PEM CA certificates to trust for an https endpoint, instead of the system's [env: AWS_CA_BUNDLE]
    #[arg(long, env = "AWS_CA_BUNDLE", value_name = "FILE")]
    ca_bundle: Option<PathBuf>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("ca_bundle", &self.ca_bundle)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// The access key id it signs with.
    pub(crate) fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// A signing client of this endpoint keeping `pool` idle connections.
    pub(crate) fn target(&self, pool: usize) -> Result<Target, String> {
        Target::new(
            &self.endpoint,
            &self.region,
            &self.access_key_id,
            &self.secret_access_key,
            self.ca_bundle.as_deref(),
            pool,
        )
    }
}

type HttpClient = Client<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, Full<Bytes>>;

/// The TLS client settings: TLS 1.2 and 1.3, the roots of `ca_bundle` only
/// when given, else the system's.
fn tls_config(ca_bundle: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    use rustls_pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    match ca_bundle {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| format!("CA bundle {}: {e}", path.display()))?;
            for cert in rustls_pki_types::CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| format!("CA bundle {}: {e}", path.display()))?;
                roots.add(cert).map_err(|e| format!("CA bundle {}: {e}", path.display()))?;
            }
            if roots.is_empty() {
                return Err(format!("CA bundle {}: no CERTIFICATE in it", path.display()));
            }
        }
        None => {
            // Unreadable system certificates are skipped, as the AWS SDKs do.
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

pub(crate) struct Target {
    client: HttpClient,
    uri: http::Uri,
    host: String,
    region: String,
    identity: Identity,
}

/// The answer to one request: status, body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
}

impl Target {
    /// A client of `endpoint` (`http://host:port` or `https://…`) signing
    /// for `region` with one access key; `pool` idle connections are kept.
    /// `ca_bundle`: the only roots trusted for https (else the system's).
    pub(crate) fn new(
        endpoint: &str,
        region: &str,
        access_key_id: &str,
        secret: &str,
        ca_bundle: Option<&Path>,
        pool: usize,
    ) -> Result<Self, String> {
        let uri: http::Uri = endpoint.parse().map_err(|e| format!("endpoint: {e}"))?;
        let host = uri.authority().map(|a| a.to_string()).ok_or("endpoint needs a host")?;
        let uri: http::Uri =
            format!("{}://{host}/", uri.scheme_str().unwrap_or("http")).parse().map_err(|e| format!("{e}"))?;
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.set_nodelay(true);
        connector.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config(ca_bundle)?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let client: HttpClient = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(pool).build(https);
        let identity: Identity = Credentials::new(access_key_id, secret, None, None, "trent").into();
        Ok(Target { client, uri, host, region: region.to_owned(), identity })
    }

    pub(crate) async fn call(&self, target: &str, body: Vec<u8>) -> Result<Answer, String> {
        let mut req = http::Request::builder()
            .method("POST")
            .uri(self.uri.clone())
            .header("host", &self.host)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", target)
            .body(body)
            .map_err(|e| e.to_string())?;
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name("kms")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let signable = SignableRequest::new(
            "POST",
            req.uri().to_string(),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(req.body()),
        )
        .map_err(|e| e.to_string())?;
        let (instructions, _) = sign(signable, &params).map_err(|e| e.to_string())?.into_parts();
        instructions.apply_to_request_http1x(&mut req);
        let resp = self.client.request(req.map(|b| Full::new(Bytes::from(b)))).await.map_err(|e| with_causes(&e))?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(Answer { status, body })
    }

    /// Calls an operation that must succeed; its JSON answer.
    pub(crate) async fn must(&self, target: &str, body: serde_json::Value) -> Result<serde_json::Value, String> {
        let a = self.call(target, body.to_string().into_bytes()).await?;
        let v: serde_json::Value = serde_json::from_slice(&a.body).map_err(|e| format!("{target}: {e}"))?;
        if a.status != 200 {
            return Err(format!("{target} failed ({}): {v}", a.status));
        }
        Ok(v)
    }
}

/// An error and its causes (hyper's own message is only "client error
/// (Connect)"; the cause says which: refused, untrusted certificate, …).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

pub(crate) fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("__type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "unparsable error".into())
}
