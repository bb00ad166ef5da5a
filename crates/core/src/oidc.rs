//! OpenID Connect web identity tokens, for AssumeRoleWithWebIdentity.
//!
//! A token is a compact JWS (RFC 7515) whose payload is the issuer's
//! claims (RFC 7519): `iss`, `sub`, `aud`, `exp`, and optionally `nbf` and
//! `iat`. Trent checks it as AWS STS does for an IAM OIDC provider: the
//! issuer is a provider registered in the role's account, the audience is
//! one of the provider's client ids, the signature verifies under a key of
//! the issuer's JWKS (RS256 or ES256, [`trent_crypto::jws`]), and the token
//! has not expired.
//!
//! Trent does not fetch the JWKS from the issuer (its
//! `/.well-known/openid-configuration`): a key service should not depend
//! on reaching an identity provider, and a deployment may have no route to
//! it. The operator gives each issuer's JWKS in the configuration
//! (`oidc_jwks`), as a file (read again when it changes, so that a rotated
//! key set needs no restart; Kubernetes: `kubectl get --raw
//! /openid/v1/jwks`) or inline.

use crate::error::KmsError;
use base64::Engine as _;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use trent_crypto::jws::{self, JwsAlgorithm, JwsPublicKey};

/// Clock skew allowed on `nbf` and `iat` (seconds); `exp` is exact, as
/// STS's "Token expired" message shows.
const SKEW_SECONDS: i64 = 300;

/// Where an issuer's JWKS comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwksSource {
    /// A file holding the JWKS JSON; read again when its modification time
    /// changes.
    File(PathBuf),
    /// The JWKS JSON itself.
    Inline(String),
}

impl JwksSource {
    /// A configuration value: inline JSON when it starts with `{`, else a
    /// file path.
    pub fn from_config(value: &str) -> Self {
        if value.trim_start().starts_with('{') {
            JwksSource::Inline(value.to_owned())
        } else {
            JwksSource::File(PathBuf::from(value))
        }
    }
}

/// An issuer URL as IAM names an OIDC provider: without `https://`, the
/// host in lower case, without a trailing `/`. `None` when `url` is not an
/// `https://` URL with a host (or has a query or fragment, which an issuer
/// never has).
pub fn provider_url(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['?', '#']) || rest.chars().any(char::is_whitespace) {
        return None;
    }
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if host.is_empty() || host.contains('@') {
        return None;
    }
    Some(format!("{}{path}", host.to_ascii_lowercase()))
}

/// One key of a JWKS.
#[derive(Clone, Debug)]
struct Jwk {
    kid: Option<String>,
    key: JwsPublicKey,
}

fn b64url(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

/// The signing keys of a JWKS document (`{"keys": [...]}`): RSA keys and
/// P-256 EC keys; keys of other types, or marked for encryption
/// (`"use": "enc"`), are skipped as RFC 7517 lets a verifier do.
fn parse_jwks(json: &str) -> Result<Vec<Jwk>, String> {
    let doc: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let keys = doc.get("keys").and_then(|k| k.as_array()).ok_or("no \"keys\" array")?;
    let mut out = Vec::new();
    for k in keys {
        let field = |name: &str| k.get(name).and_then(|v| v.as_str());
        if field("use").is_some_and(|u| u != "sig") {
            continue;
        }
        let key = match (field("kty"), field("crv")) {
            (Some("RSA"), _) => match (field("n").and_then(b64url), field("e").and_then(b64url)) {
                (Some(n), Some(e)) => JwsPublicKey::Rsa { n, e },
                _ => return Err("an RSA key without n and e in base64url".into()),
            },
            (Some("EC"), Some("P-256")) => match (field("x").and_then(b64url), field("y").and_then(b64url)) {
                (Some(x), Some(y)) if x.len() == 32 && y.len() == 32 => JwsPublicKey::P256 { x, y },
                _ => return Err("a P-256 key without 32-byte x and y in base64url".into()),
            },
            _ => continue,
        };
        out.push(Jwk { kid: field("kid").map(str::to_owned), key });
    }
    Ok(out)
}

/// A web identity token decoded, its signature not yet checked.
#[derive(Debug)]
pub struct WebIdentityToken {
    alg: Option<JwsAlgorithm>,
    alg_name: String,
    kid: Option<String>,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
    /// `iss`.
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    /// `aud`: one value, or several.
    pub audiences: Vec<String>,
    /// `exp`, epoch seconds.
    pub expires: i64,
    /// `nbf`, epoch seconds.
    pub not_before: Option<i64>,
    /// `iat`, epoch seconds.
    pub issued_at: Option<i64>,
    /// Whether the token carries session tags (the
    /// `https://aws.amazon.com/tags` claim), which Trent does not apply.
    pub session_tags: bool,
}

fn invalid(message: impl Into<String>) -> KmsError {
    KmsError::WebIdentity(trent_api::ErrorCode::InvalidIdentityToken, message.into())
}

impl WebIdentityToken {
    /// Decodes a compact JWS: three base64url parts, a JSON header naming
    /// `alg` (and perhaps `kid`), JSON claims with `iss`, `sub`, `aud` and
    /// `exp`. Refused (`InvalidIdentityToken`) otherwise.
    pub fn decode(token: &str) -> Result<Self, KmsError> {
        let not_jwt = || invalid("The web identity token is not a valid JWT.");
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(not_jwt());
        };
        let header: serde_json::Value = b64url(h).and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(not_jwt)?;
        let claims: serde_json::Value = b64url(p).and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(not_jwt)?;
        let signature = b64url(s).ok_or_else(not_jwt)?;
        let alg_name = header.get("alg").and_then(|a| a.as_str()).ok_or_else(not_jwt)?.to_owned();
        let string = |name: &str| claims.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        let number = |name: &str| claims.get(name).and_then(serde_json::Value::as_f64).map(|f| f as i64);
        let audiences = match claims.get("aud") {
            Some(serde_json::Value::String(a)) => vec![a.clone()],
            Some(serde_json::Value::Array(list)) => list.iter().filter_map(|a| a.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        };
        let missing = |name: &str| invalid(format!("The web identity token has no '{name}' claim."));
        Ok(WebIdentityToken {
            alg: JwsAlgorithm::named(&alg_name),
            kid: header.get("kid").and_then(|k| k.as_str()).map(str::to_owned),
            alg_name,
            signing_input: token.as_bytes()[..h.len() + 1 + p.len()].to_vec(),
            signature,
            issuer: string("iss").ok_or_else(|| missing("iss"))?,
            subject: string("sub").ok_or_else(|| missing("sub"))?,
            audiences: if audiences.is_empty() { return Err(missing("aud")) } else { audiences },
            expires: number("exp").ok_or_else(|| missing("exp"))?,
            not_before: number("nbf"),
            issued_at: number("iat"),
            session_tags: claims.get("https://aws.amazon.com/tags").is_some(),
        })
    }

    /// Checks the times against `now` (epoch seconds): expired is
    /// `ExpiredTokenException` with STS's message, not yet valid (or issued
    /// in the future) `InvalidIdentityToken`.
    pub fn check_times(&self, now: i64) -> Result<(), KmsError> {
        if now >= self.expires {
            return Err(KmsError::WebIdentity(
                trent_api::ErrorCode::ExpiredIdentityToken,
                format!(
                    "Token expired: current date/time {now} must be before the expiration date/time {}",
                    self.expires
                ),
            ));
        }
        if self.not_before.is_some_and(|nbf| nbf > now + SKEW_SECONDS)
            || self.issued_at.is_some_and(|iat| iat > now + SKEW_SECONDS)
        {
            return Err(invalid("The web identity token is not valid yet."));
        }
        Ok(())
    }

    /// Whether the signature verifies under a key of `jwks`: the key of
    /// the token's `kid` when it names one, else every key of the
    /// algorithm's type. `none` and every algorithm but RS256 and ES256
    /// verify nothing.
    fn verifies(&self, jwks: &[Jwk]) -> bool {
        let Some(alg) = self.alg else { return false };
        jwks.iter()
            .filter(|k| k.key.fits(alg))
            .filter(|k| self.kid.is_none() || k.kid == self.kid)
            .any(|k| jws::verify(alg, &k.key, &self.signing_input, &self.signature))
    }

    /// The algorithm the header named.
    pub fn algorithm(&self) -> &str {
        &self.alg_name
    }
}

/// The configured JWKS of each issuer, by provider URL ([`provider_url`]),
/// with the parsed keys of each cached (a file's while its modification
/// time stays).
#[derive(Default)]
pub struct OidcKeys {
    sources: BTreeMap<String, JwksSource>,
    cache: Mutex<HashMap<String, CachedJwks>>,
}

/// Parsed keys, with the modification time of the file they came from.
type CachedJwks = (Option<std::time::SystemTime>, Arc<Vec<Jwk>>);

impl std::fmt::Debug for OidcKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcKeys").field("issuers", &self.sources.keys().collect::<Vec<_>>()).finish()
    }
}

impl OidcKeys {
    /// The key sources, by issuer URL as configured (`https://…`). An
    /// issuer that is not an `https://` URL is refused, naming it.
    pub fn new(sources: &BTreeMap<String, JwksSource>) -> Result<Self, String> {
        let mut by_url = BTreeMap::new();
        for (issuer, source) in sources {
            let url = provider_url(issuer).ok_or_else(|| format!("oidc_jwks: {issuer} is not an https:// URL"))?;
            by_url.insert(url, source.clone());
        }
        Ok(OidcKeys { sources: by_url, cache: Mutex::default() })
    }

    /// The keys of the issuer whose provider URL is `url`; `None` when none
    /// are configured or they cannot be read (logged, without contents).
    fn keys(&self, url: &str) -> Option<Arc<Vec<Jwk>>> {
        let source = self.sources.get(url)?;
        let mtime = match source {
            JwksSource::File(path) => std::fs::metadata(path).and_then(|m| m.modified()).ok(),
            JwksSource::Inline(_) => None,
        };
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, keys)) = cache.get(url) {
            if *at == mtime {
                return Some(keys.clone());
            }
        }
        let text = match source {
            // A JWKS is a few kilobytes; read under the lock so that one
            // change is parsed once.
            JwksSource::File(path) => match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    tracing::warn!(issuer = url, path = %path.display(), error = %e, "cannot read the issuer's JWKS");
                    return None;
                }
            },
            JwksSource::Inline(t) => t.clone(),
        };
        match parse_jwks(&text) {
            Ok(keys) => {
                let keys = Arc::new(keys);
                cache.insert(url.to_owned(), (mtime, keys.clone()));
                Some(keys)
            }
            Err(e) => {
                tracing::warn!(issuer = url, error = %e, "the issuer's JWKS does not parse");
                None
            }
        }
    }

    /// Checks `token`'s signature with the keys of the provider at `url`:
    /// `InvalidIdentityToken` when no keys are configured for it, or none
    /// verifies.
    pub fn check_signature(&self, url: &str, token: &WebIdentityToken) -> Result<(), KmsError> {
        let Some(keys) = self.keys(url) else {
            return Err(invalid(
                "Couldn't retrieve verification key from your identity provider: no JWKS is configured for it \
                 (oidc_jwks).",
            ));
        };
        if token.alg.is_none() {
            return Err(invalid(format!("The web identity token's algorithm {} is not supported.", token.alg_name)));
        }
        if !token.verifies(&keys) {
            return Err(invalid("The web identity token's signature does not verify."));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn provider_urls_are_iams() {
        assert_eq!(provider_url("https://OIDC.Example.com/id/ABC/").as_deref(), Some("oidc.example.com/id/ABC"));
        assert_eq!(provider_url("https://kubernetes.default.svc").as_deref(), Some("kubernetes.default.svc"));
        assert_eq!(provider_url("https://h:8443/p").as_deref(), Some("h:8443/p"));
        for bad in ["http://h", "h", "https://", "https:///p", "https://h?x=1", "https://u@h", "https://h/a b"] {
            assert_eq!(provider_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn tokens_decode_and_malformed_ones_are_invalid_identity_tokens() {
        let enc = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let h = enc(serde_json::json!({"alg": "RS256", "kid": "k1"}));
        let p = enc(serde_json::json!({"iss": "https://i", "sub": "s", "aud": ["a", "b"], "exp": 100, "iat": 50}));
        let t = WebIdentityToken::decode(&format!("{h}.{p}.AAAA")).unwrap();
        assert_eq!((t.issuer.as_str(), t.subject.as_str(), t.expires), ("https://i", "s", 100));
        assert_eq!(t.audiences, ["a", "b"]);
        assert_eq!(t.kid.as_deref(), Some("k1"));
        assert!(t.check_times(99).is_ok());
        assert_eq!(t.check_times(100).unwrap_err().code(), trent_api::ErrorCode::ExpiredIdentityToken);
        assert_eq!(t.check_times(-300).unwrap_err().code(), trent_api::ErrorCode::InvalidIdentityToken);
        let no_sub = enc(serde_json::json!({"iss": "https://i", "aud": "a", "exp": 100}));
        for bad in [
            "x".to_owned(),
            format!("{h}.{p}"),
            format!("{h}.{p}.AAAA.x"),
            format!("{h}.!!.AAAA"),
            format!("{h}.{no_sub}.AAAA"),
        ] {
            let e = WebIdentityToken::decode(&bad).unwrap_err();
            assert_eq!(e.code(), trent_api::ErrorCode::InvalidIdentityToken, "{bad}");
        }
    }

    #[test]
    fn jwks_keep_signing_keys_of_known_types() {
        let keys = parse_jwks(
            r#"{"keys": [
                {"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"},
                {"kty": "EC", "crv": "P-256", "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                 "y": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
                {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
                {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
                {"kty": "oct", "k": "AA"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].kid.as_deref(), Some("r"));
        assert!(parse_jwks("{}").is_err());
        assert!(parse_jwks(r#"{"keys": [{"kty": "RSA", "n": "AQAB"}]}"#).is_err());
    }
}
