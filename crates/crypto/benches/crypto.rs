//! Criterion micro-benchmarks of Trent's crypto layer against raw aws-lc-rs
//! doing the least the same result needs, in one run, so that the layer's
//! overhead reads as a ratio: `cargo bench -p trent-crypto`.
//!
//! - `encrypt` / `decrypt`: Trent's ciphertext blob (a fresh nonce, HKDF of a
//!   per-message key from the backing key, AES-256-GCM over the header and
//!   encryption context) against (a) raw AES-256-GCM with the key set up once,
//!   the floor of any AES-GCM service, and (b) raw HKDF + AES-256-GCM, the
//!   same primitives the blob format uses, without Trent around them.
//! - `unwrap`: a backing key out of its wrapped form under a domain key (what
//!   a key-cache miss costs) against a raw AES-256-GCM open of 32 bytes.
//! - `sign`: ECDSA P-256 and RSA-2048 PSS over a SHA-256 digest through
//!   Trent's `PrivateKey` against aws-lc-rs's key pair directly.

// Benchmark code: a failed setup is a failed benchmark run, said at its line.
#![allow(clippy::expect_used)]

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::hkdf;
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::signature::{self as sig};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use trent_crypto::asymmetric::{self, KeyKind, MessageKind, PrivateKey, SigningAlgorithm};
use trent_crypto::envelope::{self, CiphertextBlob};
use trent_crypto::hierarchy::{self, Purpose};
use trent_crypto::{AwsLcProvider, CryptoProvider as _};

const SIZES: [usize; 2] = [100, 4096];

struct Len(usize);
impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// Raw HKDF-SHA256 to an AES-256-GCM key, as the blob format derives one.
fn raw_derive(ikm: &[u8], salt: &[u8]) -> LessSafeKey {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(ikm);
    let mut k = [0u8; 32];
    prk.expand(&[b"bench"], Len(32)).and_then(|okm| okm.fill(&mut k)).expect("hkdf");
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &k).expect("key"))
}

fn symmetric(c: &mut Criterion) {
    let p = AwsLcProvider::new();
    let rng = SystemRandom::new();
    let backing = p.generate_key().expect("key");
    let raw_key_bytes = [7u8; 32];
    let raw_key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &raw_key_bytes).expect("key"));
    let ctx = envelope::canonical_context([("purpose", "bench")]);
    for size in SIZES {
        let plaintext = vec![0x5au8; size];
        let mut g = c.benchmark_group("encrypt");
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("trent envelope", size), &plaintext, |b, pt| {
            let id = envelope::BlobKeyId { bytes: [1u8; 16], multi_region: false };
            b.iter(|| envelope::encrypt(&p, &backing, id, 1, &ctx, black_box(pt)).expect("encrypt"));
        });
        g.bench_with_input(BenchmarkId::new("aws-lc-rs hkdf+aes-gcm", size), &plaintext, |b, pt| {
            b.iter(|| {
                let (mut salt, mut iv) = ([0u8; 16], [0u8; 12]);
                rng.fill(&mut salt).expect("rng");
                rng.fill(&mut iv).expect("rng");
                let key = raw_derive(&raw_key_bytes, &salt);
                let mut buf = black_box(pt).clone();
                key.seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::from(&ctx), &mut buf)
                    .expect("seal");
                buf
            });
        });
        g.bench_with_input(BenchmarkId::new("aws-lc-rs aes-gcm", size), &plaintext, |b, pt| {
            b.iter(|| {
                let mut iv = [0u8; 12];
                rng.fill(&mut iv).expect("rng");
                let mut buf = black_box(pt).clone();
                raw_key
                    .seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::from(&ctx), &mut buf)
                    .expect("seal");
                buf
            });
        });
        g.finish();

        let id = envelope::BlobKeyId { bytes: [1u8; 16], multi_region: false };
        let blob = envelope::encrypt(&p, &backing, id, 1, &ctx, &plaintext).expect("encrypt");
        let iv = [3u8; 12];
        let mut sealed = plaintext.clone();
        raw_key.seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::from(&ctx), &mut sealed).expect("seal");
        let mut g = c.benchmark_group("decrypt");
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("trent envelope", size), &blob, |b, blob| {
            b.iter(|| {
                let parsed = CiphertextBlob::parse(black_box(blob)).expect("parse");
                envelope::decrypt(&p, &backing, &parsed, &ctx).expect("decrypt")
            });
        });
        g.bench_with_input(BenchmarkId::new("aws-lc-rs aes-gcm", size), &sealed, |b, sealed| {
            b.iter(|| {
                let mut buf = black_box(sealed).clone();
                let n = raw_key
                    .open_in_place(Nonce::assume_unique_for_key(iv), Aad::from(&ctx), &mut buf)
                    .expect("open")
                    .len();
                buf.truncate(n);
                buf
            });
        });
        g.finish();
    }

    // A backing key out of its wrapped form (a key-cache miss).
    let domain = p.generate_key().expect("key");
    let context: [&[u8]; 2] = [b"1234abcd-12ab-34cd-56ef-1234567890ab", &1u32.to_be_bytes()];
    let wrapped = hierarchy::wrap(&p, &domain, 1, Purpose::BackingKey, &context, &[9u8; 32]).expect("wrap");
    let iv = [4u8; 12];
    let mut sealed = vec![9u8; 32];
    raw_key.seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut sealed).expect("seal");
    let mut g = c.benchmark_group("unwrap");
    g.bench_function("trent backing key", |b| {
        b.iter(|| {
            hierarchy::unwrap_key(&p, &domain, Purpose::BackingKey, &context, black_box(&wrapped)).expect("unwrap")
        });
    });
    g.bench_function("aws-lc-rs aes-gcm open 32 B", |b| {
        b.iter(|| {
            let mut buf = black_box(&sealed).clone();
            raw_key.open_in_place(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut buf).expect("open").len()
        });
    });
    g.finish();
}

fn signing(c: &mut Criterion) {
    let p = AwsLcProvider::new();
    let digest = digest::digest(&digest::SHA256, b"trent bench message");
    for (kind, alg) in
        [(KeyKind::EccP256, SigningAlgorithm::EcdsaSha256), (KeyKind::Rsa2048, SigningAlgorithm::RsaPssSha256)]
    {
        let material = asymmetric::generate(&p, kind).expect("generate");
        let trent_key = PrivateKey::load(kind, material.expose()).expect("load");
        let mut g = c.benchmark_group(format!("sign {}", kind.name()));
        g.bench_function("trent PrivateKey", |b| {
            b.iter(|| trent_key.sign(alg, MessageKind::Digest, black_box(digest.as_ref())).expect("sign"));
        });
        match kind {
            KeyKind::EccP256 => {
                let raw = sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, material.expose())
                    .expect("pkcs8");
                g.bench_function("aws-lc-rs EcdsaKeyPair", |b| {
                    b.iter(|| {
                        let d = Digest::import_less_safe(black_box(digest.as_ref()), &digest::SHA256).expect("digest");
                        raw.sign_digest(&d).expect("sign")
                    });
                });
            }
            _ => {
                let raw = sig::RsaKeyPair::from_pkcs8(material.expose()).expect("pkcs8");
                g.bench_function("aws-lc-rs RsaKeyPair", |b| {
                    b.iter(|| {
                        let d = Digest::import_less_safe(black_box(digest.as_ref()), &digest::SHA256).expect("digest");
                        let mut out = vec![0u8; raw.public_modulus_len()];
                        raw.sign_digest(&sig::RSA_PSS_SHA256, &d, &mut out).expect("sign");
                        out
                    });
                });
            }
        }
        g.finish();
    }
}

criterion_group!(benches, symmetric, signing);
criterion_main!(benches);
