//! The authenticated caller of an operation.

use trent_api::ids::{AccessKeyId, AccountId, PrincipalArn, Region};

/// Who is calling, in which region. Built by the server from a verified
/// SigV4 signature (the access key gives account and principal; the
/// credential scope gives the region).
#[derive(Clone, Debug, PartialEq, Eq)]
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
}

impl Caller {
    /// The (account, region) namespace this caller works in.
    pub fn scope(&self) -> crate::model::Scope {
        crate::model::Scope { account: self.account.clone(), region: self.region.clone() }
    }
}
