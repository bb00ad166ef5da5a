//! A SigV4-signing JSON 1.1 client for the KMS API and Trent's admin API,
//! shared by `trent bench` and `trent admin`: one keep-alive HTTP/1.1 pool,
//! every request signed with `aws-sigv4` as a stock AWS client signs it.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
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
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
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
        Target::new(&self.endpoint, &self.region, &self.access_key_id, &self.secret_access_key, pool)
    }
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

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
    /// A client of `endpoint` (`http://host:port`) signing for `region` with
    /// one access key; `pool` idle connections are kept.
    pub(crate) fn new(
        endpoint: &str,
        region: &str,
        access_key_id: &str,
        secret: &str,
        pool: usize,
    ) -> Result<Self, String> {
        let uri: http::Uri = endpoint.parse().map_err(|e| format!("endpoint: {e}"))?;
        let host = uri.authority().map(|a| a.to_string()).ok_or("endpoint needs a host")?;
        let uri: http::Uri =
            format!("{}://{host}/", uri.scheme_str().unwrap_or("http")).parse().map_err(|e| format!("{e}"))?;
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.set_nodelay(true);
        let client: HttpClient = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(pool).build(connector);
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
        let resp = self.client.request(req.map(|b| Full::new(Bytes::from(b)))).await.map_err(|e| e.to_string())?;
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

pub(crate) fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("__type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "unparsable error".into())
}
