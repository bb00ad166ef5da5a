//! Shamir secret sharing of the 32-byte root key over GF(2^8), for the
//! Shamir seal: `n` shares, any `k` of which give the key back and fewer
//! give nothing about it.
//!
//! Written here rather than taken from a crate: the Rust crates for it are
//! either unmaintained and table-driven (`sharks`: its log/exp tables index
//! memory by secret bytes) or built for elliptic-curve fields (`vsss-rs`).
//! Thirty lines of field arithmetic, constant-time (no table, no branch on
//! a secret), are easier to check than either.
//!
//! Each byte of the key is the constant term of its own random polynomial
//! of degree `k - 1`; share `x` (1..=n) holds every polynomial's value at
//! `x`. Recovery is Lagrange interpolation at 0. Field: the AES polynomial
//! x^8 + x^4 + x^3 + x + 1.

use crate::provider::CryptoProvider;
use crate::{CryptoError, SecretKey};
use zeroize::Zeroizing;

/// Multiplication in GF(2^8), in constant time.
fn mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    for _ in 0..8 {
        p ^= a & 0u8.wrapping_sub(b & 1);
        let carry = 0u8.wrapping_sub(a >> 7);
        a = (a << 1) ^ (0x1b & carry);
        b >>= 1;
    }
    p
}

/// The inverse in GF(2^8) (a^254; 0 for 0), in constant time.
fn inv(a: u8) -> u8 {
    // a^254 = a^(2+4+8+16+32+64+128).
    let mut result = 1u8;
    let mut square = a;
    for _ in 0..7 {
        square = mul(square, square);
        result = mul(result, square);
    }
    result
}

/// One share: its x coordinate (1..=255) and the 32 values.
pub struct Share {
    x: u8,
    y: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Share({}, **redacted**)", self.x)
    }
}

/// The text form's prefix.
const PREFIX: &str = "trent-share-";

impl Share {
    /// The share's number (its x coordinate).
    pub fn index(&self) -> u8 {
        self.x
    }

    /// The text an operator keeps: `trent-share-` and 66 hex digits (the
    /// number, then the values).
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut bytes = Zeroizing::new([0u8; 33]);
        bytes[0] = self.x;
        bytes[1..].copy_from_slice(self.y.as_slice());
        Zeroizing::new(format!("{PREFIX}{}", hex::encode(bytes.as_slice())))
    }

    /// Parses [`Share::to_text`] (surrounding whitespace allowed).
    pub fn parse(text: &str) -> Result<Share, CryptoError> {
        let bad = || CryptoError::Malformed("Shamir share");
        let digits = text.trim().strip_prefix(PREFIX).ok_or_else(bad)?;
        let mut bytes = Zeroizing::new([0u8; 33]);
        hex::decode_to_slice(digits, bytes.as_mut_slice()).map_err(|_| bad())?;
        if bytes[0] == 0 {
            return Err(bad());
        }
        let mut y = Zeroizing::new([0u8; 32]);
        y.copy_from_slice(&bytes[1..]);
        Ok(Share { x: bytes[0], y })
    }

    /// SHA-256 over a label, the number and the values: what the seal file
    /// keeps of each share, so that a share is checked as it arrives.
    pub fn digest(&self) -> [u8; 32] {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(b"trent/v1/shamir-share");
        ctx.update(&[self.x]);
        ctx.update(self.y.as_slice());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    }
}

/// Splits `secret` into `n` shares, any `k` of which recover it
/// (`2 <= k <= n <= 255`).
pub fn split(p: &dyn CryptoProvider, secret: &SecretKey, n: u8, k: u8) -> Result<Vec<Share>, CryptoError> {
    if k < 2 || n < k {
        return Err(CryptoError::InvalidInput("Shamir: need 2 <= threshold <= shares <= 255"));
    }
    // coefficients[i][j]: the coefficient of x^(j+1) for byte i.
    let mut coefficients = Zeroizing::new(vec![0u8; 32 * usize::from(k - 1)]);
    p.fill_random(&mut coefficients)?;
    let mut shares = Vec::with_capacity(usize::from(n));
    for x in 1..=n {
        let mut y = Zeroizing::new([0u8; 32]);
        for (i, out) in y.iter_mut().enumerate() {
            // Horner: ((c_{k-1} x + c_{k-2}) x + ...) x + secret.
            let row = &coefficients[i * usize::from(k - 1)..(i + 1) * usize::from(k - 1)];
            let mut acc = 0u8;
            for c in row.iter().rev() {
                acc = mul(acc, x) ^ c;
            }
            *out = mul(acc, x) ^ secret.expose()[i];
        }
        shares.push(Share { x, y });
    }
    Ok(shares)
}

/// Recovers the secret from shares of distinct numbers. Given fewer than
/// the threshold it returns some other 32 bytes: the caller checks the
/// result (the seal file keeps a MAC of the root key).
pub fn combine(shares: &[Share]) -> Result<SecretKey, CryptoError> {
    if shares.len() < 2 {
        return Err(CryptoError::InvalidInput("Shamir: at least two shares"));
    }
    for (i, a) in shares.iter().enumerate() {
        if shares[..i].iter().any(|b| b.x == a.x) {
            return Err(CryptoError::InvalidInput("Shamir: the same share twice"));
        }
    }
    let mut secret = Zeroizing::new([0u8; 32]);
    for a in shares {
        // The Lagrange basis polynomial of a, at 0: prod x_b / (x_b - x_a)
        // (subtraction is XOR in GF(2^8)).
        let mut basis = 1u8;
        for b in shares.iter().filter(|b| b.x != a.x) {
            basis = mul(basis, mul(b.x, inv(b.x ^ a.x)));
        }
        for (s, y) in secret.iter_mut().zip(a.y.iter()) {
            *s ^= mul(*y, basis);
        }
    }
    Ok(SecretKey::from_bytes(*secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::AwsLcProvider;

    #[test]
    fn the_field_is_gf256() {
        // Every non-zero element has its inverse; 0x53 * 0xCA = 1 (FIPS 197).
        assert_eq!(mul(0x53, 0xca), 1);
        assert_eq!(mul(0x57, 0x83), 0xc1);
        for a in 1..=255u8 {
            assert_eq!(mul(a, inv(a)), 1, "{a}");
        }
    }

    #[test]
    fn any_three_of_five_recover_the_key_and_two_do_not() {
        let p = AwsLcProvider::new();
        let key = p.generate_key().unwrap();
        let shares = split(&p, &key, 5, 3).unwrap();
        let texts: Vec<_> = shares.iter().map(Share::to_text).collect();
        for a in 0..5 {
            for b in a + 1..5 {
                for c in b + 1..5 {
                    let chosen: Vec<Share> = [a, b, c].iter().map(|&i| Share::parse(&texts[i]).unwrap()).collect();
                    assert_eq!(combine(&chosen).unwrap().expose(), key.expose(), "{a} {b} {c}");
                }
                let two = [Share::parse(&texts[a]).unwrap(), Share::parse(&texts[b]).unwrap()];
                assert_ne!(combine(&two).unwrap().expose(), key.expose());
            }
        }
        // All five recover it too.
        let all: Vec<Share> = texts.iter().map(|t| Share::parse(t).unwrap()).collect();
        assert_eq!(combine(&all).unwrap().expose(), key.expose());
        let twice = [Share::parse(&texts[0]).unwrap(), Share::parse(&texts[0]).unwrap()];
        assert!(combine(&twice).is_err());
    }

    #[test]
    fn shares_parse_strictly() {
        assert!(Share::parse("trent-share-00").is_err());
        assert!(Share::parse(&format!("trent-share-00{}", "ab".repeat(32))).is_err(), "x = 0 is the secret");
        assert!(Share::parse(&format!("share-01{}", "ab".repeat(32))).is_err());
        let s = Share::parse(&format!(" trent-share-07{}\n", "ab".repeat(32))).unwrap();
        assert_eq!(s.index(), 7);
        assert!(!format!("{s:?}").contains("ab"));
        assert!(split(&AwsLcProvider::new(), &SecretKey::from_bytes([1; 32]), 3, 4).is_err());
        assert!(split(&AwsLcProvider::new(), &SecretKey::from_bytes([1; 32]), 3, 1).is_err());
    }
}
