//! String enums of the KMS API.
//!
//! Every enum keeps a value it does not know as `Unknown(String)`: AWS
//! answers an unknown enum value with `ValidationException` ("Member must
//! satisfy enum value set: […]"), which [`crate::validate`] produces, so
//! parsing must not fail first.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Behaviour shared by the wire enums.
pub trait WireEnum: Sized {
    /// Every known value in the order AWS's messages list them (the service
    /// model's, unless an enum says otherwise).
    const VALUES: &'static [&'static str];
    /// The wire string.
    fn as_str(&self) -> &str;
    /// True when the value is not one of [`WireEnum::VALUES`].
    fn is_unknown(&self) -> bool;
}

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* #[doc = $wire] $variant,)+
            /// A value this version does not know; refused by validation.
            Unknown(String),
        }

        impl WireEnum for $name {
            const VALUES: &'static [&'static str] = &[$($wire),+];
            fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(s) => s.as_str(),
                }
            }
            fn is_unknown(&self) -> bool {
                matches!(self, $name::Unknown(_))
            }
        }

        impl $name {
            /// Parses a wire string; unknown strings become `Unknown`.
            pub fn parse(s: &str) -> Self {
                match s {
                    $($wire => $name::$variant,)+
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok($name::parse(&s))
            }
        }
    };
}

wire_enum! {
    /// The type of key material (`KeySpec`), in the order AWS lists them in
    /// its "enum value set" message, not the model's: the first twelve as
    /// LocalStack recorded AWS answering CreateKey
    /// (`test_hmac_create_key_invalid_operations`, 2023), the specs added
    /// since after them in the model's order (where AWS puts those is not
    /// recorded).
    KeySpec {
        Rsa2048 = "RSA_2048", EccNistP384 = "ECC_NIST_P384", EccNistP256 = "ECC_NIST_P256",
        EccNistP521 = "ECC_NIST_P521", Hmac384 = "HMAC_384", Rsa3072 = "RSA_3072",
        EccSecgP256k1 = "ECC_SECG_P256K1", Rsa4096 = "RSA_4096", SymmetricDefault = "SYMMETRIC_DEFAULT",
        Hmac256 = "HMAC_256", Hmac224 = "HMAC_224", Hmac512 = "HMAC_512",
        Sm2 = "SM2", MlDsa44 = "ML_DSA_44", MlDsa65 = "ML_DSA_65", MlDsa87 = "ML_DSA_87",
        EccNistEdwards25519 = "ECC_NIST_EDWARDS25519", MlKem512 = "ML_KEM_512", MlKem768 = "ML_KEM_768",
        MlKem1024 = "ML_KEM_1024",
    }
}

wire_enum! {
    /// The deprecated `CustomerMasterKeySpec`, still returned by DescribeKey.
    CustomerMasterKeySpec {
        Rsa2048 = "RSA_2048", Rsa3072 = "RSA_3072", Rsa4096 = "RSA_4096",
        EccNistP256 = "ECC_NIST_P256", EccNistP384 = "ECC_NIST_P384", EccNistP521 = "ECC_NIST_P521",
        EccSecgP256k1 = "ECC_SECG_P256K1", SymmetricDefault = "SYMMETRIC_DEFAULT",
        Hmac224 = "HMAC_224", Hmac256 = "HMAC_256", Hmac384 = "HMAC_384", Hmac512 = "HMAC_512",
        Sm2 = "SM2",
    }
}

wire_enum! {
    /// What a key is for (`KeyUsageType`), in the order AWS lists them in
    /// its "enum value set" message: the first three as LocalStack recorded
    /// AWS answering CreateKey (`test_hmac_create_key_invalid_operations`,
    /// 2023; the model puts SIGN_VERIFY first), the usages added since after
    /// them (their place is not recorded).
    KeyUsage {
        EncryptDecrypt = "ENCRYPT_DECRYPT", SignVerify = "SIGN_VERIFY",
        GenerateVerifyMac = "GENERATE_VERIFY_MAC", KeyAgreement = "KEY_AGREEMENT",
        EncapsulateDecapsulate = "ENCAPSULATE_DECAPSULATE",
    }
}

wire_enum! {
    /// Where key material comes from (`OriginType`).
    Origin {
        AwsKms = "AWS_KMS", External = "EXTERNAL", AwsCloudhsm = "AWS_CLOUDHSM",
        ExternalKeyStore = "EXTERNAL_KEY_STORE",
    }
}

wire_enum! {
    /// A custom key store's kind (`CustomKeyStoreType`).
    CustomKeyStoreType {
        AwsCloudhsm = "AWS_CLOUDHSM", ExternalKeyStore = "EXTERNAL_KEY_STORE",
    }
}

wire_enum! {
    /// A multi-Region key's role (`MultiRegionKeyType`).
    MultiRegionKeyType {
        Primary = "PRIMARY", Replica = "REPLICA",
    }
}

wire_enum! {
    /// A key's state (`KeyState`).
    KeyState {
        Creating = "Creating", Enabled = "Enabled", Disabled = "Disabled",
        PendingDeletion = "PendingDeletion", PendingImport = "PendingImport",
        PendingReplicaDeletion = "PendingReplicaDeletion", Unavailable = "Unavailable",
        Updating = "Updating",
    }
}

wire_enum! {
    /// Encryption algorithms (`EncryptionAlgorithmSpec`).
    EncryptionAlgorithm {
        SymmetricDefault = "SYMMETRIC_DEFAULT", RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256", Sm2pke = "SM2PKE",
    }
}

wire_enum! {
    /// Signing algorithms (`SigningAlgorithmSpec`).
    SigningAlgorithm {
        RsassaPssSha256 = "RSASSA_PSS_SHA_256", RsassaPssSha384 = "RSASSA_PSS_SHA_384",
        RsassaPssSha512 = "RSASSA_PSS_SHA_512", RsassaPkcs1V15Sha256 = "RSASSA_PKCS1_V1_5_SHA_256",
        RsassaPkcs1V15Sha384 = "RSASSA_PKCS1_V1_5_SHA_384", RsassaPkcs1V15Sha512 = "RSASSA_PKCS1_V1_5_SHA_512",
        EcdsaSha256 = "ECDSA_SHA_256", EcdsaSha384 = "ECDSA_SHA_384", EcdsaSha512 = "ECDSA_SHA_512",
        Sm2dsa = "SM2DSA", MlDsaShake256 = "ML_DSA_SHAKE_256", Ed25519Sha512 = "ED25519_SHA_512",
        Ed25519PhSha512 = "ED25519_PH_SHA_512",
    }
}

wire_enum! {
    /// MAC algorithms (`MacAlgorithmSpec`), in the order AWS lists them in
    /// its "enum value set" message (LocalStack's recorded AWS answers), not
    /// the model's.
    MacAlgorithm {
        HmacSha384 = "HMAC_SHA_384", HmacSha256 = "HMAC_SHA_256",
        HmacSha224 = "HMAC_SHA_224", HmacSha512 = "HMAC_SHA_512",
    }
}

wire_enum! {
    /// Key agreement algorithms (`KeyAgreementAlgorithmSpec`).
    KeyAgreementAlgorithm { Ecdh = "ECDH" }
}

wire_enum! {
    /// What a grant allows (`GrantOperation`).
    GrantOperation {
        Decrypt = "Decrypt",
        Encrypt = "Encrypt",
        GenerateDataKey = "GenerateDataKey",
        GenerateDataKeyWithoutPlaintext = "GenerateDataKeyWithoutPlaintext",
        ReEncryptFrom = "ReEncryptFrom",
        ReEncryptTo = "ReEncryptTo",
        Sign = "Sign",
        Verify = "Verify",
        GetPublicKey = "GetPublicKey",
        CreateGrant = "CreateGrant",
        RetireGrant = "RetireGrant",
        DescribeKey = "DescribeKey",
        GenerateDataKeyPair = "GenerateDataKeyPair",
        GenerateDataKeyPairWithoutPlaintext = "GenerateDataKeyPairWithoutPlaintext",
        GenerateMac = "GenerateMac",
        VerifyMac = "VerifyMac",
        DeriveSharedSecret = "DeriveSharedSecret",
        Encapsulate = "Encapsulate",
        Decapsulate = "Decapsulate",
    }
}

wire_enum! {
    /// Encapsulation algorithms (`EncapsulationAlgorithmSpec`).
    EncapsulationAlgorithm { MlKem = "ML_KEM" }
}

wire_enum! {
    /// What a Sign or Verify message is (`MessageType`).
    MessageType { Raw = "RAW", Digest = "DIGEST", ExternalMu = "EXTERNAL_MU" }
}

wire_enum! {
    /// Key pair specs for GenerateDataKeyPair (`DataKeyPairSpec`).
    DataKeyPairSpec {
        Rsa2048 = "RSA_2048", Rsa3072 = "RSA_3072", Rsa4096 = "RSA_4096",
        EccNistP256 = "ECC_NIST_P256", EccNistP384 = "ECC_NIST_P384", EccNistP521 = "ECC_NIST_P521",
        EccSecgP256k1 = "ECC_SECG_P256K1", Sm2 = "SM2", EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
        MlKem512 = "ML_KEM_512", MlKem768 = "ML_KEM_768", MlKem1024 = "ML_KEM_1024",
    }
}

wire_enum! {
    /// Data key specs for GenerateDataKey (`DataKeySpec`).
    DataKeySpec { Aes256 = "AES_256", Aes128 = "AES_128" }
}

wire_enum! {
    /// Who manages a key (`KeyManagerType`).
    KeyManager { Aws = "AWS", Customer = "CUSTOMER" }
}

wire_enum! {
    /// Whether imported key material expires (`ExpirationModelType`).
    ExpirationModel {
        KeyMaterialExpires = "KEY_MATERIAL_EXPIRES",
        KeyMaterialDoesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE",
    }
}

wire_enum! {
    /// Key encryption mechanism for a Nitro enclave recipient.
    KeyEncryptionMechanism { RsaesOaepSha256 = "RSAES_OAEP_SHA_256" }
}

wire_enum! {
    /// Algorithms that wrap key material for import (`AlgorithmSpec`).
    WrappingAlgorithm {
        RsaesPkcs1V15 = "RSAES_PKCS1_V1_5", RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256", RsaAesKeyWrapSha1 = "RSA_AES_KEY_WRAP_SHA_1",
        RsaAesKeyWrapSha256 = "RSA_AES_KEY_WRAP_SHA_256", Sm2pke = "SM2PKE",
    }
}

wire_enum! {
    /// The wrapping key for an import (`WrappingKeySpec`).
    WrappingKeySpec { Rsa2048 = "RSA_2048", Rsa3072 = "RSA_3072", Rsa4096 = "RSA_4096", Sm2 = "SM2" }
}

wire_enum! {
    /// Whether an import brings the key's material or new material (`ImportType`).
    ImportType { NewKeyMaterial = "NEW_KEY_MATERIAL", ExistingKeyMaterial = "EXISTING_KEY_MATERIAL" }
}

wire_enum! {
    /// How a key's material was rotated (`RotationType`).
    RotationType { Automatic = "AUTOMATIC", OnDemand = "ON_DEMAND" }
}

wire_enum! {
    /// Which materials ListKeyRotations returns (`IncludeKeyMaterial`).
    IncludeKeyMaterial { AllKeyMaterial = "ALL_KEY_MATERIAL", RotationsOnly = "ROTATIONS_ONLY" }
}

wire_enum! {
    /// The state of one key material (`KeyMaterialState`).
    KeyMaterialState {
        NonCurrent = "NON_CURRENT", Current = "CURRENT", PendingRotation = "PENDING_ROTATION",
        PendingMultiRegionImportAndRotation = "PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
    }
}

wire_enum! {
    /// Dry-run modifiers.
    DryRunModifier { IgnoreCiphertext = "IGNORE_CIPHERTEXT" }
}

wire_enum! {
    /// IAM's `statusType`: an access key's status (`Expired` is the
    /// model's too, for other credential kinds; an access key is never given it).
    AccessKeyStatus { Active = "Active", Inactive = "Inactive", Expired = "Expired" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_survive_parsing() {
        let k: KeySpec = serde_json::from_str("\"SYMMETRIC_DEFAULT\"").unwrap();
        assert_eq!(k, KeySpec::SymmetricDefault);
        let k: KeySpec = serde_json::from_str("\"AES\"").unwrap();
        assert!(k.is_unknown());
        assert_eq!(k.as_str(), "AES");
        assert_eq!(serde_json::to_string(&KeyUsage::EncryptDecrypt).unwrap(), "\"ENCRYPT_DECRYPT\"");
        assert_eq!(KeySpec::VALUES.len(), 20);
    }
}
