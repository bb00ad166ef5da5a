//! IAM's OpenID Connect provider operations on the Query door
//! ([`crate::query`]). Each arm calls one `Kms` method and writes IAM's
//! answer shape. IAM shows a provider's `Url` as it names it, without
//! `https://` (its documented GetOpenIDConnectProvider answer has
//! `<Url>server.example.com</Url>`).

use crate::dispatch::tag_pairs;
use crate::http::ApiError;
use crate::query::name;
use crate::query_policies::Answer;
use trent_api::iam::{self, IamRequest};
use trent_api::query;
use trent_api::Operation;
use trent_core::{Caller, Kms, KmsError, NewOidcProvider};

/// Runs an OpenID Connect provider request (the caller in `query.rs`
/// routes them here by variant).
pub(crate) async fn serve(
    kms: &Kms,
    caller: &Caller,
    op: Operation,
    req: IamRequest,
    answer: Answer<'_>,
) -> Result<String, ApiError> {
    let done = |r: Result<(), KmsError>| r.map(|()| answer(None)).map_err(ApiError::from_kms);
    let kms_err = ApiError::from_kms;
    match req {
        IamRequest::CreateOpenIDConnectProvider(r) => {
            let new = NewOidcProvider {
                url: name(r.url),
                client_ids: r.client_id_list.unwrap_or_default(),
                thumbprints: r.thumbprint_list.unwrap_or_default(),
                tags: tag_pairs(r.tags),
            };
            let provider = kms.create_oidc_provider(caller, new).await.map_err(kms_err)?;
            Ok(answer(Some(&|w| {
                w.text("OpenIDConnectProviderArn", &provider.arn());
                if !provider.tags.is_empty() {
                    iam::write_tags(w, &provider.tags);
                }
            })))
        }
        IamRequest::GetOpenIDConnectProvider(r) => {
            let p = kms.get_oidc_provider(caller, &name(r.arn)).await.map_err(kms_err)?;
            Ok(answer(Some(&|w| {
                w.text("Url", &p.url);
                w.members("ClientIDList", &p.client_ids, |w, c| {
                    w.text_only(c);
                });
                w.members("ThumbprintList", &p.thumbprints, |w, t| {
                    w.text_only(t);
                });
                w.text("CreateDate", &query::iso8601(p.created_at));
                if !p.tags.is_empty() {
                    iam::write_tags(w, &p.tags);
                }
            })))
        }
        IamRequest::ListOpenIDConnectProviders => {
            let providers = kms.list_oidc_providers(caller).await.map_err(kms_err)?;
            Ok(answer(Some(&|w| {
                w.members("OpenIDConnectProviderList", &providers, |w, p| {
                    w.text("Arn", &p.arn());
                });
            })))
        }
        IamRequest::DeleteOpenIDConnectProvider(r) => done(kms.delete_oidc_provider(caller, &name(r.arn)).await),
        IamRequest::AddClientIDToOpenIDConnectProvider(r) => {
            done(kms.add_oidc_client_id(caller, &name(r.arn), &name(r.client_id)).await)
        }
        IamRequest::RemoveClientIDFromOpenIDConnectProvider(r) => {
            done(kms.remove_oidc_client_id(caller, &name(r.arn), &name(r.client_id)).await)
        }
        IamRequest::UpdateOpenIDConnectProviderThumbprint(r) => {
            done(kms.update_oidc_thumbprints(caller, &name(r.arn), r.thumbprint_list.unwrap_or_default()).await)
        }
        IamRequest::TagOpenIDConnectProvider(r) => {
            done(kms.tag_oidc_provider(caller, &name(r.arn), tag_pairs(r.tags)).await)
        }
        IamRequest::UntagOpenIDConnectProvider(r) => {
            done(kms.untag_oidc_provider(caller, &name(r.arn), r.tag_keys.unwrap_or_default()).await)
        }
        IamRequest::ListOpenIDConnectProviderTags(r, page) => {
            let tags = kms.list_oidc_provider_tags(caller, &name(r.arn)).await.map_err(kms_err)?;
            let (tags, next) = page.of(tags, |(k, _)| k.as_str());
            Ok(answer(Some(&|w| {
                iam::write_tags(w, &tags);
                iam::write_truncation(w, next.as_deref());
            })))
        }
        _ => Err(ApiError::internal(format!("{} is not an OpenID Connect provider operation", op.name()))),
    }
}
