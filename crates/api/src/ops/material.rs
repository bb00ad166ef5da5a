//! Key material: rotation (automatic and on demand) and imported material.

#[allow(unused_imports)]
use super::*;

shape!(
    /// EnableKeyRotation input.
    request EnableKeyRotationRequest {
        /// Key.
        key_id: String,
        /// Days between automatic rotations, 90–2560 (default 365).
        rotation_period_in_days: i64,
    }
);

shape!(
    /// DisableKeyRotation input.
    request DisableKeyRotationRequest {
        /// Key.
        key_id: String,
    }
);

shape!(
    /// GetKeyRotationStatus input.
    request GetKeyRotationStatusRequest {
        /// Key.
        key_id: String,
    }
);

/// GetKeyRotationStatus output.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyRotationStatusResponse {
    /// True when automatic rotation is on.
    pub key_rotation_enabled: bool,
    /// Key ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Days between automatic rotations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_period_in_days: Option<i64>,
    /// When the next automatic rotation is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<Timestamp>,
    /// Start of an on-demand rotation in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_rotation_start_date: Option<Timestamp>,
}

shape!(
    /// RotateKeyOnDemand input.
    request RotateKeyOnDemandRequest {
        /// Key.
        key_id: String,
    }
);

shape!(
    /// RotateKeyOnDemand output.
    response RotateKeyOnDemandResponse {
        /// Key ARN.
        key_id: String,
    }
);

shape!(
    /// ListKeyRotations input.
    request ListKeyRotationsRequest {
        /// Key.
        key_id: String,
        /// ROTATIONS_ONLY (default) or ALL_KEY_MATERIAL.
        include_key_material: IncludeKeyMaterial,
        /// Page size.
        limit: i64,
        /// Marker from a previous page.
        marker: String,
    }
);

shape!(
    /// One entry of ListKeyRotations.
    response RotationsListEntry {
        /// Key ARN.
        key_id: String,
        /// Key material id.
        key_material_id: String,
        /// Description of imported material.
        key_material_description: String,
        /// Import state of imported material.
        import_state: String,
        /// CURRENT or NON_CURRENT.
        key_material_state: KeyMaterialState,
        /// Expiration model of imported material.
        expiration_model: ExpirationModel,
        /// Expiry of imported material.
        valid_to: Timestamp,
        /// When this material was created by a rotation (or the key created).
        rotation_date: Timestamp,
        /// AUTOMATIC or ON_DEMAND; absent for the key's original material.
        rotation_type: RotationType,
    }
);

/// ListKeyRotations output.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyRotationsResponse {
    /// Rotations on this page.
    pub rotations: Vec<RotationsListEntry>,
    /// Marker for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// True when more pages follow.
    pub truncated: bool,
}

shape!(
    /// GetParametersForImport input.
    request GetParametersForImportRequest {
        /// Key (origin EXTERNAL).
        key_id: String,
        /// How the material will be wrapped.
        wrapping_algorithm: WrappingAlgorithm,
        /// The wrapping key's spec.
        wrapping_key_spec: WrappingKeySpec,
    }
);

shape!(
    /// GetParametersForImport output.
    response GetParametersForImportResponse {
        /// Key ARN.
        key_id: String,
        /// The token to pass to ImportKeyMaterial.
        import_token: Blob,
        /// DER SubjectPublicKeyInfo of the wrapping key.
        public_key: Blob,
        /// When the token and public key expire.
        parameters_valid_to: Timestamp,
    }
);

shape!(
    /// ImportKeyMaterial input.
    request ImportKeyMaterialRequest {
        /// Key (origin EXTERNAL).
        key_id: String,
        /// Token from GetParametersForImport.
        import_token: Blob,
        /// The material, wrapped with the public key.
        encrypted_key_material: Blob,
        /// Expiry, with KEY_MATERIAL_EXPIRES.
        valid_to: Timestamp,
        /// Whether the material expires.
        expiration_model: ExpirationModel,
        /// EXISTING_KEY_MATERIAL (default) or NEW_KEY_MATERIAL.
        import_type: ImportType,
        /// Description of the material.
        key_material_description: String,
        /// Id of the material being reimported.
        key_material_id: String,
    }
);

shape!(
    /// ImportKeyMaterial output.
    response ImportKeyMaterialResponse {
        /// Key ARN.
        key_id: String,
        /// Id of the imported material.
        key_material_id: String,
    }
);

shape!(
    /// DeleteImportedKeyMaterial input.
    request DeleteImportedKeyMaterialRequest {
        /// Key (origin EXTERNAL).
        key_id: String,
        /// Material to delete (the current one when absent).
        key_material_id: String,
    }
);

shape!(
    /// DeleteImportedKeyMaterial output.
    response DeleteImportedKeyMaterialResponse {
        /// Key ARN.
        key_id: String,
        /// Id of the deleted material.
        key_material_id: String,
    }
);
