//! The `trent` binary.
//!
//! `trent bench` drives load at a KMS endpoint (see `bench.rs`).
//!
//! `trent serve` loads the configuration (defaults < `--config` TOML <
//! `TRENT_*` environment < flags), opens the deployment and serves until
//! SIGINT or SIGTERM, finishing in-flight requests.

mod admin;
mod audit;
mod backup;
mod bench;
mod client;

use clap::{Parser, Subcommand};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use trent_server::config::{Config, SealParams, ServerParams};
use trent_server::startup::{self, Opened};

/// mimalloc instead of the system allocator: a request allocates many small
/// short-lived buffers (JSON, SigV4 canonical request, audit record), and
/// glibc's malloc and free were 17 % of the server core under Encrypt load
/// (`perf`). Freed memory is still zeroized first where it held secrets
/// (`zeroize` writes before the allocator sees it).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "trent", version, about = "Trent: a self-hosted key management service that speaks the AWS KMS API")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server.
    Serve(ServeArgs),
    /// Load-test a KMS endpoint (Trent or another) with SigV4-signed requests.
    Bench(bench::BenchArgs),
    /// Operator commands against a running server.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
}

#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// Address and port to listen on [default: 127.0.0.1:4600; env: TRENT_LISTEN]
    #[arg(long, value_name = "ADDR:PORT")]
    pub(crate) listen: Option<String>,
    /// Data directory [default: ./data; env: TRENT_DATA_DIR]
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// TOML configuration file [env: TRENT_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// PostgreSQL URL for a deployment of several nodes [default: SQLite in the data directory; env: TRENT_STORE_URL]
    #[arg(long, value_name = "URL")]
    pub(crate) store: Option<String>,
    /// PEM certificate chain: serve TLS only [env: TRENT_TLS_CERT]
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert [env: TRENT_TLS_KEY]
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// PEM CA bundle: require client certificates issued by it (mTLS) [env: TRENT_TLS_CLIENT_CA]
    #[arg(long, value_name = "FILE")]
    pub(crate) tls_client_ca: Option<PathBuf>,
}

pub(crate) fn load_params(args: ServeArgs, env: &HashMap<String, String>) -> Result<ServerParams, String> {
    let mut cfg = Config::default();
    let path = args.config.clone().or_else(|| env.get("TRENT_CONFIG").filter(|s| !s.is_empty()).map(PathBuf::from));
    if let Some(path) = path {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("config file {}: {e}", path.display()))?;
        cfg = cfg.merge(Config::from_toml(&text).map_err(|e| e.to_string())?);
    }
    cfg = cfg.merge(Config::from_env(env).map_err(|e| e.to_string())?);
    cfg = cfg.merge(Config {
        listen: args.listen,
        data_dir: args.data_dir,
        store: args.store,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        tls_client_ca: args.tls_client_ca,
        ..Config::default()
    });
    cfg.into_params(|p| std::fs::read_to_string(p)).map_err(|e| e.to_string())
}

fn announce(params: &ServerParams, opened: &Opened, addr: std::net::SocketAddr) {
    let scheme = if params.tls.is_some() { "https" } else { "http" };
    println!("Trent listening on {scheme}://{addr}");
    match &params.tls {
        Some(tls) => {
            println!("  TLS: certificate {} (reloaded on change or SIGHUP)", tls.cert.display());
            if let Some(ca) = &tls.client_ca {
                println!("  client certificates required, issued by {}", ca.display());
            }
        }
        None if !params.trusted_proxies.is_empty() => {
            println!("  plain HTTP behind a TLS proxy; X-Forwarded-Proto believed from {:?}", params.trusted_proxies);
        }
        None if !addr.ip().is_loopback() => {
            println!();
            println!("  WARNING: PLAIN HTTP on {addr}. Plaintexts, data keys and secrets cross the");
            println!("  network in clear. Set tls_cert and tls_key (see the README, Deploying).");
            tracing::warn!(%addr, "plain HTTP on a non-loopback address");
        }
        None => {}
    }
    println!("  data directory: {}", params.data_dir.display());
    match &params.store {
        Some(url) => println!("  store: PostgreSQL {}", trent_server::config::redact_url(url)),
        None => println!("  store: SQLite {}", params.data_dir.join(startup::DB_FILE).display()),
    }
    match &params.seal {
        SealParams::KeyFile(path) => {
            println!("  seal: key file {}", path.display());
            println!();
            println!("  WARNING: DEVELOPMENT SEAL. The root key is stored in plain text in");
            println!("  {}. Anyone who can read it and the database can read every key.", path.display());
            println!("  Use seal = \"passphrase\" (and production = true) for real deployments.");
            tracing::warn!(path = %path.display(), "development key-file seal in use");
        }
        SealParams::Passphrase(_) => println!("  seal: passphrase (Argon2id)"),
    }
    if trent_core::audit::Auditor::DISCARDS {
        println!();
        println!("  WARNING: BENCHMARK BUILD (feature bench-discard-audit). The audit events of");
        println!("  reads and cryptographic operations are DISCARDED. Never run this build for real.");
        tracing::warn!("benchmark build: audit events of reads and cryptographic operations are discarded");
    }
    if let Some(c) = &opened.bootstrap {
        println!();
        println!("  Bootstrap identity created (first start):");
        println!("    account id:            {}", c.account_id);
        println!("    AWS_ACCESS_KEY_ID={}", c.access_key_id);
        if c.generated_secret {
            if params.production {
                println!("    secret access key: not printed in production mode");
            } else {
                println!("    AWS_SECRET_ACCESS_KEY={}", c.secret_access_key.as_str());
                println!("  This secret is shown once.");
            }
            if let Some(f) = &opened.credentials_file {
                println!("  Credentials written to {} (mode 0600).", f.display());
            }
        } else {
            println!("    secret access key: as given in TRENT_BOOTSTRAP_SECRET_ACCESS_KEY");
        }
    }
    println!();
    let ca = if params.tls.is_some() { " --ca-bundle ca.pem" } else { "" };
    println!("  Try: aws kms create-key --endpoint-url {scheme}://{addr} --region us-east-1{ca}");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let params = load_params(args, &env)?;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&params.log).map_err(|e| format!("log filter: {e}"))?)
        .with_writer(std::io::stderr)
        .init();
    // TLS first: a bad certificate stops the start before the seal opens.
    let tls = match &params.tls {
        Some(t) => Some(trent_server::tls::Tls::load(t).map_err(|e| e.to_string())?),
        None => None,
    };
    let opened = startup::open(&params).await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(params.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", params.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    announce(&params, &opened, addr);
    match tls {
        Some(tls) => trent_server::run_tls(listener, opened.state, tls, shutdown_signal()).await,
        None => trent_server::run(listener, opened.state, shutdown_signal()).await,
    }
    .map_err(|e| format!("server: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("trent: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve(args) => rt.block_on(serve(args)),
        Command::Bench(args) => rt.block_on(bench::run(args)),
        Command::Admin(cmd) => match rt.block_on(admin::run(cmd)) {
            Ok(true) => Ok(()),
            // The command said what failed (a tampered audit trail).
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trent: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    /// clap checks a command tree only when it parses: every subcommand's
    /// arguments (flattened ones included) must be well formed and distinct.
    #[test]
    fn the_command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
