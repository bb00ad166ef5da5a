//! JWS signature checks (RFC 7515, algorithms of RFC 7518 §3) for the
//! tokens an OpenID Connect issuer signs: RS256 (RSASSA-PKCS1-v1_5 with
//! SHA-256) and ES256 (ECDSA P-256 with SHA-256, the signature as the
//! fixed 64-byte `r || s`). Keys come from the issuer's JWKS as their raw
//! components; parsing the JSON around them is the caller's (no serde here).
//! aws-lc-rs does the arithmetic; nothing here is hand-written crypto.

use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};

/// The algorithms Trent verifies. Anything else (`none` first of all) is
/// refused before a key is looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwsAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (Kubernetes' default).
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
}

impl JwsAlgorithm {
    /// The algorithm a JOSE header's `alg` names, if Trent verifies it.
    pub fn named(alg: &str) -> Option<Self> {
        match alg {
            "RS256" => Some(JwsAlgorithm::Rs256),
            "ES256" => Some(JwsAlgorithm::Es256),
            _ => None,
        }
    }
}

/// A public key of a JWKS, by its components (RFC 7518 §6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwsPublicKey {
    /// `kty: RSA`: modulus `n` and exponent `e`, big-endian.
    Rsa {
        /// Modulus.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
    /// `kty: EC, crv: P-256`: the point's coordinates, 32 bytes each.
    P256 {
        /// x coordinate.
        x: Vec<u8>,
        /// y coordinate.
        y: Vec<u8>,
    },
}

impl JwsPublicKey {
    /// True when this key can check signatures of `alg`.
    pub fn fits(&self, alg: JwsAlgorithm) -> bool {
        matches!(
            (self, alg),
            (JwsPublicKey::Rsa { .. }, JwsAlgorithm::Rs256) | (JwsPublicKey::P256 { .. }, JwsAlgorithm::Es256)
        )
    }
}

/// Checks `signature` over `signing_input` (the token's
/// `BASE64URL(header) "." BASE64URL(payload)`) with `key`. False for a
/// wrong signature, a key that does not fit `alg`, an RSA modulus under
/// 2,048 bits, or a point not on the curve.
pub fn verify(alg: JwsAlgorithm, key: &JwsPublicKey, signing_input: &[u8], signature: &[u8]) -> bool {
    match (alg, key) {
        (JwsAlgorithm::Rs256, JwsPublicKey::Rsa { n, e }) => {
            let components = RsaPublicKeyComponents { n: n.as_slice(), e: e.as_slice() };
            components.verify(&signature::RSA_PKCS1_2048_8192_SHA256, signing_input, signature).is_ok()
        }
        (JwsAlgorithm::Es256, JwsPublicKey::P256 { x, y }) => {
            if x.len() != 32 || y.len() != 32 {
                return false;
            }
            // The SEC 1 uncompressed point: 0x04 || x || y.
            let mut point = Vec::with_capacity(65);
            point.push(4);
            point.extend_from_slice(x);
            point.extend_from_slice(y);
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point).verify(signing_input, signature).is_ok()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256};

    fn rsa() -> (RsaKeyPair, JwsPublicKey) {
        let pair = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let public = pair.public_key();
        let n = public.modulus().big_endian_without_leading_zero().to_vec();
        let e = public.exponent().big_endian_without_leading_zero().to_vec();
        (pair, JwsPublicKey::Rsa { n, e })
    }

    fn p256() -> (EcdsaKeyPair, JwsPublicKey) {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let point = pair.public_key().as_ref().to_vec();
        (pair, JwsPublicKey::P256 { x: point[1..33].to_vec(), y: point[33..].to_vec() })
    }

    #[test]
    fn rs256_signatures_verify_and_altered_ones_do_not() {
        let (pair, key) = rsa();
        let mut sig = vec![0; pair.public_modulus_len()];
        pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), b"header.payload", &mut sig).unwrap();
        assert!(verify(JwsAlgorithm::Rs256, &key, b"header.payload", &sig));
        assert!(!verify(JwsAlgorithm::Rs256, &key, b"header.payload2", &sig));
        sig[10] ^= 1;
        assert!(!verify(JwsAlgorithm::Rs256, &key, b"header.payload", &sig));
        // The algorithm must fit the key.
        assert!(!verify(JwsAlgorithm::Es256, &key, b"header.payload", &sig));
        let (_, other) = rsa();
        assert!(!verify(JwsAlgorithm::Rs256, &other, b"header.payload", &sig));
    }

    #[test]
    fn es256_signatures_verify_and_altered_ones_do_not() {
        let (pair, key) = p256();
        let sig = pair.sign(&SystemRandom::new(), b"header.payload").unwrap().as_ref().to_vec();
        assert_eq!(sig.len(), 64);
        assert!(verify(JwsAlgorithm::Es256, &key, b"header.payload", &sig));
        assert!(!verify(JwsAlgorithm::Es256, &key, b"header.payloaD", &sig));
        let mut bad = sig.clone();
        bad[40] ^= 1;
        assert!(!verify(JwsAlgorithm::Es256, &key, b"header.payload", &bad));
        assert!(!verify(JwsAlgorithm::Rs256, &key, b"header.payload", &sig));
        // A point off the curve, or of the wrong size, verifies nothing.
        let JwsPublicKey::P256 { x, mut y } = key else { unreachable!() };
        assert!(!verify(
            JwsAlgorithm::Es256,
            &JwsPublicKey::P256 { x: x[1..].to_vec(), y: y.clone() },
            b"header.payload",
            &sig
        ));
        y[31] ^= 1;
        assert!(!verify(JwsAlgorithm::Es256, &JwsPublicKey::P256 { x, y }, b"header.payload", &sig));
    }

    #[test]
    fn only_rs256_and_es256_are_named() {
        assert_eq!(JwsAlgorithm::named("RS256"), Some(JwsAlgorithm::Rs256));
        assert_eq!(JwsAlgorithm::named("ES256"), Some(JwsAlgorithm::Es256));
        for alg in ["none", "HS256", "rs256", "RS512", "PS256", ""] {
            assert_eq!(JwsAlgorithm::named(alg), None, "{alg}");
        }
    }
}
