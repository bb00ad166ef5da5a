//! The HTTP handler: every KMS request is `POST /` with
//! `X-Amz-Target: TrentService.<Operation>`, a SigV4 `Authorization` header
//! and a JSON 1.1 body.
//!
//! Order of checks, as AWS does them: authentication (SigV4), then the
//! operation name, then the body.

use crate::config::IpNet;
use crate::dispatch::dispatch;
use crate::listener::Limits;
use crate::metrics::Metrics;
use crate::query::QueryCall;
use crate::sigv4::{self, RequestParts, SigV4Error};
use crate::tls::TlsConnection;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http_body_util::BodyExt as _;
use std::sync::Arc;
use tracing::Instrument as _;
use trent_api::ids::{AccessKeyId, Region};
use trent_api::ErrorCode;
use trent_api::{Api, Operation};
use trent_core::audit::{EventDraft, Identity, Outcome, TlsDetails};
use trent_core::caller::CallAudit;
use trent_core::error::InternalError;
use trent_core::sts::SessionError;
use trent_core::{Caller, Clock, Kms, KmsError};

/// The JSON 1.1 content type.
const JSON_11: &str = "application/x-amz-json-1.1";
/// Largest request body accepted. The largest KMS request (a 128 KiB key
/// policy, JSON-escaped) fits well within it.
const MAX_BODY: usize = 1024 * 1024;
/// [`MAX_BODY`] in KiB, the unit of the body budget.
const MAX_BODY_KIB: usize = MAX_BODY / 1024;

/// Shared state of the handler.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    kms: Kms,
    metrics: Metrics,
    clock: Arc<dyn Clock>,
    max_skew: time::Duration,
    scheduler_interval: std::time::Duration,
    /// One info line per request (`request_log`); on unless turned off.
    request_log: std::sync::atomic::AtomicBool,
    /// The regions this deployment serves (a credential scoped to another is
    /// refused).
    regions: Vec<Region>,
    limits: Limits,
    /// The budget of body bytes being held, in KiB ([`Limits::body_memory`]).
    body_budget: Arc<tokio::sync::Semaphore>,
    /// TLS proxies whose `X-Forwarded-Proto` is believed.
    trusted_proxies: Vec<IpNet>,
    /// The trust shared with peer sites; `None`: no peer endpoint.
    peer_secret: Option<zeroize::Zeroizing<Vec<u8>>>,
    /// The console's signed-in sessions on this node.
    console: crate::console::Sessions,
    /// SigV4 signing keys derived for the callers' access keys and scopes.
    signing_keys: sigv4::SigningKeyCache,
}

impl AppState {
    /// State over an opened KMS. `max_skew` bounds the difference between a
    /// request's signing time and the server's clock; the scheduler runs due
    /// jobs every `scheduler_interval`; requests scoped to a region outside
    /// `regions` are refused; connections and bodies are bounded by `limits`.
    pub fn new(
        kms: Kms,
        clock: Arc<dyn Clock>,
        max_skew: time::Duration,
        scheduler_interval: std::time::Duration,
        regions: Vec<Region>,
        limits: Limits,
    ) -> Self {
        let kib = (limits.body_memory / 1024).clamp(MAX_BODY_KIB, tokio::sync::Semaphore::MAX_PERMITS);
        AppState(Arc::new(Inner {
            kms,
            metrics: Metrics::new(),
            clock,
            max_skew,
            scheduler_interval,
            request_log: std::sync::atomic::AtomicBool::new(true),
            regions,
            limits,
            body_budget: Arc::new(tokio::sync::Semaphore::new(kib)),
            trusted_proxies: Vec::new(),
            peer_secret: None,
            console: crate::console::Sessions::default(),
            signing_keys: sigv4::SigningKeyCache::new(SIGNING_KEY_CACHE_CAPACITY),
        }))
    }

    /// Turns the per-request info line on or off (`request_log`).
    pub fn set_request_log(&self, on: bool) {
        self.0.request_log.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// The limits on connections and bodies.
    pub fn limits(&self) -> &Limits {
        &self.0.limits
    }

    /// The same state, taking `aws:SecureTransport` from `X-Forwarded-Proto`
    /// on requests whose peer is one of `proxies` (TLS ended at the proxy).
    /// Call it before the state is cloned: a shared state is left as it is.
    pub fn trusting_proxies(mut self, proxies: Vec<IpNet>) -> Self {
        match Arc::get_mut(&mut self.0) {
            Some(inner) => inner.trusted_proxies = proxies,
            None => tracing::error!("trusted proxies set on a shared state: ignored"),
        }
        self
    }

    /// The same state, serving the peer endpoint ([`crate::peers`]) to
    /// sites that share `secret`. Call it before the state is cloned.
    pub fn with_peer_secret(mut self, secret: Option<&[u8]>) -> Self {
        match Arc::get_mut(&mut self.0) {
            Some(inner) => inner.peer_secret = secret.map(|s| zeroize::Zeroizing::new(s.to_vec())),
            None => tracing::error!("peer secret set on a shared state: ignored"),
        }
        self
    }

    /// Time between scheduler passes.
    pub fn scheduler_interval(&self) -> std::time::Duration {
        self.0.scheduler_interval
    }

    /// The KMS.
    pub fn kms(&self) -> &Kms {
        &self.0.kms
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    pub(crate) fn console(&self) -> &crate::console::Sessions {
        &self.0.console
    }

    pub(crate) fn now_millis(&self) -> i64 {
        self.0.clock.now_millis()
    }

    /// The regions this deployment serves.
    pub(crate) fn regions(&self) -> &[Region] {
        &self.0.regions
    }
}

/// An error answer: code, message for the caller, and (for 5xx) the detail
/// that goes to the log only.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
    log_detail: Option<String>,
    /// The store failed (counted in metrics).
    store_error: bool,
}

impl ApiError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), log_detail: None, store_error: false }
    }

    pub(crate) fn internal(detail: String) -> Self {
        ApiError {
            code: ErrorCode::KmsInternal,
            message: "The request failed because of an internal error.".into(),
            log_detail: Some(detail),
            store_error: false,
        }
    }

    pub(crate) fn from_kms(e: KmsError) -> Self {
        ApiError {
            code: e.code(),
            message: e.public_message(),
            log_detail: e.is_internal().then(|| format!("{e}: {:?}", std::error::Error::source(&e))),
            store_error: matches!(e, KmsError::Internal(InternalError::Store(_))),
        }
    }

    fn from_sigv4(e: &SigV4Error) -> Self {
        use sigv4::SigV4ErrorCode as S;
        let code = match e.error_code() {
            S::MissingAuthenticationToken => ErrorCode::MissingAuthenticationToken,
            S::IncompleteSignature => ErrorCode::IncompleteSignature,
            S::InvalidSignature => ErrorCode::InvalidSignature,
            S::UnrecognizedClient => ErrorCode::UnrecognizedClient,
        };
        ApiError::new(code, e.to_string())
    }
}

fn json_response(status: StatusCode, request_id: &str, body: Vec<u8>) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_11));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

/// A Query API's answer: XML.
fn xml_response(status: StatusCode, request_id: &str, body: Vec<u8>) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

/// Logs a refusal: a server fault at error with its detail, a client's at
/// debug.
fn log_error(e: &ApiError, request_id: &str, op: &str) {
    if e.code.http_status() >= 500 {
        tracing::error!(
            request_id,
            op,
            code = e.code.name(),
            detail = e.log_detail.as_deref().unwrap_or(""),
            "request failed"
        );
    } else {
        tracing::debug!(request_id, op, code = e.code.name(), "request refused");
    }
}

fn error_response(e: &ApiError, request_id: &str, op: &str) -> Response {
    let status = StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    log_error(e, request_id, op);
    // AWS leaves `message` out when it has none (InvalidCiphertextException,
    // KMSInvalidSignatureException, KMSInvalidMacException): no empty string.
    let body = if e.message.is_empty() {
        serde_json::json!({"__type": e.code.name()})
    } else {
        serde_json::json!({"__type": e.code.name(), "message": e.message})
    };
    json_response(status, request_id, body.to_string().into_bytes())
}

/// The router: `POST /` for the KMS API; `GET /health` (liveness),
/// `GET /ready` (readiness), `GET /metrics` (Prometheus), the web console
/// under `/console/` and, with peers configured,
/// `POST /trent/peer/v1` ([`crate::peers`]).
pub fn router(state: AppState) -> Router {
    let router = Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/console", axum::routing::any(crate::console::handle))
        .route("/console/", axum::routing::any(crate::console::handle))
        .route("/console/{*rest}", axum::routing::any(crate::console::handle));
    let router = match state.0.peer_secret.is_some() {
        true => router.route(crate::peers::PEER_PATH, axum::routing::post(peer)),
        false => router,
    };
    router.fallback(handle).with_state(state)
}

/// A peer site's message ([`crate::peers`]): over TLS only, authenticated
/// by the shared secret, handled in its own task as API requests are.
async fn peer(State(state): State<AppState>, req: Request<Body>) -> Response {
    let task_state = state.clone();
    match tokio::spawn(Box::pin(async move { peer_in(&task_state, req).await })).await {
        Ok(resp) => resp,
        Err(e) => error_response(&ApiError::internal(format!("peer task: {e}")), "", "peer"),
    }
}

async fn peer_in(state: &AppState, req: Request<Body>) -> Response {
    let request_id = new_request_id();
    let (parts, body) = req.into_parts();
    let refuse = |why: &str| {
        tracing::warn!(reason = why, source = ?source_ip(&parts), "peer message refused");
        error_response(&ApiError::new(ErrorCode::AccessDenied, "The peer message was refused."), &request_id, "peer")
    };
    let Some(secret) = state.0.peer_secret.as_ref() else { return refuse("no peer secret") };
    if parts.extensions.get::<Arc<TlsConnection>>().is_none() {
        return refuse("not over TLS");
    }
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let e = ApiError::new(ErrorCode::RequestEntityTooLarge, "The peer message is too large.");
            return error_response(&e, &request_id, "peer");
        }
    };
    let skew = i64::try_from(state.0.max_skew.whole_milliseconds()).unwrap_or(300_000);
    if let Err(why) = crate::peers::verify(secret, &parts.headers, &body, state.0.clock.now_millis(), skew) {
        return refuse(why);
    }
    let message: trent_core::peers::PeerMessage = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(e) => {
            let e = ApiError::new(ErrorCode::Serialization, format!("The peer message is not one: {e}"));
            return error_response(&e, &request_id, "peer");
        }
    };
    let name = message.name();
    match state.0.kms.peer_receive(message).await {
        Ok(reply) => match serde_json::to_vec(&reply) {
            Ok(body) => json_response(StatusCode::OK, &request_id, body),
            Err(e) => error_response(&ApiError::internal(format!("peer reply: {e}")), &request_id, name),
        },
        Err(e) => error_response(&ApiError::from_kms(e), &request_id, name),
    }
}

/// Ready when the store answers, the seal is open (it is, once the KMS
/// exists) and the latest audit append succeeded.
async fn ready(State(state): State<AppState>) -> Response {
    match state.0.kms.check_ready().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(why) => {
            tracing::warn!(reason = why, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {why}\n")).into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let last_seq = match state.0.kms.store().audit_last_seq().await {
        Ok(last) => Some(last.unwrap_or(0)),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: last audit seq not read");
            None
        }
    };
    let body = state.0.metrics.render(&state.0.kms, last_seq);
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    resp
}

async fn handle(State(state): State<AppState>, req: Request<Body>) -> Response {
    // In its own task: a client that disconnects does not cancel a request
    // half-way (a state change, or a group commit that other requests'
    // audit events ride on, always runs to its end). Boxed: the request's
    // future is several KiB, and tokio moves a task's future and output
    // stage by value (into the task, when polled, when its output is read),
    // each a copy of the whole; a box is moved as a pointer.
    let task_state = state.clone();
    let mut resp = match tokio::spawn(Box::pin(async move { respond(&task_state, req).await })).await {
        Ok(resp) => resp,
        Err(e) => {
            let e = ApiError::internal(format!("request task: {e}"));
            error_response(&e, "", "")
        }
    };
    // The Date header comes from the service clock, the one SigV4 checks use:
    // SDKs correct their signing time by the skew they read from it.
    if let Some(v) = http_date(state.0.clock.now_millis()) {
        resp.headers_mut().insert(header::DATE, v);
    }
    resp
}

/// A request id: a random (version 4) UUID, as AWS's `x-amzn-RequestId`.
/// The `uuid` crate's `fast-rng` feature draws it from a user-space
/// generator (`rand`'s thread-local ChaCha, seeded by the OS), not from a
/// `getrandom` system call per request; so are the event ids' random bits.
pub(crate) fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An IMF-fixdate (`Mon, 23 Nov 2026 19:45:11 GMT`).
fn http_date(millis: i64) -> Option<HeaderValue> {
    let t = time::OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000)).ok()?;
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    HeaderValue::from_str(&t.format(&fmt).ok()?).ok()
}

/// Most SigV4 signing keys kept (one per access key, day, Region and
/// service in use).
const SIGNING_KEY_CACHE_CAPACITY: usize = 10_000;

/// Longest operation name or access key id copied into an audit event from
/// an unauthenticated request.
const MAX_ECHO: usize = 128;

/// Longest `userAgent` kept in an audit event.
const MAX_USER_AGENT: usize = 1024;

fn clip(s: &str) -> &str {
    clip_to(s, MAX_ECHO)
}

fn clip_to(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

async fn respond(state: &AppState, req: Request<Body>) -> Response {
    let request_id = new_request_id();
    let span = tracing::info_span!("request", request_id = %request_id);
    respond_in(state, req, request_id).instrument(span).await
}

async fn respond_in(state: &AppState, req: Request<Body>, request_id: String) -> Response {
    let started = std::time::Instant::now();
    let time = state.0.clock.now_millis();
    let (parts, body) = req.into_parts();
    // The front door: a Query API's form POST (its action is in the body),
    // or a JSON API's X-Amz-Target.
    let query_api = crate::query::query_api(&parts.method, &parts.headers);
    let target = target_of(&parts.headers);
    let read = read_body(state, &parts, body).await;
    let body_read = read.as_ref().map_or(&b""[..], |(b, _)| b);
    let query_api = query_api.or_else(|| crate::query::unsigned_query_api(&parts.method, &parts.headers, body_read));
    let query = query_api.and_then(|api| QueryCall::new(api, body_read));
    let (api, op, operation) = match (query_api, &query) {
        (Some(api), Some(call)) => (api, call.action.as_str(), call.operation()),
        _ => {
            let (api, op) = Api::of_target(&target);
            (api, op, Operation::of(api, op))
        }
    };
    // An operation's events name its own API (TrentAdmin.CreateUser is
    // IAM's CreateUser).
    let event_source = operation.map_or(api, Operation::api).event_source();
    let meta = RequestMeta::of(&parts, &request_id, time);
    // A JSON call's members are kept by the parser of its shape, which
    // reads the body once ([`crate::dispatch`]); a Query call's come from
    // its form. An unauthenticated call keeps none (`body` is empty).
    let draft = |body: &[u8], identity, region| {
        let parameters = match &query {
            Some(call) if !body.is_empty() => Some(call.request_parameters()),
            _ => None,
        };
        meta.draft(event_source, op, parameters, identity, region)
    };
    // Who the request log names: the caller's ARN, or the access key id an
    // unauthenticated request claimed (never its signature or secret).
    let mut who = String::new();
    // STS's one unsigned action: the web identity token is the credential,
    // checked by the core; the event names the identity the token claims,
    // in the role's account.
    let unsigned = query.as_ref().filter(|_| operation == Some(Operation::AssumeRoleWithWebIdentity));
    let (outcome, audit, _budget) = match (read, unsigned) {
        (Ok((body, budget)), Some(call)) => {
            let identity = crate::query::claimed_identity(call);
            if let Identity::WebIdentity { provider, subject, .. } = &identity {
                who.push_str(&format!("{provider}:{subject}"));
            }
            let region = state.0.regions.first().map(|r| r.as_str().to_owned());
            let audit = CallAudit::new(draft(&body, identity, region));
            let outcome = crate::query::serve_unsigned(&state.0.kms, &audit, call, &request_id).await;
            (outcome, audit, Some(budget))
        }
        (Ok((body, budget)), None) => match authenticate(state, &parts, &body, api).await {
            Ok(mut caller) => {
                who.push_str(caller.principal.as_str());
                let identity = Identity::Principal {
                    account: caller.account.as_str().to_owned(),
                    arn: caller.principal.as_str().to_owned(),
                    access_key_id: caller.access_key_id.as_str().to_owned(),
                    session: caller.session.clone(),
                };
                caller.audit = CallAudit::new(draft(&body, identity, Some(caller.region.as_str().to_owned())));
                let outcome = match &query {
                    Some(call) => crate::query::serve(&state.0.kms, &caller, call, &request_id).await,
                    None => serve(state, &parts, &body, operation, &caller).await,
                };
                (outcome, caller.audit, Some(budget))
            }
            Err((e, claimed)) => {
                if let Some(k) = &claimed.access_key_id {
                    who.push_str(clip(k));
                }
                // Unauthenticated: the event keeps what the request claimed,
                // never its members, so a stranger's request costs a bounded
                // record whatever its body holds.
                let (identity, region) = claimed.identity();
                (Err(e), CallAudit::new(draft(b"", identity, region)), Some(budget))
            }
        },
        (Err(e), _) => {
            let (identity, region) = claimed_by(&parts.headers, api.signing_service()).identity();
            (Err(e.into_api_error(state)), CallAudit::new(draft(b"", identity, region)), None)
        }
    };
    // Audit is fail-closed: the answer leaves only once its event is durable
    // (committed with the call's state change, or appended now).
    // A Query answer is XML, never parsed for response members: the events
    // that keep some (CreateUser, CreateAccessKey) are the core's, committed
    // with the change. Its error codes are the API's own (IAM's NoSuchEntity).
    let json_operation = operation.filter(|_| query.is_none());
    let code_name = |code: ErrorCode| match (query_api, &query) {
        (Some(api), Some(_)) => crate::query::wire_error(api, code).code,
        _ => code.name(),
    };
    let outcome = match record(state, &audit, json_operation, code_name, &outcome).await {
        Ok(()) => outcome,
        Err(e) => Err(ApiError::from_kms(e)),
    };
    let seconds = started.elapsed().as_secs_f64();
    // Only known names label metrics, so a client cannot grow the label set.
    let metric_op = operation.map_or("unknown", Operation::name);
    let (resp, code) = match (outcome, query_api.filter(|_| query.is_some())) {
        (Ok(bytes), query) => {
            state.0.metrics.request(metric_op, "ok", seconds, false);
            let resp = match query {
                Some(_) => xml_response(StatusCode::OK, &request_id, bytes),
                None => json_response(StatusCode::OK, &request_id, bytes),
            };
            (resp, "ok")
        }
        (Err(e), Some(api)) => {
            let (wire, body) = crate::query::error_body(api, &e, &request_id);
            state.0.metrics.request(metric_op, wire.code, seconds, e.store_error);
            log_error(&e, &request_id, op);
            let status = StatusCode::from_u16(wire.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (xml_response(status, &request_id, body.into_bytes()), wire.code)
        }
        (Err(e), None) => {
            state.0.metrics.request(metric_op, e.code.name(), seconds, e.store_error);
            (error_response(&e, &request_id, op), e.code.name())
        }
    };
    if state.0.request_log.load(std::sync::atomic::Ordering::Relaxed) {
        // The request id is the enclosing span's field. The operation is
        // clipped as in the audit event (it may be anything a client sent).
        tracing::info!(
            op = %clip(op),
            status = resp.status().as_u16(),
            code = %code,
            ms = %format_args!("{:.2}", seconds * 1000.0),
            caller = %if who.is_empty() { "-" } else { who.as_str() },
            "request"
        );
    }
    resp
}

/// What every audit event of a request takes from the request itself.
pub(crate) struct RequestMeta {
    request_id: String,
    time: i64,
    source_ip: Option<std::net::IpAddr>,
    user_agent: Option<String>,
    tls_details: Option<TlsDetails>,
}

impl RequestMeta {
    pub(crate) fn of(parts: &axum::http::request::Parts, request_id: &str, time: i64) -> Self {
        RequestMeta {
            request_id: request_id.to_owned(),
            time,
            source_ip: source_ip(parts),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| clip_to(ua, MAX_USER_AGENT).to_owned()),
            tls_details: tls_details(parts),
        }
    }

    /// The draft of the event of `operation` (clipped: it may be anything
    /// a client sent). A request has one event draft: `self` moves into it.
    /// Its `requestParameters` are `request_parameters` when given; a JSON
    /// call's are left to the parser of the operation's shape, which reads
    /// the body once for both ([`crate::dispatch`]).
    pub(crate) fn draft(
        self,
        event_source: &'static str,
        operation: &str,
        request_parameters: Option<serde_json::Value>,
        identity: Identity,
        region: Option<String>,
    ) -> EventDraft {
        EventDraft {
            request_id: self.request_id,
            event_source,
            operation: clip(operation).to_owned(),
            time: self.time,
            region,
            identity,
            source_ip: self.source_ip,
            user_agent: self.user_agent,
            request_parameters: request_parameters.map_or_else(std::sync::OnceLock::new, Into::into),
            tls_details: self.tls_details,
        }
    }
}

/// Runs `operation` with the JSON `body` as `caller` (whose audit side
/// [`run_as`] drafts), through the API's own dispatch and audit: the
/// console's calls are the API's calls.
pub(crate) async fn run_as(
    state: &AppState,
    parts: &axum::http::request::Parts,
    caller: &Caller,
    operation: Operation,
    body: &[u8],
) -> Result<Vec<u8>, ApiError> {
    let started = std::time::Instant::now();
    let request_id = new_request_id();
    let meta = RequestMeta::of(parts, &request_id, state.0.clock.now_millis());
    let identity = Identity::Principal {
        account: caller.account.as_str().to_owned(),
        arn: caller.principal.as_str().to_owned(),
        access_key_id: caller.access_key_id.as_str().to_owned(),
        session: caller.session.clone(),
    };
    let region = Some(caller.region.as_str().to_owned());
    let caller = Caller {
        audit: CallAudit::new(meta.draft(operation.api().event_source(), operation.name(), None, identity, region)),
        ..caller.clone()
    };
    let outcome = dispatch(operation, &state.0.kms, &caller, body).await;
    let outcome = match record(state, &caller.audit, Some(operation), ErrorCode::name, &outcome).await {
        Ok(()) => outcome,
        Err(e) => Err(ApiError::from_kms(e)),
    };
    let seconds = started.elapsed().as_secs_f64();
    match &outcome {
        Ok(_) => state.0.metrics.request(operation.name(), "ok", seconds, false),
        Err(e) => {
            state.0.metrics.request(operation.name(), e.code.name(), seconds, e.store_error);
            log_error(e, &request_id, operation.name());
        }
    }
    outcome
}

/// The operation a request names. A repeated `X-Amz-Target` is read as
/// HTTP reads a repeated field (RFC 9110 §5.3), its values joined with `,`,
/// as the signature covers them: the result names no operation, so the
/// request is refused rather than run as the first one.
fn target_of(headers: &axum::http::HeaderMap) -> String {
    let mut out = String::new();
    for (i, v) in headers.get_all("x-amz-target").iter().enumerate() {
        let Ok(v) = v.to_str() else { return String::new() };
        if i > 0 {
            out.push(',');
        }
        out.push_str(v);
    }
    out
}

/// Whether a `Content-Type` is the JSON 1.1 protocol's. AWS answers
/// `UnknownOperationException` to a JSON-protocol request of another type:
/// Kinesis answered `application/octet-stream` so
/// (disneystreaming/smithy4s#167), and DynamoDB (JSON 1.0) answered 404 to
/// `application/x-amz-json-1.1` (rusoto/rusoto#215). Parameters
/// (`; charset=utf-8`) and case are ignored, as for any media type.
fn is_json_11(headers: &axum::http::HeaderMap) -> bool {
    let mut values = headers.get_all(header::CONTENT_TYPE).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => v
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .is_some_and(|media| media.trim().eq_ignore_ascii_case(JSON_11)),
        _ => false,
    }
}

/// What an unauthenticated request claimed to be.
#[derive(Default)]
struct Claimed {
    access_key_id: Option<String>,
    region: Option<String>,
}

impl Claimed {
    /// The audit identity and region of the claim, clipped.
    fn identity(self) -> (Identity, Option<String>) {
        let identity = Identity::Unauthenticated { access_key_id: self.access_key_id.map(|k| clip(&k).to_owned()) };
        (identity, self.region.map(|r| clip(&r).to_owned()))
    }
}

/// What a request's `Authorization` header claims, without checking it.
fn claimed_by(headers: &axum::http::HeaderMap, service: &'static str) -> Claimed {
    match sigv4::parse_authorization_for(headers, service) {
        Ok(auth) => Claimed { access_key_id: Some(auth.access_key_id), region: Some(auth.region) },
        Err(_) => Claimed::default(),
    }
}

/// Why a request's body was not read.
pub(crate) enum BodyError {
    /// Longer than [`MAX_BODY`] (declared or received).
    TooLarge,
    /// The client closed the connection (or broke the framing) before the
    /// body ended.
    Aborted,
    /// The body did not arrive within the body-read timeout.
    TimedOut,
    /// The body budget stayed exhausted for the whole body-read timeout.
    Busy,
}

impl BodyError {
    pub(crate) fn into_api_error(self, state: &AppState) -> ApiError {
        match self {
            BodyError::TooLarge => ApiError::new(
                ErrorCode::RequestEntityTooLarge,
                format!("Request body must be at most {MAX_BODY} bytes"),
            ),
            // S3's code and wording for a body shorter than its
            // Content-Length (the nearest AWS has): the client never sees it,
            // the audit trail records the call as what it was.
            BodyError::Aborted => ApiError::new(
                ErrorCode::IncompleteBody,
                "You did not provide the number of bytes specified by the Content-Length HTTP header.",
            ),
            // S3's code and wording for a client too slow to send its body.
            BodyError::TimedOut => ApiError::new(
                ErrorCode::RequestTimeout,
                format!(
                    "Your socket connection to the server was not read from or written to within the timeout period ({} s).",
                    state.0.limits.body_read_timeout.as_secs()
                ),
            ),
            BodyError::Busy => ApiError::new(
                ErrorCode::Throttling,
                "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
            ),
        }
    }
}

/// Reads a request body within the body-read timeout, holding its share of
/// the global body budget (its declared length, or [`MAX_BODY`] when it
/// declares none) for as long as the request lives. A body declared longer
/// than [`MAX_BODY`] is refused without reading a byte.
pub(crate) async fn read_body(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: Body,
) -> Result<(Bytes, tokio::sync::OwnedSemaphorePermit), BodyError> {
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(BodyError::TooLarge);
    }
    let reserve = declared.and_then(|n| usize::try_from(n).ok()).unwrap_or(MAX_BODY);
    let kib = u32::try_from(reserve.div_ceil(1024).max(1)).unwrap_or(u32::MAX);
    let deadline = tokio::time::Instant::now() + state.0.limits.body_read_timeout;
    let budget = match tokio::time::timeout_at(deadline, state.0.body_budget.clone().acquire_many_owned(kib)).await {
        Ok(Ok(permit)) => permit,
        Ok(Err(_)) | Err(_) => return Err(BodyError::Busy),
    };
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    match tokio::time::timeout_at(deadline, limited.collect()).await {
        Ok(Ok(collected)) => Ok((collected.to_bytes(), budget)),
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(BodyError::TooLarge),
        Ok(Err(_)) => Err(BodyError::Aborted),
        Err(_) => Err(BodyError::TimedOut),
    }
}

/// Appends the call's event, unless its state change committed it.
pub(crate) async fn record(
    state: &AppState,
    audit: &CallAudit,
    operation: Option<Operation>,
    code_name: impl Fn(ErrorCode) -> &'static str,
    outcome: &Result<Vec<u8>, ApiError>,
) -> Result<(), KmsError> {
    if audit.recorded() {
        return Ok(());
    }
    let Some(draft) = audit.draft() else { return Ok(()) };
    let response: Option<serde_json::Value> = match outcome {
        // Parsed only for the operations whose events keep response members.
        Ok(bytes) if operation.is_some_and(|o| o.descriptor().audit_response.is_some()) => {
            serde_json::from_slice(bytes).ok()
        }
        _ => None,
    };
    let error = outcome.as_ref().err().map(|e| (code_name(e.code), e.message.as_str()));
    let kms = &state.0.kms;
    // The caller's event, and a copy for each other account whose key the
    // call reached (CloudTrail delivers cross-account events to both).
    for entry in draft.entries(|| kms.new_event_id(), Outcome { response: response.as_ref(), error }, &audit.arns()) {
        kms.record_event(entry).await?;
    }
    Ok(())
}

/// The `Host` the client sent: the header (HTTP/1.1) or `:authority`
/// (HTTP/2, where hyper puts it in the URI).
fn host(parts: &axum::http::request::Parts) -> Option<&str> {
    match parts.headers.get(header::HOST) {
        Some(v) => v.to_str().ok(),
        None => parts.uri.authority().map(|a| a.as_str()),
    }
}

/// CloudTrail's `tlsDetails`, when the request came over Trent's TLS.
fn tls_details(parts: &axum::http::request::Parts) -> Option<TlsDetails> {
    let tls = parts.extensions.get::<Arc<TlsConnection>>()?;
    Some(TlsDetails {
        tls_version: tls.version.to_owned(),
        cipher_suite: tls.cipher_suite.to_owned(),
        client_provided_host_header: host(parts).map(|h| clip_to(h, MAX_ECHO).to_owned()),
        client_certificate_subject: tls.client_subject.as_deref().map(|s| clip_to(s, MAX_USER_AGENT).to_owned()),
    })
}

/// `aws:SecureTransport`: the request came over TLS, Trent's own or (with
/// `tls_terminated_by_proxy`) a trusted proxy's that says so in
/// `X-Forwarded-Proto`; the header from anyone else is ignored.
pub(crate) fn secure_transport(state: &AppState, parts: &axum::http::request::Parts) -> bool {
    if parts.extensions.get::<Arc<TlsConnection>>().is_some() {
        return true;
    }
    let Some(peer) = source_ip(parts) else { return false };
    if !state.0.trusted_proxies.iter().any(|net| net.contains(peer)) {
        return false;
    }
    let mut protos = parts.headers.get_all("x-forwarded-proto").iter();
    // One header naming one protocol; a list or a repeat is not believed.
    match (protos.next(), protos.next()) {
        (Some(v), None) => v.to_str().is_ok_and(|p| p.trim().eq_ignore_ascii_case("https")),
        _ => false,
    }
}

pub(crate) fn source_ip(parts: &axum::http::request::Parts) -> Option<std::net::IpAddr> {
    parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_canonical())
}

async fn serve(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: &[u8],
    operation: Option<Operation>,
    caller: &Caller,
) -> Result<Vec<u8>, ApiError> {
    if parts.method != Method::POST {
        return Err(ApiError::new(ErrorCode::UnknownOperation, "Only POST requests are supported"));
    }
    if !is_json_11(&parts.headers) {
        return Err(ApiError::new(ErrorCode::UnknownOperation, ""));
    }
    match operation {
        Some(op) => dispatch(op, &state.0.kms, caller, body).await,
        None => Err(ApiError::new(ErrorCode::UnknownOperation, "")),
    }
}

async fn authenticate(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: &[u8],
    api: Api,
) -> Result<Caller, (ApiError, Claimed)> {
    let service = api.signing_service();
    let sig_err = |e: &SigV4Error| ApiError::from_sigv4(e);
    let auth =
        sigv4::parse_authorization_for(&parts.headers, service).map_err(|e| (sig_err(&e), Claimed::default()))?;
    let claimed = || Claimed { access_key_id: Some(auth.access_key_id.clone()), region: Some(auth.region.clone()) };
    let region = Region::parse(&auth.region).ok_or_else(|| {
        (ApiError::new(ErrorCode::IncompleteSignature, "Credential should be scoped to a valid region. "), claimed())
    })?;
    // A region this deployment does not serve is refused with AWS's message
    // for a credential scoped to another region, instead of opening an
    // empty namespace.
    // A global service (IAM) is signed for its one region wherever it runs.
    let global = api.query().and_then(|q| q.global_region).is_some_and(|g| g == region.as_str());
    if !global && !state.0.regions.contains(&region) {
        return Err((sig_err(&sigv4::SigV4Error::wrong_region(&auth.region)), claimed()));
    }
    // Temporary credentials carry their session in the token (`trent_core::sts`);
    // a token Trent did not issue for this access key is AWS's invalid token.
    let principal = match parts.headers.get(sigv4::X_AMZ_SECURITY_TOKEN) {
        Some(token) => {
            let Ok(token) = token.to_str() else {
                return Err((sig_err(&SigV4Error::UnrecognizedClient), claimed()));
            };
            match state.0.kms.authenticate_session(&auth.access_key_id, token).await {
                Ok(Ok(p)) => p,
                Ok(Err(SessionError::Invalid)) => return Err((sig_err(&SigV4Error::UnrecognizedClient), claimed())),
                Ok(Err(SessionError::Expired)) => {
                    return Err((
                        ApiError::new(ErrorCode::ExpiredToken, "The security token included in the request is expired"),
                        claimed(),
                    ))
                }
                Err(e) => return Err((ApiError::from_kms(e), claimed())),
            }
        }
        None => match state.0.kms.authenticate(&auth.access_key_id).await {
            Ok(Some(p)) => p,
            Ok(None) => return Err((sig_err(&SigV4Error::UnrecognizedClient), claimed())),
            Err(e) => return Err((ApiError::from_kms(e), claimed())),
        },
    };
    let key = state.0.signing_keys.get(
        &auth.access_key_id,
        principal.secret.expose(),
        &auth.date,
        &auth.region,
        &auth.service,
    );
    let now_ms = state.0.clock.now_millis();
    let now = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms) * 1_000_000)
        .map_err(|e| (ApiError::internal(format!("clock out of range: {e}")), claimed()))?;
    // HTTP/2 has no Host header: its `:authority` is signed as `host`.
    let with_host;
    let headers = match (parts.headers.contains_key(header::HOST), parts.uri.authority()) {
        (false, Some(a)) => {
            let mut h = parts.headers.clone();
            if let Ok(v) = HeaderValue::from_str(a.as_str()) {
                h.insert(header::HOST, v);
            }
            with_host = h;
            &with_host
        }
        _ => &parts.headers,
    };
    let request = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers,
        body,
    };
    sigv4::verify(&request, &auth, &key, now, state.0.max_skew).map_err(|e| (sig_err(&e), claimed()))?;
    Ok(Caller {
        account: principal.account.clone(),
        region,
        principal: principal.principal.clone(),
        access_key_id: AccessKeyId::new_unchecked(auth.access_key_id),
        // The peer of the TCP connection.
        source_ip: source_ip(parts),
        session: principal.session.clone(),
        secure_transport: secure_transport(state, parts),
        audit: Default::default(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn request_ids_are_random_version_4_uuids() {
        let a = uuid::Uuid::parse_str(&super::new_request_id()).unwrap();
        let b = uuid::Uuid::parse_str(&super::new_request_id()).unwrap();
        assert_eq!(a.get_version_num(), 4);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(a, b);
    }

    #[test]
    fn http_dates_are_imf_fixdates() {
        let v = super::http_date(1_795_463_111_000).unwrap();
        assert_eq!(v.to_str().unwrap(), "Mon, 23 Nov 2026 19:45:11 GMT");
    }
}
