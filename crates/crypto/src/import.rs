//! The cryptography of importing key material (bring your own key), as AWS
//! KMS does it in `GetParametersForImport` / `ImportKeyMaterial`.
//!
//! The service hands out the public half of a fresh RSA [`WrappingKeyPair`];
//! the client encrypts its key material to it with one of the
//! [`WrappingAlgorithm`]s; [`WrappingKeyPair::unwrap_material`] recovers it.
//!
//! # Formats
//! With `k` the RSA modulus length in bytes (256, 384 or 512):
//!
//! ```text
//! RSAES_OAEP_SHA_1 / _256:         RSA-OAEP(material)                      (k bytes)
//! RSA_AES_KEY_WRAP_SHA_1 / _256:   RSA-OAEP(K) (k bytes) || AES-KWP(K, material)
//! ```
//!
//! RSA-OAEP uses the named hash both for OAEP and for MGF1, with an empty
//! label. `K` is an ephemeral 256-bit AES key and AES-KWP is AES Key Wrap with
//! Padding (RFC 5649), which is what `openssl enc -id-aes256-wrap-pad` makes.
//! Plain OAEP fits at most `k - 2·hLen - 2` bytes, too few for an RSA or EC
//! private key; the key-wrap algorithms take material of any length.
//!
//! # Reasons
//! - Every failure to unwrap, whatever its cause (length, padding, wrong key,
//!   wrong algorithm, integrity check), is [`CryptoError::WrappedMaterial`]
//!   and nothing else, so the service is no padding oracle.
//! - The RSA key pair comes from aws-lc-rs' own generator, not from
//!   [`crate::CryptoProvider`]: the provider trait has no asymmetric
//!   primitives, and RSA key generation cannot be fed external randomness.
//! - The private key leaves [`WrappingKeyPair`] only as a zeroizing PKCS#8
//!   document, so the service can carry it inside an encrypted import token.

use crate::{CryptoError, SecretBytes, SecretKey};
use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::key_wrap::{AesKek, KeyWrapPadded as _, AES_256};
use aws_lc_rs::rsa::{
    KeySize, OaepAlgorithm, OaepPrivateDecryptingKey, PrivateDecryptingKey, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256,
};

/// Length of the ephemeral AES key in the `RSA_AES_KEY_WRAP_*` algorithms.
const EPHEMERAL_AES_KEY_LEN: usize = 32;
/// Shortest AES-KWP output (RFC 5649): one 8-byte block of material plus the 8-byte integrity block.
const MIN_KWP_LEN: usize = 16;

/// The RSA key of a wrapping key pair (AWS `WrappingKeySpec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WrappingKeySpec {
    /// RSA with a 2048-bit modulus (`RSA_2048`).
    Rsa2048,
    /// RSA with a 3072-bit modulus (`RSA_3072`).
    Rsa3072,
    /// RSA with a 4096-bit modulus (`RSA_4096`).
    Rsa4096,
}

impl WrappingKeySpec {
    /// Every spec, in AWS' order.
    pub const ALL: [WrappingKeySpec; 3] =
        [WrappingKeySpec::Rsa2048, WrappingKeySpec::Rsa3072, WrappingKeySpec::Rsa4096];

    /// The spec named by its AWS wire string (`"RSA_2048"`, ...), case-sensitive.
    pub fn from_wire(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|spec| spec.as_wire() == s)
    }

    /// The AWS wire string.
    pub fn as_wire(self) -> &'static str {
        match self {
            WrappingKeySpec::Rsa2048 => "RSA_2048",
            WrappingKeySpec::Rsa3072 => "RSA_3072",
            WrappingKeySpec::Rsa4096 => "RSA_4096",
        }
    }

    /// The modulus length in bits.
    pub fn bits(self) -> usize {
        match self {
            WrappingKeySpec::Rsa2048 => 2048,
            WrappingKeySpec::Rsa3072 => 3072,
            WrappingKeySpec::Rsa4096 => 4096,
        }
    }

    fn from_bits(bits: usize) -> Option<Self> {
        Self::ALL.into_iter().find(|spec| spec.bits() == bits)
    }

    fn key_size(self) -> KeySize {
        match self {
            WrappingKeySpec::Rsa2048 => KeySize::Rsa2048,
            WrappingKeySpec::Rsa3072 => KeySize::Rsa3072,
            WrappingKeySpec::Rsa4096 => KeySize::Rsa4096,
        }
    }
}

/// A 256-bit key that stands for imported material of any length in the
/// HKDF that names it: the SHA-256 of `bytes` (an HMAC key, or the public
/// key of an asymmetric one). The digest of a secret is a secret, so it is
/// a [`SecretKey`].
pub fn fingerprint_key(bytes: &[u8]) -> SecretKey {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    SecretKey::from_bytes(out)
}

/// How the client encrypted its key material (AWS `WrappingAlgorithm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WrappingAlgorithm {
    /// RSA-OAEP with SHA-1 and MGF1-SHA-1 (`RSAES_OAEP_SHA_1`).
    RsaesOaepSha1,
    /// RSA-OAEP with SHA-256 and MGF1-SHA-256 (`RSAES_OAEP_SHA_256`).
    RsaesOaepSha256,
    /// RSA-OAEP-SHA-1 of an AES-256 key, then AES-KWP of the material (`RSA_AES_KEY_WRAP_SHA_1`).
    RsaAesKeyWrapSha1,
    /// RSA-OAEP-SHA-256 of an AES-256 key, then AES-KWP of the material (`RSA_AES_KEY_WRAP_SHA_256`).
    RsaAesKeyWrapSha256,
}

impl WrappingAlgorithm {
    /// Every algorithm, in AWS' order.
    pub const ALL: [WrappingAlgorithm; 4] = [
        WrappingAlgorithm::RsaesOaepSha1,
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingAlgorithm::RsaAesKeyWrapSha1,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
    ];

    /// The algorithm named by its AWS wire string (`"RSAES_OAEP_SHA_256"`, ...), case-sensitive.
    pub fn from_wire(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.as_wire() == s)
    }

    /// The AWS wire string.
    pub fn as_wire(self) -> &'static str {
        match self {
            WrappingAlgorithm::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            WrappingAlgorithm::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            WrappingAlgorithm::RsaAesKeyWrapSha1 => "RSA_AES_KEY_WRAP_SHA_1",
            WrappingAlgorithm::RsaAesKeyWrapSha256 => "RSA_AES_KEY_WRAP_SHA_256",
        }
    }

    /// True for the hybrid algorithms (RSA-wrapped AES key, AES-KWP-wrapped material).
    pub fn is_key_wrap(self) -> bool {
        match self {
            WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaesOaepSha256 => false,
            WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256 => true,
        }
    }

    fn oaep(self) -> &'static OaepAlgorithm {
        match self {
            WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaAesKeyWrapSha1 => &OAEP_SHA1_MGF1SHA1,
            WrappingAlgorithm::RsaesOaepSha256 | WrappingAlgorithm::RsaAesKeyWrapSha256 => &OAEP_SHA256_MGF1SHA256,
        }
    }
}

/// An RSA key pair whose public half clients wrap key material to.
///
/// Deliberately neither `Debug` nor `Clone`: it holds a private key.
pub struct WrappingKeyPair {
    spec: WrappingKeySpec,
    key: PrivateDecryptingKey,
    public_der: Vec<u8>,
    /// Encoded once at construction, so that [`Self::to_pkcs8_der`] cannot fail.
    pkcs8: SecretBytes,
}

impl WrappingKeyPair {
    /// A fresh key pair of `spec`. Slow for 4096 bits (tenths of a second in
    /// release builds, seconds in debug builds).
    pub fn generate(spec: WrappingKeySpec) -> Result<Self, CryptoError> {
        let key =
            PrivateDecryptingKey::generate(spec.key_size()).map_err(|_| CryptoError::Library("rsa key generation"))?;
        Self::from_key(spec, key)
    }

    /// Reads a private key written by [`Self::to_pkcs8_der`]. Fails with
    /// [`CryptoError::Malformed`] on anything but an RSA-2048, -3072 or -4096
    /// PKCS#8 v1 document.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, CryptoError> {
        let key = PrivateDecryptingKey::from_pkcs8(der).map_err(|_| CryptoError::Malformed("wrapping key"))?;
        let spec =
            WrappingKeySpec::from_bits(key.key_size_bits()).ok_or(CryptoError::Malformed("wrapping key size"))?;
        Self::from_key(spec, key)
    }

    fn from_key(spec: WrappingKeySpec, key: PrivateDecryptingKey) -> Result<Self, CryptoError> {
        let public_der =
            key.public_key().as_der().map_err(|_| CryptoError::Library("rsa public key encoding"))?.as_ref().to_vec();
        // The aws-lc-rs buffer zeroizes itself on drop; the copy lives in a zeroizing Vec.
        let der = key.as_der().map_err(|_| CryptoError::Library("rsa private key encoding"))?;
        let pkcs8 = SecretBytes::new(zeroize::Zeroizing::new(der.as_ref().to_vec()));
        Ok(WrappingKeyPair { spec, key, public_der, pkcs8 })
    }

    /// Its spec.
    pub fn spec(&self) -> WrappingKeySpec {
        self.spec
    }

    /// The public key as a DER X.509 `SubjectPublicKeyInfo` (algorithm
    /// `rsaEncryption`): the `PublicKey` of `GetParametersForImport`.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.public_der.clone()
    }

    /// The private key as a PKCS#8 v1 DER document, zeroized on drop. This is
    /// the key in the clear: its only use is to be sealed into an import token
    /// (e.g. with [`crate::hierarchy::wrap`]) and read back with
    /// [`Self::from_pkcs8_der`].
    pub fn to_pkcs8_der(&self) -> SecretBytes {
        SecretBytes::new(zeroize::Zeroizing::new(self.pkcs8.expose().to_vec()))
    }

    /// Recovers key material that a client wrapped to this key pair's public
    /// key with `alg` (see the module docs for the formats).
    ///
    /// Any failure is [`CryptoError::WrappedMaterial`], which says nothing
    /// about the cause. Empty material is a failure too.
    pub fn unwrap_material(&self, alg: WrappingAlgorithm, encrypted: &[u8]) -> Result<SecretBytes, CryptoError> {
        let material = if alg.is_key_wrap() {
            self.unwrap_key_wrap(alg.oaep(), encrypted)
        } else {
            self.rsa_oaep_decrypt(alg.oaep(), encrypted)
        };
        match material {
            Some(m) if !m.is_empty() => Ok(m),
            _ => Err(CryptoError::WrappedMaterial),
        }
    }

    /// RSA-OAEP decryption of exactly one modulus-length block.
    fn rsa_oaep_decrypt(&self, oaep: &'static OaepAlgorithm, ciphertext: &[u8]) -> Option<SecretBytes> {
        if ciphertext.len() != self.key.key_size_bytes() {
            return None;
        }
        // Cloning shares the underlying key (a reference count), it copies no key bytes.
        let key = OaepPrivateDecryptingKey::new(self.key.clone()).ok()?;
        let mut out = SecretBytes::zeroed(key.min_output_size());
        let n = key.decrypt(oaep, ciphertext, out.expose_mut(), None).ok()?.len();
        let mut v = out.into_zeroizing();
        v.truncate(n);
        Some(SecretBytes::new(v))
    }

    /// `RSA-OAEP(K) || AES-KWP(K, material)`.
    fn unwrap_key_wrap(&self, oaep: &'static OaepAlgorithm, encrypted: &[u8]) -> Option<SecretBytes> {
        let k = self.key.key_size_bytes();
        if encrypted.len() < k + MIN_KWP_LEN {
            return None;
        }
        let (rsa_part, kwp_part) = encrypted.split_at(k);
        let aes_key = self.rsa_oaep_decrypt(oaep, rsa_part)?;
        if aes_key.len() != EPHEMERAL_AES_KEY_LEN {
            return None;
        }
        // The KEK copies the key and zeroizes its copy on drop.
        let kek = AesKek::new(&AES_256, aes_key.expose()).ok()?;
        let mut out = SecretBytes::zeroed(kwp_part.len());
        let n = kek.unwrap_with_padding(kwp_part, out.expose_mut()).ok()?.len();
        let mut v = out.into_zeroizing();
        v.truncate(n);
        Some(SecretBytes::new(v))
    }
}

/// Wraps `material` to an RSA public key (DER `SubjectPublicKeyInfo`, as
/// [`WrappingKeyPair::public_key_der`] gives it) with
/// `RSA_AES_KEY_WRAP_SHA_256`: what a client of `ImportKeyMaterial` does,
/// and how one Trent deployment sends a multi-Region key's material to a
/// peer site, which unwraps it with [`WrappingKeyPair::unwrap_material`].
/// The ephemeral AES key is drawn from aws-lc-rs' generator and zeroized
/// on drop (the KEK keeps its own zeroizing copy).
pub fn wrap_material_for(public_der: &[u8], material: &[u8]) -> Result<Vec<u8>, CryptoError> {
    use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
    use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey};
    if material.is_empty() {
        return Err(CryptoError::Malformed("empty material"));
    }
    let public =
        PublicEncryptingKey::from_der(public_der).map_err(|_| CryptoError::Malformed("wrapping public key"))?;
    if WrappingKeySpec::from_bits(public.key_size_bits()).is_none() {
        return Err(CryptoError::Malformed("wrapping public key size"));
    }
    let public = OaepPublicEncryptingKey::new(public).map_err(|_| CryptoError::Malformed("wrapping public key"))?;
    let mut aes = zeroize::Zeroizing::new([0u8; EPHEMERAL_AES_KEY_LEN]);
    SystemRandom::new().fill(aes.as_mut()).map_err(|_| CryptoError::Library("random"))?;
    let mut out = vec![0u8; public.ciphertext_size()];
    let n = public
        .encrypt(&OAEP_SHA256_MGF1SHA256, aes.as_ref(), &mut out, None)
        .map_err(|_| CryptoError::Library("rsa-oaep encryption"))?
        .len();
    out.truncate(n);
    let kek = AesKek::new(&AES_256, aes.as_ref()).map_err(|_| CryptoError::Library("aes kek"))?;
    let mut kwp = vec![0u8; material.len() + 15];
    let n = kek.wrap_with_padding(material, &mut kwp).map_err(|_| CryptoError::Library("aes-kwp"))?.len();
    out.extend_from_slice(&kwp[..n]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
    use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey};
    use std::process::Command;
    use std::sync::OnceLock;

    /// DER of the `rsaEncryption` OID, 1.2.840.113549.1.1.1.
    const RSA_ENCRYPTION_OID: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

    /// Two shared RSA-2048 pairs: key generation is slow in debug builds.
    fn pair_2048(which: usize) -> &'static WrappingKeyPair {
        static PAIRS: [OnceLock<WrappingKeyPair>; 2] = [OnceLock::new(), OnceLock::new()];
        PAIRS[which].get_or_init(|| WrappingKeyPair::generate(WrappingKeySpec::Rsa2048).unwrap())
    }

    fn random(len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        SystemRandom::new().fill(&mut v).unwrap();
        v
    }

    /// What a client does, from the public key alone, written independently
    /// of the code under test.
    fn client_wrap(public_der: &[u8], alg: WrappingAlgorithm, material: &[u8]) -> Vec<u8> {
        let public = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(public_der).unwrap()).unwrap();
        let (oaep, hybrid): (&'static OaepAlgorithm, bool) = match alg {
            WrappingAlgorithm::RsaesOaepSha1 => (&OAEP_SHA1_MGF1SHA1, false),
            WrappingAlgorithm::RsaesOaepSha256 => (&OAEP_SHA256_MGF1SHA256, false),
            WrappingAlgorithm::RsaAesKeyWrapSha1 => (&OAEP_SHA1_MGF1SHA1, true),
            WrappingAlgorithm::RsaAesKeyWrapSha256 => (&OAEP_SHA256_MGF1SHA256, true),
        };
        let rsa = |pt: &[u8]| {
            let mut out = vec![0u8; public.ciphertext_size()];
            public.encrypt(oaep, pt, &mut out, None).unwrap().to_vec()
        };
        if !hybrid {
            return rsa(material);
        }
        let aes = random(32);
        let mut out = rsa(&aes);
        let mut kwp = vec![0u8; material.len() + 15];
        let wrapped = AesKek::new(&AES_256, &aes).unwrap().wrap_with_padding(material, &mut kwp).unwrap();
        out.extend_from_slice(wrapped);
        out
    }

    fn assert_fails(pair: &WrappingKeyPair, alg: WrappingAlgorithm, encrypted: &[u8], what: &str) {
        match pair.unwrap_material(alg, encrypted) {
            Err(CryptoError::WrappedMaterial) => {}
            Err(e) => panic!("{what} ({alg:?}): wrong error {e}"),
            Ok(_) => panic!("{what} ({alg:?}): unwrapped"),
        }
    }

    /// What a peer site sends, unwrapped as a client's import is; a key
    /// of another pair or a bit flipped is refused.
    #[test]
    fn material_wrapped_for_a_public_key_unwraps_with_its_pair_only() {
        let material = random(121);
        let wrapped = wrap_material_for(&pair_2048(0).public_key_der(), &material).unwrap();
        let alg = WrappingAlgorithm::RsaAesKeyWrapSha256;
        assert_eq!(pair_2048(0).unwrap_material(alg, &wrapped).unwrap().expose(), material.as_slice());
        assert_fails(pair_2048(1), alg, &wrapped, "another pair");
        let mut flipped = wrapped.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_fails(pair_2048(0), alg, &flipped, "flipped");
        assert!(wrap_material_for(b"not a key", &material).is_err());
        assert!(wrap_material_for(&pair_2048(0).public_key_der(), &[]).is_err());
    }

    /// Public key checks and a round trip with every algorithm.
    fn check_pair(pair: &WrappingKeyPair, spec: WrappingKeySpec) {
        assert_eq!(pair.spec(), spec);
        let der = pair.public_key_der();
        assert_eq!(der[0], 0x30, "SubjectPublicKeyInfo is a SEQUENCE");
        assert!(der.windows(RSA_ENCRYPTION_OID.len()).any(|w| w == RSA_ENCRYPTION_OID), "rsaEncryption");
        assert_eq!(PublicEncryptingKey::from_der(&der).unwrap().key_size_bits(), spec.bits());
        for alg in WrappingAlgorithm::ALL {
            let material = random(32);
            let encrypted = client_wrap(&der, alg, &material);
            let expected_len = spec.bits() / 8 + if alg.is_key_wrap() { 40 } else { 0 };
            assert_eq!(encrypted.len(), expected_len, "{alg:?}");
            assert_eq!(pair.unwrap_material(alg, &encrypted).unwrap().expose(), material.as_slice(), "{alg:?}");
        }
    }

    #[test]
    fn wire_names_round_trip() {
        for spec in WrappingKeySpec::ALL {
            assert_eq!(WrappingKeySpec::from_wire(spec.as_wire()), Some(spec));
        }
        for alg in WrappingAlgorithm::ALL {
            assert_eq!(WrappingAlgorithm::from_wire(alg.as_wire()), Some(alg));
        }
        assert_eq!(WrappingKeySpec::from_wire("RSA_3072"), Some(WrappingKeySpec::Rsa3072));
        assert_eq!(WrappingAlgorithm::from_wire("RSA_AES_KEY_WRAP_SHA_1"), Some(WrappingAlgorithm::RsaAesKeyWrapSha1));
        for bad in ["", "rsa_2048", "RSA_1024", "RSA_8192", "SM2"] {
            assert_eq!(WrappingKeySpec::from_wire(bad), None, "{bad}");
        }
        for bad in ["", "rsaes_oaep_sha_256", "RSAES_PKCS1_V1_5", "SM2PKE", "RSA_AES_KEY_WRAP_SHA_384"] {
            assert_eq!(WrappingAlgorithm::from_wire(bad), None, "{bad}");
        }
    }

    #[test]
    fn rsa_2048_all_algorithms_round_trip() {
        check_pair(pair_2048(0), WrappingKeySpec::Rsa2048);
    }

    #[test]
    fn rsa_3072_all_algorithms_round_trip() {
        check_pair(&WrappingKeyPair::generate(WrappingKeySpec::Rsa3072).unwrap(), WrappingKeySpec::Rsa3072);
    }

    #[test]
    fn rsa_4096_all_algorithms_round_trip() {
        check_pair(&WrappingKeyPair::generate(WrappingKeySpec::Rsa4096).unwrap(), WrappingKeySpec::Rsa4096);
    }

    #[test]
    fn key_wrap_takes_material_of_any_length() {
        let pair = pair_2048(0);
        let der = pair.public_key_der();
        // 1217 bytes is about an RSA-2048 private key in PKCS#8, the largest usual import.
        for len in [1, 7, 8, 9, 33, 64, 1217, 2400] {
            for alg in [WrappingAlgorithm::RsaAesKeyWrapSha1, WrappingAlgorithm::RsaAesKeyWrapSha256] {
                let material = random(len);
                let encrypted = client_wrap(&der, alg, &material);
                assert_eq!(pair.unwrap_material(alg, &encrypted).unwrap().expose(), material.as_slice(), "{len}");
            }
        }
    }

    #[test]
    fn pkcs8_round_trip() {
        let pair = pair_2048(0);
        let pkcs8 = pair.to_pkcs8_der();
        let back = WrappingKeyPair::from_pkcs8_der(pkcs8.expose()).unwrap();
        assert_eq!(back.spec(), WrappingKeySpec::Rsa2048);
        assert_eq!(back.public_key_der(), pair.public_key_der());
        assert_eq!(back.to_pkcs8_der().expose(), pkcs8.expose());
        for alg in WrappingAlgorithm::ALL {
            let material = random(32);
            let encrypted = client_wrap(&pair.public_key_der(), alg, &material);
            assert_eq!(back.unwrap_material(alg, &encrypted).unwrap().expose(), material.as_slice(), "{alg:?}");
        }
    }

    #[test]
    fn from_pkcs8_rejects_what_is_not_a_wrapping_key() {
        let pkcs8 = pair_2048(0).to_pkcs8_der();
        let der = pkcs8.expose();
        let ec = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &SystemRandom::new(),
        )
        .unwrap();
        let mut flipped = der.to_vec();
        flipped[1] ^= 0xff;
        let inputs: [(&str, &[u8]); 5] = [
            ("empty", &[]),
            ("garbage", &[0x30, 0x03, 0x02, 0x01, 0x00]),
            ("truncated", &der[..der.len() - 1]),
            ("bad outer length", &flipped),
            ("EC key", ec.as_ref()),
        ];
        for (what, input) in inputs {
            assert!(
                matches!(WrappingKeyPair::from_pkcs8_der(input), Err(CryptoError::Malformed(_))),
                "{what} was accepted"
            );
        }
    }

    #[test]
    fn tampered_truncated_empty_and_foreign_inputs_fail() {
        let pair = pair_2048(0);
        let other = pair_2048(1);
        let k = 256;
        for alg in WrappingAlgorithm::ALL {
            let material = random(32);
            let good = client_wrap(&pair.public_key_der(), alg, &material);
            for i in [0, 1, k / 2, k - 1, k, good.len() - 1] {
                if i < good.len() {
                    let mut bad = good.clone();
                    bad[i] ^= 0x01;
                    assert_fails(pair, alg, &bad, &format!("byte {i} flipped"));
                }
            }
            for len in [0, 1, k - 1, k, k + 8, good.len() - 1] {
                if len < good.len() {
                    assert_fails(pair, alg, &good[..len], &format!("truncated to {len}"));
                }
            }
            let mut longer = good.clone();
            longer.push(0);
            assert_fails(pair, alg, &longer, "one byte appended");
            longer.extend_from_slice(&[0; 7]);
            assert_fails(pair, alg, &longer, "one block appended");
            assert_fails(pair, alg, &[], "empty");
            assert_fails(pair, alg, &vec![0u8; good.len()], "all zero");
            assert_fails(pair, alg, &vec![0xffu8; good.len()], "all 0xff (above the modulus)");
            assert_fails(other, alg, &good, "wrapped for another key pair");
            let foreign = client_wrap(&other.public_key_der(), alg, &material);
            assert_fails(pair, alg, &foreign, "wrapped to the other public key");
            for wrong in WrappingAlgorithm::ALL.into_iter().filter(|&a| a != alg) {
                assert_fails(pair, wrong, &good, &format!("made with {alg:?}, read as"));
            }
        }
    }

    #[test]
    fn empty_material_and_wrong_sized_aes_key_fail() {
        let pair = pair_2048(0);
        let der = pair.public_key_der();
        let public = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(&der).unwrap()).unwrap();
        let rsa = |pt: &[u8]| {
            let mut out = vec![0u8; public.ciphertext_size()];
            public.encrypt(&OAEP_SHA256_MGF1SHA256, pt, &mut out, None).unwrap().to_vec()
        };
        assert_fails(pair, WrappingAlgorithm::RsaesOaepSha256, &rsa(&[]), "empty material");
        // An AES-128 ephemeral key with a valid KWP under it.
        let aes128 = random(16);
        let mut encrypted = rsa(&aes128);
        let mut kwp = vec![0u8; 32 + 15];
        let kek = AesKek::new(&aws_lc_rs::key_wrap::AES_128, &aes128).unwrap();
        encrypted.extend_from_slice(kek.wrap_with_padding(&random(32), &mut kwp).unwrap());
        assert_fails(pair, WrappingAlgorithm::RsaAesKeyWrapSha256, &encrypted, "AES-128 ephemeral key");
    }

    #[test]
    fn error_says_nothing_about_the_cause() {
        let e = pair_2048(0).unwrap_material(WrappingAlgorithm::RsaesOaepSha1, &[1, 2, 3]).err().unwrap();
        let f = pair_2048(0).unwrap_material(WrappingAlgorithm::RsaAesKeyWrapSha1, &[0; 300]).err().unwrap();
        assert_eq!(e.to_string(), f.to_string());
    }

    /// `None` (and a note on stderr) when there is no `openssl` command.
    fn openssl() -> Option<()> {
        match Command::new("openssl").arg("version").output() {
            Ok(out) if out.status.success() => Some(()),
            _ => {
                eprintln!("note: no openssl command; skipping the OpenSSL cross-check");
                None
            }
        }
    }

    fn run(cmd: &mut Command) {
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// OpenSSL's RSA-OAEP-SHA-256 encryption of `plaintext` to `public_der`.
    fn openssl_oaep_sha256(dir: &std::path::Path, public_der: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let (pub_path, in_path, out_path) = (dir.join("pub.der"), dir.join("pt.bin"), dir.join("ct.bin"));
        std::fs::write(&pub_path, public_der).unwrap();
        std::fs::write(&in_path, plaintext).unwrap();
        run(Command::new("openssl")
            .args(["pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey"])
            .arg(&pub_path)
            .args(["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256"])
            .args(["-pkeyopt", "rsa_mgf1_md:sha256", "-in"])
            .arg(&in_path)
            .arg("-out")
            .arg(&out_path));
        std::fs::read(&out_path).unwrap()
    }

    #[test]
    fn openssl_rsaes_oaep_sha256_cross_check() {
        if openssl().is_none() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let pair = pair_2048(0);
        let material = random(32);
        let encrypted = openssl_oaep_sha256(dir.path(), &pair.public_key_der(), &material);
        assert_eq!(encrypted.len(), 256);
        let got = pair.unwrap_material(WrappingAlgorithm::RsaesOaepSha256, &encrypted).unwrap();
        assert_eq!(got.expose(), material.as_slice());
    }

    /// The procedure in the AWS KMS developer guide for `RSA_AES_KEY_WRAP_SHA_256`:
    /// `openssl enc -id-aes256-wrap-pad -iv A65959A6` for the material, then
    /// `openssl pkeyutl` OAEP-SHA-256 for the AES key, concatenated.
    #[test]
    fn openssl_rsa_aes_key_wrap_sha256_cross_check() {
        if openssl().is_none() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let pair = pair_2048(0);
        let material = random(45);
        let aes = random(32);
        let (mat_path, kwp_path) = (dir.path().join("material.bin"), dir.path().join("material.kwp"));
        std::fs::write(&mat_path, &material).unwrap();
        run(Command::new("openssl")
            .args(["enc", "-id-aes256-wrap-pad", "-K", &hex::encode(&aes), "-iv", "A65959A6", "-in"])
            .arg(&mat_path)
            .arg("-out")
            .arg(&kwp_path));
        let mut encrypted = openssl_oaep_sha256(dir.path(), &pair.public_key_der(), &aes);
        encrypted.extend_from_slice(&std::fs::read(&kwp_path).unwrap());
        let got = pair.unwrap_material(WrappingAlgorithm::RsaAesKeyWrapSha256, &encrypted).unwrap();
        assert_eq!(got.expose(), material.as_slice());
    }
}
