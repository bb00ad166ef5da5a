//! A SigV4-signing JSON 1.1 client for the KMS API and Trent's admin API,
//! shared by `trent bench` and `trent admin`: one keep-alive HTTP/1.1 pool,
//! every request signed with `aws-sigv4` as a stock AWS client signs it.
//!
//! Endpoint, region and credentials are found as the `aws` CLI finds them,
//! flags overriding: credentials from `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`), else from the profile
//! (`AWS_PROFILE`, default `default`) of the shared credentials and config
//! files (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`, default
//! `~/.aws/…`), read by the `aws-config` crate; the region from `AWS_REGION`,
//! `AWS_DEFAULT_REGION`, then the profile, else `us-east-1`; the endpoint
//! from `AWS_ENDPOINT_URL_KMS`, then `AWS_ENDPOINT_URL`, else
//! `http://127.0.0.1:4600`. Only these local sources are consulted (no
//! instance metadata, SSO or `credential_process`).
//!
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

/// The endpoint when neither a flag nor the environment names one.
const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4600";
/// The region when neither a flag nor the AWS configuration names one.
const DEFAULT_REGION: &str = "us-east-1";

/// Where, and as whom, a command talks to an endpoint (the flags shared by
/// `trent bench` and `trent admin`); what a flag leaves out comes from the
/// standard AWS configuration (see the module docs). `Debug` leaves the
/// secret out.
#[derive(clap::Args)]
pub(crate) struct Connection {
    /// The endpoint [default: AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, else http://127.0.0.1:4600]
    #[arg(long)]
    endpoint: Option<String>,
    /// Region to sign for [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1]
    #[arg(long)]
    region: Option<String>,
    /// Access key id [default: AWS_ACCESS_KEY_ID, else the AWS_PROFILE profile of the shared credentials and config files]
    #[arg(long, requires = "secret_access_key")]
    access_key_id: Option<String>,
    /// Secret access key [default: as for the access key id]
    #[arg(long, requires = "access_key_id")]
    secret_access_key: Option<String>,
    /// PEM CA certificates to trust for an https endpoint [default: AWS_CA_BUNDLE, else the system's roots]
    #[arg(long, env = "AWS_CA_BUNDLE", hide_env = true, value_name = "FILE")]
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
    /// A signing client of this endpoint keeping `pool` idle connections,
    /// with what the flags leave out resolved from the AWS configuration.
    pub(crate) async fn target(&self, pool: usize) -> Result<Target, String> {
        let endpoint = endpoint_or_default(self.endpoint.as_deref());
        let region = match &self.region {
            Some(r) => r.clone(),
            None => aws_config::meta::region::RegionProviderChain::first_try(
                aws_config::environment::EnvironmentVariableRegionProvider::new(),
            )
            .or_else(aws_config::profile::ProfileFileRegionProvider::builder().build())
            .region()
            .await
            .map_or_else(|| DEFAULT_REGION.into(), |r| r.to_string()),
        };
        let credentials = match (&self.access_key_id, &self.secret_access_key) {
            (Some(id), Some(secret)) => Credentials::new(id, secret, None, None, "flags"),
            _ => standard_credentials().await?,
        };
        Target::new(&endpoint, &region, credentials, self.ca_bundle.as_deref(), pool)
    }
}

/// The endpoint a flag names, else `AWS_ENDPOINT_URL_KMS`,
/// `AWS_ENDPOINT_URL`, else the default.
pub(crate) fn endpoint_or_default(flag: Option<&str>) -> String {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    flag.map(str::to_owned)
        .or_else(|| env("AWS_ENDPOINT_URL_KMS"))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| DEFAULT_ENDPOINT.into())
}

/// An unsigned POST of `body` to `path` of `endpoint`: the sealed
/// server's `/unseal`, which a share authenticates.
pub(crate) async fn post_unsigned(
    endpoint: &str,
    ca_bundle: Option<&Path>,
    path: &str,
    body: Vec<u8>,
) -> Result<Answer, String> {
    let base: http::Uri = endpoint.parse().map_err(|e| format!("endpoint: {e}"))?;
    let host = base.authority().map(|a| a.to_string()).ok_or("endpoint needs a host")?;
    let uri = format!("{}://{host}{path}", base.scheme_str().unwrap_or("http"));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls_config(ca_bundle)?)
        .https_or_http()
        .enable_http1()
        .build();
    let client: HttpClient = Client::builder(TokioExecutor::new()).build(https);
    let req = http::Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let resp = client.request(req).await.map_err(|e| with_causes(&e))?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok(Answer { status, body })
}

/// Credentials from the environment, else from the selected profile of the
/// shared credentials and config files.
async fn standard_credentials() -> Result<Credentials, String> {
    use aws_credential_types::provider::ProvideCredentials as _;
    let chain = aws_config::meta::credentials::CredentialsProviderChain::first_try(
        "Environment",
        aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
    )
    .or_else("Profile", aws_config::profile::ProfileFileCredentialsProvider::builder().build());
    chain.provide_credentials().await.map_err(|e| {
        let mut why = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            why = format!("{why}: {s}");
            source = s.source();
        }
        format!(
            "no AWS credentials: give --access-key-id and --secret-access-key, set AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY, or point AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE at a profile \
             (Trent's first start writes data/bootstrap-credentials, profile trent) ({why})"
        )
    })
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
    access_key_id: String,
}

/// The answer to one request: status, body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
}

impl Target {
    /// A client of `endpoint` (`http://host:port` or `https://…`) signing
    /// for `region` with `credentials`; `pool` idle connections are kept.
    /// `ca_bundle`: the only roots trusted for https (else the system's).
    pub(crate) fn new(
        endpoint: &str,
        region: &str,
        credentials: Credentials,
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
        let access_key_id = credentials.access_key_id().to_owned();
        let identity: Identity = credentials.into();
        Ok(Target { client, uri, host, region: region.to_owned(), identity, access_key_id })
    }

    /// The access key id it signs with.
    pub(crate) fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    pub(crate) async fn call(&self, target: &str, body: Vec<u8>) -> Result<Answer, String> {
        let req = self.signed(target, body)?;
        let resp = self.client.request(req.map(|b| Full::new(Bytes::from(b)))).await.map_err(|e| with_causes(&e))?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(Answer { status, body })
    }

    /// The request calling `target` with `body`, signed now (SigV4 lets it
    /// be sent, and sent again, for five minutes).
    pub(crate) fn signed(&self, target: &str, body: Vec<u8>) -> Result<http::Request<Vec<u8>>, String> {
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
        Ok(req)
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

pub(crate) fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("__type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "unparsable error".into())
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
