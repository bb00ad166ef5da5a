//! The request shapes of IAM's OpenID Connect provider operations (botocore
//! `iam/2010-05-08/service-2.json`): `OpenIDConnectProviderUrlType` 1–255,
//! `clientIDType` 1–255, `thumbprintType` exactly 40, `arnType` 20–2048,
//! tags as for users (at most 50, keys 1–128, values 0–256).
//!
//! The model puts no bound on `clientIDListType` or `thumbprintListType`:
//! IAM's quotas (100 client ids, 5 thumbprints) are the core's to refuse,
//! as IAM does, with `LimitExceeded` and `InvalidInput`. So is the URL's
//! form (`https://`, no query): the model only bounds its length.

use crate::admin::{IamTag, MAX_USER_TAGS};
use crate::validate::{Validate, Violations};
use serde::Deserialize;

impl Violations {
    fn oidc_provider_arn(&mut self, v: Option<&str>) {
        self.required("openIDConnectProviderArn", &v);
        self.len("openIDConnectProviderArn", v, 20, 2048);
    }

    fn client_id(&mut self, at: &str, v: Option<&str>) {
        self.len(at, v, 1, 255);
    }

    fn client_ids(&mut self, v: Option<&Vec<String>>) {
        for (i, id) in v.into_iter().flatten().enumerate() {
            self.client_id(&format!("clientIDList.{}.member", i + 1), Some(id));
        }
    }

    fn thumbprints(&mut self, v: Option<&Vec<String>>) {
        for (i, t) in v.into_iter().flatten().enumerate() {
            self.len(&format!("thumbprintList.{}.member", i + 1), Some(t), 40, 40);
        }
    }
}

/// CreateOpenIDConnectProvider input. Trent takes no `ContextProvider` or
/// `IdentityCenterInstanceArn` (trusted identity propagation): the parser
/// refuses them rather than create a provider without them.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CreateOidcProviderRequest {
    /// Url: the issuer, `https://…`.
    pub url: Option<String>,
    /// ClientIDList: the audiences accepted.
    #[serde(rename = "ClientIDList")]
    pub client_id_list: Option<Vec<String>>,
    /// ThumbprintList (optional: IAM would fetch one; Trent keeps none).
    pub thumbprint_list: Option<Vec<String>>,
    /// Tags.
    pub tags: Option<Vec<IamTag>>,
}

impl Validate for CreateOidcProviderRequest {
    fn check(&self, v: &mut Violations) {
        v.required("url", &self.url);
        v.len("url", self.url.as_deref(), 1, 255);
        v.client_ids(self.client_id_list.as_ref());
        v.thumbprints(self.thumbprint_list.as_ref());
        v.iam_tags(self.tags.as_ref());
    }
}

/// GetOpenIDConnectProvider, DeleteOpenIDConnectProvider and
/// ListOpenIDConnectProviderTags input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OidcProviderRequest {
    /// OpenIDConnectProviderArn.
    #[serde(rename = "OpenIDConnectProviderArn")]
    pub arn: Option<String>,
}

impl Validate for OidcProviderRequest {
    fn check(&self, v: &mut Violations) {
        v.oidc_provider_arn(self.arn.as_deref());
    }
}

/// AddClientIDToOpenIDConnectProvider and
/// RemoveClientIDFromOpenIDConnectProvider input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OidcClientIdRequest {
    /// OpenIDConnectProviderArn.
    #[serde(rename = "OpenIDConnectProviderArn")]
    pub arn: Option<String>,
    /// ClientID.
    #[serde(rename = "ClientID")]
    pub client_id: Option<String>,
}

impl Validate for OidcClientIdRequest {
    fn check(&self, v: &mut Violations) {
        v.oidc_provider_arn(self.arn.as_deref());
        v.required("clientID", &self.client_id);
        v.client_id("clientID", self.client_id.as_deref());
    }
}

/// UpdateOpenIDConnectProviderThumbprint input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct UpdateOidcThumbprintRequest {
    /// OpenIDConnectProviderArn.
    #[serde(rename = "OpenIDConnectProviderArn")]
    pub arn: Option<String>,
    /// ThumbprintList: replaces the provider's.
    pub thumbprint_list: Option<Vec<String>>,
}

impl Validate for UpdateOidcThumbprintRequest {
    fn check(&self, v: &mut Violations) {
        v.oidc_provider_arn(self.arn.as_deref());
        v.required("thumbprintList", &self.thumbprint_list);
        v.thumbprints(self.thumbprint_list.as_ref());
    }
}

/// TagOpenIDConnectProvider input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TagOidcProviderRequest {
    /// OpenIDConnectProviderArn.
    #[serde(rename = "OpenIDConnectProviderArn")]
    pub arn: Option<String>,
    /// Tags.
    pub tags: Option<Vec<IamTag>>,
}

impl Validate for TagOidcProviderRequest {
    fn check(&self, v: &mut Violations) {
        v.oidc_provider_arn(self.arn.as_deref());
        v.required("tags", &self.tags);
        v.iam_tags(self.tags.as_ref());
    }
}

/// UntagOpenIDConnectProvider input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct UntagOidcProviderRequest {
    /// OpenIDConnectProviderArn.
    #[serde(rename = "OpenIDConnectProviderArn")]
    pub arn: Option<String>,
    /// The keys to remove.
    pub tag_keys: Option<Vec<String>>,
}

impl Validate for UntagOidcProviderRequest {
    fn check(&self, v: &mut Violations) {
        v.oidc_provider_arn(self.arn.as_deref());
        v.required("tagKeys", &self.tag_keys);
        v.list_len("tagKeys", self.tag_keys.as_ref(), 0, MAX_USER_TAGS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:iam::111122223333:oidc-provider/issuer.example.com";

    #[test]
    fn members_are_read_by_their_wire_names() {
        let json = serde_json::json!({
            "Url": "https://issuer.example.com",
            "ClientIDList": ["app"],
            "ThumbprintList": ["a".repeat(40)],
            "Tags": [{"Key": "team", "Value": "blue"}],
        });
        let r: CreateOidcProviderRequest = serde_json::from_value(json).unwrap();
        assert_eq!(r.client_id_list, Some(vec!["app".to_owned()]));
        assert!(r.validate().is_ok());
        let json = serde_json::json!({"OpenIDConnectProviderArn": ARN, "ClientID": "app"});
        let r: OidcClientIdRequest = serde_json::from_value(json).unwrap();
        assert_eq!((r.arn.as_deref(), r.client_id.as_deref()), (Some(ARN), Some("app")));
    }

    #[test]
    fn thumbprints_are_forty_characters_and_client_ids_at_most_255() {
        let r = UpdateOidcThumbprintRequest { arn: Some(ARN.into()), thumbprint_list: Some(vec!["ab".repeat(20)]) };
        assert!(r.validate().is_ok());
        let r = UpdateOidcThumbprintRequest { arn: Some(ARN.into()), thumbprint_list: Some(vec!["a".repeat(39)]) };
        let m = r.validate().unwrap_err();
        assert!(m.contains("at 'thumbprintList.1.member'") && m.contains("greater than or equal to 40"), "{m}");
        let r = UpdateOidcThumbprintRequest { arn: Some(ARN.into()), thumbprint_list: None };
        assert!(r.validate().unwrap_err().contains("Value null at 'thumbprintList'"));
        let r = OidcClientIdRequest { arn: Some(ARN.into()), client_id: Some("c".repeat(256)) };
        assert!(r.validate().unwrap_err().contains("at 'clientID'"));
        let r = CreateOidcProviderRequest { url: Some(format!("https://{}", "h".repeat(248))), ..Default::default() };
        assert!(r.validate().unwrap_err().contains("at 'url'"));
        let r = OidcProviderRequest { arn: Some("arn:aws:iam::1".into()) };
        assert!(r.validate().unwrap_err().contains("at 'openIDConnectProviderArn'"));
    }
}
