//! `trent admin usage`: the usage report (`TrentAdmin.GetUsage`) of the
//! signing account, or of every account (`--all-accounts`, the operator),
//! as CSV or JSON.
//!
//! CSV is three sections, each a header line and its rows, separated by a
//! blank line: requests per bucket, account, key and operation (a call once
//! per key it named); totals per bucket, account and operation (each call
//! once: what an account's request charge sums); key-months per key. Times
//! are RFC 3339, UTC.

use crate::client::Connection;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `trent admin usage` options.
#[derive(clap::Args, Debug)]
pub struct UsageArgs {
    /// Where, and the access key (the account's, or the operator's for
    /// --all-accounts).
    #[command(flatten)]
    connection: Connection,
    /// Start of the window: RFC 3339 (2026-01-01T00:00:00Z) or a date
    /// (2026-01-01, midnight UTC) [default: --until minus 30 days]
    #[arg(long)]
    since: Option<String>,
    /// End of the window, exclusive: RFC 3339 or a date [default: now]
    #[arg(long)]
    until: Option<String>,
    /// Width of the request buckets (whole UTC hours or days).
    #[arg(long, default_value = "day", value_parser = ["hour", "day"])]
    granularity: String,
    /// Every account's usage (the operator account only).
    #[arg(long)]
    all_accounts: bool,
    /// Output: csv (three sections, see `trent admin usage --help`) or the
    /// answer's JSON.
    #[arg(long, default_value = "csv", value_parser = ["csv", "json"])]
    format: String,
}

/// A time of `--since` / `--until`: RFC 3339, or a date at midnight UTC.
pub fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let date = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("time '{s}': expected RFC 3339 (2026-01-01T00:00:00Z) or a date (2026-01-01)"))?;
    Ok(date.midnight().assume_utc())
}

/// The window: `--until` (default now) and `--since` (default 30 days
/// before it).
fn window(args: &UsageArgs) -> Result<(OffsetDateTime, OffsetDateTime), String> {
    let until = args.until.as_deref().map(parse_time).transpose()?.unwrap_or_else(OffsetDateTime::now_utc);
    let since = args.since.as_deref().map(parse_time).transpose()?.unwrap_or(until - time::Duration::days(30));
    Ok((since, until))
}

/// `trent admin usage`.
pub async fn usage(args: UsageArgs) -> Result<bool, String> {
    let (since, until) = window(&args)?;
    let body = json!({
        "Since": since.unix_timestamp(),
        "Until": until.unix_timestamp(),
        "Granularity": args.granularity.to_uppercase(),
        "AllAccounts": args.all_accounts,
    });
    let target = args.connection.target(1).await?;
    let out = target.must("TrentAdmin.GetUsage", body).await?;
    if args.format == "json" {
        println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
    } else {
        print!("{}", csv(&out));
    }
    Ok(true)
}

/// The CSV of a GetUsage answer.
pub fn csv(report: &Value) -> String {
    let rows = |member: &str| report.get(member).and_then(Value::as_array).cloned().unwrap_or_default();
    let mut out = String::new();
    let mut section = |header: &[&str], rows: Vec<Value>, cell: &dyn Fn(&Value, &str) -> String| {
        if !out.is_empty() {
            out.push('\n');
        }
        line(&mut out, header.iter().map(|h| (*h).to_owned()));
        for r in &rows {
            line(&mut out, header.iter().map(|h| cell(r, h)));
        }
    };
    section(
        &["BucketStart", "Account", "KeyArn", "Operation", "EventSource", "Requests", "Errors"],
        rows("Requests"),
        &cell,
    );
    section(&["BucketStart", "Account", "Operation", "EventSource", "Requests", "Errors"], rows("Totals"), &cell);
    section(&["Account", "KeyArn", "KeyMonths", "Created", "Deleted"], rows("Keys"), &cell);
    out
}

/// A member of a row as CSV text: times as RFC 3339, numbers as they are,
/// absent members empty.
fn cell(row: &Value, member: &str) -> String {
    match (member, row.get(member)) {
        (_, None | Some(Value::Null)) => String::new(),
        ("BucketStart" | "Created" | "Deleted", Some(v)) => v.as_f64().map(rfc3339).unwrap_or_default(),
        (_, Some(Value::String(s))) => s.clone(),
        (_, Some(v)) => v.to_string(),
    }
}

/// Epoch seconds as RFC 3339 (UTC, whole seconds).
fn rfc3339(secs: f64) -> String {
    #[allow(clippy::cast_possible_truncation)] // epoch seconds of real dates
    let t = OffsetDateTime::from_unix_timestamp(secs.floor() as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    t.format(&Rfc3339).unwrap_or_default()
}

/// One CSV line, each field quoted when it must be (RFC 4180).
fn line(out: &mut String, fields: impl Iterator<Item = String>) {
    let fields: Vec<String> = fields
        .map(|f| if f.contains([',', '"', '\n', '\r']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { f })
        .collect();
    out.push_str(&fields.join(","));
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_or_dates_at_midnight_utc() {
        assert_eq!(parse_time("2026-01-02").unwrap().unix_timestamp(), 1_767_312_000);
        assert_eq!(parse_time("2026-01-02T01:00:00Z").unwrap().unix_timestamp(), 1_767_315_600);
        assert_eq!(parse_time("2026-01-02T03:00:00+02:00").unwrap().unix_timestamp(), 1_767_315_600);
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn csv_has_three_sections() {
        let report = json!({
            "Since": 1_767_312_000.0, "Until": 1_767_398_400.0, "BucketSeconds": 86400,
            "Requests": [
                {"BucketStart": 1_767_312_000.0, "Account": "111122223333", "KeyArn": "arn:aws:kms:r:1:key/a",
                 "Operation": "Encrypt", "EventSource": "kms.amazonaws.com", "Requests": 3, "Errors": 1},
                {"BucketStart": 1_767_312_000.0, "Account": "111122223333",
                 "Operation": "ListKeys", "EventSource": "kms.amazonaws.com", "Requests": 1, "Errors": 0}
            ],
            "Totals": [{"BucketStart": 1_767_312_000.0, "Account": "111122223333", "Operation": "Encrypt",
                        "EventSource": "kms.amazonaws.com", "Requests": 3, "Errors": 1}],
            "Keys": [{"Account": "111122223333", "KeyArn": "arn:aws:kms:r:1:key/a", "KeyMonths": 0.5,
                      "Created": 1_767_312_000.5}]
        });
        assert_eq!(
            csv(&report),
            "BucketStart,Account,KeyArn,Operation,EventSource,Requests,Errors\n\
             2026-01-02T00:00:00Z,111122223333,arn:aws:kms:r:1:key/a,Encrypt,kms.amazonaws.com,3,1\n\
             2026-01-02T00:00:00Z,111122223333,,ListKeys,kms.amazonaws.com,1,0\n\
             \n\
             BucketStart,Account,Operation,EventSource,Requests,Errors\n\
             2026-01-02T00:00:00Z,111122223333,Encrypt,kms.amazonaws.com,3,1\n\
             \n\
             Account,KeyArn,KeyMonths,Created,Deleted\n\
             111122223333,arn:aws:kms:r:1:key/a,0.5,2026-01-02T00:00:00Z,\n"
        );
        let mut quoted = String::new();
        line(&mut quoted, ["a,b".to_owned(), "c\"d".to_owned()].into_iter());
        assert_eq!(quoted, "\"a,b\",\"c\"\"d\"\n");
    }
}
