//! The authenticated caller of an operation.

use trent_api::ids::{AccessKeyId, AccountId, PrincipalArn, Region};

/// Who is calling, in which region. Built by the server from a verified
/// SigV4 signature (the access key gives account and principal; the
/// credential scope gives the region).
#[derive(Clone, Debug)]
pub struct Caller {
    /// The caller's account.
    pub account: AccountId,
    /// The region from the credential scope: the namespace of keys.
    pub region: Region,
    /// The calling principal.
    pub principal: PrincipalArn,
    /// The access key that signed the request.
    pub access_key_id: AccessKeyId,
    /// The address the request came from (`aws:SourceIp`), when known.
    pub source_ip: Option<std::net::IpAddr>,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// Keys the request resolved, for its audit event's `resources`.
    pub touched: Touched,
}

/// The ARNs of keys a request resolved (shared by the clones of one
/// request's caller).
#[derive(Clone, Debug, Default)]
pub struct Touched(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Touched {
    /// Notes a key ARN (once).
    pub fn add(&self, arn: String) {
        let mut v = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !v.contains(&arn) {
            v.push(arn);
        }
    }

    /// The ARNs noted so far.
    pub fn arns(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

impl Caller {
    /// The (account, region) namespace this caller works in.
    pub fn scope(&self) -> crate::model::Scope {
        crate::model::Scope { account: self.account.clone(), region: self.region.clone() }
    }
}
