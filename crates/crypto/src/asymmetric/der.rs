//! DER for SubjectPublicKeyInfo checks and ML-KEM keys: fixed-shape
//! structures, so a few lines of DER reading and writing beat a general ASN.1
//! dependency.

use crate::SecretBytes;
use zeroize::Zeroizing;

/// A DER header: (tag, content start, content length), definite lengths only.
pub(super) fn der_header(input: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *input.first()?;
    let first = *input.get(1)? as usize;
    if first < 0x80 {
        return Some((tag, 2, first));
    }
    let n = first & 0x7f;
    if n == 0 || n > 3 {
        return None;
    }
    let len = input.get(2..2 + n)?.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
    Some((tag, 2 + n, len))
}

/// True when `spki` is `SEQUENCE { SEQUENCE { OID, OID … } … }`: an EC key
/// whose parameters name a curve instead of spelling it out.
pub(super) fn spki_has_named_curve(spki: &[u8]) -> bool {
    let walk = || -> Option<bool> {
        let (tag, start, _) = der_header(spki)?;
        if tag != 0x30 {
            return None;
        }
        let algorithm = spki.get(start..)?;
        let (tag, start, _) = der_header(algorithm)?;
        if tag != 0x30 {
            return None;
        }
        let oid = algorithm.get(start..)?;
        let (tag, start, len) = der_header(oid)?;
        if tag != 0x06 {
            return None;
        }
        let (parameters_tag, _, _) = der_header(oid.get(start + len..)?)?;
        Some(parameters_tag == 0x06)
    };
    walk().unwrap_or(false)
}

/// `SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (33 bytes) }` up to the key.
pub(super) const ED25519_SPKI_PREFIX: [u8; 12] =
    [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// The raw key at the end of a SubjectPublicKeyInfo whose DER before it is
/// exactly `prefix`.
pub(super) fn spki_raw<'a>(spki: &'a [u8], prefix: &[u8], raw_len: usize) -> Option<&'a [u8]> {
    (spki.len() == prefix.len() + raw_len && spki.starts_with(prefix)).then(|| &spki[prefix.len()..])
}

// --- DER for ML-KEM keys -------------------------------------------------
//
// aws-lc-rs gives ML-KEM keys only as raw bytes; KMS hands out the public key
// as SubjectPublicKeyInfo and data key pairs as PKCS#8 (IETF LAMPS
// "Algorithm Identifiers for ML-KEM"). The structures are fixed-shape, so a
// few lines of DER writing beat a general ASN.1 dependency.

/// A DER TLV with a definite length.
pub(super) fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// AlgorithmIdentifier of id-alg-ml-kem-* (no parameters).
fn ml_kem_algorithm_identifier(oid_last: u8) -> Vec<u8> {
    der(0x30, &der(0x06, &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, oid_last]))
}

pub(super) fn ml_kem_spki(oid_last: u8, encapsulation_key: &[u8]) -> Vec<u8> {
    let mut bits = vec![0u8];
    bits.extend_from_slice(encapsulation_key);
    let mut body = ml_kem_algorithm_identifier(oid_last);
    body.extend(der(0x03, &bits));
    der(0x30, &body)
}

/// PKCS#8 v1 with the `expandedKey` choice of ML-KEM-PrivateKey. Every
/// buffer holding key bytes is zeroized.
pub(super) fn ml_kem_pkcs8(oid_last: u8, decapsulation_key: &[u8]) -> SecretBytes {
    let inner = Zeroizing::new(der(0x04, decapsulation_key));
    let octets = Zeroizing::new(der(0x04, &inner));
    let mut body = Zeroizing::new(vec![0x02, 0x01, 0x00]);
    body.extend(ml_kem_algorithm_identifier(oid_last));
    body.extend_from_slice(&octets);
    SecretBytes::new(Zeroizing::new(der(0x30, &body)))
}
