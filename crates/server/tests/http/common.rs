//! `TestServer::builder()`: the one way tests start Trent.

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use trent_core::{Clock as _, ManualClock};
use trent_server::config::Config;
use trent_server::AppState;

pub const ACCOUNT: &str = "111122223333";
pub const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

pub struct TestServer {
    pub addr: SocketAddr,
    pub state: AppState,
    clock: Option<Arc<ManualClock>>,
    _temp: Option<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _lock: Option<trent_server::startup::DataDirLock>,
    /// The CA the server's certificate chains to, when it serves TLS.
    pub ca_pem: Option<Vec<u8>>,
}

#[derive(Default)]
pub struct Builder {
    data_dir: Option<PathBuf>,
    clock: Option<Arc<ManualClock>>,
    scheduler_interval_secs: Option<u64>,
    store_url: Option<String>,
    key_file: Option<PathBuf>,
    regions: Option<Vec<String>>,
    extra: Option<Config>,
    tls: Option<(PathBuf, PathBuf, Vec<u8>)>,
    tls_client_ca: Option<PathBuf>,
    trusted_proxies: Option<Vec<String>>,
}

/// The SDK's clock, reading the server's manual clock, so that signatures
/// stay valid while a test moves time.
#[derive(Debug)]
struct SharedManualClock(Arc<ManualClock>);

impl aws_smithy_async::time::TimeSource for SharedManualClock {
    fn now(&self) -> std::time::SystemTime {
        let ms = u64::try_from(self.0.now_millis()).unwrap();
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms)
    }
}

impl Builder {
    /// Serve from an existing data directory (to test restarts).
    pub fn data_dir(mut self, dir: &Path) -> Self {
        self.data_dir = Some(dir.to_owned());
        self
    }

    /// Run the server (SigV4 checks and scheduler) on a clock the test moves;
    /// the clients of this server sign with the same clock.
    pub fn manual_clock(mut self, clock: Arc<ManualClock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Serve from a PostgreSQL database instead of SQLite.
    pub fn store_url(mut self, url: &str) -> Self {
        self.store_url = Some(url.to_owned());
        self
    }

    /// The key-file seal's file (nodes of one deployment share it).
    pub fn key_file(mut self, path: &Path) -> Self {
        self.key_file = Some(path.to_owned());
        self
    }

    /// The regions served (default: us-east-1 only).
    pub fn regions(mut self, regions: &[&str]) -> Self {
        self.regions = Some(regions.iter().map(|r| (*r).to_owned()).collect());
        self
    }

    /// Settings stacked over the test defaults (timeouts, caps, …).
    pub fn config(mut self, c: Config) -> Self {
        self.extra = Some(c);
        self
    }

    /// Seconds between scheduler passes.
    pub fn scheduler_interval_secs(mut self, secs: u64) -> Self {
        self.scheduler_interval_secs = Some(secs);
        self
    }

    /// Serve TLS with `pki`'s server certificate (its files may be rewritten
    /// later to test reloads).
    pub fn tls(mut self, pki: &TestPki) -> Self {
        self.tls = Some((pki.cert_path(), pki.key_path(), pki.ca_pem.clone().into_bytes()));
        self
    }

    /// Require client certificates issued by `pki`'s CA (mTLS).
    pub fn tls_client_ca(mut self, pki: &TestPki) -> Self {
        self.tls_client_ca = Some(pki.ca_path());
        self
    }

    /// Plain HTTP behind TLS proxies at these addresses.
    pub fn behind_proxies(mut self, proxies: &[&str]) -> Self {
        self.trusted_proxies = Some(proxies.iter().map(|p| (*p).to_owned()).collect());
        self
    }

    pub async fn build(self) -> TestServer {
        let (temp, data_dir) = match self.data_dir {
            Some(d) => (None, d),
            None => {
                let t = tempfile::tempdir().unwrap();
                let d = t.path().join("data");
                (Some(t), d)
            }
        };
        let cfg = Config {
            listen: Some("127.0.0.1:0".into()),
            data_dir: Some(data_dir.clone()),
            bootstrap_account_id: Some(ACCOUNT.into()),
            bootstrap_access_key_id: Some(ACCESS_KEY.into()),
            bootstrap_secret_access_key: Some(SECRET_KEY.into()),
            log: Some("warn".into()),
            scheduler_interval_secs: self.scheduler_interval_secs,
            store: self.store_url.clone(),
            key_file: self.key_file.clone(),
            regions: self.regions.clone(),
            tls_cert: self.tls.as_ref().map(|t| t.0.clone()),
            tls_key: self.tls.as_ref().map(|t| t.1.clone()),
            tls_client_ca: self.tls_client_ca.clone(),
            tls_terminated_by_proxy: self.trusted_proxies.as_ref().map(|_| true),
            trusted_proxies: self.trusted_proxies.clone(),
            ..Config::default()
        };
        let cfg = match self.extra {
            Some(extra) => cfg.merge(extra),
            None => cfg,
        };
        let params = cfg.into_params(|p| std::fs::read_to_string(p)).unwrap();
        let opened = match &self.clock {
            Some(c) => trent_server::startup::open_with_clock(&params, c.clone()).await.unwrap(),
            None => trent_server::startup::open(&params).await.unwrap(),
        };
        let listener = tokio::net::TcpListener::bind(params.listen).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = opened.state.clone();
        let stop = async {
            let _ = rx.await;
        };
        let task = match &params.tls {
            Some(t) => {
                let tls = trent_server::tls::Tls::load(t).unwrap();
                tokio::spawn(trent_server::run_tls(listener, opened.state, tls, stop))
            }
            None => tokio::spawn(trent_server::run(listener, opened.state, stop)),
        };
        TestServer {
            addr,
            state,
            clock: self.clock,
            _temp: temp,
            shutdown: Some(tx),
            task: Some(task),
            _lock: opened.lock,
            ca_pem: self.tls.map(|t| t.2),
        }
    }
}

impl TestServer {
    pub fn builder() -> Builder {
        Builder::default()
    }

    pub fn endpoint(&self) -> String {
        match self.ca_pem {
            Some(_) => format!("https://localhost:{}", self.addr.port()),
            None => format!("http://{}", self.addr),
        }
    }

    /// The clock clients of this server sign with: the test's manual clock
    /// when it has one, else the system's.
    pub fn time_source(&self) -> aws_smithy_async::time::SharedTimeSource {
        match &self.clock {
            Some(c) => aws_smithy_async::time::SharedTimeSource::new(SharedManualClock(c.clone())),
            None => aws_smithy_async::time::SharedTimeSource::default(),
        }
    }

    /// A client of the bootstrap account in us-east-1.
    pub fn client(&self) -> aws_sdk_kms::Client {
        self.client_with("us-east-1", ACCESS_KEY, SECRET_KEY)
    }

    pub fn client_with(&self, region: &str, access_key: &str, secret: &str) -> aws_sdk_kms::Client {
        let mut conf = aws_sdk_kms::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(self.endpoint())
            .credentials_provider(Credentials::new(access_key, secret, None, None, "test"));
        if let Some(c) = &self.clock {
            conf = conf.time_source(SharedManualClock(c.clone()));
        }
        if let Some(ca) = &self.ca_pem {
            // The test CA as the only root, as `aws --ca-bundle` does.
            use aws_smithy_http_client::tls;
            let trust = tls::TrustStore::empty().with_pem_certificate(ca.clone());
            let http = aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
                .tls_context(tls::TlsContext::builder().with_trust_store(trust).build().unwrap())
                .build_https();
            conf = conf.http_client(http);
        }
        let conf = conf.build();
        aws_sdk_kms::Client::from_conf(conf)
    }

    /// Creates another account with one access key and returns a client of
    /// it in us-east-1.
    pub async fn client_of_new_account(&self, account: &str, access_key: &str, secret: &str) -> aws_sdk_kms::Client {
        let spec = trent_core::BootstrapSpec {
            account_id: Some(account.into()),
            access_key_id: Some(access_key.into()),
            secret_access_key: Some(zeroize::Zeroizing::new(secret.into())),
        };
        self.state.kms().create_account(spec).await.unwrap();
        self.client_with("us-east-1", access_key, secret)
    }

    /// Stops the server gracefully and waits for it, keeping the data
    /// directory (when the builder was given one).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

/// GET `path` of the server's router (health, readiness, metrics): status
/// and body.
pub async fn get(s: &TestServer, path: &str) -> (u16, String) {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let req = http::Request::get(path).body(axum::body::Body::empty()).unwrap();
    let resp = trent_server::router(s.state.clone()).oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// The environment variable `.ci/run` sets to a fresh PostgreSQL database.
pub const POSTGRES_URL_VAR: &str = "TRENT_TEST_POSTGRES_URL";

/// Says, where the user sees it, that a PostgreSQL test was skipped: a line
/// on stderr, and a line in the file `TRENT_TEST_SKIP_LOG` names (set by
/// `./scripts/test`, which counts them in its summary; cargo shows a passing
/// test's stderr only with `--nocapture`).
pub fn note_postgres_skip() {
    note_skip(POSTGRES_URL_VAR, "PostgreSQL");
}

/// [`note_postgres_skip`] for a test that needs `var` (`what` names it).
pub fn note_skip(var: &str, what: &str) {
    let test = std::thread::current().name().unwrap_or("?").to_owned();
    eprintln!("SKIPPED {test}: {var} is not set ({what} test)");
    if let Ok(path) = std::env::var("TRENT_TEST_SKIP_LOG") {
        use std::io::Write as _;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{test}");
        }
    }
}

/// A fresh schema in the test database, as a store URL; `None` (with a note)
/// when [`POSTGRES_URL_VAR`] is not set.
pub async fn postgres_schema_url() -> Option<String> {
    let Ok(url) = std::env::var(POSTGRES_URL_VAR) else {
        note_postgres_skip();
        return None;
    };
    let schema = format!("http_{}", uuid::Uuid::new_v4().simple());
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    let task = tokio::spawn(conn);
    client.batch_execute(&format!("CREATE SCHEMA {schema}")).await.unwrap();
    drop(client);
    let _ = task.await;
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}

/// A CA made at test time and a server certificate for `localhost` and
/// `127.0.0.1` it issued, as PEM files in a temporary directory.
pub struct TestPki {
    dir: tempfile::TempDir,
    pub ca_pem: String,
    ca: rcgen::Certificate,
    ca_key: rcgen::KeyPair,
}

impl TestPki {
    pub fn new() -> TestPki {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "Trent test CA");
        params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        let ca = params.self_signed(&ca_key).unwrap();
        let pki = TestPki { dir: tempfile::tempdir().unwrap(), ca_pem: ca.pem(), ca, ca_key };
        std::fs::write(pki.ca_path(), &pki.ca_pem).unwrap();
        pki.issue_server("trent one", None);
        pki
    }

    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn cert_path(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    /// (Re)writes the server certificate and key, with `cn` as common name;
    /// `expired` makes one whose validity ended in 2020.
    pub fn issue_server(&self, cn: &str, expired: Option<()>) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, cn);
        if expired.is_some() {
            params.not_before = rcgen::date_time_ymd(2019, 1, 1);
            params.not_after = rcgen::date_time_ymd(2020, 1, 1);
        }
        let cert = params.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        let (cert_pem, key_pem) = (cert.pem(), key.serialize_pem());
        // Key first, then certificate, each replaced whole (rename), as a
        // deployment tool would.
        for (path, text) in [(self.key_path(), &key_pem), (self.cert_path(), &cert_pem)] {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, text).unwrap();
            std::fs::rename(&tmp, &path).unwrap();
        }
        (cert_pem, key_pem)
    }

    /// A client certificate and key with common name `cn`, issued by the CA.
    pub fn client_cert(
        &self,
        cn: &str,
    ) -> (Vec<rustls::pki_types::CertificateDer<'static>>, rustls::pki_types::PrivateKeyDer<'static>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, cn);
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        let der = rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der());
        (vec![cert.der().clone()], der.into())
    }
}

/// Signs `req` in place as a stock AWS client does (aws-sigv4, the headers
/// it carries, its body), with `credentials` for `service` in `region` at
/// `time`.
pub fn sign_request(
    req: &mut http::Request<Vec<u8>>,
    credentials: aws_credential_types::Credentials,
    region: &str,
    service: &str,
    time: std::time::SystemTime,
) {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    let identity: aws_smithy_runtime_api::client::identity::Identity = credentials.into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        "POST",
        req.uri().to_string(),
        req.headers().iter().map(|(k, v)| (k.as_str(), v.to_str().unwrap())),
        SignableBody::Bytes(req.body()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(req);
}
