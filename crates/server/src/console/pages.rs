//! The console's pages, rendered on the server with `maud` (which escapes
//! every value it interpolates). Each page gets its data from the API's
//! operations, called as the signed-in principal ([`Ctx::call`]).

use super::{body, field, html, redirect, s, Ctx};
use crate::http::ApiError;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup, DOCTYPE};
use serde_json::{json, Value};
use std::collections::HashMap;
use trent_api::enums::{KeySpec, KeyState, KeyUsage, WireEnum as _, WrappingAlgorithm, WrappingKeySpec};
use trent_api::ids::Region;
use trent_api::Operation as O;

/// Keys shown on a page of the key list.
const PAGE: usize = 50;
/// Keys a filtered listing looks at before it offers the next page.
const SCAN: usize = 1000;
/// Aliases read for the key list (ListAliases pages of 100).
const ALIAS_PAGES: usize = 50;

/// The page frame: a skip link, the navigation, who is signed in.
fn layout(ctx: Option<&Ctx<'_>>, title: &str, active: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – Trent console" }
                link rel="stylesheet" href="/console/assets/console.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    span.brand { "Trent" }
                    @if let Some(ctx) = ctx {
                        nav aria-label="Console" {
                            ul {
                                @for (href, name) in [("/console/keys", "Keys"), ("/console/audit", "Audit"), ("/console/usage", "Usage")] {
                                    li { a href=(href) aria-current=[(name == active).then_some("page")] { (name) } }
                                }
                            }
                        }
                        div.who {
                            span { "Signed in as " code { (ctx.session().principal.as_str()) } " in " (ctx.session().region.as_str()) }
                            form method="post" action="/console/signout" {
                                (csrf(ctx))
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main #main { (content) }
            }
        }
    }
}

fn csrf(ctx: &Ctx<'_>) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.session().csrf); }
}

/// An API error, as the console shows it.
fn alert(e: &ApiError) -> Markup {
    html! {
        div.alert role="alert" {
            strong { (e.code.name()) } ": " (e.message)
        }
    }
}

fn status_of(e: &ApiError) -> StatusCode {
    StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
}

/// A page that only says what went wrong.
fn error_page(ctx: &Ctx<'_>, title: &str, active: &str, e: &ApiError) -> Response {
    html(status_of(e), layout(Some(ctx), title, active, html! { h1 { (title) } (alert(e)) }))
}

pub(super) fn signin(error: Option<&str>, regions: &[Region]) -> Markup {
    layout(
        None,
        "Sign in",
        "",
        html! {
            h1 { "Sign in to Trent" }
            p { "Sign in with an access key, or with temporary credentials (their session token too). "
                "The secret is checked once and never kept: the browser gets a session cookie." }
            @if let Some(e) = error { div.alert role="alert" { (e) } }
            form.stack method="post" action="/console/signin" autocomplete="off" {
                label for="access_key_id" { "Access key ID" }
                input #access_key_id name="access_key_id" required autocomplete="username" spellcheck="false";
                label for="secret_access_key" { "Secret access key" }
                input #secret_access_key name="secret_access_key" type="password" required autocomplete="current-password";
                label for="session_token" { "Session token (temporary credentials only)" }
                input #session_token name="session_token" type="password" autocomplete="off";
                @if regions.len() > 1 {
                    label for="region" { "Region" }
                    select #region name="region" {
                        @for r in regions { option value=(r.as_str()) { (r.as_str()) } }
                    }
                }
                button type="submit" { "Sign in" }
            }
        },
    )
}

pub(super) fn forbidden(ctx: &Ctx<'_>) -> Markup {
    layout(
        Some(ctx),
        "Refused",
        "",
        html! {
            h1 { "Refused" }
            div.alert role="alert" { "The form was refused: it did not come from this console page. Reload the page and try again." }
        },
    )
}

pub(super) fn not_found(ctx: &Ctx<'_>) -> Markup {
    layout(Some(ctx), "Not found", "", html! { h1 { "Not found" } p { "The console has no such page." } })
}

/// A KMS timestamp (epoch seconds) as UTC.
fn when(v: Option<&Value>) -> String {
    let Some(secs) = v.and_then(Value::as_f64) else { return String::new() };
    #[allow(clippy::cast_possible_truncation)] // epoch seconds fit
    let t = time::OffsetDateTime::from_unix_timestamp(secs.floor() as i64).ok();
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    t.and_then(|t| t.format(&fmt).ok()).unwrap_or_default()
}

fn text<'v>(v: &'v Value, name: &str) -> &'v str {
    v.get(name).and_then(Value::as_str).unwrap_or("")
}

fn list<'v>(v: &'v Value, name: &str) -> &'v [Value] {
    v.get(name).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// A query string of the non-empty pairs.
fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        ser.append_pair(k, v);
    }
    ser.finish()
}

/// The link to a listing's next page: its filters and where it goes on.
fn page_link(path: &str, filters: &[(&str, &str)], next: (&str, &str)) -> String {
    let mut pairs = filters.to_vec();
    pairs.push(next);
    format!("{path}?{}", query_string(&pairs))
}

/// An alias name as CreateAlias takes it (`alias/` added when left out).
fn alias_name(alias: &str) -> String {
    match alias.starts_with("alias/") {
        true => alias.to_owned(),
        false => format!("alias/{alias}"),
    }
}

fn select(id: &str, label: &str, values: &[&str], chosen: &str, any: Option<&str>) -> Markup {
    html! {
        label for=(id) { (label) }
        select #(id) name=(id) {
            @if let Some(any) = any { option value="" selected[chosen.is_empty()] { (any) } }
            @for v in values { option value=(v) selected[*v == chosen] { (v) } }
        }
    }
}

fn text_input(id: &str, label: &str, value: &str) -> Markup {
    html! {
        label for=(id) { (label) }
        input #(id) name=(id) value=(value) spellcheck="false";
    }
}

// ---------------------------------------------------------------- keys

/// The key list: ListKeys pages, each key described; filters by spec,
/// usage, state, alias and tag. An alias filter starts from the aliases
/// (ListAliases); the others look at up to [`SCAN`] keys per page.
pub(super) async fn keys(ctx: &Ctx<'_>, q: &[(String, String)]) -> Response {
    let (spec, usage, state) = (field(q, "spec"), field(q, "usage"), field(q, "state"));
    let (alias, tag_key, tag_value) =
        (field(q, "alias").trim(), field(q, "tag_key").trim(), field(q, "tag_value").trim());
    let filtered = [spec, usage, state, alias, tag_key, tag_value].iter().any(|v| !v.is_empty());
    // Every alias of the region, by target key.
    let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
    let mut marker = String::new();
    let mut aliases_complete = false;
    for _ in 0..ALIAS_PAGES {
        let answer = match ctx.call(O::ListAliases, body(&[("Limit", json!(100)), ("Marker", s(&marker))])).await {
            Ok(a) => a,
            Err(e) => return error_page(ctx, "Keys", "Keys", &e),
        };
        for a in list(&answer, "Aliases") {
            if let Some(target) = a.get("TargetKeyId").and_then(Value::as_str) {
                aliases.entry(target.to_owned()).or_default().push(text(a, "AliasName").to_owned());
            }
        }
        match answer.get("NextMarker").and_then(Value::as_str) {
            Some(m) if answer.get("Truncated") == Some(&Value::Bool(true)) => marker = m.to_owned(),
            _ => {
                aliases_complete = true;
                break;
            }
        }
    }
    let mut rows: Vec<Value> = Vec::new();
    let mut next: Option<String> = None;
    let mut scanned = 0;
    let wanted = |m: &Value| {
        (spec.is_empty() || text(m, "KeySpec") == spec)
            && (usage.is_empty() || text(m, "KeyUsage") == usage)
            && (state.is_empty() || text(m, "KeyState") == state)
    };
    if alias.is_empty() {
        let mut marker = field(q, "marker").to_owned();
        loop {
            let limit = if filtered { 100 } else { PAGE };
            let answer = match ctx.call(O::ListKeys, body(&[("Limit", json!(limit)), ("Marker", s(&marker))])).await {
                Ok(a) => a,
                Err(e) => return error_page(ctx, "Keys", "Keys", &e),
            };
            for k in list(&answer, "Keys") {
                scanned += 1;
                if let Some(m) = describe_for_list(ctx, text(k, "KeyId"), &wanted, tag_key, tag_value).await {
                    rows.push(m);
                }
            }
            let more = answer.get("Truncated") == Some(&Value::Bool(true));
            match answer.get("NextMarker").and_then(Value::as_str) {
                Some(m) if more => marker = m.to_owned(),
                _ => break,
            }
            if rows.len() >= PAGE || scanned >= SCAN {
                next = Some(marker);
                break;
            }
        }
    } else {
        let mut ids: Vec<&String> =
            aliases.iter().filter(|(_, names)| names.iter().any(|n| n.contains(alias))).map(|(id, _)| id).collect();
        ids.sort();
        for id in ids.into_iter().take(SCAN) {
            scanned += 1;
            if let Some(m) = describe_for_list(ctx, id, &wanted, tag_key, tag_value).await {
                rows.push(m);
            }
        }
    }
    let filters = [
        ("spec", spec),
        ("usage", usage),
        ("state", state),
        ("alias", alias),
        ("tag_key", tag_key),
        ("tag_value", tag_value),
    ];
    let next_link = next.map(|m| page_link("/console/keys", &filters, ("marker", &m)));
    let page = html! {
        h1 { "Keys" }
        p { a.button href="/console/keys/new" { "Create key" } }
        form.filters method="get" action="/console/keys" aria-label="Filter keys" {
            div { (select("spec", "Key spec", KeySpec::VALUES, spec, Some("Any"))) }
            div { (select("usage", "Key usage", KeyUsage::VALUES, usage, Some("Any"))) }
            div { (select("state", "Key state", KeyState::VALUES, state, Some("Any"))) }
            div { (text_input("alias", "Alias", alias)) }
            div { (text_input("tag_key", "Tag key", tag_key)) }
            div { (text_input("tag_value", "Tag value", tag_value)) }
            div { button type="submit" { "Filter" } }
        }
        @if !aliases_complete { p.note { "More than " (ALIAS_PAGES * 100) " aliases: the alias column and filter see the first ones." } }
        @if filtered { p.note role="status" { (rows.len()) " matching keys among " (scanned) " looked at." } }
        div.scroll {
            table {
                caption { "Keys in " (ctx.session().region.as_str()) }
                thead { tr { th scope="col" { "Key ID" } th scope="col" { "Aliases" } th scope="col" { "Description" }
                    th scope="col" { "Spec" } th scope="col" { "Usage" } th scope="col" { "State" } th scope="col" { "Created" } } }
                tbody {
                    @for m in &rows {
                        @let id = text(m, "KeyId");
                        tr {
                            td { a href={ "/console/keys/" (id) } { (id) } }
                            td { @for a in aliases.get(id).map_or(&[][..], Vec::as_slice) { (a) br; } }
                            td { (text(m, "Description")) }
                            td { (text(m, "KeySpec")) }
                            td { (text(m, "KeyUsage")) }
                            td { (text(m, "KeyState")) }
                            td { (when(m.get("CreationDate"))) }
                        }
                    }
                    @if rows.is_empty() { tr { td colspan="7" { "No keys." } } }
                }
            }
        }
        @if let Some(link) = next_link { p { a href=(link) { "Next page" } } }
    };
    html(StatusCode::OK, layout(Some(ctx), "Keys", "Keys", page))
}

/// A key's metadata when it passes the filters (a key the principal may
/// list but not describe shows with its id alone when nothing filters).
async fn describe_for_list(
    ctx: &Ctx<'_>,
    id: &str,
    wanted: &impl Fn(&Value) -> bool,
    tag_key: &str,
    tag_value: &str,
) -> Option<Value> {
    let m = match ctx.call(O::DescribeKey, json!({"KeyId": id})).await {
        Ok(a) => a.get("KeyMetadata").cloned().unwrap_or(Value::Null),
        Err(_) => json!({"KeyId": id}),
    };
    if !wanted(&m) {
        return None;
    }
    if tag_key.is_empty() && tag_value.is_empty() {
        return Some(m);
    }
    let tags = ctx.call(O::ListResourceTags, json!({"KeyId": id, "Limit": 50})).await.ok()?;
    list(&tags, "Tags")
        .iter()
        .any(|t| {
            (tag_key.is_empty() || text(t, "TagKey") == tag_key)
                && (tag_value.is_empty() || text(t, "TagValue") == tag_value)
        })
        .then_some(m)
}

/// The key spec chosen by default for each usage.
const SPECS: &[&str] = &[
    "SYMMETRIC_DEFAULT",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "ECC_NIST_EDWARDS25519",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
    "ML_KEM_512",
    "ML_KEM_768",
    "ML_KEM_1024",
];

pub(super) fn new_key(ctx: &Ctx<'_>, error: Option<&ApiError>, form: &[(String, String)]) -> Markup {
    let spec = match field(form, "spec") {
        "" => "SYMMETRIC_DEFAULT",
        s => s,
    };
    let usage = match field(form, "usage") {
        "" => "ENCRYPT_DECRYPT",
        u => u,
    };
    let origin = match field(form, "origin") {
        "" => "AWS_KMS",
        o => o,
    };
    layout(
        Some(ctx),
        "Create key",
        "Keys",
        html! {
            h1 { "Create key" }
            @if let Some(e) = error { (alert(e)) }
            form.stack method="post" action="/console/keys" {
                (csrf(ctx))
                (select("spec", "Key spec", SPECS, spec, None))
                (select("usage", "Key usage", &["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"], usage, None))
                (select("origin", "Origin", &["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM"], origin, None))
                p.hint { "EXTERNAL: you import the key material. AWS_CLOUDHSM: the key lives in a custom key store's token (give its ID)." }
                (text_input("custom_key_store_id", "Custom key store ID (AWS_CLOUDHSM only)", field(form, "custom_key_store_id")))
                (text_input("description", "Description", field(form, "description")))
                (text_input("alias", "Alias (optional)", field(form, "alias")))
                div.check {
                    input #multi_region type="checkbox" name="multi_region" value="true" checked[field(form, "multi_region") == "true"];
                    label for="multi_region" { "Multi-Region key" }
                }
                button type="submit" { "Create key" }
            }
        },
    )
}

/// CreateKey (and CreateAlias when one is named), then the key's page.
pub(super) async fn create_key(ctx: &Ctx<'_>, form: &[(String, String)]) -> Response {
    let req = body(&[
        ("KeySpec", s(field(form, "spec"))),
        ("KeyUsage", s(field(form, "usage"))),
        ("Origin", s(field(form, "origin"))),
        ("CustomKeyStoreId", s(field(form, "custom_key_store_id").trim())),
        ("Description", s(field(form, "description"))),
        ("MultiRegion", if field(form, "multi_region") == "true" { json!(true) } else { Value::Null }),
    ]);
    let answer = match ctx.call(O::CreateKey, req).await {
        Ok(a) => a,
        Err(e) => return html(status_of(&e), new_key(ctx, Some(&e), form)),
    };
    let id = answer.pointer("/KeyMetadata/KeyId").and_then(Value::as_str).unwrap_or_default().to_owned();
    let alias = field(form, "alias").trim();
    if !alias.is_empty() {
        if let Err(e) = ctx.call(O::CreateAlias, json!({"AliasName": alias_name(alias), "TargetKeyId": id})).await {
            let notice = Notice::Failed("The key was created; its alias was not".into(), e);
            return key_page(ctx, &id, notice, None).await;
        }
    }
    redirect(&format!("/console/keys/{id}?done=created"))
}

/// What a key page says above its sections.
pub(super) enum Notice {
    None,
    /// An action that succeeded (a fixed text per action).
    Done(&'static str),
    /// An action that failed: what was tried, the API's error.
    Failed(String, ApiError),
}

impl Notice {
    /// The `done=` of a redirect after an action (only known actions: the
    /// page never repeats text from the URL).
    pub(super) fn from_query(q: &[(String, String)]) -> Notice {
        let text = match field(q, "done") {
            "created" => "Key created.",
            "enable" => "Key enabled.",
            "disable" => "Key disabled.",
            "schedule-deletion" => "Key deletion scheduled.",
            "cancel-deletion" => "Key deletion cancelled; the key is disabled.",
            "policy" => "Key policy saved.",
            "rotation" => "Automatic rotation updated.",
            "rotate-now" => "Rotation started.",
            "tag" => "Tag saved.",
            "untag" => "Tag removed.",
            "alias" => "Alias created.",
            "delete-alias" => "Alias deleted.",
            "description" => "Description saved.",
            "revoke-grant" => "Grant revoked.",
            "import" => "Key material imported.",
            _ => return Notice::None,
        };
        Notice::Done(text)
    }
}

pub(super) async fn key(ctx: &Ctx<'_>, id: &str, notice: Notice) -> Response {
    key_page(ctx, id, notice, None).await
}

/// A key's page. `policy_error`: a policy that was refused, shown in the
/// editor with the reason.
async fn key_page(ctx: &Ctx<'_>, id: &str, notice: Notice, policy_error: Option<(&str, &ApiError)>) -> Response {
    let m = match ctx.call(O::DescribeKey, json!({"KeyId": id})).await {
        Ok(a) => a.get("KeyMetadata").cloned().unwrap_or(Value::Null),
        Err(e) => return error_page(ctx, "Key", "Keys", &e),
    };
    let id = text(&m, "KeyId").to_owned();
    let arn = text(&m, "Arn").to_owned();
    let state = text(&m, "KeyState");
    let symmetric = text(&m, "KeySpec") == "SYMMETRIC_DEFAULT";
    let external = text(&m, "Origin") == "EXTERNAL";
    // Each section's data; a refusal shows in its section.
    let aliases = ctx.call(O::ListAliases, json!({"KeyId": id, "Limit": 100})).await;
    let tags = ctx.call(O::ListResourceTags, json!({"KeyId": id, "Limit": 50})).await;
    let grants = ctx.call(O::ListGrants, json!({"KeyId": id, "Limit": 100})).await;
    let (rotation, rotations) = match symmetric {
        true => (
            Some(ctx.call(O::GetKeyRotationStatus, json!({"KeyId": id})).await),
            Some(ctx.call(O::ListKeyRotations, json!({"KeyId": id, "Limit": 100})).await),
        ),
        false => (None, None),
    };
    let policy = match policy_error {
        Some((text, _)) => Ok(text.to_owned()),
        None => {
            ctx.call(O::GetKeyPolicy, json!({"KeyId": id, "PolicyName": "default"})).await.map(|p| pretty_policy(&p))
        }
    };
    let action = |a: &str| format!("/console/keys/{id}/{a}");
    let audit_link = format!("/console/audit?{}", query_string(&[("key", &arn)]));
    let usage_link = format!("/console/usage?{}", query_string(&[("key", &arn)]));
    let status = match (&notice, policy_error) {
        (Notice::Failed(_, e), _) | (_, Some((_, e))) => status_of(e),
        _ => StatusCode::OK,
    };
    let page = html! {
        h1 { "Key " code { (id) } }
        @match &notice {
            Notice::Done(t) => { p.done role="status" { (t) } }
            Notice::Failed(what, e) => { div.alert role="alert" { (what) ": " strong { (e.code.name()) } " " (e.message) } }
            Notice::None => {}
        }
        p { a href=(audit_link) { "Audit events for this key" } " · " a href=(usage_link) { "Usage of this key" } }
        section aria-labelledby="configuration" {
            h2 #configuration { "Configuration" }
            dl.meta {
                dt { "ARN" } dd { code { (arn) } }
                dt { "Key state" } dd #key-state { (state) }
                dt { "Description" } dd { (text(&m, "Description")) }
                dt { "Key spec" } dd { (text(&m, "KeySpec")) }
                dt { "Key usage" } dd { (text(&m, "KeyUsage")) }
                dt { "Origin" } dd { (text(&m, "Origin")) }
                dt { "Key manager" } dd { (text(&m, "KeyManager")) }
                dt { "Created" } dd { (when(m.get("CreationDate"))) }
                @if m.get("DeletionDate").is_some() { dt { "Deletion date" } dd { (when(m.get("DeletionDate"))) } }
                @if m.get("ValidTo").is_some() { dt { "Key material expires" } dd { (when(m.get("ValidTo"))) } }
                dt { "Multi-Region" } dd { (if m.get("MultiRegion") == Some(&Value::Bool(true)) { "Yes" } else { "No" }) }
                @if let Some(c) = m.get("MultiRegionConfiguration") {
                    dt { "Primary Region" } dd { (c.pointer("/PrimaryKey/Region").and_then(Value::as_str).unwrap_or("")) }
                    dt { "Replica Regions" } dd { @for r in list(c, "ReplicaKeys") { (text(r, "Region")) " " } }
                }
                @for (name, label) in [("EncryptionAlgorithms", "Encryption algorithms"), ("SigningAlgorithms", "Signing algorithms"), ("MacAlgorithms", "MAC algorithms"), ("KeyAgreementAlgorithms", "Key agreement algorithms")] {
                    @if !list(&m, name).is_empty() {
                        dt { (label) } dd { @for a in list(&m, name) { (a.as_str().unwrap_or("")) " " } }
                    }
                }
            }
            form.inline method="post" action=(action("description")) {
                (csrf(ctx))
                label for="description" { "New description" }
                input #description name="description" value=(text(&m, "Description"));
                button type="submit" { "Save description" }
            }
            @if state == "Enabled" {
                form.inline method="post" action=(action("disable")) { (csrf(ctx)) button type="submit" { "Disable key" } }
            } @else if state == "Disabled" {
                form.inline method="post" action=(action("enable")) { (csrf(ctx)) button type="submit" { "Enable key" } }
            }
        }
        section aria-labelledby="aliases" {
            h2 #aliases { "Aliases" }
            @match &aliases {
                Err(e) => { (alert(e)) }
                Ok(a) => {
                    ul {
                        @for alias in list(a, "Aliases") {
                            li {
                                (text(alias, "AliasName"))
                                form.inline method="post" action=(action("delete-alias")) {
                                    (csrf(ctx))
                                    input type="hidden" name="alias" value=(text(alias, "AliasName"));
                                    button type="submit" aria-label={ "Delete alias " (text(alias, "AliasName")) } { "Delete" }
                                }
                            }
                        }
                        @if list(a, "Aliases").is_empty() { li { "No aliases." } }
                    }
                }
            }
            form.inline method="post" action=(action("alias")) {
                (csrf(ctx))
                label for="new_alias" { "New alias" }
                input #new_alias name="alias" placeholder="alias/name";
                button type="submit" { "Add alias" }
            }
        }
        section aria-labelledby="tags" {
            h2 #tags { "Tags" }
            @match &tags {
                Err(e) => { (alert(e)) }
                Ok(t) => {
                    div.scroll { table {
                        caption { "Tags of the key" }
                        thead { tr { th scope="col" { "Key" } th scope="col" { "Value" } th scope="col" { "Remove" } } }
                        tbody {
                            @for tag in list(t, "Tags") {
                                tr { td { (text(tag, "TagKey")) } td { (text(tag, "TagValue")) }
                                    td { form.inline method="post" action=(action("untag")) {
                                        (csrf(ctx))
                                        input type="hidden" name="tag_key" value=(text(tag, "TagKey"));
                                        button type="submit" aria-label={ "Remove tag " (text(tag, "TagKey")) } { "Remove" }
                                    } } }
                            }
                            @if list(t, "Tags").is_empty() { tr { td colspan="3" { "No tags." } } }
                        }
                    } }
                }
            }
            form.inline method="post" action=(action("tag")) {
                (csrf(ctx))
                label for="new_tag_key" { "New tag key" }
                input #new_tag_key name="tag_key";
                label for="new_tag_value" { "New tag value" }
                input #new_tag_value name="tag_value";
                button type="submit" { "Add tag" }
            }
        }
        section aria-labelledby="rotation" {
            h2 #rotation { "Key rotation" }
            @match (&rotation, &rotations) {
                (Some(Ok(r)), Some(rs)) => {
                    @let on = r.get("KeyRotationEnabled") == Some(&Value::Bool(true));
                    p { "Automatic rotation: " strong { (if on { "on" } else { "off" }) }
                        @if on { ", every " (r.get("RotationPeriodInDays").and_then(Value::as_u64).unwrap_or(365)) " days; next on " (when(r.get("NextRotationDate"))) } }
                    form.inline method="post" action=(action("rotation")) {
                        (csrf(ctx))
                        @if on {
                            input type="hidden" name="rotation" value="off";
                            button type="submit" { "Turn off automatic rotation" }
                        } @else {
                            input type="hidden" name="rotation" value="on";
                            label for="period" { "Rotation period (days)" }
                            input #period name="period" type="number" min="90" max="2560" value="365";
                            button type="submit" { "Turn on automatic rotation" }
                        }
                    }
                    form.inline method="post" action=(action("rotate-now")) { (csrf(ctx)) button type="submit" { "Rotate now" } }
                    @match rs {
                        Err(e) => { (alert(e)) }
                        Ok(rs) => {
                            div.scroll { table {
                                caption { "Rotation history" }
                                thead { tr { th scope="col" { "Rotated" } th scope="col" { "Type" } th scope="col" { "Key material" } } }
                                tbody {
                                    @for x in list(rs, "Rotations") {
                                        tr { td { (when(x.get("RotationDate"))) } td { (text(x, "RotationType")) } td { (text(x, "KeyMaterialId")) } }
                                    }
                                    @if list(rs, "Rotations").is_empty() { tr { td colspan="3" { "Never rotated." } } }
                                }
                            } }
                        }
                    }
                }
                (Some(Err(e)), _) => { (alert(e)) }
                _ => { p { "Rotation applies to symmetric encryption keys." } }
            }
        }
        section aria-labelledby="grants" {
            h2 #grants { "Grants" }
            @match &grants {
                Err(e) => { (alert(e)) }
                Ok(g) => {
                    div.scroll { table {
                        caption { "Grants on the key" }
                        thead { tr { th scope="col" { "Grant ID" } th scope="col" { "Name" } th scope="col" { "Grantee" }
                            th scope="col" { "Operations" } th scope="col" { "Created" } th scope="col" { "Revoke" } } }
                        tbody {
                            @for grant in list(g, "Grants") {
                                tr {
                                    td { code { (text(grant, "GrantId")) } }
                                    td { (text(grant, "Name")) }
                                    td { (text(grant, "GranteePrincipal")) }
                                    td { @for o in list(grant, "Operations") { (o.as_str().unwrap_or("")) " " } }
                                    td { (when(grant.get("CreationDate"))) }
                                    td { form.inline method="post" action=(action("revoke-grant")) {
                                        (csrf(ctx))
                                        input type="hidden" name="grant_id" value=(text(grant, "GrantId"));
                                        button type="submit" aria-label={ "Revoke grant " (text(grant, "GrantId")) } { "Revoke" }
                                    } }
                                }
                            }
                            @if list(g, "Grants").is_empty() { tr { td colspan="6" { "No grants." } } }
                        }
                    } }
                }
            }
        }
        section aria-labelledby="policy" {
            h2 #policy { "Key policy" }
            @if let Some((_, e)) = policy_error { (alert(e)) }
            @match &policy {
                Err(e) => { (alert(e)) }
                Ok(p) => {
                    form.stack method="post" action=(action("policy")) {
                        (csrf(ctx))
                        label for="policy_text" { "Key policy" }
                        textarea #policy_text name="policy" rows="18" spellcheck="false" { (p) }
                        button type="submit" { "Save policy" }
                    }
                }
            }
        }
        @if external {
            section aria-labelledby="import" {
                h2 #import { "Key material" }
                p { "Download a wrapping public key and an import token, wrap your key material with them, then upload it." }
                form.inline method="post" action=(action("import-parameters")) {
                    (csrf(ctx))
                    (select("wrapping_algorithm", "Wrapping algorithm", WrappingAlgorithm::VALUES, "RSAES_OAEP_SHA_256", None))
                    (select("wrapping_key_spec", "Wrapping key spec", WrappingKeySpec::VALUES, "RSA_2048", None))
                    button type="submit" { "Get wrapping key and import token" }
                }
            }
        }
        section aria-labelledby="deletion" {
            h2 #deletion { "Deletion" }
            @if state == "PendingDeletion" || state == "PendingReplicaDeletion" {
                p { "The key is scheduled for deletion on " (when(m.get("DeletionDate"))) "." }
                form.inline method="post" action=(action("cancel-deletion")) { (csrf(ctx)) button type="submit" { "Cancel deletion" } }
            } @else {
                form.inline method="post" action=(action("schedule-deletion")) {
                    (csrf(ctx))
                    label for="days" { "Waiting period (days)" }
                    input #days name="days" type="number" min="7" max="30" value="30" required;
                    button.danger type="submit" { "Schedule deletion" }
                }
            }
        }
    };
    html(status, layout(Some(ctx), &format!("Key {id}"), "Keys", page))
}

/// A policy document, indented when it parses.
fn pretty_policy(answer: &Value) -> String {
    let raw = text(answer, "Policy");
    serde_json::from_str::<Value>(raw)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| raw.to_owned())
}

/// A key page form's action: the operation it runs, then the key page.
pub(super) async fn key_action(ctx: &Ctx<'_>, id: &str, action: &str, form: &[(String, String)]) -> Response {
    let key = json!(id);
    let (op, req) = match action {
        "enable" => (O::EnableKey, json!({"KeyId": key})),
        "disable" => (O::DisableKey, json!({"KeyId": key})),
        "schedule-deletion" => {
            let days = field(form, "days").trim().parse::<i64>().map_or(Value::Null, |d| json!(d));
            (O::ScheduleKeyDeletion, body(&[("KeyId", key), ("PendingWindowInDays", days)]))
        }
        "cancel-deletion" => (O::CancelKeyDeletion, json!({"KeyId": key})),
        "policy" => (O::PutKeyPolicy, json!({"KeyId": key, "PolicyName": "default", "Policy": field(form, "policy")})),
        "rotation" if field(form, "rotation") == "off" => (O::DisableKeyRotation, json!({"KeyId": key})),
        "rotation" => {
            let days = field(form, "period").trim().parse::<i64>().map_or(Value::Null, |d| json!(d));
            (O::EnableKeyRotation, body(&[("KeyId", key), ("RotationPeriodInDays", days)]))
        }
        "rotate-now" => (O::RotateKeyOnDemand, json!({"KeyId": key})),
        "tag" => (
            O::TagResource,
            json!({"KeyId": key, "Tags": [{"TagKey": field(form, "tag_key"), "TagValue": field(form, "tag_value")}]}),
        ),
        "untag" => (O::UntagResource, json!({"KeyId": key, "TagKeys": [field(form, "tag_key")]})),
        "alias" => {
            let alias = field(form, "alias").trim();
            (O::CreateAlias, json!({"AliasName": alias_name(alias), "TargetKeyId": key}))
        }
        "delete-alias" => (O::DeleteAlias, json!({"AliasName": field(form, "alias")})),
        "description" => (O::UpdateKeyDescription, json!({"KeyId": key, "Description": field(form, "description")})),
        "revoke-grant" => (O::RevokeGrant, json!({"KeyId": key, "GrantId": field(form, "grant_id")})),
        _ => return html(StatusCode::NOT_FOUND, not_found(ctx)),
    };
    match ctx.call(op, req).await {
        Ok(_) => redirect(&format!("/console/keys/{id}?{}", query_string(&[("done", action)]))),
        Err(e) if action == "policy" => key_page(ctx, id, Notice::None, Some((field(form, "policy"), &e))).await,
        Err(e) => key_page(ctx, id, Notice::Failed(format!("{} failed", op.name()), e), None).await,
    }
}

/// GetParametersForImport, then a page with the two downloads and the
/// upload form.
pub(super) async fn import_parameters(
    ctx: &Ctx<'_>,
    id: &str,
    form: &[(String, String)],
) -> Result<(super::ImportParameters, Response), Response> {
    let req = json!({
        "KeyId": id,
        "WrappingAlgorithm": field(form, "wrapping_algorithm"),
        "WrappingKeySpec": field(form, "wrapping_key_spec"),
    });
    let answer = match ctx.call(O::GetParametersForImport, req).await {
        Ok(a) => a,
        Err(e) => return Err(key_page(ctx, id, Notice::Failed("GetParametersForImport failed".into(), e), None).await),
    };
    let Some(params) = super::import_parameters_of(id, &answer) else {
        return Err(error_page(
            ctx,
            "Import key material",
            "Keys",
            &ApiError::internal("import parameters not readable".into()),
        ));
    };
    Ok((params, html(StatusCode::OK, import_page(ctx, id, when(answer.get("ParametersValidTo")).as_str(), None))))
}

fn import_page(ctx: &Ctx<'_>, id: &str, valid_to: &str, error: Option<&ApiError>) -> Markup {
    layout(
        Some(ctx),
        "Import key material",
        "Keys",
        html! {
            h1 { "Import key material into " code { (id) } }
            @if let Some(e) = error { (alert(e)) }
            @if !valid_to.is_empty() {
                p { "Download both files (valid until " (valid_to) "):" }
                ul {
                    li { a href={ "/console/keys/" (id) "/import/wrapping-key.der" } download { "Wrapping public key (DER)" } }
                    li { a href={ "/console/keys/" (id) "/import/import-token.bin" } download { "Import token" } }
                }
            }
            form.stack method="post" action={ "/console/keys/" (id) "/import" } enctype="multipart/form-data" {
                (csrf(ctx))
                label for="import_token" { "Import token file" }
                input #import_token type="file" name="import_token" required;
                label for="material" { "Encrypted key material file" }
                input #material type="file" name="material" required;
                (select("expiration", "Expiration", &["KEY_MATERIAL_DOES_NOT_EXPIRE", "KEY_MATERIAL_EXPIRES"], "KEY_MATERIAL_DOES_NOT_EXPIRE", None))
                label for="valid_to" { "Expires at (UTC, when it expires)" }
                input #valid_to type="datetime-local" name="valid_to";
                button type="submit" { "Import key material" }
            }
            p { a href={ "/console/keys/" (id) } { "Back to the key" } }
        },
    )
}

/// ImportKeyMaterial from the uploaded token and wrapped material.
pub(super) async fn import_material(ctx: &Ctx<'_>, id: &str, form: &[(String, String)]) -> Response {
    let valid_to = match field(form, "valid_to") {
        "" => Value::Null,
        t => match datetime_local(t) {
            Some(secs) => json!(secs),
            None => json!(t),
        },
    };
    let req = body(&[
        ("KeyId", json!(id)),
        ("ImportToken", s(field(form, "import_token"))),
        ("EncryptedKeyMaterial", s(field(form, "material"))),
        ("ExpirationModel", s(field(form, "expiration"))),
        ("ValidTo", valid_to),
    ]);
    match ctx.call(O::ImportKeyMaterial, req).await {
        Ok(_) => redirect(&format!("/console/keys/{id}?done=import")),
        Err(e) => html(status_of(&e), import_page(ctx, id, "", Some(&e))),
    }
}

/// An `<input type="datetime-local">` value, read as UTC, in epoch seconds.
fn datetime_local(v: &str) -> Option<i64> {
    let with_seconds = if v.len() == 16 { format!("{v}:00") } else { v.to_owned() };
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(&with_seconds, &fmt).ok().map(|t| t.assume_utc().unix_timestamp())
}

// ---------------------------------------------------------------- audit

/// The trail of the account: LookupEvents by one attribute (key, else
/// principal, else event name), the other filters applied to its pages.
pub(super) async fn audit(ctx: &Ctx<'_>, q: &[(String, String)]) -> Response {
    let (key, principal, event) = (field(q, "key").trim(), field(q, "principal").trim(), field(q, "event").trim());
    let (outcome, from, until) = (field(q, "outcome"), field(q, "from"), field(q, "until"));
    // A key given by id or alias: its ARN, the resource name events keep.
    let key_arn = match key {
        "" => String::new(),
        k if k.starts_with("arn:") => k.to_owned(),
        k => match ctx.call(O::DescribeKey, json!({"KeyId": k})).await {
            Ok(a) => a.pointer("/KeyMetadata/Arn").and_then(Value::as_str).unwrap_or(k).to_owned(),
            Err(e) => return error_page(ctx, "Audit", "Audit", &e),
        },
    };
    let attribute = match (key_arn.as_str(), principal, event) {
        ("", "", "") => None,
        ("", "", e) => Some(("EventName", e)),
        ("", p, _) => Some(("Username", p)),
        (k, _, _) => Some(("ResourceName", k)),
    };
    let mut rows: Vec<Value> = Vec::new();
    let mut token = field(q, "next").to_owned();
    let mut next = None;
    for _ in 0..10 {
        let req = body(&[
            (
                "LookupAttributes",
                attribute.map_or(Value::Null, |(k, v)| json!([{"AttributeKey": k, "AttributeValue": v}])),
            ),
            ("StartTime", datetime_local(from).map_or(Value::Null, |t| json!(t))),
            ("EndTime", datetime_local(until).map_or(Value::Null, |t| json!(t))),
            ("MaxResults", json!(50)),
            ("NextToken", s(&token)),
        ]);
        let answer = match ctx.call(O::LookupEvents, req).await {
            Ok(a) => a,
            Err(e) => return error_page(ctx, "Audit", "Audit", &e),
        };
        for e in list(&answer, "Events") {
            let record: Value = serde_json::from_str(text(e, "CloudTrailEvent")).unwrap_or(Value::Null);
            let error = record.get("errorCode").and_then(Value::as_str);
            let keep = (event.is_empty() || text(e, "EventName") == event)
                && (principal.is_empty() || text(e, "Username") == principal)
                && match outcome {
                    "success" => error.is_none(),
                    "error" => error.is_some(),
                    _ => true,
                };
            if keep {
                rows.push(record);
            }
        }
        match answer.get("NextToken").and_then(Value::as_str) {
            Some(t) => token = t.to_owned(),
            None => break,
        }
        if rows.len() >= PAGE {
            next = Some(token.clone());
            break;
        }
        next = Some(token.clone());
    }
    let filters = [
        ("key", key),
        ("principal", principal),
        ("event", event),
        ("outcome", outcome),
        ("from", from),
        ("until", until),
    ];
    let next_link = next.map(|t| page_link("/console/audit", &filters, ("next", &t)));
    let page = html! {
        h1 { "Audit" }
        form.filters method="get" action="/console/audit" aria-label="Filter events" {
            div { (text_input("key", "Key", key)) }
            div { (text_input("principal", "Principal", principal)) }
            div { (text_input("event", "Event name", event)) }
            div { (select("outcome", "Outcome", &["all", "success", "error"], if outcome.is_empty() { "all" } else { outcome }, None)) }
            div { label for="from" { "From (UTC)" } input #from name="from" type="datetime-local" value=(from); }
            div { label for="until" { "Until (UTC)" } input #until name="until" type="datetime-local" value=(until); }
            div { button type="submit" { "Filter" } }
        }
        p.hint { "Principal: the user name events record (root for an account's root). Events of the last second may still be on their way to the index; reload to see them." }
        div.scroll {
            table.events {
                caption { "Events, newest first" }
                thead { tr { th scope="col" { "Time" } th scope="col" { "Event" } th scope="col" { "Principal" } th scope="col" { "Outcome" } th scope="col" { "Details" } } }
                tbody {
                    @for r in &rows {
                        tr {
                            td { (text(r, "eventTime")) }
                            td { (text(r, "eventName")) }
                            td { (r.pointer("/userIdentity/arn").and_then(Value::as_str).unwrap_or("")) }
                            td { (r.get("errorCode").and_then(Value::as_str).unwrap_or("OK")) }
                            td { details { summary { "Event JSON" } pre { (serde_json::to_string_pretty(r).unwrap_or_default()) } } }
                        }
                    }
                    @if rows.is_empty() { tr { td colspan="5" { "No events." } } }
                }
            }
        }
        @if let Some(link) = next_link { p { a href=(link) { "Older events" } } }
        section aria-labelledby="integrity" {
            h2 #integrity { "Trail integrity" }
            p { "Checks every record's hash chain and the signed checkpoints (and the digest files, where this node keeps them). Operators only." }
            form method="post" action="/console/audit/verify" { (csrf(ctx)) button type="submit" { "Verify trail" } }
        }
    };
    html(StatusCode::OK, layout(Some(ctx), "Audit", "Audit", page))
}

/// VerifyAuditTrail, and its report.
pub(super) async fn verify_trail(ctx: &Ctx<'_>) -> Response {
    let report = match ctx.call(O::VerifyAuditTrail, json!({})).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx, "Trail integrity", "Audit", &e),
    };
    let problem = report.get("Problem").and_then(Value::as_str);
    let page = html! {
        h1 { "Trail integrity" }
        @match problem {
            Some(p) => { div.alert role="alert" { strong { "The trail does not verify: " } (p) } }
            None => { p.done role="status" { "The trail verifies: every record chains to the next and matches the signed checkpoints." } }
        }
        @if let Some(c) = report.get("LastCheckpoint") {
            p { "Newest checkpoint: "
                @if let Some(n) = c.get("Number").and_then(Value::as_u64) { "number " (n) ", " }
                "covering record " (c.get("Seq").and_then(Value::as_u64).unwrap_or(0))
                " of chain " (c.get("Chain").and_then(Value::as_u64).unwrap_or(0))
                ", signed " (when(c.get("Created"))) "." }
        } @else {
            p { "No checkpoint has been signed yet." }
        }
        dl.meta {
            @for (name, label) in [("Records", "Records"), ("FirstSeq", "First record"), ("LastSeq", "Last record"), ("Checkpoints", "Checkpoints"), ("DigestFiles", "Digest files"), ("LastHash", "Last hash"), ("PublicKey", "Checkpoint public key")] {
                @if let Some(v) = report.get(name) {
                    dt { (label) } dd { code { (v.as_str().map_or_else(|| v.to_string(), str::to_owned)) } }
                }
            }
        }
        p { a href="/console/audit" { "Back to the audit trail" } }
    };
    html(
        if problem.is_some() { StatusCode::CONFLICT } else { StatusCode::OK },
        layout(Some(ctx), "Trail integrity", "Audit", page),
    )
}

// ---------------------------------------------------------------- usage

/// Request counts by operation and key over a period (TrentAdmin.GetUsage),
/// drawn as a chart, and the key-months of the period.
pub(super) async fn usage(ctx: &Ctx<'_>, q: &[(String, String)]) -> Response {
    let period = match field(q, "period") {
        "" => "24h",
        p => p,
    };
    let (span_ms, granularity, bucket_ms) = match period {
        "7d" => (7 * 86_400_000, "HOUR", 3_600_000),
        "30d" => (30 * 86_400_000, "DAY", 86_400_000),
        _ => (86_400_000, "HOUR", 3_600_000),
    };
    let now = ctx.now();
    // The chart ends with the bucket that holds now.
    let until = (now / bucket_ms + 1) * bucket_ms;
    let since = until - span_ms;
    let req = json!({"Since": since / 1000, "Until": until / 1000, "Granularity": granularity});
    let report = match ctx.call(O::GetUsage, req).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx, "Usage", "Usage", &e),
    };
    // Totals count each call once (per operation); Requests once per key
    // it named.
    let (totals, per_key) = (list(&report, "Totals"), list(&report, "Requests"));
    let bucket_of = |r: &Value| {
        r.get("BucketStart").and_then(Value::as_f64).map_or(0, |s| {
            #[allow(clippy::cast_possible_truncation)]
            let ms = (s * 1000.0) as i64;
            ms
        })
    };
    let count = |r: &Value, m: &str| r.get(m).and_then(Value::as_u64).unwrap_or(0);
    let mut by_op: HashMap<String, (u64, u64)> = HashMap::new();
    let mut by_key: HashMap<String, u64> = HashMap::new();
    let buckets = usize::try_from((until - since) / bucket_ms).unwrap_or(0);
    let mut series: HashMap<String, Vec<u64>> = HashMap::new();
    for r in per_key {
        if let Some(k) = r.get("KeyArn").and_then(Value::as_str) {
            *by_key.entry(k.to_owned()).or_default() += count(r, "Requests");
        }
    }
    // One key's usage (`key=ARN`): its rows of Requests; the account's:
    // Totals.
    let key = field(q, "key").trim();
    let counted: Vec<&Value> = match key {
        "" => totals.iter().collect(),
        k => per_key.iter().filter(|r| r.get("KeyArn").and_then(Value::as_str) == Some(k)).collect(),
    };
    for r in counted {
        let op = text(r, "Operation").to_owned();
        let e = by_op.entry(op.clone()).or_default();
        e.0 += count(r, "Requests");
        e.1 += count(r, "Errors");
        let i = usize::try_from((bucket_of(r) - since) / bucket_ms).unwrap_or(usize::MAX);
        if i < buckets {
            series.entry(op).or_insert_with(|| vec![0; buckets])[i] += count(r, "Requests");
        }
    }
    let mut ops: Vec<(String, (u64, u64))> = by_op.into_iter().collect();
    ops.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    let mut keys: Vec<(String, u64)> = by_key.into_iter().collect();
    keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    // The five busiest operations are drawn; the rest are in the table.
    let drawn: Vec<(&str, &[u64])> =
        ops.iter().take(5).filter_map(|(op, _)| series.get(op).map(|s| (op.as_str(), s.as_slice()))).collect();
    let key_months = list(&report, "Keys");
    let total_months: f64 = key_months.iter().filter_map(|k| k.get("KeyMonths").and_then(Value::as_f64)).sum();
    let page = html! {
        h1 { "Usage" }
        form.filters method="get" action="/console/usage" aria-label="Usage period" {
            div { (select("period", "Period", &["24h", "7d", "30d"], period, None)) }
            @if !key.is_empty() { input type="hidden" name="key" value=(key); }
            div { button type="submit" { "Show" } }
        }
        @if key.is_empty() {
            p.hint { "Requests of account " (ctx.session().account.as_str()) " in every Region"
                ", from the audit trail (every call, allowed or refused, the console's own included), by "
                (if bucket_ms == 3_600_000 { "hour" } else { "day" }) ", UTC." }
        } @else {
            p.hint { "Requests that named the key " code { (key) } ", by "
                (if bucket_ms == 3_600_000 { "hour" } else { "day" }) ", UTC. "
                a href={ "/console/usage?" (query_string(&[("period", period)])) } { "Usage of the whole account" } }
        }
        (chart(&drawn, since, bucket_ms))
        h2 { "Requests by operation" }
        div.scroll { table #usage-by-operation {
            caption { "Requests by operation in the period" }
            thead { tr { th scope="col" { "Operation" } th scope="col" { "Requests" } th scope="col" { "Errors" } } }
            tbody {
                @for (op, (n, errors)) in &ops { tr { td { (op) } td.num { (n) } td.num { (errors) } } }
                @if ops.is_empty() { tr { td colspan="3" { "No requests." } } }
            }
        } }
        h2 { "Requests by key" }
        div.scroll { table #usage-by-key {
            caption { "Requests naming each key in the period" }
            thead { tr { th scope="col" { "Key" } th scope="col" { "Requests" } } }
            tbody {
                @for (k, n) in &keys {
                    tr {
                        td { a href={ "/console/usage?" (query_string(&[("period", period), ("key", k)])) } { code { (k) } } }
                        td.num { (n) }
                    }
                }
                @if keys.is_empty() { tr { td colspan="2" { "No requests named a key." } } }
            }
        } }
        h2 { "Key-months" }
        p { "Keys that existed in the period count by the hour (730 hours a month): " strong { (format!("{total_months:.4}")) } " key-months." }
        div.scroll { table #key-months {
            caption { "Key-months of each key in the period" }
            thead { tr { th scope="col" { "Key" } th scope="col" { "Hours" } th scope="col" { "Key-months" } } }
            tbody {
                @for k in key_months {
                    @let months = k.get("KeyMonths").and_then(Value::as_f64).unwrap_or(0.0);
                    tr { td { code { (text(k, "KeyArn")) } } td.num { (format!("{:.2}", months * 730.0)) } td.num { (format!("{months:.4}")) } }
                }
                @if key_months.is_empty() { tr { td colspan="3" { "No keys in the period." } } }
            }
        } }
    };
    html(StatusCode::OK, layout(Some(ctx), "Usage", "Usage", page))
}

/// Colours of the chart's series: distinguishable, each at least 3:1
/// against the white background.
const COLOURS: [&str; 5] = ["#1f5fa8", "#b3401a", "#2e7d32", "#6a3d9a", "#8a6d00"];

/// A line chart of requests per bucket, one line per series, as SVG (no
/// script, no external asset), with a text equivalent in its label.
fn chart(series: &[(&str, &[u64])], since: i64, bucket_ms: i64) -> Markup {
    let (w, h, left, bottom) = (720.0_f64, 240.0_f64, 48.0_f64, 28.0_f64);
    let buckets = series.first().map_or(0, |(_, s)| s.len());
    let max = series.iter().flat_map(|(_, s)| s.iter().copied()).max().unwrap_or(0).max(1);
    #[allow(clippy::cast_precision_loss)] // small counts
    let x = |i: usize| left + (w - left - 8.0) * (i as f64) / (buckets.saturating_sub(1).max(1) as f64);
    #[allow(clippy::cast_precision_loss)]
    let y = |v: u64| 8.0 + (h - bottom - 8.0) * (1.0 - v as f64 / max as f64);
    let total: u64 = series.iter().flat_map(|(_, s)| s.iter()).sum();
    let label = format!(
        "Requests per {} for the {} busiest operations: {}. Highest {} in one {}.",
        if bucket_ms == 3_600_000 { "hour" } else { "day" },
        series.len(),
        series.iter().map(|(op, s)| format!("{op} {}", s.iter().sum::<u64>())).collect::<Vec<_>>().join(", "),
        max,
        if bucket_ms == 3_600_000 { "hour" } else { "day" },
    );
    let start = time::OffsetDateTime::from_unix_timestamp(since / 1000).ok();
    let fmt = time::macros::format_description!("[month]-[day] [hour]:00");
    let first_label = start.and_then(|t| t.format(&fmt).ok()).unwrap_or_default();
    html! {
        figure.chart {
            svg role="img" aria-label=(label) viewBox={ "0 0 " (w) " " (h) } width="100%" preserveAspectRatio="xMidYMid meet" {
                // Closed explicitly: inside <svg> a start tag without its
                // end would take the next elements as its children.
                line x1=(left) y1=(h - bottom) x2=(w - 8.0) y2=(h - bottom) stroke="#333" {}
                line x1=(left) y1="8" x2=(left) y2=(h - bottom) stroke="#333" {}
                text x=(left - 6.0) y="16" text-anchor="end" font-size="12" fill="#222" { (max) }
                text x=(left - 6.0) y=(h - bottom) text-anchor="end" font-size="12" fill="#222" { "0" }
                text x=(left) y=(h - 8.0) font-size="12" fill="#222" { (first_label) " UTC" }
                text x=(w - 8.0) y=(h - 8.0) text-anchor="end" font-size="12" fill="#222" { "now" }
                @for (i, (_, s)) in series.iter().enumerate() {
                    polyline fill="none" stroke=(COLOURS[i % COLOURS.len()]) stroke-width="2"
                        points=(s.iter().enumerate().map(|(j, v)| format!("{:.1},{:.1}", x(j), y(*v))).collect::<Vec<_>>().join(" ")) {}
                }
            }
            figcaption {
                @if total == 0 { "No requests in the period." }
                ul.legend {
                    @for (i, (op, s)) in series.iter().enumerate() {
                        li { span.swatch data-colour=(i % COLOURS.len()) aria-hidden="true" {} (op) ": " (s.iter().sum::<u64>()) }
                    }
                }
            }
        }
    }
}
