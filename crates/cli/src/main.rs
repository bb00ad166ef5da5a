//! The `trent` binary.
//!
//! `trent bench` drives load at a KMS endpoint (see `bench.rs`).
//!
//! `trent serve` loads the configuration (defaults < `--config` TOML <
//! `TRENT_*` environment < flags), opens the deployment and serves until
//! SIGINT or SIGTERM, finishing in-flight requests. `trent serve
//! --ephemeral [--seed FILE]` keeps everything in memory instead (see
//! `trent_server::startup::open_ephemeral` and `trent_server::seed`).

mod admin;
mod audit;
mod backup;
mod bench;
mod client;
mod usage;

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
    /// Keep everything in memory (tests, local development): an in-memory SQLite store and a random root key; nothing is written to disk and everything is lost at exit
    #[arg(long)]
    pub(crate) ephemeral: bool,
    /// With --ephemeral: a YAML seed file of keys (fixed ids, fixed symmetric material) and aliases made at start
    #[arg(long, value_name = "FILE", requires = "ephemeral")]
    pub(crate) seed: Option<PathBuf>,
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

/// What `trent serve` started besides the configuration: an ephemeral
/// deployment, and the keys a seed file made.
struct Started {
    ephemeral: bool,
    seeded: Option<(PathBuf, usize)>,
}

fn announce(params: &ServerParams, opened: &Opened, addr: std::net::SocketAddr, started: &Started) {
    // A closed or full stdout (`trent serve | head -1`, a detached
    // supervisor) must not stop the server: what cannot be printed is
    // dropped, where `println!` would panic.
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    macro_rules! say {
        () => {{
            let _ = writeln!(out);
        }};
        ($($arg:tt)*) => {{
            let _ = writeln!(out, $($arg)*);
        }};
    }
    let scheme = if params.tls.is_some() { "https" } else { "http" };
    say!("Trent listening on {scheme}://{addr}");
    match &params.tls {
        Some(tls) => {
            say!("  TLS: certificate {} (reloaded on change or SIGHUP)", tls.cert.display());
            if let Some(pin) = trent_server::tls::certificate_sha256(&tls.cert) {
                say!("  TLS certificate SHA-256: {pin}");
            }
            if !params.peers.is_empty() {
                let peers: Vec<String> = params
                    .peers
                    .iter()
                    .map(|p| {
                        format!("{} at {}", p.regions.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","), p.url)
                    })
                    .collect();
                say!("  peer sites: {}", peers.join("; "));
            }
            if let Some(ca) = &tls.client_ca {
                say!("  client certificates required, issued by {}", ca.display());
            }
        }
        None if !params.trusted_proxies.is_empty() => {
            say!("  plain HTTP behind a TLS proxy; X-Forwarded-Proto believed from {:?}", params.trusted_proxies);
        }
        None if !addr.ip().is_loopback() => {
            say!();
            say!("  WARNING: PLAIN HTTP on {addr}. Plaintexts, data keys and secrets cross the");
            say!("  network in clear. Set tls_cert and tls_key (see the README, Deploying).");
            tracing::warn!(%addr, "plain HTTP on a non-loopback address");
        }
        None => {}
    }
    if started.ephemeral {
        say!("  store: in memory (--ephemeral: nothing is written to disk; everything is lost at exit)");
        say!("  seal: ephemeral (a random root key, in memory only)");
        if let Some((file, n)) = &started.seeded {
            say!("  seed: {n} keys from {}", file.display());
        }
    } else {
        say!("  data directory: {}", params.data_dir.display());
        match &params.store {
            Some(url) => say!("  store: PostgreSQL {}", trent_server::config::redact_url(url)),
            None => say!("  store: SQLite {}", params.data_dir.join(startup::DB_FILE).display()),
        }
    }
    match &params.seal {
        _ if started.ephemeral => {}
        SealParams::KeyFile(path) => {
            say!("  seal: key file {}", path.display());
            say!();
            say!("  WARNING: DEVELOPMENT SEAL. The root key is stored in plain text in");
            say!("  {}. Anyone who can read it and the database can read every key.", path.display());
            say!("  Use seal = \"passphrase\", \"shamir\" or \"pkcs11\" (and production = true) for real");
            say!("  deployments; `trent admin rotate-root` moves a running one there.");
            tracing::warn!(path = %path.display(), "development key-file seal in use");
        }
        SealParams::Passphrase(_) => say!("  seal: passphrase (Argon2id)"),
        SealParams::Shamir { file, .. } => say!("  seal: Shamir shares ({}), unsealed", file.display()),
        SealParams::Pkcs11(p) => say!("  seal: PKCS#11 token {:?} ({})", p.token_label, p.file.display()),
    }
    if trent_core::audit::Auditor::DISCARDS {
        say!();
        say!("  WARNING: BENCHMARK BUILD (feature bench-discard-audit). The audit events of");
        say!("  reads and cryptographic operations are DISCARDED. Never run this build for real.");
        tracing::warn!("benchmark build: audit events of reads and cryptographic operations are discarded");
    }
    if let Some(c) = &opened.bootstrap {
        say!();
        say!("  Bootstrap identity created (first start):");
        say!("    account id:            {}", c.account_id);
        say!("    AWS_ACCESS_KEY_ID={}", c.access_key_id);
        if c.generated_secret {
            say!("    AWS_SECRET_ACCESS_KEY={}", c.secret_access_key.as_str());
            if params.production {
                say!("  This secret is shown once and written nowhere (production mode): store it now.");
            } else {
                say!("  This secret is shown once.");
            }
            if let Some(f) = &opened.credentials_file {
                say!("  Credentials written to {} (mode 0600).", f.display());
            }
        } else {
            say!("    secret access key: as given in TRENT_BOOTSTRAP_SECRET_ACCESS_KEY");
        }
    }
    // Development mode: every start says where the generated bootstrap
    // credentials are, and the hint below uses them (production never
    // points at secrets).
    let creds = params.data_dir.join(startup::BOOTSTRAP_FILE);
    let creds = (!params.production && !started.ephemeral && creds.is_file())
        .then(|| std::path::absolute(&creds).unwrap_or(creds));
    if let Some(creds) = &creds {
        if opened.bootstrap.is_none() {
            say!();
            say!("  Bootstrap credentials: {} (profile trent)", creds.display());
        }
    }
    say!();
    say!("  Try:");
    if let Some(creds) = &creds {
        say!("    export AWS_SHARED_CREDENTIALS_FILE={} AWS_PROFILE=trent", creds.display());
    } else {
        say!("    export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...");
    }
    say!("    export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_ENDPOINT_URL_KMS={scheme}://{addr}");
    if params.tls.is_some() {
        say!("    export AWS_CA_BUNDLE=ca.pem   # the CA of the server's certificate");
    }
    say!("    aws kms create-key");
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
    let ephemeral = args.ephemeral;
    let seed = match &args.seed {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("seed file {}: {e}", path.display()))?;
            let seed = trent_server::seed::Seed::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            Some((path.clone(), seed))
        }
        None => None,
    };
    let mut params = load_params(args, &env)?;
    if ephemeral {
        if params.production {
            return Err("--ephemeral is for tests and development, not with production = true".into());
        }
        if params.store.is_some() {
            return Err("--ephemeral keeps its store in memory: give no store URL".into());
        }
        // The seed's account is the bootstrap account, so that its keys
        // have the same ARNs on every start.
        if let Some(account) = seed.as_ref().and_then(|(_, s)| s.account_id.clone()) {
            match &params.bootstrap_account_id {
                Some(given) if *given != account => {
                    return Err(format!(
                        "the seed's account_id {account} differs from the bootstrap account id {given}"
                    ))
                }
                _ => params.bootstrap_account_id = Some(account),
            }
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&params.log).map_err(|e| format!("log filter: {e}"))?)
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal, not in a log file or a pipe.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    // TLS first: a bad certificate stops the start before the seal opens.
    let tls = match &params.tls {
        Some(t) => Some(trent_server::tls::Tls::load(t).map_err(|e| e.to_string())?),
        None => None,
    };
    // Then listen: a busy port stops the start before anything (a
    // bootstrap identity, its credentials file) is created.
    let listener = tokio::net::TcpListener::bind(params.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", params.listen))?;
    // A deployment on the Shamir seal starts sealed, and `trent admin seal`
    // seals it again: the listener is kept across the phases.
    let listener = listener.into_std().map_err(|e| e.to_string())?;
    let mut first = true;
    loop {
        let phase_listener = tokio::net::TcpListener::from_std(listener.try_clone().map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        let sealing = match (&params.seal, ephemeral) {
            (trent_server::config::SealParams::Shamir { file, shares, seal_requests }, false) => {
                // Sealed until enough shares arrive on this listener.
                let seal = trent_crypto::seal::ShamirSealFile::load(file)
                    .map_err(|e| format!("{e} (make it with trent admin init --shares N --threshold K)"))?;
                eprintln!(
                    "\n  Trent is sealed: give it {} of its {} Shamir shares with `trent admin unseal --endpoint http{}://{}`\n",
                    seal.threshold,
                    seal.shares,
                    if tls.is_some() { "s" } else { "" },
                    phase_listener.local_addr().map_err(|e| e.to_string())?
                );
                match trent_server::sealed::serve_sealed(&phase_listener, tls.clone(), seal, shutdown_signal()).await {
                    Some(given) => *shares.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = given,
                    None => return Ok(()),
                }
                tracing::info!("unsealed: opening the deployment");
                Some(seal_requests.clone())
            }
            _ => None,
        };
        let opened = if ephemeral { startup::open_ephemeral(&params).await } else { startup::open(&params).await }
            .map_err(|e| e.to_string())?;
        let mut started = Started { ephemeral, seeded: None };
        if let (true, Some((path, seed))) = (first, &seed) {
            // An ephemeral start is always a first start: it made the identity.
            let creds = opened.bootstrap.as_ref().ok_or("--seed needs the bootstrap identity of a first start")?;
            let n = seed
                .apply(opened.state.kms(), &creds.account_id, &creds.access_key_id)
                .await
                .map_err(|e| format!("{}: {e}", path.display()))?;
            started.seeded = Some((path.clone(), n));
        }
        first = false;
        let addr = phase_listener.local_addr().map_err(|e| e.to_string())?;
        announce(&params, &opened, addr, &started);
        // The data-directory lock lives as long as the server.
        let _lock = opened.lock;
        let resealed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = {
            let resealed = resealed.clone();
            async move {
                match sealing {
                    Some(requests) => tokio::select! {
                        () = shutdown_signal() => {}
                        () = requests.notified() => resealed.store(true, std::sync::atomic::Ordering::SeqCst),
                    },
                    None => shutdown_signal().await,
                }
            }
        };
        match tls.clone() {
            Some(tls) => trent_server::run_tls(phase_listener, opened.state, tls, stop).await,
            None => trent_server::run(phase_listener, opened.state, stop).await,
        }
        .map_err(|e| format!("server: {e}"))?;
        if !resealed.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(());
        }
        tracing::warn!("sealed: the root key and the keys under it have left memory");
    }
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

    /// Each source of a setting is named once in `--help` (clap's `[env: …]`
    /// beside a doc comment saying the same printed it twice).
    #[test]
    fn help_names_each_credential_source_once() {
        let mut cmd = <super::Cli as clap::CommandFactory>::command();
        for sub in ["bench", "admin"] {
            let help = cmd.find_subcommand_mut(sub).unwrap().render_long_help().to_string();
            let help = if sub == "admin" {
                let user = cmd.find_subcommand_mut("admin").unwrap().find_subcommand_mut("user").unwrap();
                user.find_subcommand_mut("list").unwrap().render_long_help().to_string()
            } else {
                help
            };
            for var in ["AWS_ACCESS_KEY_ID", "AWS_REGION", "AWS_ENDPOINT_URL_KMS", "AWS_CA_BUNDLE"] {
                assert_eq!(help.matches(var).count(), 1, "{sub}: {var} in\n{help}");
            }
            assert!(!help.contains("[env:"), "{help}");
        }
    }
}
