//! `TestServer::builder()`: the one way tests start Trent.

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use trent_server::config::Config;
use trent_server::AppState;

pub const ACCOUNT: &str = "111122223333";
pub const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

pub struct TestServer {
    pub addr: SocketAddr,
    pub state: AppState,
    _temp: Option<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

#[derive(Default)]
pub struct Builder {
    data_dir: Option<PathBuf>,
}

impl Builder {
    /// Serve from an existing data directory (to test restarts).
    pub fn data_dir(mut self, dir: &Path) -> Self {
        self.data_dir = Some(dir.to_owned());
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
            ..Config::default()
        };
        let params = cfg.into_params(|p| std::fs::read_to_string(p)).unwrap();
        let opened = trent_server::startup::open(&params).await.unwrap();
        let listener = tokio::net::TcpListener::bind(params.listen).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = opened.state.clone();
        let task = tokio::spawn(trent_server::run(listener, opened.state, async {
            let _ = rx.await;
        }));
        TestServer { addr, state, _temp: temp, shutdown: Some(tx), task: Some(task) }
    }
}

impl TestServer {
    pub fn builder() -> Builder {
        Builder::default()
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client of the bootstrap account in us-east-1.
    pub fn client(&self) -> aws_sdk_kms::Client {
        self.client_with("us-east-1", ACCESS_KEY, SECRET_KEY)
    }

    pub fn client_with(&self, region: &str, access_key: &str, secret: &str) -> aws_sdk_kms::Client {
        let conf = aws_sdk_kms::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(self.endpoint())
            .credentials_provider(Credentials::new(access_key, secret, None, None, "test"))
            .build();
        aws_sdk_kms::Client::from_conf(conf)
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
