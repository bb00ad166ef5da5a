//! What the CLI's process tests share.

use std::process::Command;

/// The non-empty lines (one event each) that `trent admin audit export
/// --event-name EVENT_NAME` prints for the server at `endpoint`, signed
/// with the given access key; panics if the export fails.
pub fn exported_events(endpoint: &str, event_name: &str, access_key: &str, secret_key: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["admin", "audit", "export", "--event-name", event_name, "--endpoint", endpoint])
        .env_remove("TRENT_CONFIG")
        .env("AWS_ACCESS_KEY_ID", access_key)
        .env("AWS_SECRET_ACCESS_KEY", secret_key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect()
}
