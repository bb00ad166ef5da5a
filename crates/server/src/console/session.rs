//! The console's sessions: a signed-in principal behind a random cookie.
//!
//! Signing in checks an access key and its secret once; the session keeps
//! who signed in, never the secret. The cookie's value is 32 random bytes;
//! the table is keyed by their SHA-256, so what the process holds would not
//! let anyone present the cookie. Sessions live in this node's memory: a
//! deployment of several nodes routes a browser to one node (sticky
//! sessions) or the browser signs in again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use trent_api::ids::{AccessKeyId, AccountId, PrincipalArn, Region};

/// The cookie's name.
pub(crate) const COOKIE: &str = "trent_console";
/// A session ends after this long without a request.
pub(crate) const IDLE_MS: i64 = 30 * 60 * 1000;
/// And at the latest this long after signing in (or when its temporary
/// credentials expire, if sooner).
pub(crate) const MAX_AGE_MS: i64 = 8 * 60 * 60 * 1000;
/// Most sessions held at once on a node; signing in beyond it is refused
/// until some expire.
const MAX_SESSIONS: usize = 10_000;

/// Who a session acts as.
#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) account: AccountId,
    pub(crate) principal: PrincipalArn,
    pub(crate) access_key_id: AccessKeyId,
    /// The STS session of temporary credentials.
    pub(crate) sts: Option<Arc<trent_core::sts::Session>>,
    /// The region whose keys the console shows.
    pub(crate) region: Region,
    /// The token every form of the session carries (hex).
    pub(crate) csrf: String,
    pub(crate) expires_at: i64,
    last_seen: i64,
    /// The latest GetParametersForImport answer, for its two downloads.
    pub(crate) import: Option<Arc<ImportParameters>>,
}

/// A wrapping key and import token, kept for the page that offers them.
pub(crate) struct ImportParameters {
    pub(crate) key_id: String,
    pub(crate) public_key: Vec<u8>,
    pub(crate) import_token: Vec<u8>,
}

impl Session {
    /// A new session for a principal who just proved its secret.
    pub(crate) fn new(
        account: AccountId,
        principal: PrincipalArn,
        access_key_id: AccessKeyId,
        sts: Option<Arc<trent_core::sts::Session>>,
        region: Region,
        now: i64,
    ) -> Self {
        let expires_at = sts.as_ref().map_or(i64::MAX, |s| s.expires_at).min(now.saturating_add(MAX_AGE_MS));
        Session {
            account,
            principal,
            access_key_id,
            sts,
            region,
            csrf: random_hex(),
            expires_at,
            last_seen: now,
            import: None,
        }
    }

    fn live(&self, now: i64) -> bool {
        now < self.expires_at && now.saturating_sub(self.last_seen) < IDLE_MS
    }
}

/// The sessions of this node.
#[derive(Default)]
pub(crate) struct Sessions {
    table: Mutex<HashMap<[u8; 32], Session>>,
}

impl Sessions {
    /// Opens `session`; answers the cookie value, or `None` when the node
    /// holds [`MAX_SESSIONS`] live sessions.
    pub(crate) fn open(&self, session: Session, now: i64) -> Option<String> {
        let token = random_hex();
        let mut table = self.lock();
        if table.len() >= MAX_SESSIONS {
            table.retain(|_, s| s.live(now));
            if table.len() >= MAX_SESSIONS {
                return None;
            }
        }
        table.insert(digest(&token), session);
        Some(token)
    }

    /// The live session of a cookie value (its idle time starts again);
    /// an expired one is dropped.
    pub(crate) fn get(&self, token: &str, now: i64) -> Option<Session> {
        let key = digest(token);
        let mut table = self.lock();
        let live = table.get(&key).map(|s| s.live(now))?;
        if !live {
            table.remove(&key);
            return None;
        }
        let s = table.get_mut(&key)?;
        s.last_seen = now;
        Some(s.clone())
    }

    /// Keeps the import parameters of a session (replacing earlier ones).
    pub(crate) fn set_import(&self, token: &str, params: ImportParameters) {
        if let Some(s) = self.lock().get_mut(&digest(token)) {
            s.import = Some(Arc::new(params));
        }
    }

    /// Ends a session.
    pub(crate) fn close(&self, token: &str) {
        self.lock().remove(&digest(token));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn digest(token: &str) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// 32 bytes from the system's CSPRNG, in hex.
fn random_hex() -> String {
    let mut buf = [0u8; 32];
    // aws-lc-rs's generator does not fail once the library has started;
    // if it ever did, an all-zero token would be predictable: abort instead.
    #[allow(clippy::expect_used)]
    aws_lc_rs::rand::fill(&mut buf).expect("the system random generator failed");
    hex::encode(buf)
}

/// The value of the console cookie in a request's `Cookie` headers.
pub(crate) fn cookie(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether two tokens are equal, in time independent of where they differ.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// [`same_token`] over bytes (a secret access key).
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(now: i64) -> Session {
        Session::new(
            AccountId::new_unchecked("111122223333"),
            PrincipalArn::new_unchecked("arn:aws:iam::111122223333:root"),
            AccessKeyId::new_unchecked("AKIAIOSFODNN7EXAMPLE"),
            None,
            Region::parse("us-east-1").unwrap(),
            now,
        )
    }

    #[test]
    fn a_session_is_found_by_its_cookie_only_while_live() {
        let sessions = Sessions::default();
        let token = sessions.open(session(1_000), 1_000).unwrap();
        assert_eq!(token.len(), 64);
        assert!(sessions.get(&token, 2_000).is_some());
        // Another value of the same shape finds nothing.
        assert!(sessions.get(&"0".repeat(64), 2_000).is_none());
        // Idle too long: gone, and gone for good.
        assert!(sessions.get(&token, 2_000 + IDLE_MS).is_none());
        assert!(sessions.get(&token, 2_001).is_none());
    }

    #[test]
    fn a_session_ends_at_its_maximum_age_however_busy() {
        let sessions = Sessions::default();
        let token = sessions.open(session(0), 0).unwrap();
        let mut now = 0;
        while now + IDLE_MS / 2 < MAX_AGE_MS {
            now += IDLE_MS / 2;
            assert!(sessions.get(&token, now).is_some(), "at {now}");
        }
        assert!(sessions.get(&token, MAX_AGE_MS).is_none());
    }

    #[test]
    fn closing_ends_a_session_and_tokens_differ() {
        let sessions = Sessions::default();
        let a = sessions.open(session(0), 0).unwrap();
        let b = sessions.open(session(0), 0).unwrap();
        assert_ne!(a, b);
        sessions.close(&a);
        assert!(sessions.get(&a, 1).is_none());
        assert!(sessions.get(&b, 1).is_some());
    }

    #[test]
    fn the_cookie_is_read_among_others_and_must_be_64_hex_digits() {
        let mut h = axum::http::HeaderMap::new();
        let token = "ab".repeat(32);
        h.append(axum::http::header::COOKIE, format!("x=1; {COOKIE}={token}; y=2").parse().unwrap());
        assert_eq!(cookie(&h), Some(token.as_str()));
        let mut h = axum::http::HeaderMap::new();
        h.append(axum::http::header::COOKIE, format!("{COOKIE}=short").parse().unwrap());
        assert_eq!(cookie(&h), None);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "abcd"));
    }
}
