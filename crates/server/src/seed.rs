//! Seed files: `trent serve --ephemeral --seed seed.yaml` starts with the
//! same keys and aliases every time, so a test suite can name them.
//!
//! ```yaml
//! account_id: "111122223333"    # optional: the bootstrap account (else TRENT_BOOTSTRAP_ACCOUNT_ID, else random)
//! region: us-east-1             # optional: where the keys live (default us-east-1)
//! keys:
//!   - id: 1234abcd-12ab-34cd-56ef-1234567890ab   # fixed key id (a UUID)
//!     description: orders           # optional
//!     key_spec: SYMMETRIC_DEFAULT   # optional, as CreateKey's KeySpec (default SYMMETRIC_DEFAULT)
//!     key_usage: ENCRYPT_DECRYPT    # optional, as CreateKey's KeyUsage
//!     material: "base64 of 32 bytes"  # optional, SYMMETRIC_DEFAULT only
//!     aliases: [alias/orders]       # optional
//! ```
//!
//! Every key is made through the KMS operations a client would call, as the
//! account's root: CreateKey (with the fixed id), and for a key with
//! `material`, CreateKey with `Origin=EXTERNAL`, GetParametersForImport
//! (RSA_2048, RSAES_OAEP_SHA_256), the material wrapped here with the
//! returned public key, and ImportKeyMaterial (`KEY_MATERIAL_DOES_NOT_EXPIRE`).
//! Such a key is what DescribeKey then shows: `Origin: EXTERNAL`, `Enabled`,
//! and a key material id derived from the material and the key ARN, so two
//! starts with the same seed (and account) decrypt each other's ciphertexts.
//! Keys without `material` get fresh random material on every start.
//! Asymmetric and HMAC material cannot be fixed: Trent imports symmetric
//! material only. Seeding is done before the server listens and leaves no
//! audit events (it is no request).

use base64::Engine as _;
use serde::Deserialize;
use trent_api::ids::{AccessKeyId, AccountId, KeyId, Region};
use trent_core::{Caller, Kms};

/// A seed file that could not be read or applied, worded for the operator.
#[derive(Debug, thiserror::Error)]
#[error("seed: {0}")]
pub struct SeedError(pub String);

/// A parsed seed file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// The bootstrap account the keys belong to.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The region of the keys (default `us-east-1`).
    #[serde(default)]
    pub region: Option<String>,
    /// The keys.
    #[serde(default)]
    pub keys: Vec<SeedKey>,
}

/// One key of a seed file. `Debug` leaves the material out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedKey {
    /// Its fixed key id.
    pub id: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// KeySpec (default SYMMETRIC_DEFAULT).
    #[serde(default)]
    pub key_spec: Option<String>,
    /// KeyUsage (default: the spec's).
    #[serde(default)]
    pub key_usage: Option<String>,
    /// Base64 of the 32-byte symmetric material to import.
    #[serde(default)]
    pub material: Option<String>,
    /// Aliases pointing at it.
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl std::fmt::Debug for SeedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedKey")
            .field("id", &self.id)
            .field("key_spec", &self.key_spec)
            .field("material", &self.material.as_ref().map(|_| "**redacted**"))
            .field("aliases", &self.aliases)
            .finish_non_exhaustive()
    }
}

impl Seed {
    /// Parses a seed file's YAML text and checks what can be checked
    /// before the server starts (ids, account, region, material length).
    pub fn parse(text: &str) -> Result<Seed, SeedError> {
        let seed: Seed = serde_norway::from_str(text).map_err(|e| SeedError(e.to_string()))?;
        if let Some(a) = &seed.account_id {
            AccountId::parse(a).ok_or_else(|| SeedError(format!("account_id '{a}' is not 12 digits")))?;
        }
        seed.region()?;
        for k in &seed.keys {
            KeyId::parse(&k.id).ok_or_else(|| SeedError(format!("key id '{}' is not a key id (a UUID)", k.id)))?;
            if k.material.is_some() {
                if k.key_spec.as_deref().is_some_and(|s| s != "SYMMETRIC_DEFAULT") {
                    return Err(SeedError(format!(
                        "key {}: material can be given for SYMMETRIC_DEFAULT keys only",
                        k.id
                    )));
                }
                k.material_bytes()?;
            }
        }
        Ok(seed)
    }

    fn region(&self) -> Result<Region, SeedError> {
        let r = self.region.as_deref().unwrap_or("us-east-1");
        Region::parse(r).ok_or_else(|| SeedError(format!("region '{r}' is not a region name")))
    }

    /// Creates the keys and aliases in `account`, as its root (signing as
    /// `access_key_id`); returns how many keys it made.
    pub async fn apply(&self, kms: &Kms, account: &AccountId, access_key_id: &AccessKeyId) -> Result<usize, SeedError> {
        let caller = Caller {
            account: account.clone(),
            region: self.region()?,
            principal: account.root_arn(),
            access_key_id: access_key_id.clone(),
            source_ip: None,
            session: None,
            secure_transport: false,
            audit: Default::default(),
        };
        for k in &self.keys {
            k.apply(kms, &caller).await.map_err(|e| SeedError(format!("key {}: {e}", k.id)))?;
        }
        Ok(self.keys.len())
    }
}

impl SeedKey {
    fn material_bytes(&self) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, SeedError> {
        let Some(b64) = &self.material else { return Ok(None) };
        let bytes = zeroize::Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| SeedError(format!("key {}: material is not base64", self.id)))?,
        );
        if bytes.len() != 32 {
            return Err(SeedError(format!("key {}: material must be 32 bytes (256 bits)", self.id)));
        }
        Ok(Some(bytes))
    }

    async fn apply(&self, kms: &Kms, caller: &Caller) -> Result<(), String> {
        let id = KeyId::parse(&self.id).ok_or("not a key id")?;
        let material = self.material_bytes().map_err(|e| e.0)?;
        let mut create = serde_json::json!({});
        let fields = [
            ("Description", &self.description),
            ("KeySpec", &self.key_spec),
            ("KeyUsage", &self.key_usage),
            ("Origin", &material.as_ref().map(|_| "EXTERNAL".to_owned())),
        ];
        for (name, value) in fields {
            if let Some(v) = value {
                create[name] = v.clone().into();
            }
        }
        let req = serde_json::from_value(create).map_err(|e| format!("CreateKey: {e}"))?;
        kms.create_key_with_id(caller, id.clone(), req).await.map_err(|e| format!("CreateKey: {e}"))?;
        if let Some(material) = material {
            import(kms, caller, &id, &material).await?;
        }
        for alias in &self.aliases {
            let req = serde_json::from_value(serde_json::json!({"AliasName": alias, "TargetKeyId": id.as_str()}))
                .map_err(|e| format!("CreateAlias: {e}"))?;
            kms.create_alias(caller, req).await.map_err(|e| format!("CreateAlias {alias}: {e}"))?;
        }
        Ok(())
    }
}

/// Imports `material` into the EXTERNAL key `id` as a client would.
async fn import(kms: &Kms, caller: &Caller, id: &KeyId, material: &[u8]) -> Result<(), String> {
    use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey, OAEP_SHA256_MGF1SHA256};
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let req = serde_json::from_value(serde_json::json!({
        "KeyId": id.as_str(), "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"
    }))
    .map_err(|e| format!("GetParametersForImport: {e}"))?;
    let params =
        kms.get_parameters_for_import(caller, req).await.map_err(|e| format!("GetParametersForImport: {e}"))?;
    let (Some(public), Some(token)) = (params.public_key, params.import_token) else {
        return Err("GetParametersForImport answered no public key or token".into());
    };
    let key = PublicEncryptingKey::from_der(&public.0).map_err(|e| format!("wrapping key: {e}"))?;
    let key = OaepPublicEncryptingKey::new(key).map_err(|e| format!("wrapping key: {e}"))?;
    let mut wrapped = vec![0u8; key.ciphertext_size()];
    let n = key
        .encrypt(&OAEP_SHA256_MGF1SHA256, material, &mut wrapped, None)
        .map_err(|e| format!("wrapping the material: {e}"))?
        .len();
    wrapped.truncate(n);
    let req = serde_json::from_value(serde_json::json!({
        "KeyId": id.as_str(),
        "ImportToken": b64(&token.0),
        "EncryptedKeyMaterial": b64(&wrapped),
        "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
    }))
    .map_err(|e| format!("ImportKeyMaterial: {e}"))?;
    kms.import_key_material(caller, req).await.map_err(|e| format!("ImportKeyMaterial: {e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_checked_before_the_start() {
        let ok = "account_id: \"111122223333\"\nkeys:\n  - id: 1234abcd-12ab-34cd-56ef-1234567890ab\n    \
                  material: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n    aliases: [alias/a]\n";
        let seed = Seed::parse(ok).unwrap();
        assert_eq!(seed.keys[0].aliases, ["alias/a"]);
        assert!(!format!("{seed:?}").contains("AAECAwQF"), "Debug leaves the material out");
        for bad in [
            "keys:\n  - id: not-a-uuid\n",
            "account_id: \"12\"\n",
            "region: \"Not A Region\"\n",
            "keys:\n  - id: 1234abcd-12ab-34cd-56ef-1234567890ab\n    material: AAEC\n",
            "keys:\n  - id: 1234abcd-12ab-34cd-56ef-1234567890ab\n    key_spec: RSA_2048\n    \
             material: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
            "keys:\n  - id: 1234abcd-12ab-34cd-56ef-1234567890ab\n    colour: blue\n",
            "keys: [",
        ] {
            assert!(Seed::parse(bad).is_err(), "{bad}");
        }
    }
}
