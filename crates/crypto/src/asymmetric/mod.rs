//! Asymmetric, HMAC and post-quantum key material: generation, loading,
//! public keys, signatures, RSA-OAEP, ECDH, HMAC and ML-KEM.
//!
//! # Layout
//! - [`KeyKind`]: every non-symmetric kind of key material Trent holds.
//! - [`generate`]: fresh private material in its storage form (see
//!   [`KeyKind`] for each form). The storage form is what the key hierarchy
//!   wraps; it never leaves Trent except as a data key pair's private key.
//! - [`PrivateKey`]: material parsed once (it is cached by the keyring) and
//!   the operations it can do. No `Debug`, `Clone` or `Serialize`; the
//!   library types inside free and cleanse their memory on drop.
//! - [`verify_with_public_key`]: verification with a public key alone
//!   (SubjectPublicKeyInfo DER), for keys outside Trent and for tests.
//!
//! - `der.rs`: DER reading (SubjectPublicKeyInfo checks) and writing (ML-KEM
//!   keys); `ml_dsa_ext.rs`: ML-DSA signing of an external μ; `tests.rs`.
//!
//! aws-lc-rs does everything it can; see the comments where another crate
//! fills a gap and why.

/// A kind of non-symmetric key material.
///
/// Storage forms (what [`generate`] returns and [`PrivateKey::load`] reads):
/// - RSA, NIST ECC, secp256k1, Ed25519: PKCS#8 v1 DER (`PrivateKeyInfo`).
/// - ML-DSA: the 32-byte key-generation seed ξ (FIPS 204).
/// - ML-KEM: the 64-byte key-generation seed d ‖ z (FIPS 203).
/// - HMAC: the raw key bytes (generated keys are as long as the digest;
///   imported ones may be 28 to 64 bytes... any length ≥ 1 is loaded).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// RSA, 2048-bit modulus.
    Rsa2048,
    /// RSA, 3072-bit modulus.
    Rsa3072,
    /// RSA, 4096-bit modulus.
    Rsa4096,
    /// ECC on NIST P-256.
    EccP256,
    /// ECC on NIST P-384.
    EccP384,
    /// ECC on NIST P-521.
    EccP521,
    /// ECC on secp256k1.
    EccSecp256k1,
    /// Ed25519.
    Ed25519,
    /// ML-DSA-44.
    MlDsa44,
    /// ML-DSA-65.
    MlDsa65,
    /// ML-DSA-87.
    MlDsa87,
    /// ML-KEM-512.
    MlKem512,
    /// ML-KEM-768.
    MlKem768,
    /// ML-KEM-1024.
    MlKem1024,
    /// HMAC with SHA-224.
    Hmac224,
    /// HMAC with SHA-256.
    Hmac256,
    /// HMAC with SHA-384.
    Hmac384,
    /// HMAC with SHA-512.
    Hmac512,
}

/// A signing algorithm (KMS `SigningAlgorithmSpec`, minus SM2DSA).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningAlgorithm {
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, salt length 32.
    RsaPssSha256,
    /// RSASSA-PSS with SHA-384, MGF1-SHA-384, salt length 48.
    RsaPssSha384,
    /// RSASSA-PSS with SHA-512, MGF1-SHA-512, salt length 64.
    RsaPssSha512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaPkcs1Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RsaPkcs1Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RsaPkcs1Sha512,
    /// ECDSA with SHA-256, DER signature.
    EcdsaSha256,
    /// ECDSA with SHA-384, DER signature.
    EcdsaSha384,
    /// ECDSA with SHA-512, DER signature.
    EcdsaSha512,
    /// Ed25519 (pure), RFC 8032.
    Ed25519,
    /// Ed25519ph with SHA-512 and an empty context, RFC 8032.
    Ed25519Ph,
    /// ML-DSA (FIPS 204, pure, empty context).
    MlDsa,
}

/// What the `message` of a sign or verify call is (KMS `MessageType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    /// The message itself; hashed here as the algorithm says.
    Raw,
    /// The message's digest under the algorithm's hash; its length must be
    /// exactly the digest length.
    Digest,
    /// ML-DSA only: the 64-byte μ computed outside (FIPS 204 external μ).
    ExternalMu,
}

/// The hash of RSA-OAEP (MGF1 uses the same hash; the label is empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OaepHash {
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

/// An HMAC algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacAlgorithm {
    /// HMAC-SHA-224.
    Sha224,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-384.
    Sha384,
    /// HMAC-SHA-512.
    Sha512,
}

use crate::{CryptoError, CryptoProvider, SecretBytes};
use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use aws_lc_rs::{agreement, digest, hmac, kem, rsa};
use zeroize::Zeroizing;

mod der;
use der::{ml_kem_pkcs8, ml_kem_spki, spki_has_named_curve, spki_raw, ED25519_SPKI_PREFIX};

/// Length of an ML-DSA key-generation seed ξ (FIPS 204).
const ML_DSA_SEED_LEN: usize = 32;
/// Length of an ML-DSA external μ (FIPS 204).
const ML_DSA_MU_LEN: usize = 64;
/// Length of an Ed25519ph prehash (SHA-512).
const SHA512_LEN: usize = 64;

impl KeyKind {
    /// Every kind, for tests and tables.
    pub const ALL: [KeyKind; 18] = [
        KeyKind::Rsa2048,
        KeyKind::Rsa3072,
        KeyKind::Rsa4096,
        KeyKind::EccP256,
        KeyKind::EccP384,
        KeyKind::EccP521,
        KeyKind::EccSecp256k1,
        KeyKind::Ed25519,
        KeyKind::MlDsa44,
        KeyKind::MlDsa65,
        KeyKind::MlDsa87,
        KeyKind::MlKem512,
        KeyKind::MlKem768,
        KeyKind::MlKem1024,
        KeyKind::Hmac224,
        KeyKind::Hmac256,
        KeyKind::Hmac384,
        KeyKind::Hmac512,
    ];

    /// A name for messages and logs (the KMS key spec).
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Rsa2048 => "RSA_2048",
            KeyKind::Rsa3072 => "RSA_3072",
            KeyKind::Rsa4096 => "RSA_4096",
            KeyKind::EccP256 => "ECC_NIST_P256",
            KeyKind::EccP384 => "ECC_NIST_P384",
            KeyKind::EccP521 => "ECC_NIST_P521",
            KeyKind::EccSecp256k1 => "ECC_SECG_P256K1",
            KeyKind::Ed25519 => "ECC_NIST_EDWARDS25519",
            KeyKind::MlDsa44 => "ML_DSA_44",
            KeyKind::MlDsa65 => "ML_DSA_65",
            KeyKind::MlDsa87 => "ML_DSA_87",
            KeyKind::MlKem512 => "ML_KEM_512",
            KeyKind::MlKem768 => "ML_KEM_768",
            KeyKind::MlKem1024 => "ML_KEM_1024",
            KeyKind::Hmac224 => "HMAC_224",
            KeyKind::Hmac256 => "HMAC_256",
            KeyKind::Hmac384 => "HMAC_384",
            KeyKind::Hmac512 => "HMAC_512",
        }
    }

    fn rsa_size(self) -> Option<rsa::KeySize> {
        match self {
            KeyKind::Rsa2048 => Some(rsa::KeySize::Rsa2048),
            KeyKind::Rsa3072 => Some(rsa::KeySize::Rsa3072),
            KeyKind::Rsa4096 => Some(rsa::KeySize::Rsa4096),
            _ => None,
        }
    }

    /// ECDSA: the signing algorithm, the verification algorithm, the one
    /// KMS algorithm the curve takes, its digest, and ECDH where KMS offers it.
    fn ecdsa(self) -> Option<EcdsaParams> {
        let (signing, verification, algorithm, digest, ecdh): EcdsaParams = match self {
            KeyKind::EccP256 => (
                &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
                &sig::ECDSA_P256_SHA256_ASN1,
                SigningAlgorithm::EcdsaSha256,
                &digest::SHA256,
                Some(&agreement::ECDH_P256),
            ),
            KeyKind::EccP384 => (
                &sig::ECDSA_P384_SHA384_ASN1_SIGNING,
                &sig::ECDSA_P384_SHA384_ASN1,
                SigningAlgorithm::EcdsaSha384,
                &digest::SHA384,
                Some(&agreement::ECDH_P384),
            ),
            KeyKind::EccP521 => (
                &sig::ECDSA_P521_SHA512_ASN1_SIGNING,
                &sig::ECDSA_P521_SHA512_ASN1,
                SigningAlgorithm::EcdsaSha512,
                &digest::SHA512,
                Some(&agreement::ECDH_P521),
            ),
            // aws-lc-rs has secp256k1 ECDSA; KMS offers no ECDH on it.
            KeyKind::EccSecp256k1 => (
                &sig::ECDSA_P256K1_SHA256_ASN1_SIGNING,
                &sig::ECDSA_P256K1_SHA256_ASN1,
                SigningAlgorithm::EcdsaSha256,
                &digest::SHA256,
                None,
            ),
            _ => return None,
        };
        Some((signing, verification, algorithm, digest, ecdh))
    }

    fn ml_dsa(self) -> Option<(&'static sig::PqdsaSigningAlgorithm, &'static sig::PqdsaVerificationAlgorithm)> {
        match self {
            KeyKind::MlDsa44 => Some((&sig::ML_DSA_44_SIGNING, &sig::ML_DSA_44)),
            KeyKind::MlDsa65 => Some((&sig::ML_DSA_65_SIGNING, &sig::ML_DSA_65)),
            KeyKind::MlDsa87 => Some((&sig::ML_DSA_87_SIGNING, &sig::ML_DSA_87)),
            _ => None,
        }
    }

    fn ml_kem(self) -> Option<(&'static kem::Algorithm, MlKemDer)> {
        match self {
            KeyKind::MlKem512 => Some((&kem::ML_KEM_512, MlKemDer { oid_last: 1, ciphertext_len: 768, rank: 2 })),
            KeyKind::MlKem768 => Some((&kem::ML_KEM_768, MlKemDer { oid_last: 2, ciphertext_len: 1088, rank: 3 })),
            KeyKind::MlKem1024 => Some((&kem::ML_KEM_1024, MlKemDer { oid_last: 3, ciphertext_len: 1568, rank: 4 })),
            _ => None,
        }
    }

    fn hmac(self) -> Option<(hmac::Algorithm, MacAlgorithm, usize)> {
        match self {
            KeyKind::Hmac224 => Some((hmac::HMAC_SHA224, MacAlgorithm::Sha224, 28)),
            KeyKind::Hmac256 => Some((hmac::HMAC_SHA256, MacAlgorithm::Sha256, 32)),
            KeyKind::Hmac384 => Some((hmac::HMAC_SHA384, MacAlgorithm::Sha384, 48)),
            KeyKind::Hmac512 => Some((hmac::HMAC_SHA512, MacAlgorithm::Sha512, 64)),
            _ => None,
        }
    }
}

type EcdsaParams = (
    &'static sig::EcdsaSigningAlgorithm,
    &'static sig::EcdsaVerificationAlgorithm,
    SigningAlgorithm,
    &'static digest::Algorithm,
    Option<&'static agreement::Algorithm>,
);

/// What the DER forms of an ML-KEM key need.
struct MlKemDer {
    /// Last arc of id-alg-ml-kem-* (2.16.840.1.101.3.4.4.x).
    oid_last: u8,
    ciphertext_len: usize,
    /// The module rank k: the decapsulation key is
    /// dk_PKE (384k) ‖ ek (384k + 32) ‖ H(ek) (32) ‖ z (32) (FIPS 203).
    rank: usize,
}

impl MlKemDer {
    /// The encapsulation key inside a decapsulation key, after the FIPS 203
    /// §7.3 input check (lengths, and H(ek) equal to the stored hash).
    /// aws-lc takes any bytes of the right length as a decapsulation key.
    fn encapsulation_key<'a>(&self, dk: &'a [u8]) -> Option<&'a [u8]> {
        let ek_start = 384 * self.rank;
        let ek_end = ek_start + 384 * self.rank + 32;
        if dk.len() != ek_end + 64 {
            return None;
        }
        let ek = &dk[ek_start..ek_end];
        let hash = digest::digest(&digest::SHA3_256, ek);
        aws_lc_rs::constant_time::verify_slices_are_equal(hash.as_ref(), &dk[ek_end..ek_end + 32]).ok()?;
        Some(ek)
    }
}

impl SigningAlgorithm {
    /// RSA: the padding, and the digest DIGEST messages are made with.
    fn rsa(self) -> Option<(&'static dyn sig::RsaEncoding, &'static sig::RsaParameters, &'static digest::Algorithm)> {
        Some(match self {
            SigningAlgorithm::RsaPssSha256 => (&sig::RSA_PSS_SHA256, &sig::RSA_PSS_2048_8192_SHA256, &digest::SHA256),
            SigningAlgorithm::RsaPssSha384 => (&sig::RSA_PSS_SHA384, &sig::RSA_PSS_2048_8192_SHA384, &digest::SHA384),
            SigningAlgorithm::RsaPssSha512 => (&sig::RSA_PSS_SHA512, &sig::RSA_PSS_2048_8192_SHA512, &digest::SHA512),
            SigningAlgorithm::RsaPkcs1Sha256 => {
                (&sig::RSA_PKCS1_SHA256, &sig::RSA_PKCS1_2048_8192_SHA256, &digest::SHA256)
            }
            SigningAlgorithm::RsaPkcs1Sha384 => {
                (&sig::RSA_PKCS1_SHA384, &sig::RSA_PKCS1_2048_8192_SHA384, &digest::SHA384)
            }
            SigningAlgorithm::RsaPkcs1Sha512 => {
                (&sig::RSA_PKCS1_SHA512, &sig::RSA_PKCS1_2048_8192_SHA512, &digest::SHA512)
            }
            _ => return None,
        })
    }
}

impl OaepHash {
    fn algorithm(self) -> &'static rsa::OaepAlgorithm {
        match self {
            OaepHash::Sha1 => &rsa::OAEP_SHA1_MGF1SHA1,
            OaepHash::Sha256 => &rsa::OAEP_SHA256_MGF1SHA256,
        }
    }
}

fn library(what: &'static str) -> impl FnOnce(aws_lc_rs::error::Unspecified) -> CryptoError {
    move |_| CryptoError::Library(what)
}

fn secret(bytes: &[u8]) -> SecretBytes {
    SecretBytes::new(Zeroizing::new(bytes.to_vec()))
}

/// Fresh private material of `kind` in its storage form (see [`KeyKind`]).
///
/// RSA, ECC and ML-KEM keys come from aws-lc's own generators (which draw
/// from its DRBG); ML-DSA seeds and HMAC keys are drawn from `provider`.
pub fn generate(provider: &dyn CryptoProvider, kind: KeyKind) -> Result<SecretBytes, CryptoError> {
    if let Some(size) = kind.rsa_size() {
        let pair = sig::RsaKeyPair::generate(size).map_err(library("rsa key generation"))?;
        let der = pair.as_der().map_err(library("rsa key encoding"))?;
        return Ok(secret(der.as_ref()));
    }
    if let Some((signing, ..)) = kind.ecdsa() {
        let pair = sig::EcdsaKeyPair::generate(signing).map_err(library("ec key generation"))?;
        let der = pair.to_pkcs8v1().map_err(library("ec key encoding"))?;
        return Ok(secret(der.as_ref()));
    }
    if kind == KeyKind::Ed25519 {
        let pair = sig::Ed25519KeyPair::generate().map_err(library("ed25519 key generation"))?;
        let der = pair.to_pkcs8v1().map_err(library("ed25519 key encoding"))?;
        return Ok(secret(der.as_ref()));
    }
    if kind.ml_dsa().is_some() {
        let mut seed = SecretBytes::zeroed(ML_DSA_SEED_LEN);
        provider.fill_random(seed.expose_mut())?;
        return Ok(seed);
    }
    if let Some((alg, _)) = kind.ml_kem() {
        let dk = kem::DecapsulationKey::generate(alg).map_err(library("ml-kem key generation"))?;
        let bytes = dk.key_bytes().map_err(library("ml-kem key encoding"))?;
        return Ok(secret(bytes.as_ref()));
    }
    if let Some((_, _, len)) = kind.hmac() {
        let mut key = SecretBytes::zeroed(len);
        provider.fill_random(key.expose_mut())?;
        return Ok(key);
    }
    Err(CryptoError::Unsupported(kind.name()))
}

/// The parsed key and what the library needs to use it.
enum Inner {
    Rsa {
        signing: sig::RsaKeyPair,
        decrypting: rsa::PrivateDecryptingKey,
    },
    Ecdsa {
        signing: sig::EcdsaKeyPair,
        agreement: Option<agreement::PrivateKey>,
    },
    /// aws-lc-rs signs pure Ed25519; it has no safe API for Ed25519ph
    /// (RFC 8032 §5.1 with a prehash), which ed25519-dalek (dalek-cryptography,
    /// widely used and audited) provides. Both load the same 32-byte seed.
    Ed25519 {
        signing: sig::Ed25519KeyPair,
        prehash: Box<ed25519_dalek::SigningKey>,
    },
    /// The seed stays in `PrivateKey::material` for external-μ signing.
    MlDsa(sig::PqdsaKeyPair),
    MlKem {
        dk: kem::DecapsulationKey,
        ek: kem::EncapsulationKey,
    },
    Hmac(Box<hmac::Key>),
}

/// Parsed private material and what it can do.
pub struct PrivateKey {
    kind: KeyKind,
    /// The storage form, kept for PKCS#8 export and ML-DSA external μ.
    material: SecretBytes,
    /// DER SubjectPublicKeyInfo; empty for HMAC keys.
    public_der: Vec<u8>,
    inner: Inner,
}

impl PrivateKey {
    /// Parses material in its storage form. Fails with
    /// [`CryptoError::Malformed`] when it is not material of `kind`.
    pub fn load(kind: KeyKind, material: &[u8]) -> Result<Self, CryptoError> {
        let malformed = |_| CryptoError::Malformed("private key material");
        let (inner, public_der) = if let Some(size) = kind.rsa_size() {
            let signing = sig::RsaKeyPair::from_pkcs8(material).map_err(malformed)?;
            if signing.public_modulus_len() != size.len() {
                return Err(CryptoError::Malformed("private key material"));
            }
            let decrypting = rsa::PrivateDecryptingKey::from_pkcs8(material).map_err(malformed)?;
            let der = signing.public_key().as_der().map_err(library("rsa public key"))?;
            (Inner::Rsa { signing, decrypting }, der.as_ref().to_vec())
        } else if let Some((signing_alg, _, _, _, ecdh)) = kind.ecdsa() {
            let signing = sig::EcdsaKeyPair::from_pkcs8(signing_alg, material).map_err(malformed)?;
            let agreement = match ecdh {
                Some(alg) => Some(agreement::PrivateKey::from_private_key_der(alg, material).map_err(malformed)?),
                None => None,
            };
            let der = signing.public_key().as_der().map_err(library("ec public key"))?;
            (Inner::Ecdsa { signing, agreement }, der.as_ref().to_vec())
        } else if kind == KeyKind::Ed25519 {
            let signing = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(material).map_err(malformed)?;
            let seed = signing.seed().map_err(library("ed25519 seed"))?;
            let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
                aws_lc_rs::encoding::AsBigEndian::as_be_bytes(&seed)
                    .map_err(library("ed25519 seed"))?
                    .as_ref()
                    .try_into()
                    .map_err(|_| CryptoError::Malformed("private key material"))?,
            );
            let prehash = Box::new(ed25519_dalek::SigningKey::from_bytes(&seed));
            let der = signing.public_key().as_der().map_err(library("ed25519 public key"))?;
            (Inner::Ed25519 { signing, prehash }, der.as_ref().to_vec())
        } else if let Some((signing_alg, _)) = kind.ml_dsa() {
            let pair = sig::PqdsaKeyPair::from_seed(signing_alg, material).map_err(malformed)?;
            let der = pair.public_key().as_der().map_err(library("ml-dsa public key"))?;
            (Inner::MlDsa(pair), der.as_ref().to_vec())
        } else if let Some((alg, der)) = kind.ml_kem() {
            let raw = der.encapsulation_key(material).ok_or(CryptoError::Malformed("private key material"))?;
            let dk = kem::DecapsulationKey::new(alg, material).map_err(malformed)?;
            let ek = kem::EncapsulationKey::new(alg, raw).map_err(malformed)?;
            let spki = ml_kem_spki(der.oid_last, raw);
            (Inner::MlKem { dk, ek }, spki)
        } else if let Some((alg, _, _)) = kind.hmac() {
            if material.is_empty() {
                return Err(CryptoError::Malformed("private key material"));
            }
            (Inner::Hmac(Box::new(hmac::Key::new(alg, material))), Vec::new())
        } else {
            return Err(CryptoError::Unsupported(kind.name()));
        };
        Ok(PrivateKey { kind, material: secret(material), public_der, inner })
    }

    /// The kind.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The public key as DER SubjectPublicKeyInfo (RFC 5280), as KMS
    /// GetPublicKey returns it. Fails for HMAC keys.
    pub fn public_key_der(&self) -> Result<Vec<u8>, CryptoError> {
        if self.public_der.is_empty() {
            return Err(CryptoError::InvalidInput("HMAC keys have no public key"));
        }
        Ok(self.public_der.clone())
    }

    /// The private key as PKCS#8 DER, as GenerateDataKeyPair returns it.
    /// ML-DSA keys come out in the seed form and ML-KEM keys in the
    /// expanded-key form of the IETF LAMPS ML-DSA / ML-KEM key formats.
    pub fn private_key_pkcs8(&self) -> Result<SecretBytes, CryptoError> {
        match &self.inner {
            Inner::Rsa { .. } | Inner::Ecdsa { .. } | Inner::Ed25519 { .. } => Ok(secret(self.material.expose())),
            Inner::MlDsa(pair) => {
                let der = pair.to_pkcs8v1().map_err(library("ml-dsa key encoding"))?;
                Ok(secret(der.as_ref()))
            }
            Inner::MlKem { .. } => {
                let (_, der) = self.kind.ml_kem().ok_or(CryptoError::Unsupported(self.kind.name()))?;
                Ok(ml_kem_pkcs8(der.oid_last, self.material.expose()))
            }
            Inner::Hmac(_) => Err(CryptoError::InvalidInput("HMAC keys have no PKCS#8 form")),
        }
    }

    /// Signs. RSA-PSS, ECDSA and ML-DSA signatures are randomized; Ed25519
    /// and PKCS#1 v1.5 ones are deterministic. Fails with
    /// [`CryptoError::InvalidInput`] for an algorithm or message kind this
    /// key does not take, or a digest of the wrong length.
    pub fn sign(&self, alg: SigningAlgorithm, kind: MessageKind, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match &self.inner {
            Inner::Rsa { signing, .. } => {
                let (encoding, _, hash) = alg.rsa().ok_or(CryptoError::InvalidInput("algorithm"))?;
                let mut out = vec![0u8; signing.public_modulus_len()];
                match kind {
                    MessageKind::Raw => signing.sign(encoding, &SystemRandom::new(), message, &mut out),
                    MessageKind::Digest => signing.sign_digest(encoding, &import_digest(message, hash)?, &mut out),
                    MessageKind::ExternalMu => return Err(CryptoError::InvalidInput("message type")),
                }
                .map_err(library("rsa signing"))?;
                Ok(out)
            }
            Inner::Ecdsa { signing, .. } => {
                let (_, _, only, hash, _) = self.kind.ecdsa().ok_or(CryptoError::Unsupported(self.kind.name()))?;
                if alg != only {
                    return Err(CryptoError::InvalidInput("algorithm"));
                }
                let signature = match kind {
                    MessageKind::Raw => signing.sign(&SystemRandom::new(), message),
                    MessageKind::Digest => signing.sign_digest(&import_digest(message, hash)?),
                    MessageKind::ExternalMu => return Err(CryptoError::InvalidInput("message type")),
                }
                .map_err(library("ecdsa signing"))?;
                Ok(signature.as_ref().to_vec())
            }
            Inner::Ed25519 { signing, prehash } => match (alg, kind) {
                (SigningAlgorithm::Ed25519, MessageKind::Raw) => Ok(signing.sign(message).as_ref().to_vec()),
                (SigningAlgorithm::Ed25519Ph, MessageKind::Raw | MessageKind::Digest) => {
                    let ph = Prehashed::of(kind, message)?;
                    let signature = prehash.sign_prehashed(ph, None).map_err(|_| CryptoError::Library("ed25519ph"))?;
                    Ok(signature.to_bytes().to_vec())
                }
                _ => Err(CryptoError::InvalidInput("algorithm or message type")),
            },
            Inner::MlDsa(pair) => match (alg, kind) {
                (SigningAlgorithm::MlDsa, MessageKind::Raw) => {
                    let mut out = vec![0u8; pair.algorithm().signature_len()];
                    let n = pair.sign(message, &mut out).map_err(library("ml-dsa signing"))?;
                    out.truncate(n);
                    Ok(out)
                }
                (SigningAlgorithm::MlDsa, MessageKind::ExternalMu) => {
                    ml_dsa_ext::sign_mu(self.kind, self.material.expose(), message)
                }
                _ => Err(CryptoError::InvalidInput("algorithm or message type")),
            },
            Inner::MlKem { .. } | Inner::Hmac(_) => Err(CryptoError::InvalidInput("this key does not sign")),
        }
    }

    /// Verifies a signature with this key's public half: `Ok(false)` when it
    /// does not verify (including a malformed signature), `Err` only for a
    /// request this key cannot take (as for [`PrivateKey::sign`]).
    pub fn verify(
        &self,
        alg: SigningAlgorithm,
        kind: MessageKind,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, CryptoError> {
        if matches!(self.inner, Inner::MlKem { .. } | Inner::Hmac(_)) {
            return Err(CryptoError::InvalidInput("this key does not sign"));
        }
        verify_with_public_key(self.kind, &self.public_der, alg, kind, message, signature)
    }

    /// RSA-OAEP encryption with this key's public half. Fails with
    /// [`CryptoError::InvalidInput`] when the plaintext is too long.
    pub fn encrypt_oaep(&self, hash: OaepHash, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let Inner::Rsa { decrypting, .. } = &self.inner else {
            return Err(CryptoError::InvalidInput("not an RSA key"));
        };
        let key = rsa::OaepPublicEncryptingKey::new(decrypting.public_key()).map_err(library("rsa public key"))?;
        if plaintext.len() > key.max_plaintext_size(hash.algorithm()) {
            return Err(CryptoError::InvalidInput("plaintext too long for RSA-OAEP"));
        }
        let mut out = vec![0u8; key.ciphertext_size()];
        let n = key.encrypt(hash.algorithm(), plaintext, &mut out, None).map_err(library("rsa-oaep"))?.len();
        out.truncate(n);
        Ok(out)
    }

    /// RSA-OAEP decryption; [`CryptoError::Authentication`] for any bad
    /// ciphertext (one error for every cause).
    pub fn decrypt_oaep(&self, hash: OaepHash, ciphertext: &[u8]) -> Result<SecretBytes, CryptoError> {
        let Inner::Rsa { decrypting, .. } = &self.inner else {
            return Err(CryptoError::InvalidInput("not an RSA key"));
        };
        let key = rsa::OaepPrivateDecryptingKey::new(decrypting.clone()).map_err(library("rsa private key"))?;
        let mut out = SecretBytes::zeroed(key.min_output_size());
        let n = key
            .decrypt(hash.algorithm(), ciphertext, out.expose_mut(), None)
            .map_err(|_| CryptoError::Authentication)?
            .len();
        let mut bytes = out.into_zeroizing();
        bytes.truncate(n);
        Ok(SecretBytes::new(bytes))
    }

    /// ECDH (NIST curves) with a peer public key in DER SubjectPublicKeyInfo:
    /// the raw shared secret (the x coordinate). [`CryptoError::InvalidInput`]
    /// when the peer key is malformed, on another curve or not on the curve.
    pub fn derive_shared_secret(&self, peer_spki_der: &[u8]) -> Result<SecretBytes, CryptoError> {
        let Inner::Ecdsa { agreement: Some(private), .. } = &self.inner else {
            return Err(CryptoError::InvalidInput("not a key agreement key"));
        };
        ecdh(private, peer_spki_der)
    }

    /// HMAC of `message` (full-length tag).
    pub fn mac(&self, alg: MacAlgorithm, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key = self.hmac_key(alg)?;
        Ok(hmac::sign(key, message).as_ref().to_vec())
    }

    /// Checks an HMAC tag in constant time (aws-lc's `hmac::verify`).
    pub fn verify_mac(&self, alg: MacAlgorithm, message: &[u8], tag: &[u8]) -> Result<bool, CryptoError> {
        let key = self.hmac_key(alg)?;
        Ok(hmac::verify(key, message, tag).is_ok())
    }

    fn hmac_key(&self, alg: MacAlgorithm) -> Result<&hmac::Key, CryptoError> {
        match (&self.inner, self.kind.hmac()) {
            (Inner::Hmac(key), Some((_, only, _))) if only == alg => Ok(key),
            _ => Err(CryptoError::InvalidInput("algorithm")),
        }
    }

    /// ML-KEM encapsulation to this key's public half: (ciphertext, shared
    /// secret).
    pub fn encapsulate(&self) -> Result<(Vec<u8>, SecretBytes), CryptoError> {
        let Inner::MlKem { ek, .. } = &self.inner else {
            return Err(CryptoError::InvalidInput("not an ML-KEM key"));
        };
        let (ciphertext, shared) = ek.encapsulate().map_err(library("ml-kem encapsulation"))?;
        Ok((ciphertext.as_ref().to_vec(), secret(shared.as_ref())))
    }

    /// ML-KEM decapsulation. A ciphertext of the wrong length fails with
    /// [`CryptoError::InvalidInput`]; a wrong one of the right length yields
    /// the implicit-rejection secret, as FIPS 203 says.
    pub fn decapsulate(&self, ciphertext: &[u8]) -> Result<SecretBytes, CryptoError> {
        let (Inner::MlKem { dk, .. }, Some((_, der))) = (&self.inner, self.kind.ml_kem()) else {
            return Err(CryptoError::InvalidInput("not an ML-KEM key"));
        };
        if ciphertext.len() != der.ciphertext_len {
            return Err(CryptoError::InvalidInput("ciphertext length"));
        }
        let shared = dk.decapsulate(kem::Ciphertext::from(ciphertext)).map_err(library("ml-kem decapsulation"))?;
        Ok(secret(shared.as_ref()))
    }
}

fn import_digest(message: &[u8], hash: &'static digest::Algorithm) -> Result<digest::Digest, CryptoError> {
    digest::Digest::import_less_safe(message, hash).map_err(|_| CryptoError::InvalidInput("digest length"))
}

/// ECDH with an aws-lc private key and a peer SubjectPublicKeyInfo. Only the
/// X.509 form is taken (KMS requires it), never a bare point, and only with a
/// named curve (RFC 5480): aws-lc also takes explicit curve parameters, which
/// Wycheproof shows may omit the cofactor and still be accepted.
fn ecdh(private: &agreement::PrivateKey, peer_spki_der: &[u8]) -> Result<SecretBytes, CryptoError> {
    if !spki_has_named_curve(peer_spki_der) {
        return Err(CryptoError::InvalidInput("peer public key"));
    }
    let unparsed = agreement::UnparsedPublicKey::new(private.algorithm(), peer_spki_der);
    let peer =
        agreement::ParsedPublicKey::try_from(&unparsed).map_err(|_| CryptoError::InvalidInput("peer public key"))?;
    if !matches!(peer.format(), agreement::ParsedPublicKeyFormat::X509) {
        return Err(CryptoError::InvalidInput("peer public key"));
    }
    agreement::agree(private, peer, CryptoError::InvalidInput("peer public key"), |shared| Ok(secret(shared)))
}

/// [`ecdh`] for the Wycheproof run, which has raw private scalars.
#[cfg(test)]
pub(crate) fn ecdh_for_tests(
    private: &agreement::PrivateKey,
    peer_spki_der: &[u8],
) -> Result<SecretBytes, CryptoError> {
    ecdh(private, peer_spki_der)
}

/// Verifies a signature with a public key alone (DER SubjectPublicKeyInfo of
/// `kind`). `Ok(false)` when it does not verify or the key is malformed;
/// `Err` for an algorithm or message kind `kind` does not take.
pub fn verify_with_public_key(
    kind: KeyKind,
    spki_der: &[u8],
    alg: SigningAlgorithm,
    message_kind: MessageKind,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, CryptoError> {
    let bad_request = || CryptoError::InvalidInput("algorithm or message type");
    if kind.rsa_size().is_some() {
        let (_, params, hash) = alg.rsa().ok_or_else(bad_request)?;
        let Ok(key) = sig::ParsedPublicKey::new(params, spki_der) else {
            return Ok(false);
        };
        return Ok(match message_kind {
            MessageKind::Raw => key.verify_sig(message, signature).is_ok(),
            MessageKind::Digest => key.verify_digest_sig(&import_digest(message, hash)?, signature).is_ok(),
            MessageKind::ExternalMu => return Err(bad_request()),
        });
    }
    if let Some((_, verification, only, hash, _)) = kind.ecdsa() {
        if alg != only {
            return Err(bad_request());
        }
        let Ok(key) = sig::ParsedPublicKey::new(verification, spki_der) else {
            return Ok(false);
        };
        return Ok(match message_kind {
            MessageKind::Raw => key.verify_sig(message, signature).is_ok(),
            MessageKind::Digest => key.verify_digest_sig(&import_digest(message, hash)?, signature).is_ok(),
            MessageKind::ExternalMu => return Err(bad_request()),
        });
    }
    if kind == KeyKind::Ed25519 {
        let Some(raw) = spki_raw(spki_der, &ED25519_SPKI_PREFIX, 32) else {
            return Ok(false);
        };
        return match (alg, message_kind) {
            (SigningAlgorithm::Ed25519, MessageKind::Raw) => {
                Ok(sig::UnparsedPublicKey::new(&sig::ED25519, raw).verify(message, signature).is_ok())
            }
            (SigningAlgorithm::Ed25519Ph, MessageKind::Raw | MessageKind::Digest) => {
                let ph = Prehashed::of(message_kind, message)?;
                let Ok(key_bytes) = <&[u8; 32]>::try_from(raw) else {
                    return Ok(false);
                };
                let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(key_bytes) else {
                    return Ok(false);
                };
                let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
                    return Ok(false);
                };
                Ok(key.verify_prehashed(ph, None, &signature).is_ok())
            }
            _ => Err(bad_request()),
        };
    }
    if let Some((_, verification)) = kind.ml_dsa() {
        if alg != SigningAlgorithm::MlDsa {
            return Err(bad_request());
        }
        return match message_kind {
            MessageKind::Raw => {
                let Ok(key) = sig::ParsedPublicKey::new(verification, spki_der) else {
                    return Ok(false);
                };
                Ok(key.verify_sig(message, signature).is_ok())
            }
            MessageKind::ExternalMu => ml_dsa_ext::verify_mu(kind, spki_der, message, signature),
            MessageKind::Digest => Err(bad_request()),
        };
    }
    Err(CryptoError::InvalidInput("this key does not sign"))
}

// --- Ed25519ph ------------------------------------------------------------

/// The 64-byte SHA-512 prehash handed to ed25519-dalek as a `Digest`.
///
/// ed25519-dalek takes the Ed25519ph prehash as a hash *state* it finalizes;
/// KMS DIGEST messages are the finished SHA-512 output. This adapter is a
/// "digest" whose output is the 64 bytes it was fed, so the same code path
/// serves RAW (hashed here with aws-lc) and DIGEST messages.
#[derive(Default)]
struct Prehashed(Zeroizing<Vec<u8>>);

impl Prehashed {
    fn of(kind: MessageKind, message: &[u8]) -> Result<Self, CryptoError> {
        let bytes = match kind {
            MessageKind::Raw => digest::digest(&digest::SHA512, message).as_ref().to_vec(),
            MessageKind::Digest if message.len() == SHA512_LEN => message.to_vec(),
            MessageKind::Digest => return Err(CryptoError::InvalidInput("digest length")),
            MessageKind::ExternalMu => return Err(CryptoError::InvalidInput("message type")),
        };
        Ok(Prehashed(Zeroizing::new(bytes)))
    }
}

impl ::digest::HashMarker for Prehashed {}

impl ::digest::OutputSizeUser for Prehashed {
    type OutputSize = ::digest::consts::U64;
}

impl ::digest::Update for Prehashed {
    fn update(&mut self, data: &[u8]) {
        self.0.extend_from_slice(data);
    }
}

impl ::digest::FixedOutput for Prehashed {
    fn finalize_into(self, out: &mut ::digest::Output<Self>) {
        // `of` guarantees 64 bytes; ed25519-dalek never feeds more.
        let n = out.len().min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
    }
}

// --- ML-DSA external μ -----------------------------------------------------

/// Signing and verifying a precomputed μ (FIPS 204 Algorithm 2/3 with
/// external μ). aws-lc-rs has no safe API for it (its digest path refuses
/// ML-DSA on purpose), so RustCrypto's `ml-dsa` does it from the same seed:
/// FIPS 204 key generation is deterministic in ξ, so both libraries hold the
/// same key (a test checks the public keys are equal). Signing is hedged with
/// 32 bytes from aws-lc's RNG, as FIPS 204 recommends.
mod ml_dsa_ext;

#[cfg(test)]
mod tests;
