//! The web console at `/console/`: server-rendered pages, no script.
//!
//! Signing in exchanges an access key and its secret (or temporary
//! credentials) once for a session cookie (`HttpOnly`, `SameSite=Strict`,
//! `Secure` over TLS); the secret is checked and dropped. Every page and
//! action then runs as that principal through the API's own dispatch,
//! authorization and audit ([`crate::http::run_as`]): the console calls the
//! same operations an SDK would, and can do nothing its signer could not.
//! Each form carries the session's CSRF token; a POST whose `Origin` or
//! `Sec-Fetch-Site` says it came from another site is refused. Every answer
//! carries a Content-Security-Policy that allows Trent's own stylesheet and
//! nothing else (no script at all), and may not be framed.

mod pages;
mod session;

pub(crate) use session::Sessions;

use crate::http::{run_as, ApiError, AppState};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use session::{ImportParameters, Session, COOKIE};
use trent_api::ids::Region;
use trent_api::{ErrorCode, Operation};
use trent_core::audit::Identity;
use trent_core::caller::CallAudit;
use trent_core::sts::SessionError;
use trent_core::Caller;

/// The stylesheet, served at `/console/assets/console.css`.
const CSS: &str = include_str!("console.css");

/// Every console answer's policy: Trent's stylesheet, forms posted to
/// Trent, nothing else.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// Largest form the console reads (a key policy is at most 32 KiB; its
/// form encoding can triple it).
const MAX_FORM: usize = 256 * 1024;

/// Serves `/console` and everything under it.
pub(crate) async fn handle(State(state): State<AppState>, req: Request<Body>) -> Response {
    // In its own task, as API requests are: a closed browser tab does not
    // cancel a state change half-way.
    let task_state = state.clone();
    let mut resp = match tokio::spawn(Box::pin(async move { route(&task_state, req).await })).await {
        Ok(resp) => resp,
        Err(e) => {
            tracing::error!(error = %e, "console task failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Same-origin requests keep their Origin (under `no-referrer`,
    // Chromium sends `Origin: null` with a form post).
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// What a signed-in request works with.
pub(crate) struct Ctx<'a> {
    state: &'a AppState,
    parts: &'a axum::http::request::Parts,
    session: Session,
    token: String,
}

impl Ctx<'_> {
    /// Runs `op` with `body` as the session's principal: the API's
    /// dispatch, authorization and audit.
    pub(crate) async fn call(&self, op: Operation, body: Value) -> Result<Value, ApiError> {
        let caller = Caller {
            account: self.session.account.clone(),
            region: self.session.region.clone(),
            principal: self.session.principal.clone(),
            access_key_id: self.session.access_key_id.clone(),
            source_ip: crate::http::source_ip(self.parts),
            secure_transport: crate::http::secure_transport(self.state, self.parts),
            session: self.session.sts.clone(),
            audit: CallAudit::default(),
        };
        let bytes = serde_json::to_vec(&body).map_err(|e| ApiError::internal(format!("console request: {e}")))?;
        let answer = run_as(self.state, self.parts, &caller, op, &bytes).await?;
        match answer.is_empty() {
            true => Ok(Value::Null),
            false => serde_json::from_slice(&answer).map_err(|e| ApiError::internal(format!("console answer: {e}"))),
        }
    }

    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    pub(crate) fn now(&self) -> i64 {
        self.state.now_millis()
    }

    fn query(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.parts.uri.query().unwrap_or("").as_bytes()).into_owned().collect()
    }
}

/// A form's or query's value of `name` ("" when absent).
pub(crate) fn field<'f>(form: &'f [(String, String)], name: &str) -> &'f str {
    form.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

async fn route(state: &AppState, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().strip_prefix("/console").unwrap_or("").to_owned();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let get = parts.method == Method::GET || parts.method == Method::HEAD;
    let post = parts.method == Method::POST;
    match (segments.as_slice(), get, post) {
        (["assets", "console.css"], true, _) => {
            let mut resp = ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response();
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
            return resp;
        }
        (["signin"], true, _) => return html(StatusCode::OK, pages::signin(None, state.regions())),
        (["signin"], _, true) => return sign_in(state, &parts, body).await,
        _ => {}
    }
    // Everything else is a signed-in principal's.
    let now = state.now_millis();
    let Some(token) = session::cookie(&parts.headers).map(str::to_owned) else {
        return not_signed_in(get);
    };
    let Some(session) = state.console().get(&token, now) else {
        return not_signed_in(get);
    };
    if !still_valid(state, &session).await {
        state.console().close(&token);
        return not_signed_in(get);
    }
    let ctx = Ctx { state, parts: &parts, session, token };
    if post {
        let form = match read_form(state, &parts, body).await {
            Ok(f) => f,
            Err(resp) => return resp,
        };
        if !same_origin(&parts.headers) || !session::same_token(field(&form, "csrf"), &ctx.session.csrf) {
            tracing::warn!(principal = %ctx.session.principal, path = %path, "console form refused: CSRF check failed");
            return html(StatusCode::FORBIDDEN, pages::forbidden(&ctx));
        }
        return match segments.as_slice() {
            ["signout"] => {
                state.console().close(&ctx.token);
                let mut resp = redirect("/console/signin");
                resp.headers_mut().insert(header::SET_COOKIE, clear_cookie());
                resp
            }
            ["keys"] => pages::create_key(&ctx, &form).await,
            ["keys", id, "import"] => pages::import_material(&ctx, id, &form).await,
            ["keys", id, "import-parameters"] => match pages::import_parameters(&ctx, id, &form).await {
                Ok((params, resp)) => {
                    state.console().set_import(&ctx.token, params);
                    resp
                }
                Err(resp) => resp,
            },
            ["keys", id, action] => pages::key_action(&ctx, id, action, &form).await,
            ["audit", "verify"] => pages::verify_trail(&ctx).await,
            _ => html(StatusCode::NOT_FOUND, pages::not_found(&ctx)),
        };
    }
    if !get {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let query = ctx.query();
    match segments.as_slice() {
        [] => redirect("/console/keys"),
        ["keys"] => pages::keys(&ctx, &query).await,
        ["keys", "new"] => html(StatusCode::OK, pages::new_key(&ctx, None, &[])),
        ["keys", id] => pages::key(&ctx, id, pages::Notice::from_query(&query)).await,
        ["keys", id, "import", file] => download(&ctx, id, file),
        ["audit"] => pages::audit(&ctx, &query).await,
        ["usage"] => pages::usage(&ctx, &query).await,
        _ => html(StatusCode::NOT_FOUND, pages::not_found(&ctx)),
    }
}

/// A request without a live session: pages go to sign-in, forms are
/// refused.
fn not_signed_in(get: bool) -> Response {
    match get {
        true => redirect("/console/signin"),
        false => (StatusCode::FORBIDDEN, "Sign in to the console first.\n").into_response(),
    }
}

/// Whether the principal a session was opened for still signs: its access
/// key active and its own (a deleted or deactivated key ends its console
/// sessions at their next request, as it ends API calls at once).
async fn still_valid(state: &AppState, s: &Session) -> bool {
    if s.sts.is_some() {
        // Temporary credentials cannot be revoked; the session ends when
        // they expire (`expires_at`).
        return true;
    }
    match state.kms().authenticate(s.access_key_id.as_str()).await {
        Ok(Some(a)) => a.principal == s.principal,
        Ok(None) => false,
        Err(e) => {
            tracing::error!(error = %e, "console: access key not read");
            false
        }
    }
}

/// A POST's own origin. A browser says where a form came from in
/// `Sec-Fetch-Site` (which no page can set): anything but `same-origin` is
/// refused. Without it (an older browser), `Origin` must name this host
/// (Chromium sends `Origin: null` under some referrer policies: refused
/// too). A client that sends neither is no browser, and a forged page
/// cannot make it post. (SameSite=Strict keeps the cookie off cross-site
/// requests already; this also covers the sign-in form, which has no
/// session yet.)
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else { return false };
    origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")) == Some(host)
}

/// Reads an urlencoded form (or a multipart one, for the import upload,
/// whose files come back base64-encoded under their field names).
async fn read_form(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: Body,
) -> Result<Vec<(String, String)>, Response> {
    let (bytes, _budget) = crate::http::read_body(state, parts, body)
        .await
        .map_err(|e| (StatusCode::BAD_REQUEST, e.into_api_error(state).message).into_response())?;
    if bytes.len() > MAX_FORM {
        return Err((StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.\n").into_response());
    }
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("multipart/form-data") {
        return read_multipart(parts, bytes).await;
    }
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

async fn read_multipart(
    parts: &axum::http::request::Parts,
    bytes: bytes::Bytes,
) -> Result<Vec<(String, String)>, Response> {
    use axum::extract::FromRequest as _;
    use base64::Engine as _;
    let bad = || (StatusCode::BAD_REQUEST, "The form could not be read.\n").into_response();
    let mut req = Request::new(Body::from(bytes));
    *req.headers_mut() = parts.headers.clone();
    let mut multipart = axum::extract::Multipart::from_request(req, &()).await.map_err(|_| bad())?;
    let mut out = Vec::new();
    while let Some(f) = multipart.next_field().await.map_err(|_| bad())? {
        let name = f.name().unwrap_or("").to_owned();
        let file = f.file_name().is_some();
        let data = f.bytes().await.map_err(|_| bad())?;
        let value = match file {
            true => base64::engine::general_purpose::STANDARD.encode(&data),
            false => String::from_utf8(data.to_vec()).map_err(|_| bad())?,
        };
        out.push((name, value));
    }
    Ok(out)
}

async fn sign_in(state: &AppState, parts: &axum::http::request::Parts, body: Body) -> Response {
    // The form holds the secret access key: wiped when it drops.
    let form = match read_form(state, parts, body).await {
        Ok(f) => Wiped(f),
        Err(resp) => return resp,
    };
    let form = form.0.as_slice();
    if !same_origin(&parts.headers) {
        return (StatusCode::FORBIDDEN, "Sign in from the console's own page.\n").into_response();
    }
    let access_key_id = field(form, "access_key_id").trim();
    let secret = field(form, "secret_access_key").trim();
    let token = field(form, "session_token").trim();
    let region = match field(form, "region") {
        "" => state.regions().first().cloned(),
        r => Region::parse(r).filter(|r| state.regions().contains(r)),
    };
    let now = state.now_millis();
    let refused = |message: &str| html(StatusCode::UNAUTHORIZED, pages::signin(Some(message), state.regions()));
    let Some(region) = region else { return refused("Choose a region this deployment serves.") };
    let found = match token.is_empty() {
        true => state.kms().authenticate(access_key_id).await.map(|a| a.ok_or(SessionError::Invalid)),
        false => state.kms().authenticate_session(access_key_id, token).await,
    };
    let principal = match found {
        Ok(Ok(p)) if session::same_bytes(secret.as_bytes(), p.secret.expose()) => p,
        Ok(Ok(_)) | Ok(Err(SessionError::Invalid)) => {
            audit_sign_in(state, parts, access_key_id, None, &region, Some("The credentials are not valid.")).await;
            return refused("The access key ID or secret access key is not valid.");
        }
        Ok(Err(SessionError::Expired)) => {
            audit_sign_in(state, parts, access_key_id, None, &region, Some("The security token is expired.")).await;
            return refused("The security token is expired.");
        }
        Err(e) => {
            tracing::error!(error = %e, "console sign-in: credentials not read");
            return html(
                StatusCode::SERVICE_UNAVAILABLE,
                pages::signin(Some("Trent could not check the credentials; try again."), state.regions()),
            );
        }
    };
    let session = Session::new(
        principal.account.clone(),
        principal.principal.clone(),
        trent_api::ids::AccessKeyId::new_unchecked(access_key_id),
        principal.session.clone(),
        region.clone(),
        now,
    );
    let identity = (session.account.clone(), session.principal.clone(), session.sts.clone());
    if !audit_sign_in(state, parts, access_key_id, Some(identity), &region, None).await {
        return html(
            StatusCode::SERVICE_UNAVAILABLE,
            pages::signin(Some("The sign-in could not be audited; try again."), state.regions()),
        );
    }
    let Some(cookie_value) = state.console().open(session, now) else {
        return refused("Too many console sessions are open on this node; try again later.");
    };
    let secure = crate::http::secure_transport(state, parts);
    let cookie = format!(
        "{COOKIE}={cookie_value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}{}",
        session::MAX_AGE_MS / 1000,
        if secure { "; Secure" } else { "" }
    );
    let mut resp = redirect("/console/keys");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// Records a sign-in (CloudTrail's `ConsoleLogin`, from
/// `signin.amazonaws.com`): the principal's, or a refused attempt naming
/// the access key it claimed. Answers whether the event is durable: a
/// session opens only then (the audit trail fails closed).
async fn audit_sign_in(
    state: &AppState,
    parts: &axum::http::request::Parts,
    access_key_id: &str,
    who: Option<(
        trent_api::ids::AccountId,
        trent_api::ids::PrincipalArn,
        Option<std::sync::Arc<trent_core::sts::Session>>,
    )>,
    region: &Region,
    error: Option<&str>,
) -> bool {
    let request_id = crate::http::new_request_id();
    let meta = crate::http::RequestMeta::of(parts, &request_id, state.now_millis());
    let claimed: String = access_key_id.chars().take(128).collect();
    let identity = match who {
        Some((account, arn, session)) => Identity::Principal {
            account: account.as_str().to_owned(),
            arn: arn.as_str().to_owned(),
            access_key_id: claimed,
            session,
        },
        None => Identity::Unauthenticated { access_key_id: Some(claimed) },
    };
    let draft = meta.draft("signin.amazonaws.com", "ConsoleLogin", None, identity, Some(region.as_str().to_owned()));
    let outcome = match error {
        Some(message) => Err(ApiError::new(ErrorCode::AccessDenied, message)),
        None => Ok(Vec::new()),
    };
    match crate::http::record(state, &CallAudit::new(draft), None, ErrorCode::name, &outcome).await {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, "console sign-in: audit event not recorded");
            false
        }
    }
}

/// A form whose values are zeroized when it drops (the sign-in form's
/// secret access key).
struct Wiped(Vec<(String, String)>);

impl Drop for Wiped {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        for (_, v) in &mut self.0 {
            v.zeroize();
        }
    }
}

/// A download of the session's latest import parameters.
fn download(ctx: &Ctx<'_>, id: &str, file: &str) -> Response {
    let Some(params) = ctx.session.import.as_ref().filter(|p| p.key_id == id) else {
        return html(StatusCode::NOT_FOUND, pages::not_found(ctx));
    };
    let (bytes, name) = match file {
        "wrapping-key.der" => (params.public_key.clone(), "WrappingPublicKey.bin"),
        "import-token.bin" => (params.import_token.clone(), "ImportToken.bin"),
        _ => return html(StatusCode::NOT_FOUND, pages::not_found(ctx)),
    };
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut resp = ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

pub(crate) fn html(status: StatusCode, page: maud::Markup) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page.into_string()).into_response()
}

pub(crate) fn redirect(to: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("trent_console=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The JSON body of an operation's request, from pairs whose empty values
/// are left out.
pub(crate) fn body(members: &[(&str, Value)]) -> Value {
    let mut map = serde_json::Map::new();
    for (k, v) in members {
        let empty = matches!(v, Value::Null) || v.as_str().is_some_and(str::is_empty);
        if !empty {
            map.insert((*k).to_owned(), v.clone());
        }
    }
    Value::Object(map)
}

/// `json!` for the callers of [`body`].
pub(crate) fn s(v: &str) -> Value {
    json!(v)
}

/// Parameters for the download page, from GetParametersForImport's answer.
pub(crate) fn import_parameters_of(key_id: &str, answer: &Value) -> Option<ImportParameters> {
    use base64::Engine as _;
    let b64 = |name: &str| {
        answer.get(name).and_then(Value::as_str).and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
    };
    Some(ImportParameters {
        key_id: key_id.to_owned(),
        public_key: b64("PublicKey")?,
        import_token: b64("ImportToken")?,
    })
}
