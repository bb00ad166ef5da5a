//! `trent admin`: operator commands against a running server, signed with
//! the operator account's access key (the bootstrap account), and the
//! management of an account's IAM users, signed with that account's root
//! access key (or a user's whose policies allow `iam:…`).

use crate::client::Connection;

/// `trent admin` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an account with a root access key; prints it as JSON (the
    /// secret is shown only here).
    CreateAccount(CreateAccountArgs),
    /// Manage the IAM users of the signing account, their identity policies
    /// and their tags.
    #[command(subcommand)]
    User(UserCommand),
    /// Verify, tail and export the audit trail.
    #[command(subcommand)]
    Audit(crate::audit::AuditCommand),
    /// The usage report for charge-back: requests per operation, key and
    /// hour or day, and key-months, of the signing account (or of every
    /// account, for the operator); CSV (three sections: requests, totals,
    /// key-months) or JSON.
    Usage(crate::usage::UsageArgs),
    /// Write an encrypted backup of the whole deployment (while it runs).
    Backup(crate::backup::BackupArgs),
    /// Restore a backup into an empty store (SQLite or PostgreSQL) under the
    /// same seal.
    Restore(crate::backup::RestoreArgs),
    /// Make the Shamir seal of a new deployment: a new root key split into
    /// --shares shares, --threshold of which open it. Each share is shown
    /// here, once; the data directory keeps only their digests.
    Init(InitArgs),
    /// Give a sealed server (seal = "shamir") one share; prints its
    /// progress.
    Unseal(UnsealArgs),
    /// Seal a running server on the Shamir seal again (operator account):
    /// it answers the requests in flight, drops its keys from memory and
    /// waits for shares.
    Seal {
        /// Where, and the operator's access key.
        #[command(flatten)]
        connection: Connection,
    },
    /// Move a running deployment to a new root key (operator account):
    /// every domain key is wrapped again under the new seal's root, with an
    /// audit event, while the server serves. The new seal's file is made in
    /// the server's data directory; set `seal` to it in the configuration
    /// before the next start. Prints the result as JSON (a new Shamir
    /// seal's shares are shown only here).
    RotateRoot(RotateRootArgs),
}

/// `trent admin rotate-root` options.
#[derive(clap::Args, Debug)]
pub struct RotateRootArgs {
    /// Where, and the operator's access key.
    #[command(flatten)]
    connection: Connection,
    /// The new seal: key-file (development), passphrase (read from
    /// TRENT_NEW_SEAL_PASSPHRASE, else standard input), shamir or pkcs11
    /// (the token the server's configuration names: pkcs11_module,
    /// pkcs11_token_label and the PIN).
    #[arg(long, value_parser = ["key-file", "passphrase", "shamir", "pkcs11"])]
    to: String,
    /// Shares to make (shamir).
    #[arg(long)]
    shares: Option<u8>,
    /// Shares that open the new seal (shamir).
    #[arg(long)]
    threshold: Option<u8>,
}

/// `trent admin rotate-root`.
async fn rotate_root(args: RotateRootArgs) -> Result<bool, String> {
    let mut body = serde_json::Map::new();
    body.insert("Seal".into(), args.to.clone().into());
    if let Some(n) = args.shares {
        body.insert("ShareCount".into(), n.into());
    }
    if let Some(t) = args.threshold {
        body.insert("Threshold".into(), t.into());
    }
    if args.to == "passphrase" {
        let pass = match std::env::var("TRENT_NEW_SEAL_PASSPHRASE") {
            Ok(p) => zeroize::Zeroizing::new(p),
            Err(_) => {
                let mut line = zeroize::Zeroizing::new(String::new());
                std::io::stdin().read_line(&mut line).map_err(|e| format!("reading the passphrase: {e}"))?;
                zeroize::Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_owned())
            }
        };
        body.insert("Passphrase".into(), pass.as_str().into());
    }
    let target = args.connection.target(1).await?;
    let out = target.must("TrentAdmin.RotateRoot", serde_json::Value::Object(body)).await?;
    println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
    Ok(true)
}

/// `trent admin init` options.
#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// The new deployment.
    #[command(flatten)]
    deployment: crate::backup::Deployment,
    /// Shares to make (2–255).
    #[arg(long)]
    shares: u8,
    /// Shares that open the seal (2–shares).
    #[arg(long)]
    threshold: u8,
}

/// `trent admin unseal` options.
#[derive(clap::Args)]
pub struct UnsealArgs {
    /// The share (`trent-share-…`) [default: read from standard input, which
    /// keeps it out of the shell's history]
    share: Option<String>,
    /// The endpoint [default: AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, else http://127.0.0.1:4600]
    #[arg(long)]
    endpoint: Option<String>,
    /// PEM CA certificates to trust for an https endpoint [default: AWS_CA_BUNDLE, else the system's roots]
    #[arg(long, env = "AWS_CA_BUNDLE", hide_env = true, value_name = "FILE")]
    ca_bundle: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for UnsealArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnsealArgs").field("endpoint", &self.endpoint).finish_non_exhaustive()
    }
}

/// `trent admin init`: the seal file, and the shares on standard output.
fn init(args: InitArgs) -> Result<bool, String> {
    let params = crate::backup::params(&args.deployment)?;
    let dir = &params.data_dir;
    if params.store.is_none() && dir.join(trent_server::startup::DB_FILE).exists() {
        return Err(format!(
            "{} holds a deployment already: its root key comes from its own seal (move it to Shamir shares with `trent admin rotate-root --to shamir` against its running server)",
            dir.display()
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let path = dir.join(trent_crypto::seal::SHAMIR_FILE);
    let shares = trent_crypto::seal::ShamirSealFile::init(
        &trent_crypto::AwsLcProvider::new(),
        &path,
        args.shares,
        args.threshold,
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    let fresh = dir.join(trent_server::startup::SHAMIR_FRESH_FILE);
    std::fs::write(&fresh, b"").map_err(|e| format!("{}: {e}", fresh.display()))?;
    eprintln!(
        "Shamir seal written to {}: {} shares, {} of which open it. Each share is shown here once; give each to \
         its keeper. Start the server with seal = \"shamir\" (TRENT_SEAL=shamir) and give it {} shares with \
         `trent admin unseal`.",
        path.display(),
        args.shares,
        args.threshold,
        args.threshold
    );
    for s in &shares {
        println!("{}", s.to_text().as_str());
    }
    Ok(true)
}

/// `trent admin unseal`.
async fn unseal(args: UnsealArgs) -> Result<bool, String> {
    let share = match args.share {
        Some(s) => zeroize::Zeroizing::new(s),
        None => {
            let mut s = zeroize::Zeroizing::new(String::new());
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(|e| format!("stdin: {e}"))?;
            s
        }
    };
    let endpoint = crate::client::endpoint_or_default(args.endpoint.as_deref());
    let answer =
        crate::client::post_unsigned(&endpoint, args.ca_bundle.as_deref(), "/unseal", share.trim().as_bytes().to_vec())
            .await?;
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    if answer.status != 200 {
        return Err(format!("unseal refused ({}): {text}", answer.status));
    }
    println!("{text}");
    Ok(true)
}

/// `trent admin create-account` options.
#[derive(clap::Args, Debug)]
pub struct CreateAccountArgs {
    /// Where, and the operator's access key.
    #[command(flatten)]
    connection: Connection,
    /// The new account's 12-digit id [default: generated]
    #[arg(long)]
    account_id: Option<String>,
    /// The new root access key id [default: generated]
    #[arg(long)]
    new_access_key_id: Option<String>,
}

/// `trent admin user` subcommands (Trent's admin API in IAM's shapes).
#[derive(clap::Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user with an access key; prints it as JSON (the secret is
    /// shown only here).
    Create {
        /// The user.
        #[command(flatten)]
        user: UserArgs,
        /// A tag KEY=VALUE (its `aws:PrincipalTag/KEY`); repeatable.
        #[arg(long = "tag", value_parser = parse_tag)]
        tags: Vec<(String, String)>,
    },
    /// Add tags to a user (a key already present gets the new value).
    Tag {
        /// The user.
        #[command(flatten)]
        user: UserArgs,
        /// A tag KEY=VALUE; repeatable.
        #[arg(long = "tag", value_parser = parse_tag, required = true)]
        tags: Vec<(String, String)>,
    },
    /// Remove tags from a user.
    Untag {
        /// The user.
        #[command(flatten)]
        user: UserArgs,
        /// A tag key to remove; repeatable.
        #[arg(long = "tag-key", required = true)]
        keys: Vec<String>,
    },
    /// List a user's tags.
    ListTags(UserArgs),
    /// Delete a user with its policies and access keys.
    Delete(UserArgs),
    /// List the account's users.
    List {
        /// Where, and whose access key.
        #[command(flatten)]
        connection: Connection,
    },
    /// Add or replace an inline identity policy of a user.
    PutPolicy {
        /// The user and the policy's name.
        #[command(flatten)]
        policy: UserPolicyArgs,
        /// The policy document: JSON text, or `file://PATH`.
        #[arg(long)]
        policy_document: String,
    },
    /// Show one of a user's policies.
    GetPolicy(UserPolicyArgs),
    /// Delete one of a user's policies.
    DeletePolicy(UserPolicyArgs),
    /// List a user's policy names.
    ListPolicies(UserArgs),
    /// Create an access key for a user (without --user-name: for the signing
    /// principal); prints it as JSON (the secret is shown only here).
    CreateAccessKey(KeyOwnerArgs),
    /// List a user's (or the signing principal's) access keys.
    ListAccessKeys(KeyOwnerArgs),
    /// Delete an access key of a user (or of the signing principal).
    DeleteAccessKey {
        /// Whose.
        #[command(flatten)]
        owner: KeyOwnerArgs,
        /// The access key id to delete (`--access-key-id` is the signer's).
        #[arg(long)]
        key_id: String,
    },
}

/// The user whose access keys a command is about; none: the signer.
#[derive(clap::Args, Debug)]
pub struct KeyOwnerArgs {
    /// Where, and whose access key signs.
    #[command(flatten)]
    connection: Connection,
    /// The user's name [default: the signing principal].
    #[arg(long)]
    user_name: Option<String>,
}

/// A user of the signing account.
#[derive(clap::Args, Debug)]
pub struct UserArgs {
    /// Where, and whose access key.
    #[command(flatten)]
    connection: Connection,
    /// The user's name.
    #[arg(long)]
    user_name: String,
}

/// A policy of a user.
#[derive(clap::Args, Debug)]
pub struct UserPolicyArgs {
    /// The user.
    #[command(flatten)]
    user: UserArgs,
    /// The policy's name.
    #[arg(long)]
    policy_name: String,
}

/// `KEY=VALUE`.
fn parse_tag(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or_else(|| format!("expected KEY=VALUE, got {s}"))
}

fn tags_json(tags: &[(String, String)]) -> serde_json::Value {
    tags.iter().map(|(k, v)| serde_json::json!({"Key": k, "Value": v})).collect()
}

/// The admin operation and request body of a user command.
fn user_request(cmd: UserCommand) -> Result<(Connection, &'static str, serde_json::Value), String> {
    use serde_json::json;
    Ok(match cmd {
        UserCommand::Create { user: u, tags } => {
            let mut body = json!({"UserName": u.user_name});
            if !tags.is_empty() {
                body["Tags"] = tags_json(&tags);
            }
            (u.connection, "CreateUser", body)
        }
        UserCommand::Tag { user: u, tags } => {
            (u.connection, "TagUser", json!({"UserName": u.user_name, "Tags": tags_json(&tags)}))
        }
        UserCommand::Untag { user: u, keys } => {
            (u.connection, "UntagUser", json!({"UserName": u.user_name, "TagKeys": keys}))
        }
        UserCommand::ListTags(u) => (u.connection, "ListUserTags", json!({"UserName": u.user_name})),
        UserCommand::Delete(u) => (u.connection, "DeleteUser", json!({"UserName": u.user_name})),
        UserCommand::List { connection } => (connection, "ListUsers", json!({})),
        UserCommand::ListPolicies(u) => (u.connection, "ListUserPolicies", json!({"UserName": u.user_name})),
        UserCommand::PutPolicy { policy: p, policy_document } => {
            let document = match policy_document.strip_prefix("file://") {
                Some(path) => std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?,
                None => policy_document,
            };
            let body = json!({"UserName": p.user.user_name, "PolicyName": p.policy_name, "PolicyDocument": document});
            (p.user.connection, "PutUserPolicy", body)
        }
        UserCommand::GetPolicy(p) => {
            (p.user.connection, "GetUserPolicy", json!({"UserName": p.user.user_name, "PolicyName": p.policy_name}))
        }
        UserCommand::CreateAccessKey(o) => (o.connection, "CreateAccessKey", json!({"UserName": o.user_name})),
        UserCommand::ListAccessKeys(o) => (o.connection, "ListAccessKeys", json!({"UserName": o.user_name})),
        UserCommand::DeleteAccessKey { owner: o, key_id } => {
            (o.connection, "DeleteAccessKey", json!({"UserName": o.user_name, "AccessKeyId": key_id}))
        }
        UserCommand::DeletePolicy(p) => {
            (p.user.connection, "DeleteUserPolicy", json!({"UserName": p.user.user_name, "PolicyName": p.policy_name}))
        }
    })
}

/// Runs an admin command; `Ok(false)` when it ran and the answer is a
/// failure (a tampered audit trail).
pub async fn run(cmd: AdminCommand) -> Result<bool, String> {
    match cmd {
        AdminCommand::Audit(cmd) => crate::audit::run(cmd).await,
        AdminCommand::Usage(args) => crate::usage::usage(args).await,
        AdminCommand::Backup(args) => crate::backup::backup(args).await,
        AdminCommand::Restore(args) => crate::backup::restore(args).await,
        AdminCommand::Init(args) => init(args),
        AdminCommand::Unseal(args) => unseal(args).await,
        AdminCommand::Seal { connection } => {
            connection.target(1).await?.must("TrentAdmin.Seal", serde_json::json!({})).await?;
            eprintln!("sealed: the server answers only health, status and unseal until it gets its shares again");
            Ok(true)
        }
        AdminCommand::RotateRoot(args) => rotate_root(args).await,
        AdminCommand::User(cmd) => {
            let (connection, op, body) = user_request(cmd)?;
            let out = connection.target(1).await?.must(&format!("TrentAdmin.{op}"), body).await?;
            println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
            Ok(true)
        }
        AdminCommand::CreateAccount(args) => {
            let target = args.connection.target(1).await?;
            let mut body = serde_json::Map::new();
            if let Some(a) = args.account_id {
                body.insert("AccountId".into(), a.into());
            }
            if let Some(k) = args.new_access_key_id {
                body.insert("AccessKeyId".into(), k.into());
            }
            let out = target.must("TrentAdmin.CreateAccount", serde_json::Value::Object(body)).await?;
            println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
            Ok(true)
        }
    }
}
