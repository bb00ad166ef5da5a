//! STS: temporary credentials (GetCallerIdentity, AssumeRole,
//! GetSessionToken) and the sessions they open.
//!
//! A session's credentials are an `ASIA…` access key id, a secret and a
//! session token. The token is stateless: it is the session's claims (the
//! secret first, then the non-secret facts of [`Session`] as JSON) sealed
//! under the active domain key with the access key id bound in, so any node
//! holding the domain keys verifies it without a store read, and a token
//! altered, forged or moved to another access key id does not open. Nothing
//! about a session is stored; a session ends at its expiry, or sooner when
//! what it stands on goes (its role or user deleted, its role re-created
//! under a new id).
//!
//! How a session is authorized (IAM User Guide, "Policy evaluation logic"):
//! - an assumed-role session's principal is
//!   `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`; its identity policies
//!   are its role's; a key policy, trust policy or grant naming the role's
//!   ARN names its sessions (`aws:PrincipalArn` is the role's ARN);
//! - a session policy given to AssumeRole narrows the session: a request
//!   the role's policies (or a key policy) allow is refused unless the
//!   session policy allows it too;
//! - a GetSessionToken session acts as the user (or root) that asked for
//!   it, and may not call IAM or GetSessionToken again (AWS's rule for
//!   credentials without MFA).

use crate::authz::request_tag_context;
use crate::error::KmsError;
use crate::kms::{Authenticated, BASE32, SECRET_CHARS};
use crate::model::RoleRecord;
use crate::oidc::{provider_url, WebIdentityToken};
use crate::ops::roles::{check_iam_name, MAX_SESSION_SECONDS};
use crate::policy::{Decision, Policy, PolicyKind, Request};
use crate::{Caller, Kms};
use base64::Engine as _;
use std::sync::Arc;
use trent_api::ids::{AccountId, PrincipalArn};
use trent_api::Operation;
use trent_crypto::SecretBytes;
use zeroize::Zeroizing;

/// Length of a session's secret access key (AWS's 40 characters).
const SECRET_LEN: usize = 40;
/// Shortest session (15 minutes), as STS allows.
pub const MIN_SESSION_SECONDS: u32 = 900;
/// Longest GetSessionToken session of an IAM user (36 hours).
const MAX_USER_TOKEN_SECONDS: u32 = 129_600;
/// Longest GetSessionToken session of an account root, and of a role
/// session assuming a role (role chaining): one hour.
const ONE_HOUR: u32 = 3600;
/// Default GetSessionToken duration (12 hours).
const DEFAULT_TOKEN_SECONDS: u32 = 43_200;
/// Longest session token Trent accepts in a request, in characters: well
/// above what it issues (claims are bounded: a 2,048-character session
/// policy, 50 tags), so a stranger's header costs little.
pub const MAX_TOKEN_CHARS: usize = 16 * 1024;
/// Version tag at the start of every token Trent issues.
const TOKEN_PREFIX: &str = "TRENTv1";

/// What a session stands on.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type")]
pub enum SessionIssuer {
    /// A session of a role (AssumeRole).
    Role {
        /// The role's ARN (with its path).
        arn: String,
        /// The role's name.
        name: String,
        /// The role's unique id (`AROA…`).
        id: String,
    },
    /// A GetSessionToken session of an IAM user.
    User {
        /// The user's ARN.
        arn: String,
        /// The user's unique id (`AIDA…`).
        id: String,
    },
    /// A GetSessionToken session of an account root.
    Root,
}

/// The facts of a session, as its token carries them (no secret).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    /// The session's account.
    pub account: AccountId,
    /// The calling principal's ARN: `arn:aws:sts::A:assumed-role/R/S` for
    /// a role session, the user's or root's ARN for GetSessionToken.
    pub principal: String,
    /// What it stands on.
    pub issuer: SessionIssuer,
    /// The session name (AssumeRole's RoleSessionName).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// When it was issued, epoch milliseconds (`aws:TokenIssueTime`).
    pub issued_at: i64,
    /// When it expires, epoch milliseconds.
    pub expires_at: i64,
    /// The session policy, which narrows the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Managed session policies (`PolicyArns`), by ARN: customer managed
    /// policies of the role's account, applied as their default versions
    /// are (read through a one-second cache that this node's own changes
    /// clear; one deleted since narrows to nothing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_arns: Vec<String>,
    /// Session tags (`aws:PrincipalTag/*`, over the role's own tags).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    /// `aws:SourceIdentity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
}

impl Session {
    /// `aws:userid`: `AROA…:SESSION` for a role session, the user's id or
    /// the account id otherwise.
    pub fn user_id(&self) -> String {
        match &self.issuer {
            SessionIssuer::Role { id, .. } => format!("{id}:{}", self.session_name.as_deref().unwrap_or("")),
            SessionIssuer::User { id, .. } => id.clone(),
            SessionIssuer::Root => self.account.as_str().to_owned(),
        }
    }

    /// The role's ARN, for a role session.
    pub fn role_arn(&self) -> Option<&str> {
        match &self.issuer {
            SessionIssuer::Role { arn, .. } => Some(arn),
            _ => None,
        }
    }

    /// Whether GetSessionToken made it.
    pub fn is_token(&self) -> bool {
        !matches!(self.issuer, SessionIssuer::Role { .. })
    }
}

/// Temporary credentials, as STS returns them. Their `Debug` shows the
/// access key id and expiry alone.
pub struct Credentials {
    /// `ASIA…`.
    pub access_key_id: String,
    /// The secret, shown once.
    pub secret_access_key: Zeroizing<String>,
    /// The session token.
    pub session_token: String,
    /// Expiry, epoch milliseconds.
    pub expiration: i64,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

/// What AssumeRole is given.
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleInput {
    /// RoleArn.
    pub role_arn: String,
    /// RoleSessionName.
    pub session_name: String,
    /// DurationSeconds (one hour when absent).
    pub duration_seconds: Option<u32>,
    /// Policy: a session policy.
    pub policy: Option<String>,
    /// PolicyArns: managed session policies.
    pub policy_arns: Vec<String>,
    /// Tags: session tags.
    pub tags: Vec<(String, String)>,
    /// ExternalId (`sts:ExternalId`).
    pub external_id: Option<String>,
    /// SourceIdentity.
    pub source_identity: Option<String>,
}

/// AssumeRole's answer.
#[derive(Debug)]
pub struct AssumedRole {
    /// The session's credentials.
    pub credentials: Credentials,
    /// `arn:aws:sts::A:assumed-role/R/S`.
    pub arn: String,
    /// `AROA…:S`.
    pub assumed_role_id: String,
    /// The session policy's size as a percentage of the allowed size.
    pub packed_policy_size: Option<u32>,
    /// The source identity, when given.
    pub source_identity: Option<String>,
}

/// What AssumeRoleWithWebIdentity is given. The token is a credential:
/// `Debug` leaves it out, and it is never logged.
#[derive(Clone, Default)]
pub struct WebIdentityInput {
    /// RoleArn.
    pub role_arn: String,
    /// RoleSessionName.
    pub session_name: String,
    /// WebIdentityToken: the issuer's JWT.
    pub token: Zeroizing<String>,
    /// DurationSeconds (one hour when absent).
    pub duration_seconds: Option<u32>,
    /// Policy: a session policy.
    pub policy: Option<String>,
    /// PolicyArns: managed session policies.
    pub policy_arns: Vec<String>,
}

impl std::fmt::Debug for WebIdentityInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebIdentityInput")
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .finish_non_exhaustive()
    }
}

/// AssumeRoleWithWebIdentity's answer.
#[derive(Debug)]
pub struct WebIdentityAssumed {
    /// The role session, as AssumeRole answers it.
    pub assumed: AssumedRole,
    /// `SubjectFromWebIdentityToken`: the token's `sub`.
    pub subject: String,
    /// `Provider`: the token's `iss`.
    pub provider: String,
    /// `Audience`: the token's audience the provider accepted.
    pub audience: String,
}

/// GetCallerIdentity's answer.
#[derive(Debug)]
pub struct CallerIdentity {
    /// Account.
    pub account: String,
    /// The caller's ARN.
    pub arn: String,
    /// `aws:userid`.
    pub user_id: String,
}

/// Most opened session tokens kept ([`Kms::authenticate_session`]); when
/// full, the cache starts over (as the access key cache does).
const SESSION_CACHE_CAPACITY: usize = 10_000;

/// Opened session tokens by access key id.
#[derive(Default)]
pub(crate) struct SessionCache(std::sync::Mutex<std::collections::HashMap<String, (String, Arc<Authenticated>)>>);

impl SessionCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (String, Arc<Authenticated>)>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The session of `access_key_id` when `token` is the one opened for it.
    fn get(&self, access_key_id: &str, token: &str) -> Option<Arc<Authenticated>> {
        let cache = self.lock();
        let (cached, a) = cache.get(access_key_id)?;
        trent_crypto::constant_time_eq(cached.as_bytes(), token.as_bytes()).then(|| a.clone())
    }

    fn insert(&self, access_key_id: &str, token: &str, a: Arc<Authenticated>) {
        let mut cache = self.lock();
        if cache.len() >= SESSION_CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(access_key_id.to_owned(), (token.to_owned(), a));
    }
}

/// Why a session token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum SessionError {
    /// Not a token Trent issued for this access key id (or altered).
    Invalid,
    /// A valid token past its expiry.
    Expired,
}

/// Largest session policy STS accepts (characters).
const MAX_SESSION_POLICY_CHARS: usize = 2048;

fn validation(member: &str, constraint: &str) -> KmsError {
    KmsError::Validation(format!(
        "1 validation error detected: Value at '{member}' failed to satisfy constraint: {constraint}"
    ))
}

/// `arn:aws:iam::ACCOUNT:role/PATH/NAME` → (account, name).
fn parse_role_arn(arn: &str) -> Option<(AccountId, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    let account = AccountId::parse(account)?;
    (!name.is_empty()).then_some((account, name))
}

/// RoleSessionName and SourceIdentity: 2–64 of `[\w+=,.@-]`.
fn check_session_name(member: &str, value: &str) -> Result<(), KmsError> {
    let n = value.chars().count();
    if !(2..=64).contains(&n) || check_iam_name(member, value, 64).is_err() {
        return Err(validation(
            member,
            "Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    Ok(())
}

fn check_session_tags(tags: &[(String, String)]) -> Result<(), KmsError> {
    if tags.len() > 50 {
        return Err(validation("tags", "Member must have length less than or equal to 50"));
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(validation("tags", "Tag keys must be 1–128 characters and values at most 256"));
        }
        if tags[..i].iter().any(|(x, _)| x.eq_ignore_ascii_case(k)) {
            return Err(KmsError::Validation(format!("Duplicate tag keys found: {k}.")));
        }
    }
    Ok(())
}

/// Most managed session policies (`PolicyArns`) a session takes.
const MAX_SESSION_POLICY_ARNS: usize = 10;

/// Session policies: an inline one of 1–2,048 characters that parses as an
/// identity policy, at most ten policy ARNs of 20–2,048 characters, and
/// together (the inline policy's text and the ARNs, as STS counts them) no
/// more than 2,048 characters: `PackedPolicyTooLarge` beyond.
fn check_session_policy(policy: Option<&str>, arns: &[String]) -> Result<(), KmsError> {
    if let Some(p) = policy {
        if p.is_empty() || p.chars().count() > MAX_SESSION_POLICY_CHARS {
            return Err(validation("policy", "Member must have length between 1 and 2048"));
        }
        Policy::parse(p, PolicyKind::Identity).map_err(|e| KmsError::MalformedPolicyDocument(e.0))?;
    }
    if arns.len() > MAX_SESSION_POLICY_ARNS {
        return Err(validation("policyArns", "Member must have length less than or equal to 10"));
    }
    if arns.iter().any(|a| !(20..=2048).contains(&a.chars().count())) {
        return Err(validation("policyArns.member.arn", "Member must have length between 20 and 2048"));
    }
    if let Some(percent) = packed_policy_size(policy, arns).filter(|p| *p > 100) {
        return Err(KmsError::PackedPolicyTooLarge(format!(
            "Packed policy consumes {percent}% of allotted space, please use smaller policy."
        )));
    }
    Ok(())
}

/// A role session's DurationSeconds (one hour when absent), within STS's
/// bounds.
fn role_session_seconds(given: Option<u32>) -> Result<u32, KmsError> {
    let seconds = given.unwrap_or(ONE_HOUR);
    if !(MIN_SESSION_SECONDS..=MAX_SESSION_SECONDS).contains(&seconds) {
        return Err(validation(
            "durationSeconds",
            &format!("Member must have value between {MIN_SESSION_SECONDS} and {MAX_SESSION_SECONDS}"),
        ));
    }
    Ok(seconds)
}

/// The role's own bound on its sessions.
fn check_max_session(role: &RoleRecord, seconds: u32) -> Result<(), KmsError> {
    if seconds > role.max_session_duration {
        return Err(KmsError::Validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".into(),
        ));
    }
    Ok(())
}

/// `PackedPolicySize`: the session policies' size (the inline policy's
/// text without white space, and the managed policies' ARNs) as a
/// percentage of the allowed size; `None` without session policies.
fn packed_policy_size(policy: Option<&str>, arns: &[String]) -> Option<u32> {
    if policy.is_none() && arns.is_empty() {
        return None;
    }
    let chars = policy.map_or(0, |p| p.chars().filter(|c| !c.is_whitespace()).count())
        + arns.iter().map(|a| a.chars().count()).sum::<usize>();
    Some(u32::try_from(chars * 100 / MAX_SESSION_POLICY_CHARS).unwrap_or(u32::MAX))
}

/// A session of `role` named `name`, issued at `now` for `seconds`,
/// narrowed by `policy`; no tags, no source identity.
fn role_session(role: &RoleRecord, name: &str, now: i64, seconds: u32, policy: Option<String>) -> Session {
    Session {
        account: role.account.clone(),
        principal: format!("arn:aws:sts::{}:assumed-role/{}/{name}", role.account.as_str(), role.name),
        issuer: SessionIssuer::Role { arn: role.arn(), name: role.name.clone(), id: role.role_id.clone() },
        session_name: Some(name.to_owned()),
        issued_at: now,
        expires_at: now + i64::from(seconds) * 1000,
        policy,
        policy_arns: Vec::new(),
        tags: Vec::new(),
        source_identity: None,
    }
}

impl Kms {
    /// Each managed session policy must be a customer managed policy of the
    /// role's account (STS's rule; Trent has no AWS managed policies).
    async fn check_policy_arns(&self, role: &RoleRecord, arns: &[String]) -> Result<(), KmsError> {
        for arn in arns {
            if self.managed_policy_document(&role.account, arn).await?.is_none() {
                return Err(KmsError::Validation(format!(
                    "Policy {arn} does not exist in the role's account or is not attachable."
                )));
            }
        }
        Ok(())
    }

    /// Mints credentials for `session`.
    fn mint(&self, session: &Session) -> Result<Credentials, KmsError> {
        let access_key_id = format!("ASIA{}", self.random_string(BASE32, 16)?.as_str());
        let secret = self.random_string(SECRET_CHARS, SECRET_LEN)?;
        let mut plain = Zeroizing::new(Vec::with_capacity(512));
        plain.extend_from_slice(secret.as_bytes());
        plain.extend_from_slice(
            &serde_json::to_vec(session).map_err(|e| KmsError::corrupt(format!("session claims: {e}")))?,
        );
        let sealed = self.keyring.seal_session_token(&access_key_id, &plain)?;
        let session_token = format!("{TOKEN_PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(sealed));
        // Every token Trent issues must be one it accepts.
        if session_token.len() > MAX_TOKEN_CHARS {
            return Err(KmsError::PackedPolicyTooLarge(
                "Packed size of the session policy and session tags exceeds the limit.".into(),
            ));
        }
        Ok(Credentials { access_key_id, secret_access_key: secret, session_token, expiration: session.expires_at })
    }

    /// Opens a request's session token for `access_key_id`: the session
    /// and its secret, for the signature check.
    pub async fn authenticate_session(
        &self,
        access_key_id: &str,
        token: &str,
    ) -> Result<Result<Arc<Authenticated>, SessionError>, KmsError> {
        let (opened, was_cached) = match self.sessions.get(access_key_id, token) {
            Some(a) => (Ok(a), true),
            None => (self.open_session(access_key_id, token).await?, false),
        };
        Ok(opened.and_then(|a| match &a.session {
            Some(s) if self.now() >= s.expires_at => Err(SessionError::Expired),
            _ => {
                if !was_cached {
                    self.sessions.insert(access_key_id, token, a.clone());
                }
                Ok(a)
            }
        }))
    }

    /// [`Kms::authenticate_session`] without the cache.
    async fn open_session(
        &self,
        access_key_id: &str,
        token: &str,
    ) -> Result<Result<Arc<Authenticated>, SessionError>, KmsError> {
        let sealed = match token.strip_prefix(TOKEN_PREFIX) {
            Some(b64) if token.len() <= MAX_TOKEN_CHARS && access_key_id.starts_with("ASIA") => {
                match base64::engine::general_purpose::STANDARD.decode(b64) {
                    Ok(b) => b,
                    Err(_) => return Ok(Err(SessionError::Invalid)),
                }
            }
            _ => return Ok(Err(SessionError::Invalid)),
        };
        let Some(plain) = self.keyring.open_session_token(self.store.as_ref(), access_key_id, &sealed).await else {
            return Ok(Err(SessionError::Invalid));
        };
        let bytes = plain.expose();
        if bytes.len() <= SECRET_LEN {
            return Ok(Err(SessionError::Invalid));
        }
        let Ok(session) = serde_json::from_slice::<Session>(&bytes[SECRET_LEN..]) else {
            return Ok(Err(SessionError::Invalid));
        };
        Ok(Ok(Arc::new(Authenticated {
            account: session.account.clone(),
            principal: PrincipalArn::new_unchecked(session.principal.clone()),
            secret: SecretBytes::new(Zeroizing::new(bytes[..SECRET_LEN].to_vec())),
            session: Some(Arc::new(session)),
        })))
    }

    /// GetCallerIdentity: who the caller is. Never refused (AWS answers it
    /// whatever the caller's policies say).
    pub async fn get_caller_identity(&self, caller: &Caller) -> Result<CallerIdentity, KmsError> {
        let user_id = match &caller.session {
            Some(s) => s.user_id(),
            None => match crate::authz::user_name(caller.principal.as_str()) {
                Some(name) => match self.store.user(&caller.account, name).await? {
                    Some(u) => u.user_id,
                    None => return Err(crate::authz::invalid_token()),
                },
                None => caller.account.as_str().to_owned(),
            },
        };
        Ok(CallerIdentity {
            account: caller.account.as_str().to_owned(),
            arn: caller.principal.as_str().to_owned(),
            user_id,
        })
    }

    /// GetSessionToken: a session of the calling user or root. Role
    /// sessions and GetSessionToken sessions cannot call it (AWS's rule).
    pub async fn get_session_token(
        &self,
        caller: &Caller,
        duration_seconds: Option<u32>,
    ) -> Result<Credentials, KmsError> {
        if caller.session.is_some() {
            return Err(KmsError::AccessDenied("Cannot call GetSessionToken with session credentials".into()));
        }
        let user = match crate::authz::user_name(caller.principal.as_str()) {
            Some(name) => Some(self.store.user(&caller.account, name).await?.ok_or_else(crate::authz::invalid_token)?),
            None => None,
        };
        let max = if user.is_some() { MAX_USER_TOKEN_SECONDS } else { ONE_HOUR };
        let seconds = duration_seconds.unwrap_or(DEFAULT_TOKEN_SECONDS.min(max));
        if !(MIN_SESSION_SECONDS..=max).contains(&seconds) {
            return Err(validation(
                "durationSeconds",
                &format!("Member must have value between {MIN_SESSION_SECONDS} and {max}"),
            ));
        }
        let now = self.now();
        let session = Session {
            account: caller.account.clone(),
            principal: caller.principal.as_str().to_owned(),
            issuer: match user {
                Some(u) => SessionIssuer::User { arn: u.arn(), id: u.user_id },
                None => SessionIssuer::Root,
            },
            session_name: None,
            issued_at: now,
            expires_at: now + i64::from(seconds) * 1000,
            policy: None,
            policy_arns: Vec::new(),
            tags: Vec::new(),
            source_identity: None,
        };
        let credentials = self.mint(&session)?;
        let response = serde_json::json!({
            "credentials": {
                "accessKeyId": credentials.access_key_id,
                "expiration": crate::audit::event_time(credentials.expiration),
            },
        });
        self.record_answering(caller, &response).await?;
        Ok(credentials)
    }

    /// AssumeRole: a session of a role, for a caller its trust policy
    /// admits (and, unless the trust policy names the caller itself in
    /// the role's own account, whose identity policies allow
    /// `sts:AssumeRole` on it).
    pub async fn assume_role(&self, caller: &Caller, input: AssumeRoleInput) -> Result<AssumedRole, KmsError> {
        if !(20..=2048).contains(&input.role_arn.len()) {
            return Err(validation("roleArn", "Member must have length between 20 and 2048"));
        }
        check_session_name("roleSessionName", &input.session_name)?;
        if let Some(s) = &input.source_identity {
            check_session_name("sourceIdentity", s)?;
        }
        if let Some(e) = &input.external_id {
            let ok = (2..=1224).contains(&e.len())
                && e.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c));
            if !ok {
                return Err(validation(
                    "externalId",
                    "Member must have length between 2 and 1224 and satisfy regular expression pattern: [\\w+=,.@:\\/-]*",
                ));
            }
        }
        check_session_tags(&input.tags)?;
        check_session_policy(input.policy.as_deref(), &input.policy_arns)?;
        let chained = caller.session.as_ref().is_some_and(|s| !s.is_token());
        let seconds = role_session_seconds(input.duration_seconds)?;
        let refused = || {
            KmsError::AccessDenied(format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {}",
                caller.principal.as_str(),
                input.role_arn
            ))
        };
        // An unknown role, or a name at another path, is refused as a
        // denial: the caller learns nothing of the other account's roles.
        let (account, name) = parse_role_arn(&input.role_arn).ok_or_else(refused)?;
        let role = match self.store.role(&account, name).await? {
            Some(r) if r.arn() == input.role_arn => r,
            _ => return Err(refused()),
        };
        let mut context = vec![("sts:rolesessionname".to_owned(), vec![input.session_name.clone()])];
        if let Some(e) = &input.external_id {
            context.push(("sts:externalid".into(), vec![e.clone()]));
        }
        if let Some(s) = &input.source_identity {
            context.push(("sts:sourceidentity".into(), vec![s.clone()]));
        }
        if !input.tags.is_empty() {
            context.extend(request_tag_context(&input.tags));
        }
        let mut actions = vec!["sts:AssumeRole"];
        if !input.tags.is_empty() {
            actions.push("sts:TagSession");
        }
        if input.source_identity.is_some() {
            actions.push("sts:SetSourceIdentity");
        }
        for action in actions {
            self.authorize_trust(caller, &role, action, &context).await?.then_some(()).ok_or_else(|| {
                KmsError::AccessDenied(format!(
                    "User: {} is not authorized to perform: {action} on resource: {}",
                    caller.principal.as_str(),
                    input.role_arn
                ))
            })?;
        }
        check_max_session(&role, seconds)?;
        self.check_policy_arns(&role, &input.policy_arns).await?;
        if chained && seconds > ONE_HOUR {
            return Err(KmsError::Validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
                    .into(),
            ));
        }
        let now = self.now();
        let session = Session {
            policy_arns: input.policy_arns.clone(),
            tags: input.tags.clone(),
            source_identity: input.source_identity.clone(),
            ..role_session(&role, &input.session_name, now, seconds, input.policy.clone())
        };
        let credentials = self.mint(&session)?;
        // The event shows the session's access key id (never its secret or
        // token), so that the session's calls trace back to it.
        let response = serde_json::json!({
            "credentials": {
                "accessKeyId": credentials.access_key_id,
                "expiration": crate::audit::event_time(credentials.expiration),
            },
            "assumedRoleUser": {"assumedRoleId": session.user_id(), "arn": session.principal},
        });
        self.record_answering(caller, &response).await?;
        let packed_policy_size = packed_policy_size(input.policy.as_deref(), &input.policy_arns);
        tracing::info!(
            by = caller.principal.as_str(),
            session = session.principal,
            access_key_id = credentials.access_key_id,
            "role assumed"
        );
        Ok(AssumedRole {
            assumed_role_id: session.user_id(),
            arn: session.principal,
            credentials,
            packed_policy_size,
            source_identity: input.source_identity,
        })
    }

    /// AssumeRoleWithWebIdentity: a session of a role for the bearer of a
    /// web identity token (an unsigned call: the token is the credential).
    /// The token must come from an OpenID Connect provider registered in
    /// the role's account, name one of its client ids as audience, verify
    /// under the issuer's configured JWKS and be unexpired; then the role's
    /// trust policy must allow `sts:AssumeRoleWithWebIdentity` to the
    /// provider (`"Federated": "arn:aws:iam::A:oidc-provider/URL"`), with
    /// `URL:sub`, `URL:aud` and `aws:FederatedProvider` as condition keys.
    /// `audit` is the call's: the event is recorded in the role's account.
    pub async fn assume_role_with_web_identity(
        &self,
        audit: &crate::caller::CallAudit,
        input: WebIdentityInput,
    ) -> Result<WebIdentityAssumed, KmsError> {
        if !(20..=2048).contains(&input.role_arn.len()) {
            return Err(validation("roleArn", "Member must have length between 20 and 2048"));
        }
        check_session_name("roleSessionName", &input.session_name)?;
        if !(4..=20_000).contains(&input.token.len()) {
            return Err(validation("webIdentityToken", "Member must have length between 4 and 20000"));
        }
        check_session_policy(input.policy.as_deref(), &input.policy_arns)?;
        let seconds = role_session_seconds(input.duration_seconds)?;
        let token = WebIdentityToken::decode(&input.token)?;
        if token.session_tags {
            // Refused rather than ignored: the issuer means them to apply.
            return Err(KmsError::WebIdentity(
                trent_api::ErrorCode::InvalidIdentityToken,
                "Trent does not apply session tags from a web identity token (its https://aws.amazon.com/tags \
                 claim)."
                    .into(),
            ));
        }
        let refused = || KmsError::AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity".to_owned());
        let (account, name) = parse_role_arn(&input.role_arn).ok_or_else(refused)?;
        let no_provider = || {
            KmsError::WebIdentity(
                trent_api::ErrorCode::InvalidIdentityToken,
                format!("No OpenIDConnect provider found in your account for {}", token.issuer),
            )
        };
        let url = provider_url(&token.issuer).ok_or_else(no_provider)?;
        let provider = self.store.oidc_provider(&account, &url).await?.ok_or_else(no_provider)?;
        let audience = token.audiences.iter().find(|a| provider.client_ids.contains(a)).cloned().ok_or_else(|| {
            KmsError::WebIdentity(trent_api::ErrorCode::InvalidIdentityToken, "Incorrect token audience".into())
        })?;
        self.oidc_keys.check_signature(&url, &token)?;
        let now = self.now();
        token.check_times(now.div_euclid(1000))?;
        let role = match self.store.role(&account, name).await? {
            Some(r) if r.arn() == input.role_arn => r,
            _ => return Err(refused()),
        };
        let provider_arn = provider.arn();
        let mut context: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
        let url_key = url.to_ascii_lowercase();
        context.insert(format!("{url_key}:sub"), vec![token.subject.clone()]);
        context.insert(format!("{url_key}:aud"), vec![audience.clone()]);
        context.insert("aws:federatedprovider".into(), vec![provider_arn.clone()]);
        context.insert("sts:rolesessionname".into(), vec![input.session_name.clone()]);
        context.insert("aws:currenttime".into(), vec![crate::audit::event_time(now)]);
        context.insert("aws:epochtime".into(), vec![now.div_euclid(1000).to_string()]);
        let role_arn = role.arn();
        let request = Request {
            principal_arn: &provider_arn,
            // A web identity belongs to no account: a trust policy naming
            // an account (its root) does not admit it.
            principal_account: "",
            action: "sts:AssumeRoleWithWebIdentity",
            resource: &role_arn,
            context: &crate::policy::Context::of(context),
        };
        let trusted = Policy::parse(&role.trust_policy, PolicyKind::Key)
            .is_ok_and(|trust| trust.evaluate_key(&request) == crate::policy::KeyDecision::AllowPrincipal);
        if !trusted {
            return Err(refused());
        }
        check_max_session(&role, seconds)?;
        self.check_policy_arns(&role, &input.policy_arns).await?;
        let session = Session {
            policy_arns: input.policy_arns.clone(),
            ..role_session(&role, &input.session_name, now, seconds, input.policy.clone())
        };
        let credentials = self.mint(&session)?;
        let response = serde_json::json!({
            "credentials": {
                "accessKeyId": credentials.access_key_id,
                "expiration": crate::audit::event_time(credentials.expiration),
            },
            "assumedRoleUser": {"assumedRoleId": session.user_id(), "arn": session.principal},
            "subjectFromWebIdentityToken": token.subject,
            "provider": token.issuer,
            "audience": audience,
        });
        self.record_answering_in(audit, &response).await?;
        tracing::info!(
            provider = provider_arn,
            session = session.principal,
            access_key_id = credentials.access_key_id,
            "role assumed with a web identity"
        );
        let packed_policy_size = packed_policy_size(input.policy.as_deref(), &input.policy_arns);
        Ok(WebIdentityAssumed {
            assumed: AssumedRole {
                assumed_role_id: session.user_id(),
                arn: session.principal,
                credentials,
                packed_policy_size,
                source_identity: None,
            },
            subject: token.subject,
            provider: token.issuer,
            audience,
        })
    }

    /// Whether `role`'s trust policy and the caller's identity policies
    /// together let the caller do `action` (`sts:AssumeRole`, …) on it:
    /// the key-policy rule, with the trust policy as the resource policy.
    async fn authorize_trust(
        &self,
        caller: &Caller,
        role: &RoleRecord,
        action: &str,
        context: &[(String, Vec<String>)],
    ) -> Result<bool, KmsError> {
        let Ok(trust) = Policy::parse(&role.trust_policy, PolicyKind::Key) else { return Ok(false) };
        let identity = self.identity_side(caller).await?;
        let c = crate::policy::Context::lazy(|| {
            let mut c = self.global_context(caller, identity.as_ref());
            for (k, v) in context {
                c.insert(k.to_ascii_lowercase(), v.clone());
            }
            c
        });
        let role_arn = role.arn();
        let request = Request {
            principal_arn: caller.principal.as_str(),
            principal_account: caller.account.as_str(),
            action,
            resource: &role_arn,
            context: &c,
        };
        let trust_decision = trust.evaluate_key(&request);
        let iam = identity.as_ref().map_or(Decision::Allow, |i| i.decide(&request));
        Ok(crate::authz::sides_allow(trust_decision, iam, role.account == caller.account))
    }
}

/// Used by [`crate::authz`]: whether the operation may be called with a
/// GetSessionToken session (not IAM, not GetSessionToken: AWS's rule for
/// credentials obtained without MFA).
pub(crate) fn token_session_may_call(op: Operation) -> bool {
    !op.action().starts_with("iam:") && op != Operation::GetSessionToken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_name_account_and_role() {
        let (a, n) = parse_role_arn("arn:aws:iam::111122223333:role/app").unwrap();
        assert_eq!((a.as_str(), n), ("111122223333", "app"));
        let (_, n) = parse_role_arn("arn:aws:iam::111122223333:role/team/app").unwrap();
        assert_eq!(n, "app");
        for bad in ["arn:aws:iam::111122223333:user/app", "arn:aws:iam::1:role/app", "arn:aws:iam::111122223333:role/"]
        {
            assert!(parse_role_arn(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn session_names_are_two_to_sixty_four_iam_characters() {
        assert!(check_session_name("roleSessionName", "ab").is_ok());
        assert!(check_session_name("roleSessionName", "a").is_err());
        assert!(check_session_name("roleSessionName", "a b").is_err());
        assert!(check_session_name("roleSessionName", &"a".repeat(65)).is_err());
    }

    #[test]
    fn a_role_session_is_its_role_id_and_name() {
        let s = Session {
            account: AccountId::parse("111122223333").unwrap(),
            principal: "arn:aws:sts::111122223333:assumed-role/app/s1".into(),
            issuer: SessionIssuer::Role {
                arn: "arn:aws:iam::111122223333:role/app".into(),
                name: "app".into(),
                id: "AROAX".into(),
            },
            session_name: Some("s1".into()),
            issued_at: 0,
            expires_at: 1,
            policy: None,
            policy_arns: vec![],
            tags: vec![],
            source_identity: None,
        };
        assert_eq!(s.user_id(), "AROAX:s1");
        assert_eq!(s.role_arn(), Some("arn:aws:iam::111122223333:role/app"));
        assert!(!s.is_token());
    }
}
