//! IAM's OpenID Connect identity providers: CreateOpenIDConnectProvider,
//! GetOpenIDConnectProvider, ListOpenIDConnectProviders,
//! DeleteOpenIDConnectProvider, AddClientIDToOpenIDConnectProvider,
//! RemoveClientIDFromOpenIDConnectProvider,
//! UpdateOpenIDConnectProviderThumbprint, TagOpenIDConnectProvider,
//! UntagOpenIDConnectProvider, ListOpenIDConnectProviderTags.
//!
//! A provider names an issuer (`https://host/path`) and the audiences
//! (client ids) its tokens may carry; a role whose trust policy names the
//! provider's ARN may be assumed with AssumeRoleWithWebIdentity
//! ([`crate::sts`]). IAM names a provider by its URL without `https://`
//! (`arn:aws:iam::ACCOUNT:oidc-provider/host/path`), and so does Trent
//! ([`crate::oidc::provider_url`]). The thumbprints are kept and shown, as IAM does; the issuer's
//! signing keys come from Trent's configuration, not from the network.
//!
//! Each operation is an identity-policy permission on the provider's ARN
//! (`iam:CreateOpenIDConnectProvider`, …), as the policy operations are;
//! only the caller's own account is reachable.

use super::users::{add_iam_tags, check_iam_tags, remove_iam_tags};
use crate::authz::request_tag_context;
use crate::error::KmsError;
use crate::model::OidcProviderRecord;
use crate::store::StoreError;
use crate::{Caller, Kms};
use trent_api::Operation;

/// Most client ids (audiences) one provider keeps (IAM's quota).
const MAX_CLIENT_IDS: usize = 100;
/// Most thumbprints one provider keeps (IAM's quota).
const MAX_THUMBPRINTS: usize = 5;
/// Most OpenID Connect providers in one account (IAM's default quota).
const MAX_PROVIDERS_PER_ACCOUNT: usize = 100;

/// What CreateOpenIDConnectProvider is given.
#[derive(Debug, Clone, Default)]
pub struct NewOidcProvider {
    /// Url: the issuer, `https://…`.
    pub url: String,
    /// ClientIDList (a client id given twice is kept once).
    pub client_ids: Vec<String>,
    /// ThumbprintList.
    pub thumbprints: Vec<String>,
    /// Tags.
    pub tags: Vec<(String, String)>,
}

/// The name IAM gives the provider of issuer `url` ([`crate::oidc::provider_url`],
/// the one place that names an issuer, also for AssumeRoleWithWebIdentity's
/// tokens): `InvalidInput` for a URL that is not `https://`, or that has a
/// query, a fragment, user information or no host.
fn provider_url(url: &str) -> Result<String, KmsError> {
    crate::oidc::provider_url(url).ok_or_else(|| {
        let why = match url.starts_with("https://") {
            true => "it must be https://host[/path], with no query, fragment or user information.",
            false => "the URL must begin with https://.",
        };
        KmsError::Validation(format!("Invalid Open ID Connect Provider URL {url}: {why}"))
    })
}

/// The URL an OpenID Connect provider ARN of `account` names: `None` for
/// another account's. A string that is no provider ARN at all is
/// `InvalidInput`.
fn parse_provider_arn<'a>(account: &str, arn: &'a str) -> Result<Option<&'a str>, KmsError> {
    let invalid = || KmsError::Validation(format!("ARN {arn} is not valid."));
    let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
    let (owner, resource) = rest.split_once(':').ok_or_else(invalid)?;
    let url = resource.strip_prefix("oidc-provider/").filter(|u| !u.is_empty()).ok_or_else(invalid)?;
    Ok((owner == account).then_some(url))
}

/// `NoSuchEntity` for a provider ARN that names nothing.
fn provider_not_found(arn: &str) -> KmsError {
    KmsError::NotFound(format!("OpenIDConnect Provider not found for arn {arn}"))
}

/// `client_ids` in the order given, each once.
fn unique(client_ids: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(client_ids.len());
    for id in client_ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

fn check_client_ids(client_ids: &[String]) -> Result<(), KmsError> {
    if client_ids.len() > MAX_CLIENT_IDS {
        return Err(KmsError::LimitExceeded(format!(
            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
        )));
    }
    Ok(())
}

fn check_thumbprints(thumbprints: &[String]) -> Result<(), KmsError> {
    if thumbprints.len() > MAX_THUMBPRINTS {
        // IAM's wording, though five are allowed.
        return Err(KmsError::Validation("Thumbprint list must contain fewer than 5 entries.".into()));
    }
    Ok(())
}

impl Kms {
    fn oidc_provider_arn(caller: &Caller, url: &str) -> String {
        format!("arn:aws:iam::{}:oidc-provider/{url}", caller.account.as_str())
    }

    /// The provider an ARN names in the caller's account.
    async fn oidc_provider_by_arn(&self, caller: &Caller, arn: &str) -> Result<OidcProviderRecord, KmsError> {
        let Some(url) = parse_provider_arn(caller.account.as_str(), arn)? else {
            return Err(provider_not_found(arn));
        };
        self.store.oidc_provider(&caller.account, url).await?.ok_or_else(|| provider_not_found(arn))
    }

    /// Stores a provider's changed record, mapping NotFound.
    async fn update_oidc_record(
        &self,
        caller: &Caller,
        arn: &str,
        provider: &OidcProviderRecord,
    ) -> Result<(), KmsError> {
        match self.commit(caller, async |events| self.store.update_oidc_provider(provider, events).await).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(provider_not_found(arn)),
            Err(e) => Err(e.into()),
        }
    }

    /// CreateOpenIDConnectProvider: a provider named by its URL, unique in
    /// the account.
    pub async fn create_oidc_provider(
        &self,
        caller: &Caller,
        new: NewOidcProvider,
    ) -> Result<OidcProviderRecord, KmsError> {
        let url = provider_url(&new.url)?;
        let client_ids = unique(new.client_ids);
        check_client_ids(&client_ids)?;
        check_thumbprints(&new.thumbprints)?;
        check_iam_tags(&new.tags, "provider")?;
        let arn = Self::oidc_provider_arn(caller, &url);
        let context = request_tag_context(&new.tags);
        self.authorize_identity(caller, Operation::CreateOpenIDConnectProvider, &arn, &context).await?;
        if self.store.oidc_providers(&caller.account).await?.len() >= MAX_PROVIDERS_PER_ACCOUNT {
            return Err(KmsError::LimitExceeded(format!(
                "Cannot exceed quota for OpenIdConnectProvidersPerAccount: {MAX_PROVIDERS_PER_ACCOUNT}"
            )));
        }
        let provider = OidcProviderRecord {
            account: caller.account.clone(),
            url,
            client_ids,
            thumbprints: new.thumbprints,
            tags: new.tags,
            created_at: self.now(),
        };
        let response = serde_json::json!({"openIDConnectProviderArn": arn});
        match self
            .commit_answering(caller, &response, async |events| {
                self.store.insert_oidc_provider(&provider, events).await
            })
            .await
        {
            Ok(()) => Ok(provider),
            Err(StoreError::AlreadyExists) => {
                Err(KmsError::AlreadyExists(format!("Provider with url https://{} already exists.", provider.url)))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// GetOpenIDConnectProvider.
    pub async fn get_oidc_provider(&self, caller: &Caller, arn: &str) -> Result<OidcProviderRecord, KmsError> {
        self.authorize_identity(caller, Operation::GetOpenIDConnectProvider, arn, &[]).await?;
        self.oidc_provider_by_arn(caller, arn).await
    }

    /// ListOpenIDConnectProviders: the account's providers, by URL.
    pub async fn list_oidc_providers(&self, caller: &Caller) -> Result<Vec<OidcProviderRecord>, KmsError> {
        let all = Self::oidc_provider_arn(caller, "*");
        self.authorize_identity(caller, Operation::ListOpenIDConnectProviders, &all, &[]).await?;
        Ok(self.store.oidc_providers(&caller.account).await?)
    }

    /// DeleteOpenIDConnectProvider. The roles whose trust policies name it
    /// are left as they are: assuming them with its tokens fails from now on.
    pub async fn delete_oidc_provider(&self, caller: &Caller, arn: &str) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::DeleteOpenIDConnectProvider, arn, &[]).await?;
        let Some(url) = parse_provider_arn(caller.account.as_str(), arn)? else {
            return Err(provider_not_found(arn));
        };
        match self
            .commit(caller, async |events| self.store.delete_oidc_provider(&caller.account, url, events).await)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(provider_not_found(arn)),
            Err(e) => Err(e.into()),
        }
    }

    /// AddClientIDToOpenIDConnectProvider: a client id already there
    /// changes nothing, as in IAM.
    pub async fn add_oidc_client_id(&self, caller: &Caller, arn: &str, client_id: &str) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::AddClientIDToOpenIDConnectProvider, arn, &[]).await?;
        let mut provider = self.oidc_provider_by_arn(caller, arn).await?;
        if provider.client_ids.iter().any(|c| c == client_id) {
            return Ok(());
        }
        provider.client_ids.push(client_id.to_owned());
        check_client_ids(&provider.client_ids)?;
        self.update_oidc_record(caller, arn, &provider).await
    }

    /// RemoveClientIDFromOpenIDConnectProvider: a client id not there is
    /// no error, as in IAM.
    pub async fn remove_oidc_client_id(&self, caller: &Caller, arn: &str, client_id: &str) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::RemoveClientIDFromOpenIDConnectProvider, arn, &[]).await?;
        let mut provider = self.oidc_provider_by_arn(caller, arn).await?;
        let before = provider.client_ids.len();
        provider.client_ids.retain(|c| c != client_id);
        if provider.client_ids.len() == before {
            return Ok(());
        }
        self.update_oidc_record(caller, arn, &provider).await
    }

    /// UpdateOpenIDConnectProviderThumbprint: the list replaces the
    /// provider's.
    pub async fn update_oidc_thumbprints(
        &self,
        caller: &Caller,
        arn: &str,
        thumbprints: Vec<String>,
    ) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::UpdateOpenIDConnectProviderThumbprint, arn, &[]).await?;
        check_thumbprints(&thumbprints)?;
        let mut provider = self.oidc_provider_by_arn(caller, arn).await?;
        provider.thumbprints = thumbprints;
        self.update_oidc_record(caller, arn, &provider).await
    }

    /// TagOpenIDConnectProvider: adds tags, replacing the value of a key
    /// already present (in any case).
    pub async fn tag_oidc_provider(
        &self,
        caller: &Caller,
        arn: &str,
        tags: Vec<(String, String)>,
    ) -> Result<(), KmsError> {
        check_iam_tags(&tags, "provider")?;
        self.authorize_identity(caller, Operation::TagOpenIDConnectProvider, arn, &request_tag_context(&tags)).await?;
        let mut provider = self.oidc_provider_by_arn(caller, arn).await?;
        add_iam_tags(&mut provider.tags, tags);
        check_iam_tags(&provider.tags, "provider")?;
        self.update_oidc_record(caller, arn, &provider).await
    }

    /// UntagOpenIDConnectProvider: removes the tags with these keys (in
    /// any case).
    pub async fn untag_oidc_provider(&self, caller: &Caller, arn: &str, keys: Vec<String>) -> Result<(), KmsError> {
        let context = [("aws:TagKeys".to_owned(), keys.clone())];
        self.authorize_identity(caller, Operation::UntagOpenIDConnectProvider, arn, &context).await?;
        let mut provider = self.oidc_provider_by_arn(caller, arn).await?;
        remove_iam_tags(&mut provider.tags, &keys);
        self.update_oidc_record(caller, arn, &provider).await
    }

    /// ListOpenIDConnectProviderTags.
    pub async fn list_oidc_provider_tags(&self, caller: &Caller, arn: &str) -> Result<Vec<(String, String)>, KmsError> {
        self.authorize_identity(caller, Operation::ListOpenIDConnectProviderTags, arn, &[]).await?;
        Ok(self.oidc_provider_by_arn(caller, arn).await?.tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_urls_become_iam_names_or_invalid_input() {
        assert_eq!(provider_url("https://Server.Example.com/").ok().as_deref(), Some("server.example.com"));
        let why = |u| match provider_url(u) {
            Err(KmsError::Validation(m)) => m,
            other => panic!("{u}: {other:?}"),
        };
        assert!(why("http://server.example.com").ends_with("the URL must begin with https://."));
        for bad in ["https://", "https://x.example.com/?a=b", "https://user@x.example.com"] {
            assert!(why(bad).starts_with(&format!("Invalid Open ID Connect Provider URL {bad}: it must be")), "{bad}");
        }
    }

    #[test]
    fn provider_arns_name_a_url_in_the_account() {
        let p = |arn| parse_provider_arn("111122223333", arn);
        assert_eq!(
            p("arn:aws:iam::111122223333:oidc-provider/server.example.com").ok(),
            Some(Some("server.example.com"))
        );
        assert_eq!(
            p("arn:aws:iam::111122223333:oidc-provider/a.example.com/x/y").ok(),
            Some(Some("a.example.com/x/y"))
        );
        assert_eq!(p("arn:aws:iam::444455556666:oidc-provider/server.example.com").ok(), Some(None));
        for bad in
            ["", "server.example.com", "arn:aws:iam::111122223333:role/R", "arn:aws:iam::111122223333:oidc-provider/"]
        {
            assert!(p(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_ids_are_kept_once_in_order() {
        let ids = unique(["b", "a", "b"].map(str::to_owned).to_vec());
        assert_eq!(ids, ["b", "a"]);
        assert!(check_client_ids(&vec!["x".to_owned(); MAX_CLIENT_IDS]).is_ok());
        let many: Vec<String> = (0..=MAX_CLIENT_IDS).map(|i| i.to_string()).collect();
        assert!(matches!(check_client_ids(&many), Err(KmsError::LimitExceeded(_))));
        assert!(matches!(check_thumbprints(&vec!["t".repeat(40); 6]), Err(KmsError::Validation(_))));
    }
}
