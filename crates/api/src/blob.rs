//! Binary members. JSON 1.1 carries blobs as standard base64 strings.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::de::{Error as _, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use zeroize::Zeroizing;

/// A non-secret blob (ciphertexts, public data).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Ciphertexts are not secret, but full ciphertexts do not belong in logs.
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl Blob {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Blob {
    fn from(v: Vec<u8>) -> Self {
        Blob(v)
    }
}

/// A secret blob: plaintext or plaintext key material on its way in or out.
///
/// No `Clone`, no real `Debug`, zeroized on drop. Serializing it is the one
/// place where a secret is turned into wire bytes on purpose: the API returns
/// plaintext to the caller who asked for it (Decrypt, GenerateDataKey,
/// GenerateRandom).
#[derive(Default)]
pub struct SensitiveBlob(Zeroizing<Vec<u8>>);

impl SensitiveBlob {
    /// Wraps bytes that are already in a zeroizing buffer.
    pub fn new(bytes: Zeroizing<Vec<u8>>) -> Self {
        SensitiveBlob(bytes)
    }
    /// Borrows the secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SensitiveBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SensitiveBlob(**redacted**)")
    }
}

fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

struct B64Visitor;

impl Visitor<'_> for B64Visitor {
    type Value = Zeroizing<Vec<u8>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a base64-encoded string")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let mut out = Zeroizing::new(Vec::with_capacity(v.len() / 4 * 3 + 3));
        STANDARD.decode_vec(v, &mut out).map_err(|_| E::custom("Invalid base64 value"))?;
        Ok(out)
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = d.deserialize_str(B64Visitor)?;
        Ok(Blob(bytes.to_vec()))
    }
}

impl Serialize for SensitiveBlob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The encoded copy is zeroized as soon as the serializer has it.
        let encoded = Zeroizing::new(encode(&self.0));
        s.serialize_str(&encoded)
    }
}

impl<'de> Deserialize<'de> for SensitiveBlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(B64Visitor).map(SensitiveBlob).map_err(D::Error::custom)
    }
}

/// A secret string member (a custom key store's `KeyStorePassword`): no
/// `Clone`, no real `Debug`, zeroized on drop, never serialized.
#[derive(Default, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Borrows the secret.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        SecretString(Zeroizing::new(s.to_owned()))
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(**redacted**)")
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(SecretString(Zeroizing::new(String::deserialize(d)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_reject_bad_base64() {
        let b: Blob = serde_json::from_str("\"AAEC\"").unwrap();
        assert_eq!(b.0, vec![0, 1, 2]);
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"AAEC\"");
        assert!(serde_json::from_str::<Blob>("\"A*==\"").is_err());
        assert!(serde_json::from_str::<Blob>("12").is_err());
        let s: SensitiveBlob = serde_json::from_str("\"aGVsbG8=\"").unwrap();
        assert_eq!(s.expose(), b"hello");
        assert_eq!(format!("{s:?}"), "SensitiveBlob(**redacted**)");
    }
}
