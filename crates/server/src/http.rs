//! The HTTP handler: every KMS request is `POST /` with
//! `X-Amz-Target: TrentService.<Operation>`, a SigV4 `Authorization` header
//! and a JSON 1.1 body.
//!
//! Order of checks, as AWS does them: authentication (SigV4), then the
//! operation name, then the body.

use crate::dispatch::{admin_dispatch, dispatch, ADMIN_PREFIX, NOT_YET, TARGET_PREFIX};
use crate::sigv4::{self, RequestParts, SigV4Error};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use trent_api::ids::{AccessKeyId, Region};
use trent_api::ErrorCode;
use trent_core::{Caller, Clock, Kms, KmsError};

/// The JSON 1.1 content type.
const JSON_11: &str = "application/x-amz-json-1.1";
/// Largest request body accepted. The largest KMS request (a 128 KiB key
/// policy, JSON-escaped) fits well within it.
const MAX_BODY: usize = 1024 * 1024;

/// Shared state of the handler.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    kms: Kms,
    clock: Arc<dyn Clock>,
    max_skew: time::Duration,
    scheduler_interval: std::time::Duration,
}

impl AppState {
    /// State over an opened KMS. `max_skew` bounds the difference between a
    /// request's signing time and the server's clock; the scheduler runs due
    /// jobs every `scheduler_interval`.
    pub fn new(
        kms: Kms,
        clock: Arc<dyn Clock>,
        max_skew: time::Duration,
        scheduler_interval: std::time::Duration,
    ) -> Self {
        AppState(Arc::new(Inner { kms, clock, max_skew, scheduler_interval }))
    }

    /// Time between scheduler passes.
    pub fn scheduler_interval(&self) -> std::time::Duration {
        self.0.scheduler_interval
    }

    /// The KMS.
    pub fn kms(&self) -> &Kms {
        &self.0.kms
    }
}

/// An error answer: code, message for the caller, and (for 5xx) the detail
/// that goes to the log only.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
    log_detail: Option<String>,
}

impl ApiError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), log_detail: None }
    }

    pub(crate) fn internal(detail: String) -> Self {
        ApiError {
            code: ErrorCode::KmsInternal,
            message: "The request failed because of an internal error.".into(),
            log_detail: Some(detail),
        }
    }

    pub(crate) fn from_kms(e: KmsError) -> Self {
        ApiError {
            code: e.code(),
            message: e.public_message(),
            log_detail: e.is_internal().then(|| format!("{e}: {:?}", std::error::Error::source(&e))),
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

fn error_response(e: &ApiError, request_id: &str, op: &str) -> Response {
    let status = StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
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
    let body = serde_json::json!({"__type": e.code.name(), "message": e.message});
    json_response(status, request_id, body.to_string().into_bytes())
}

/// The router: `POST /` for the KMS API, `GET /health` for liveness.
pub fn router(state: AppState) -> Router {
    Router::new().route("/health", get(|| async { "ok\n" })).fallback(handle).with_state(state)
}

async fn handle(State(state): State<AppState>, req: Request<Body>) -> Response {
    let mut resp = respond(&state, req).await;
    // The Date header comes from the service clock, the one SigV4 checks use:
    // SDKs correct their signing time by the skew they read from it.
    if let Some(v) = http_date(state.0.clock.now_millis()) {
        resp.headers_mut().insert(header::DATE, v);
    }
    resp
}

/// An IMF-fixdate (`Mon, 23 Nov 2026 19:45:11 GMT`).
fn http_date(millis: i64) -> Option<HeaderValue> {
    let t = time::OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000)).ok()?;
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    HeaderValue::from_str(&t.format(&fmt).ok()?).ok()
}

async fn respond(state: &AppState, req: Request<Body>) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = req.into_parts();
    let op = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let e = ApiError::new(
                ErrorCode::RequestEntityTooLarge,
                format!("Request body must be at most {MAX_BODY} bytes"),
            );
            return error_response(&e, &request_id, &op);
        }
    };
    match serve(state, &parts, &body, &op).await {
        Ok(bytes) => {
            tracing::debug!(request_id, op, "ok");
            json_response(StatusCode::OK, &request_id, bytes)
        }
        Err(e) => error_response(&e, &request_id, &op),
    }
}

async fn serve(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: &[u8],
    target: &str,
) -> Result<Vec<u8>, ApiError> {
    let caller = authenticate(state, parts, body).await?;
    if parts.method != Method::POST {
        return Err(ApiError::new(ErrorCode::UnknownOperation, "Only POST requests are supported"));
    }
    if let Some(op) = target.strip_prefix(ADMIN_PREFIX) {
        return match admin_dispatch(op, &state.0.kms, &caller, body).await {
            Some(result) => result,
            None => Err(ApiError::new(ErrorCode::UnknownOperation, "")),
        };
    }
    let op = target.strip_prefix(TARGET_PREFIX).unwrap_or("");
    match dispatch(op, &state.0.kms, &caller, body).await {
        Some(result) => result,
        None if NOT_YET.contains(&op) => Err(ApiError::new(
            ErrorCode::UnsupportedOperation,
            format!("{op} is not supported by this version of Trent."),
        )),
        None => Err(ApiError::new(ErrorCode::UnknownOperation, "")),
    }
}

async fn authenticate(state: &AppState, parts: &axum::http::request::Parts, body: &[u8]) -> Result<Caller, ApiError> {
    let auth = sigv4::parse_authorization(&parts.headers).map_err(|e| ApiError::from_sigv4(&e))?;
    let region = Region::parse(&auth.region).ok_or_else(|| {
        ApiError::new(ErrorCode::IncompleteSignature, "Credential should be scoped to a valid region. ")
    })?;
    let principal = state
        .0
        .kms
        .authenticate(&auth.access_key_id)
        .await
        .map_err(ApiError::from_kms)?
        .ok_or_else(|| ApiError::from_sigv4(&SigV4Error::UnrecognizedClient))?;
    let key = sigv4::signing_key(principal.secret.expose(), &auth.date, &auth.region, &auth.service);
    let now_ms = state.0.clock.now_millis();
    let now = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms) * 1_000_000)
        .map_err(|e| ApiError::internal(format!("clock out of range: {e}")))?;
    let request = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        body,
    };
    sigv4::verify(&request, &auth, &key, now, state.0.max_skew).map_err(|e| ApiError::from_sigv4(&e))?;
    Ok(Caller {
        account: principal.account.clone(),
        region,
        principal: principal.principal.clone(),
        access_key_id: AccessKeyId::new_unchecked(auth.access_key_id),
        // The peer of the TCP connection; Trent serves plain HTTP (TLS, when
        // used, ends before it), so aws:SecureTransport is false.
        source_ip: parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_canonical()),
        secure_transport: false,
    })
}
