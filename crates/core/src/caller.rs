//! The authenticated caller of an operation.

use crate::audit::{AuditEntry, EventDraft, Outcome};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
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
    /// The STS session the request's temporary credentials belong to;
    /// `None` for long-term access keys.
    pub session: Option<Arc<crate::sts::Session>>,
    /// The call's audit event in the making.
    pub audit: CallAudit,
}

/// The audit side of one call, shared by the clones of its caller: the
/// server's [`EventDraft`], the ARNs of the keys the call reached, and
/// whether a state change already committed the event.
#[derive(Clone, Debug, Default)]
pub struct CallAudit(Arc<CallAuditInner>);

#[derive(Debug, Default)]
struct CallAuditInner {
    draft: Option<EventDraft>,
    keys: Mutex<Vec<String>>,
    recorded: AtomicBool,
}

impl CallAudit {
    /// The audit side of a call the server drafted an event for. (The
    /// default, without a draft, is for in-process callers: they leave no
    /// event.)
    pub fn new(draft: EventDraft) -> Self {
        CallAudit(Arc::new(CallAuditInner { draft: Some(draft), ..Default::default() }))
    }

    /// Notes a key ARN the call reached (once).
    pub fn touch(&self, arn: String) {
        let mut v = self.0.keys.lock().unwrap_or_else(PoisonError::into_inner);
        if !v.contains(&arn) {
            v.push(arn);
        }
    }

    /// The ARNs noted so far.
    pub fn arns(&self) -> Vec<String> {
        self.0.keys.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Sets the event's `requestParameters`, read by the parser of the
    /// request's shape, unless the server's draft has them already.
    pub fn set_request_parameters(&self, parameters: serde_json::Value) {
        if let Some(d) = self.draft() {
            if !parameters.is_null() {
                let _ = d.request_parameters.set(parameters);
            }
        }
    }

    /// The server's draft of the event.
    pub fn draft(&self) -> Option<&EventDraft> {
        self.0.draft.as_ref()
    }

    /// True once a state change committed the event: the server must not
    /// append it again.
    pub fn recorded(&self) -> bool {
        self.0.recorded.load(Ordering::Acquire)
    }

    /// The event to commit with the call's state change (none when there is
    /// no draft, or a change already committed it), answering `response`.
    pub(crate) fn events_for_change(&self, event_id: String, response: Option<&serde_json::Value>) -> Vec<AuditEntry> {
        match self.draft() {
            Some(d) if !self.recorded() => {
                // The key owners' copies of a cross-account call get ids
                // made as the first one was (time-ordered UUIDs).
                let mut first = Some(event_id);
                let new_id = move || first.take().unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
                d.entries(new_id, Outcome { response, error: None }, &self.arns())
            }
            _ => Vec::new(),
        }
    }

    /// Notes that the event committed with a state change.
    pub(crate) fn committed(&self, events: &[AuditEntry]) {
        if !events.is_empty() {
            self.0.recorded.store(true, Ordering::Release);
        }
    }
}

impl Caller {
    /// The (account, region) namespace this caller works in.
    pub fn scope(&self) -> crate::model::Scope {
        crate::model::Scope { account: self.account.clone(), region: self.region.clone() }
    }
}
