//! Aliases: CreateAlias, DeleteAlias, UpdateAlias, ListAliases.

#[allow(unused_imports)]
use super::*;

shape!(
    /// CreateAlias input.
    request CreateAliasRequest {
        /// Alias name, `alias/…`.
        alias_name: String,
        /// Key the alias points to.
        target_key_id: String,
    }
);

shape!(
    /// DeleteAlias input.
    request DeleteAliasRequest {
        /// Alias name.
        alias_name: String,
    }
);

shape!(
    /// UpdateAlias input.
    request UpdateAliasRequest {
        /// Alias name.
        alias_name: String,
        /// New target key.
        target_key_id: String,
    }
);

shape!(
    /// ListAliases input.
    request ListAliasesRequest {
        /// Only aliases of this key.
        key_id: String,
        /// Page size.
        limit: i64,
        /// Marker from a previous page.
        marker: String,
    }
);

/// One entry of ListAliases.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct AliasListEntry {
    /// Alias name.
    pub alias_name: String,
    /// Alias ARN.
    pub alias_arn: String,
    /// Target key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_key_id: Option<String>,
    /// Creation time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<Timestamp>,
    /// Last update time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_date: Option<Timestamp>,
}

/// ListAliases output.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesResponse {
    /// Aliases on this page.
    pub aliases: Vec<AliasListEntry>,
    /// Marker for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// True when more pages follow.
    pub truncated: bool,
}
