//! Symmetric encryption under a KMS key, and the ciphertext blob.
//!
//! # Blob format, versions 1 and 2
//!
//! ```text
//! offset  len  field
//!      0    1  format version: 0x01, or 0x02 for a multi-Region key
//!      1   16  key id: UUID bytes (0x01); the 32 hex digits of `mrk-…` (0x02)
//!     17    4  key version (u32, big endian): which backing key
//!     21   16  derivation nonce (HKDF salt)
//!     37   12  AES-GCM IV
//!     49    n  ciphertext
//!   49+n   16  GCM tag
//! ```
//!
//! Each ciphertext is encrypted under its own AES-256 key,
//! `HKDF-SHA256(backing key, salt = nonce, info = label)`, so the GCM limits
//! on messages per key never bind a KMS key, however much it is used. The AAD
//! is the 49-byte header followed by the canonical encryption context, so any
//! change to the header, the body or the context fails authentication. Decrypt
//! needs no key id from the caller: the header names the key and version.

use crate::provider::{CryptoProvider, GCM_IV_LEN, GCM_TAG_LEN};
use crate::{CryptoError, SecretBytes, SecretKey};

/// The blob format version of a key whose id is a UUID.
pub const BLOB_VERSION: u8 = 1;
/// The blob format version of a multi-Region key (id `mrk-` + 32 hex
/// digits), otherwise the same as [`BLOB_VERSION`].
pub const BLOB_VERSION_MULTI_REGION: u8 = 2;
/// Header length of a version-1 blob.
pub const HEADER_LEN: usize = 1 + 16 + 4 + 16 + GCM_IV_LEN;
/// Bytes a blob adds to its plaintext.
pub const OVERHEAD: usize = HEADER_LEN + GCM_TAG_LEN;
const DERIVE_INFO: &[u8] = b"trent/v1/symmetric-encrypt";

/// A key id as a blob holds it: 16 bytes, which are a UUID or the 32 hex
/// digits of a multi-Region key id. The kind is the blob's format byte, so
/// it is authenticated with the rest of the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobKeyId {
    /// The 16 bytes.
    pub bytes: [u8; 16],
    /// True for a multi-Region key (`mrk-` + the bytes in hex).
    pub multi_region: bool,
}

/// A parsed (not yet authenticated) ciphertext blob.
#[derive(Debug)]
pub struct CiphertextBlob<'a> {
    /// The key id.
    pub key_id: BlobKeyId,
    /// The key version whose backing key encrypted it.
    pub key_version: u32,
    nonce: [u8; 16],
    iv: [u8; GCM_IV_LEN],
    header: &'a [u8],
    body: &'a [u8],
}

impl<'a> CiphertextBlob<'a> {
    /// Parses a blob. Only structure is checked here; authenticity is checked
    /// by [`decrypt`].
    pub fn parse(bytes: &'a [u8]) -> Result<Self, CryptoError> {
        let multi_region = match bytes.first() {
            Some(&BLOB_VERSION) => false,
            Some(&BLOB_VERSION_MULTI_REGION) => true,
            _ => return Err(CryptoError::Malformed("ciphertext blob")),
        };
        if bytes.len() < OVERHEAD {
            return Err(CryptoError::Malformed("ciphertext blob"));
        }
        let (header, body) = bytes.split_at(HEADER_LEN);
        let mut id = [0u8; 16];
        id.copy_from_slice(&header[1..17]);
        let key_id = BlobKeyId { bytes: id, multi_region };
        let mut ver = [0u8; 4];
        ver.copy_from_slice(&header[17..21]);
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&header[21..37]);
        let mut iv = [0u8; GCM_IV_LEN];
        iv.copy_from_slice(&header[37..49]);
        Ok(CiphertextBlob { key_id, key_version: u32::from_be_bytes(ver), nonce, iv, header, body })
    }
}

/// The canonical byte form of an encryption context: pairs sorted by key
/// (byte order), each key and value length-prefixed (u32 BE), preceded by the
/// pair count. An empty context encodes as four zero bytes.
pub fn canonical_context<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<u8> {
    let mut v: Vec<(&str, &str)> = pairs.into_iter().collect();
    v.sort_unstable();
    let mut out = Vec::with_capacity(4 + v.iter().map(|(k, x)| 8 + k.len() + x.len()).sum::<usize>());
    out.extend_from_slice(&len32(v.len()));
    for (k, x) in v {
        out.extend_from_slice(&len32(k.len()));
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&len32(x.len()));
        out.extend_from_slice(x.as_bytes());
    }
    out
}

fn len32(n: usize) -> [u8; 4] {
    u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes()
}

/// Encrypts `plaintext` under `backing_key` (key `key_id`, version
/// `key_version`), binding `canonical_ctx` (from [`canonical_context`]).
pub fn encrypt(
    p: &dyn CryptoProvider,
    backing_key: &SecretKey,
    key_id: BlobKeyId,
    key_version: u32,
    canonical_ctx: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut nonce = [0u8; 16];
    p.fill_random(&mut nonce)?;
    let mut iv = [0u8; GCM_IV_LEN];
    p.fill_random(&mut iv)?;
    let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
    out.push(if key_id.multi_region { BLOB_VERSION_MULTI_REGION } else { BLOB_VERSION });
    out.extend_from_slice(&key_id.bytes);
    out.extend_from_slice(&key_version.to_be_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&iv);
    let dk = p.hkdf_sha256(backing_key, &nonce, DERIVE_INFO)?;
    let mut aad = Vec::with_capacity(HEADER_LEN + canonical_ctx.len());
    aad.extend_from_slice(&out);
    aad.extend_from_slice(canonical_ctx);
    let ct = p.aes256gcm_seal(&dk, &iv, &aad, plaintext)?;
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Decrypts a parsed blob with the backing key of its key version.
pub fn decrypt(
    p: &dyn CryptoProvider,
    backing_key: &SecretKey,
    blob: &CiphertextBlob<'_>,
    canonical_ctx: &[u8],
) -> Result<SecretBytes, CryptoError> {
    let dk = p.hkdf_sha256(backing_key, &blob.nonce, DERIVE_INFO)?;
    let mut aad = Vec::with_capacity(HEADER_LEN + canonical_ctx.len());
    aad.extend_from_slice(blob.header);
    aad.extend_from_slice(canonical_ctx);
    p.aes256gcm_open(&dk, &blob.iv, &aad, blob.body)
}

/// The blob format version of a key in a custom key store, whose
/// material is in an HSM token.
///
/// ```text
/// offset  len  field
///      0    1  format version: 0x03
///      1   16  key id: UUID bytes
///     17   17  custom key store id: the 17 hex digits after `cks-` (ASCII)
///     34   12  AES-GCM IV
///     46    n  ciphertext
///   46+n   16  GCM tag
/// ```
///
/// The token encrypts with the key itself (AES-GCM inside the token, no
/// derivation: the key never leaves it); the AAD is the 46-byte header
/// followed by the canonical encryption context, as for versions 1 and 2.
pub const BLOB_VERSION_HSM: u8 = 3;
/// Header length of a version-3 blob.
pub const HSM_HEADER_LEN: usize = 1 + 16 + 17 + GCM_IV_LEN;

/// A parsed (not yet authenticated) version-3 blob.
#[derive(Debug)]
pub struct HsmBlob<'a> {
    /// The key id (a UUID).
    pub key_id: [u8; 16],
    /// The custom key store's id (`cks-` and these 17 hex digits).
    pub key_store: String,
    /// The GCM IV.
    pub iv: [u8; GCM_IV_LEN],
    header: &'a [u8],
    /// The ciphertext and its tag.
    pub body: &'a [u8],
}

impl<'a> HsmBlob<'a> {
    /// The header of a new blob: `key_store` is `cks-` and 17 lowercase
    /// hex digits.
    pub fn header(key_id: [u8; 16], key_store: &str, iv: &[u8; GCM_IV_LEN]) -> Result<Vec<u8>, CryptoError> {
        let digits = key_store
            .strip_prefix("cks-")
            .filter(|d| d.len() == 17 && d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or(CryptoError::Malformed("custom key store id"))?;
        let mut h = Vec::with_capacity(HSM_HEADER_LEN);
        h.push(BLOB_VERSION_HSM);
        h.extend_from_slice(&key_id);
        h.extend_from_slice(digits.as_bytes());
        h.extend_from_slice(iv);
        Ok(h)
    }

    /// Splits a version-3 blob; `Err` for anything else.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, CryptoError> {
        if bytes.first() != Some(&BLOB_VERSION_HSM) || bytes.len() < HSM_HEADER_LEN + GCM_TAG_LEN {
            return Err(CryptoError::Malformed("ciphertext blob"));
        }
        let (header, body) = bytes.split_at(HSM_HEADER_LEN);
        let digits = &header[17..34];
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err(CryptoError::Malformed("ciphertext blob"));
        }
        let mut key_id = [0u8; 16];
        key_id.copy_from_slice(&header[1..17]);
        let mut iv = [0u8; GCM_IV_LEN];
        iv.copy_from_slice(&header[34..46]);
        let key_store = format!("cks-{}", String::from_utf8_lossy(digits));
        Ok(HsmBlob { key_id, key_store, iv, header, body })
    }

    /// The AAD: the header, then the canonical encryption context.
    pub fn aad(&self, context: &[u8]) -> Vec<u8> {
        [self.header, context].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AwsLcProvider;

    fn setup() -> (AwsLcProvider, SecretKey, Vec<u8>, Vec<u8>) {
        let p = AwsLcProvider::new();
        let bk = p.generate_key().unwrap();
        let ctx = canonical_context([("purpose", "test"), ("a", "b")]);
        let id = BlobKeyId { bytes: [9u8; 16], multi_region: false };
        let blob = encrypt(&p, &bk, id, 3, &ctx, b"attack at dawn").unwrap();
        (p, bk, ctx, blob)
    }

    #[test]
    fn round_trip() {
        let (p, bk, ctx, blob) = setup();
        assert_eq!(blob.len(), OVERHEAD + 14);
        let parsed = CiphertextBlob::parse(&blob).unwrap();
        assert_eq!(parsed.key_id, BlobKeyId { bytes: [9u8; 16], multi_region: false });
        assert_eq!(parsed.key_version, 3);
        assert_eq!(decrypt(&p, &bk, &parsed, &ctx).unwrap().expose(), b"attack at dawn");
    }

    #[test]
    fn a_multi_region_key_id_is_told_by_the_format_byte_which_is_authenticated() {
        let (p, bk, ctx, _) = setup();
        let id = BlobKeyId { bytes: [9u8; 16], multi_region: true };
        let blob = encrypt(&p, &bk, id, 3, &ctx, b"attack at dawn").unwrap();
        assert_eq!(blob[0], BLOB_VERSION_MULTI_REGION);
        let parsed = CiphertextBlob::parse(&blob).unwrap();
        assert_eq!(parsed.key_id, id);
        assert_eq!(decrypt(&p, &bk, &parsed, &ctx).unwrap().expose(), b"attack at dawn");
        // The same bytes claimed as a UUID key id: refused.
        let mut other = blob.clone();
        other[0] = BLOB_VERSION;
        assert!(decrypt(&p, &bk, &CiphertextBlob::parse(&other).unwrap(), &ctx).is_err());
        other[0] = 3;
        assert!(CiphertextBlob::parse(&other).is_err());
    }

    #[test]
    fn every_bit_flip_truncation_and_extension_fails() {
        let (p, bk, ctx, blob) = setup();
        let fails = |b: &[u8]| match CiphertextBlob::parse(b) {
            Err(_) => true,
            Ok(parsed) => decrypt(&p, &bk, &parsed, &ctx).is_err(),
        };
        for i in 0..blob.len() * 8 {
            let mut bad = blob.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert!(fails(&bad), "bit {i}");
        }
        for n in 0..blob.len() {
            assert!(fails(&blob[..n]), "truncated to {n}");
        }
        for extra in [&[0u8][..], &[1, 2, 3], &[0; 16]] {
            let mut longer = blob.clone();
            longer.extend_from_slice(extra);
            assert!(fails(&longer), "extended by {}", extra.len());
        }
    }

    #[test]
    fn context_is_bound_and_canonical() {
        let (p, bk, _, blob) = setup();
        let parsed = CiphertextBlob::parse(&blob).unwrap();
        let same = canonical_context([("a", "b"), ("purpose", "test")]);
        assert!(decrypt(&p, &bk, &parsed, &same).is_ok(), "order does not matter");
        for ctx in [
            canonical_context([]),
            canonical_context([("a", "b")]),
            canonical_context([("a", "b"), ("purpose", "Test")]),
            canonical_context([("a", "b"), ("purpose", "test"), ("x", "")]),
            canonical_context([("ab", ""), ("purpose", "test")]),
        ] {
            assert!(decrypt(&p, &bk, &parsed, &ctx).is_err());
        }
        let other = p.generate_key().unwrap();
        assert!(decrypt(&p, &other, &parsed, &same).is_err(), "wrong backing key");
        assert_ne!(canonical_context([("ab", "c")]), canonical_context([("a", "bc")]));
    }
}
