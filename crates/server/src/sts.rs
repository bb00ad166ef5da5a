//! STS over the Query protocol (API version 2011-06-15): GetCallerIdentity,
//! AssumeRole and GetSessionToken as `aws sts`, boto3's `sts` client and
//! `aws-sdk-sts` send them. The core does the work (`trent_core::sts`);
//! this module reads the parameters with the service model's constraints
//! and writes the XML answers and STS's error codes.

use crate::http::ApiError;
use trent_api::iam;
use trent_api::query::{self, iso8601, Kind, Params, WireError, Xml};
use trent_api::{ErrorCode, Operation, QueryProtocol};
use trent_core::audit::Identity;
use trent_core::caller::CallAudit;
use trent_core::sts::{AssumeRoleInput, Credentials, WebIdentityInput};
use trent_core::{Caller, Kms};

const TAGS: Kind = Kind::Structs(&["Key", "Value"]);
const POLICY_ARNS: Kind = Kind::Structs(&["arn"]);

/// The request members of STS operation `op` Trent reads; `None` when `op`
/// is not one of STS's. (Also what an audit event's `requestParameters`
/// keeps.)
pub(crate) fn members(op: Operation) -> Option<&'static [(&'static str, Kind)]> {
    Some(match op {
        Operation::GetCallerIdentity => &[],
        Operation::GetSessionToken => &[("DurationSeconds", Kind::Str)],
        Operation::AssumeRole => &[
            ("RoleArn", Kind::Str),
            ("RoleSessionName", Kind::Str),
            ("DurationSeconds", Kind::Str),
            ("Policy", Kind::Str),
            ("PolicyArns", POLICY_ARNS),
            ("Tags", TAGS),
            ("ExternalId", Kind::Str),
            ("SourceIdentity", Kind::Str),
        ],
        // Never the token: it is a credential (CloudTrail leaves it out too).
        Operation::AssumeRoleWithWebIdentity => &[
            ("RoleArn", Kind::Str),
            ("RoleSessionName", Kind::Str),
            ("DurationSeconds", Kind::Str),
            ("Policy", Kind::Str),
            ("PolicyArns", POLICY_ARNS),
            ("ProviderId", Kind::Str),
        ],
        _ => return None,
    })
}

/// STS's answer for a Trent error code: IAM's, but for the core's semantic
/// refusals, which STS calls `ValidationError`.
pub(crate) fn wire_error(code: ErrorCode) -> WireError {
    match code {
        ErrorCode::Validation => iam::wire_error(ErrorCode::ValidationError),
        other => iam::wire_error(other),
    }
}

fn refuse(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::ValidationError, message)
}

fn required<'a>(params: &'a Params, name: &str, member: &str) -> Result<&'a str, ApiError> {
    params.get(name).ok_or_else(|| {
        refuse(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

fn duration(params: &Params) -> Result<Option<u32>, ApiError> {
    params
        .get("DurationSeconds")
        .map(|d| {
            d.parse::<u32>().map_err(|_| {
                refuse(format!(
                    "1 validation error detected: Value '{d}' at 'durationSeconds' failed to satisfy constraint: \
                     Member must be a number"
                ))
            })
        })
        .transpose()
}

/// Members of the model Trent does not build yet: refused, never ignored.
fn refuse_unbuilt(params: &Params, names: &[&str]) -> Result<(), ApiError> {
    for n in names {
        if params.get(&format!("{n}.member.1")).is_some()
            || params.get(&format!("{n}.member.1.arn")).is_some()
            || params.get(n).is_some()
        {
            return Err(refuse(format!("Trent does not support {n} yet.")));
        }
    }
    Ok(())
}

/// The identity an AssumeRoleWithWebIdentity request claims, for its audit
/// event: the role's account and the token's issuer, audience and subject,
/// as the token says (verified only if the call succeeds), or
/// unauthenticated when the request does not name them.
pub(crate) fn claimed_web_identity(params: &Params) -> Identity {
    let unknown = Identity::Unauthenticated { access_key_id: None };
    let account = params
        .get("RoleArn")
        .and_then(|arn| arn.strip_prefix("arn:aws:iam::"))
        .and_then(|rest| rest.split(':').next())
        .and_then(trent_api::ids::AccountId::parse);
    let token = params.get("WebIdentityToken").and_then(|t| trent_core::oidc::WebIdentityToken::decode(t).ok());
    match (account, token) {
        (Some(account), Some(t)) => {
            // Unverified, from anyone: bounded, and no control character
            // reaches the request log.
            let clip = |s: &str| s.chars().filter(|c| !c.is_control()).take(256).collect::<String>();
            Identity::WebIdentity {
                provider: format!(
                    "arn:aws:iam::{}:oidc-provider/{}",
                    account.as_str(),
                    trent_core::oidc::provider_url(&t.issuer).map_or_else(|| clip(&t.issuer), |u| clip(&u))
                ),
                account: account.as_str().to_owned(),
                audience: t.audiences.first().map(|a| clip(a)).unwrap_or_default(),
                subject: clip(&t.subject),
            }
        }
        _ => unknown,
    }
}

/// Runs AssumeRoleWithWebIdentity, the unsigned STS action (the token is
/// the credential), and writes its XML answer.
pub(crate) async fn serve_web_identity(
    kms: &Kms,
    audit: &CallAudit,
    params: &Params,
    protocol: &QueryProtocol,
    request_id: &str,
) -> Result<String, ApiError> {
    // Trent registers OIDC providers only: ProviderId names OAuth 2.0
    // providers (Amazon, Facebook), which it does not reach.
    refuse_unbuilt(params, &["ProviderId"])?;
    let input = WebIdentityInput {
        role_arn: required(params, "RoleArn", "roleArn")?.to_owned(),
        session_name: required(params, "RoleSessionName", "roleSessionName")?.to_owned(),
        token: zeroize::Zeroizing::new(required(params, "WebIdentityToken", "webIdentityToken")?.to_owned()),
        duration_seconds: duration(params)?,
        policy: params.get("Policy").map(str::to_owned),
        policy_arns: policy_arns(params)?,
    };
    let out = kms.assume_role_with_web_identity(audit, input).await.map_err(ApiError::from_kms)?;
    Ok(query::response(
        protocol,
        Operation::AssumeRoleWithWebIdentity.name(),
        request_id,
        Some(&|w: &mut Xml| {
            write_credentials(w, &out.assumed.credentials);
            w.text("SubjectFromWebIdentityToken", &out.subject);
            w.element("AssumedRoleUser", |w| {
                w.text("AssumedRoleId", &out.assumed.assumed_role_id);
                w.text("Arn", &out.assumed.arn);
            });
            if let Some(size) = out.assumed.packed_policy_size {
                w.text("PackedPolicySize", &size.to_string());
            }
            w.text("Provider", &out.provider);
            w.text("Audience", &out.audience);
        }),
    ))
}

/// `PolicyArns.member.N.arn`: the managed session policies, in order.
fn policy_arns(params: &Params) -> Result<Vec<String>, ApiError> {
    match params.structs("PolicyArns", &["arn"]) {
        Some(list) => list
            .into_iter()
            .map(|m| {
                m.get("arn")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
                    .ok_or_else(|| refuse("Each of PolicyArns must have an arn."))
            })
            .collect(),
        None => Ok(Vec::new()),
    }
}

fn write_credentials(w: &mut Xml, c: &Credentials) {
    w.element("Credentials", |w| {
        w.text("AccessKeyId", &c.access_key_id);
        w.text("SecretAccessKey", &c.secret_access_key);
        w.text("SessionToken", &c.session_token);
        w.text("Expiration", &iso8601(c.expiration));
    });
}

/// Runs an STS action on the core and writes its XML answer.
pub(crate) async fn serve(
    kms: &Kms,
    caller: &Caller,
    op: Operation,
    params: &Params,
    protocol: &QueryProtocol,
    request_id: &str,
) -> Result<String, ApiError> {
    let answer = |result: &dyn Fn(&mut Xml)| query::response(protocol, op.name(), request_id, Some(result));
    match op {
        Operation::GetCallerIdentity => {
            let who = kms.get_caller_identity(caller).await.map_err(ApiError::from_kms)?;
            Ok(answer(&|w| {
                w.text("Arn", &who.arn);
                w.text("UserId", &who.user_id);
                w.text("Account", &who.account);
            }))
        }
        Operation::GetSessionToken => {
            refuse_unbuilt(params, &["SerialNumber", "TokenCode"])?;
            let creds = kms.get_session_token(caller, duration(params)?).await.map_err(ApiError::from_kms)?;
            Ok(answer(&|w| write_credentials(w, &creds)))
        }
        Operation::AssumeRole => {
            refuse_unbuilt(params, &["TransitiveTagKeys", "SerialNumber", "TokenCode", "ProvidedContexts"])?;
            let tags = match params.structs("Tags", &["Key", "Value"]) {
                Some(list) => list
                    .into_iter()
                    .map(|m| {
                        let get = |k: &str| m.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                        match (get("Key"), get("Value")) {
                            (Some(k), Some(v)) => Ok((k, v)),
                            _ => Err(refuse("Each tag must have a Key and a Value.")),
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                None => Vec::new(),
            };
            let input = AssumeRoleInput {
                role_arn: required(params, "RoleArn", "roleArn")?.to_owned(),
                session_name: required(params, "RoleSessionName", "roleSessionName")?.to_owned(),
                duration_seconds: duration(params)?,
                policy: params.get("Policy").map(str::to_owned),
                policy_arns: policy_arns(params)?,
                tags,
                external_id: params.get("ExternalId").map(str::to_owned),
                source_identity: params.get("SourceIdentity").map(str::to_owned),
            };
            let assumed = kms.assume_role(caller, input).await.map_err(ApiError::from_kms)?;
            Ok(answer(&|w| {
                write_credentials(w, &assumed.credentials);
                w.element("AssumedRoleUser", |w| {
                    w.text("AssumedRoleId", &assumed.assumed_role_id);
                    w.text("Arn", &assumed.arn);
                });
                if let Some(size) = assumed.packed_policy_size {
                    w.text("PackedPolicySize", &size.to_string());
                }
                if let Some(s) = &assumed.source_identity {
                    w.text("SourceIdentity", s);
                }
            }))
        }
        _ => Err(ApiError::internal(format!("{} is not an STS operation", op.name()))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use base64::Engine as _;

    fn form(token: &str) -> Params {
        let body = format!(
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr\
             &RoleSessionName=s&WebIdentityToken={token}"
        );
        Params::parse(body.as_bytes()).unwrap()
    }

    /// The claimed identity of an unsigned call is anyone's to write: it is
    /// bounded and keeps no control character (the request log prints it).
    #[test]
    fn claimed_web_identities_are_bounded_and_printable() {
        let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let sub = format!("evil\nINFO forged line{}", "x".repeat(1000));
        let token = format!(
            "{}.{}.AAAA",
            b64(serde_json::json!({"alg": "RS256"})),
            b64(serde_json::json!({"iss": "https://i.example", "sub": sub, "aud": "a", "exp": 1}))
        );
        let Identity::WebIdentity { account, provider, audience, subject } = claimed_web_identity(&form(&token)) else {
            panic!("a web identity")
        };
        assert_eq!(account, "111122223333");
        assert_eq!(provider, "arn:aws:iam::111122223333:oidc-provider/i.example");
        assert_eq!(audience, "a");
        assert!(subject.starts_with("evilINFO forged line") && subject.chars().count() == 256, "{subject}");
        // Not a token: nobody is claimed.
        assert!(matches!(claimed_web_identity(&form("x")), Identity::Unauthenticated { access_key_id: None }));
    }
}
