//! `trent admin audit`: verify, tail and export the audit trail.
//!
//! `verify` runs against a running server (the operator's access key) or,
//! with `--data-dir` / `--store`, offline against a stopped deployment: it
//! opens the store and the seal itself (the seal derives the checkpoint
//! key) and reads the whole trail. `tail` and `export` read the trail in
//! order through the server.

use crate::client::{Connection, Target};
use serde_json::{json, Value};

/// `trent admin audit` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the whole trail (or what followed a record verified before,
    /// with --after): reports the first edited, removed, reordered or
    /// inserted record, and any bad checkpoint. Exits 1 when tampered.
    Verify(VerifyArgs),
    /// Print the latest events (JSON lines); with --follow, keep printing.
    Tail(TailArgs),
    /// Print events in order as JSON lines, filtered.
    Export(ExportArgs),
}

/// `verify` options: offline when `--data-dir` or `--store` names the
/// stopped deployment, else against the running server.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// Offline: the deployment to read.
    #[command(flatten)]
    deployment: crate::backup::Deployment,
    /// Offline: the digest files to check the trail against (default: the
    /// deployment's `audit_digest_dir`, when it exists).
    #[arg(long, value_name = "DIR")]
    digests: Option<std::path::PathBuf>,
    /// Verify only what followed a record verified before, named by the
    /// `LastSeq` and `LastHash` of an earlier report (`SEQ:HASH`; on a
    /// trail with a chain per node, `CHAIN/SEQ:HASH` with its `Chain`): that
    /// record must still have its hash; the other chains are walked whole.
    /// The checkpoints are all checked.
    #[arg(long, value_name = "[CHAIN/]SEQ:HASH", value_parser = verified)]
    after: Option<trent_core::audit::Verified>,
    /// Online: where, and the operator's access key.
    #[command(flatten)]
    connection: Connection,
}

/// `tail` options.
#[derive(clap::Args, Debug)]
pub struct TailArgs {
    /// Where, and the operator's access key.
    #[command(flatten)]
    connection: Connection,
    /// How many of the latest events to print first.
    #[arg(short = 'n', long, default_value_t = 10)]
    lines: u64,
    /// Keep printing new events as they are recorded (leaving out the
    /// ReadAuditTrail polls of this access key).
    #[arg(short, long)]
    follow: bool,
}

/// `export` options.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Where, and the operator's access key.
    #[command(flatten)]
    connection: Connection,
    /// Events at or after this time (RFC 3339, e.g. 2026-12-01T00:00:00Z).
    #[arg(long)]
    since: Option<String>,
    /// Events at or before this time (RFC 3339).
    #[arg(long)]
    until: Option<String>,
    /// Only this event name (operation).
    #[arg(long)]
    event_name: Option<String>,
    /// Only events on this key (id or ARN).
    #[arg(long)]
    key: Option<String>,
    /// Only events of this principal ARN.
    #[arg(long)]
    principal: Option<String>,
}

/// Runs an audit command; `Ok(false)` when verification found tampering.
pub async fn run(cmd: AuditCommand) -> Result<bool, String> {
    match cmd {
        AuditCommand::Verify(args) => verify(args).await,
        AuditCommand::Tail(args) => tail(args).await.map(|()| true),
        AuditCommand::Export(args) => export(args).await.map(|()| true),
    }
}

async fn verify(args: VerifyArgs) -> Result<bool, String> {
    if args.digests.is_some() && args.deployment.data_dir.is_none() && args.deployment.store.is_none() {
        return Err("--digests checks a stopped deployment: give --data-dir or --store too (a running server checks \
                    its own audit_digest_dir)"
            .into());
    }
    let report = if args.deployment.data_dir.is_some() || args.deployment.store.is_some() {
        verify_offline(&args).await?
    } else {
        let target = args
            .connection
            .target(1)
            .await
            .map_err(|e| format!("{e} (or verify offline with --data-dir / --store)"))?;
        let body = match args.after {
            Some(v) => json!({"AfterChain": v.chain, "AfterSeq": v.seq, "AfterHash": hex::encode(v.hash)}),
            None => json!({}),
        };
        target.must("TrentAdmin.VerifyAuditTrail", body).await?
    };
    println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
    Ok(report.get("Problem").is_none())
}

async fn verify_offline(args: &VerifyArgs) -> Result<Value, String> {
    // Verifying must not make a new root key (nor, through it, state).
    let params = crate::backup::existing_deployment(&args.deployment)?;
    let (kms, _) = trent_server::startup::open_kms(&params, std::sync::Arc::new(trent_core::SystemClock))
        .await
        .map_err(|e| e.to_string())?;
    let report = match &args.digests {
        Some(dir) => kms.verify_audit_with(Some(dir), args.after).await,
        None => kms.verify_audit_after(args.after).await,
    }
    .map_err(|e| e.to_string())?;
    let latest = kms.store().latest_audit_checkpoint().await.map_err(|e| e.to_string())?;
    serde_json::to_value(trent_server::verify_response(&report, &kms.audit_public_key(), latest.as_ref()))
        .map_err(|e| e.to_string())
}

/// Parses `--after [CHAIN/]SEQ:HASH`.
fn verified(s: &str) -> Result<trent_core::audit::Verified, String> {
    let (seq, hash) =
        s.split_once(':').ok_or("expected [CHAIN/]SEQ:HASH (Chain, LastSeq and LastHash of an earlier report)")?;
    let (chain, seq) = match seq.split_once('/') {
        Some((c, s)) => (c.parse().map_err(|e| format!("CHAIN: {e}"))?, s),
        None => (0, seq),
    };
    let seq = seq.parse().map_err(|e| format!("SEQ: {e}"))?;
    trent_core::audit::Verified::from_hex(chain, seq, hash).map_err(|e| format!("HASH (64 hex digits): {e}"))
}

/// One page of records after `after`: (seq, event) pairs and the last seq of
/// the trail.
async fn page(target: &Target, after: u64) -> Result<(Vec<(u64, Value)>, u64), String> {
    let out = target.must("TrentAdmin.ReadAuditTrail", json!({"AfterSeq": after, "Limit": 1000})).await?;
    let head = out.get("LastSeq").and_then(Value::as_u64).unwrap_or(0);
    let mut events = Vec::new();
    for r in out.get("Records").and_then(Value::as_array).into_iter().flatten() {
        let seq = r.get("Seq").and_then(Value::as_u64).ok_or("a record without Seq")?;
        let text = r.get("Event").and_then(Value::as_str).unwrap_or("{}");
        events.push((seq, serde_json::from_str(text).map_err(|e| format!("record {seq}: {e}"))?));
    }
    Ok((events, head))
}

/// Prints records after `after` up to `until` (inclusive, when given) that
/// `keep` selects; returns the last seq read.
async fn print_range(
    target: &Target,
    mut after: u64,
    until: Option<u64>,
    keep: impl Fn(&Value) -> bool,
) -> Result<u64, String> {
    loop {
        let (events, head) = page(target, after).await?;
        let end = until.unwrap_or(head);
        let mut progressed = false;
        for (seq, e) in events.into_iter().filter(|(seq, _)| *seq <= end) {
            progressed = true;
            after = seq;
            if keep(&e) {
                println!("{e}");
            }
        }
        if !progressed || after >= end {
            return Ok(after);
        }
    }
}

async fn tail(args: TailArgs) -> Result<(), String> {
    let target = args.connection.target(1).await?;
    // The trail as it is now: our own reads add events after it.
    let (_, head) = page(&target, u64::MAX - 1).await?;
    let mut after = print_range(&target, head.saturating_sub(args.lines), Some(head), |_| true).await?;
    if !args.follow {
        return Ok(());
    }
    // Following polls the trail, and each poll is an event: leave out the
    // ReadAuditTrail events of this access key, or it would print its own
    // polling forever.
    let ours = target.access_key_id().to_owned();
    let not_ours = move |e: &Value| {
        !(e.get("eventName").and_then(Value::as_str) == Some("ReadAuditTrail")
            && e.pointer("/userIdentity/accessKeyId").and_then(Value::as_str) == Some(ours.as_str()))
    };
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        after = print_range(&target, after, None, &not_ours).await?;
    }
}

fn rfc3339(s: &Option<String>) -> Result<Option<time::OffsetDateTime>, String> {
    s.as_deref()
        .map(|s| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|e| format!("time '{s}': {e}"))
        })
        .transpose()
}

async fn export(args: ExportArgs) -> Result<(), String> {
    let target = args.connection.target(1).await?;
    let (since, until) = (rfc3339(&args.since)?, rfc3339(&args.until)?);
    let keep = |e: &Value| -> bool {
        let time = e
            .get("eventTime")
            .and_then(Value::as_str)
            .and_then(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok());
        if since.is_some_and(|s| time.is_none_or(|t| t < s)) || until.is_some_and(|u| time.is_none_or(|t| t > u)) {
            return false;
        }
        if args.event_name.as_ref().is_some_and(|n| e.get("eventName").and_then(Value::as_str) != Some(n)) {
            return false;
        }
        if let Some(p) = &args.principal {
            if e.pointer("/userIdentity/arn").and_then(Value::as_str) != Some(p) {
                return false;
            }
        }
        if let Some(k) = &args.key {
            let arns = e.get("resources").and_then(Value::as_array).into_iter().flatten();
            if !arns
                .filter_map(|r| r.get("ARN").and_then(Value::as_str))
                .any(|a| trent_core::audit::resource_name_matches(a, k))
            {
                return false;
            }
        }
        true
    };
    let (_, head) = page(&target, u64::MAX - 1).await?;
    print_range(&target, 0, Some(head), keep).await.map(|_| ())
}
