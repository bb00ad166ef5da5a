//! Custom key stores: CreateCustomKeyStore, DescribeCustomKeyStores,
//! ConnectCustomKeyStore, DisconnectCustomKeyStore, UpdateCustomKeyStore,
//! DeleteCustomKeyStore. Trent serves the `AWS_CLOUDHSM` kind on PKCS#11
//! tokens; the `EXTERNAL_KEY_STORE` members parse (so that a request
//! naming them is refused clearly) and are otherwise unused.

#[allow(unused_imports)]
use super::*;

shape!(
    /// CreateCustomKeyStore input.
    request CreateCustomKeyStoreRequest {
        /// Name, unique in the account and Region.
        custom_key_store_name: String,
        /// The declared HSM token (`[hsm.NAME]` in Trent's configuration).
        cloud_hsm_cluster_id: String,
        /// The trust anchor certificate (PEM).
        trust_anchor_certificate: String,
        /// The token's crypto-user PIN.
        key_store_password: crate::blob::SecretString,
        /// `AWS_CLOUDHSM` (the default) or `EXTERNAL_KEY_STORE`.
        custom_key_store_type: CustomKeyStoreType,
        /// External key store members (not served).
        xks_proxy_uri_endpoint: String,
        /// External key store members (not served).
        xks_proxy_uri_path: String,
        /// External key store members (not served).
        xks_proxy_vpc_endpoint_service_name: String,
        /// External key store members (not served).
        xks_proxy_vpc_endpoint_service_owner: String,
        /// External key store members (not served).
        xks_proxy_authentication_credential: serde_json::Value,
        /// External key store members (not served).
        xks_proxy_connectivity: String,
    }
);

shape!(
    /// CreateCustomKeyStore output.
    response CreateCustomKeyStoreResponse {
        /// The new key store's id.
        custom_key_store_id: String,
    }
);

shape!(
    /// DescribeCustomKeyStores input.
    request DescribeCustomKeyStoresRequest {
        /// Only this key store.
        custom_key_store_id: String,
        /// Only the key store of this name.
        custom_key_store_name: String,
        /// Page size.
        limit: i64,
        /// Marker from a previous page.
        marker: String,
    }
);

/// One entry of DescribeCustomKeyStores.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct CustomKeyStoresListEntry {
    /// Id.
    pub custom_key_store_id: String,
    /// Name.
    pub custom_key_store_name: String,
    /// The token (`CloudHsmClusterId`).
    pub cloud_hsm_cluster_id: String,
    /// The trust anchor certificate as given.
    pub trust_anchor_certificate: String,
    /// `CONNECTED`, `DISCONNECTED`, `FAILED`, …
    pub connection_state: String,
    /// Why the last connection failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_error_code: Option<String>,
    /// Creation time.
    pub creation_date: Timestamp,
    /// `AWS_CLOUDHSM`.
    pub custom_key_store_type: CustomKeyStoreType,
}

/// DescribeCustomKeyStores output.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeCustomKeyStoresResponse {
    /// The key stores on this page.
    pub custom_key_stores: Vec<CustomKeyStoresListEntry>,
    /// Marker for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// True when more pages follow.
    pub truncated: bool,
}

shape!(
    /// ConnectCustomKeyStore, DisconnectCustomKeyStore and
    /// DeleteCustomKeyStore input.
    request CustomKeyStoreIdRequest {
        /// The key store.
        custom_key_store_id: String,
    }
);

shape!(
    /// UpdateCustomKeyStore input.
    request UpdateCustomKeyStoreRequest {
        /// The key store.
        custom_key_store_id: String,
        /// A new name.
        new_custom_key_store_name: String,
        /// A new crypto-user PIN.
        key_store_password: crate::blob::SecretString,
        /// Another declared token holding the same keys.
        cloud_hsm_cluster_id: String,
        /// External key store members (not served).
        xks_proxy_uri_endpoint: String,
        /// External key store members (not served).
        xks_proxy_uri_path: String,
        /// External key store members (not served).
        xks_proxy_vpc_endpoint_service_name: String,
        /// External key store members (not served).
        xks_proxy_vpc_endpoint_service_owner: String,
        /// External key store members (not served).
        xks_proxy_authentication_credential: serde_json::Value,
        /// External key store members (not served).
        xks_proxy_connectivity: String,
    }
);

macro_rules! names_xks {
    ($($t:ty),*) => {$(
        impl $t {
            /// True when any external key store member is present.
            pub fn names_xks(&self) -> bool {
                self.xks_proxy_uri_endpoint.is_some()
                    || self.xks_proxy_uri_path.is_some()
                    || self.xks_proxy_vpc_endpoint_service_name.is_some()
                    || self.xks_proxy_vpc_endpoint_service_owner.is_some()
                    || self.xks_proxy_authentication_credential.is_some()
                    || self.xks_proxy_connectivity.is_some()
            }
        }
    )*};
}

names_xks!(CreateCustomKeyStoreRequest, UpdateCustomKeyStoreRequest);
