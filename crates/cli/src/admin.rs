//! `trent admin`: operator commands against a running server, signed with
//! the operator account's access key (the bootstrap account).

use crate::client::Connection;

/// `trent admin` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an account with a root access key; prints it as JSON (the
    /// secret is shown only here).
    CreateAccount(CreateAccountArgs),
    /// Verify, tail and export the audit trail.
    #[command(subcommand)]
    Audit(crate::audit::AuditCommand),
    /// Write an encrypted backup of the whole deployment (while it runs).
    Backup(crate::backup::BackupArgs),
    /// Restore a backup into an empty store (SQLite or PostgreSQL) under the
    /// same seal.
    Restore(crate::backup::RestoreArgs),
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

/// Runs an admin command; `Ok(false)` when it ran and the answer is a
/// failure (a tampered audit trail).
pub async fn run(cmd: AdminCommand) -> Result<bool, String> {
    match cmd {
        AdminCommand::Audit(cmd) => crate::audit::run(cmd).await,
        AdminCommand::Backup(args) => crate::backup::backup(args).await,
        AdminCommand::Restore(args) => crate::backup::restore(args).await,
        AdminCommand::CreateAccount(args) => {
            let target = args.connection.target(1)?;
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
