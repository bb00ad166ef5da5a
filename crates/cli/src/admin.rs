//! `trent admin`: operator commands against a running server, signed with
//! the operator account's access key (the bootstrap account).

use crate::client::Target;

/// `trent admin` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an account with a root access key; prints it as JSON (the
    /// secret is shown only here).
    CreateAccount(CreateAccountArgs),
}

/// Where and as whom admin commands run.
#[derive(clap::Args, Debug)]
pub struct Connection {
    /// The Trent endpoint.
    #[arg(long, default_value = "http://127.0.0.1:4600")]
    endpoint: String,
    /// Region to sign for.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// The operator's access key id [env: AWS_ACCESS_KEY_ID]
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    access_key_id: String,
    /// The operator's secret access key [env: AWS_SECRET_ACCESS_KEY]
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_access_key: String,
}

/// `trent admin create-account` options.
#[derive(clap::Args, Debug)]
pub struct CreateAccountArgs {
    #[command(flatten)]
    connection: Connection,
    /// The new account's 12-digit id [default: generated]
    #[arg(long)]
    account_id: Option<String>,
    /// The new root access key id [default: generated]
    #[arg(long)]
    new_access_key_id: Option<String>,
}

/// Runs an admin command.
pub async fn run(cmd: AdminCommand) -> Result<(), String> {
    match cmd {
        AdminCommand::CreateAccount(args) => {
            let c = &args.connection;
            let target = Target::new(&c.endpoint, &c.region, &c.access_key_id, &c.secret_access_key, 1)?;
            let mut body = serde_json::Map::new();
            if let Some(a) = args.account_id {
                body.insert("AccountId".into(), a.into());
            }
            if let Some(k) = args.new_access_key_id {
                body.insert("AccessKeyId".into(), k.into());
            }
            let out = target.must("TrentAdmin.CreateAccount", serde_json::Value::Object(body)).await?;
            println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
            Ok(())
        }
    }
}
