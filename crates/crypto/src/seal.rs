//! Seals: how the root key is obtained when the server starts.
//!
//! - [`KeyFileSeal`]: the root key is 32 random bytes in a file (hex), made
//!   on first start with mode 0600. A development convenience: whoever reads
//!   the file and the database has every key. The server says so loudly.
//! - [`PassphraseSeal`]: the root key is derived with Argon2id from an
//!   operator's passphrase and a random salt kept in the data directory (the
//!   salt file holds no secret). Nothing on disk suffices to recover it.
//! - [`ShamirSeal`]: the root key from a threshold of shares that
//!   operators hold; the server starts sealed until they give them.
//! - [`Pkcs11Seal`]: the root key is a non-extractable AES-256 key inside a
//!   PKCS#11 token; domain keys are wrapped and unwrapped by the token
//!   (AES-GCM through `C_Encrypt`/`C_Decrypt`), and the key never exists
//!   outside it. The seal file names the key (its `CKA_ID`), no secret.
//! - [`EphemeralSeal`]: a random root key that exists only in memory, for
//!   `trent serve --ephemeral` (an in-memory store lost at exit anyway).
//!
//! A wrong key file or passphrase is detected when the first domain key fails
//! to unwrap (AES-GCM authentication), not here.

use crate::hierarchy::RootKey;
use crate::provider::CryptoProvider;
use crate::{CryptoError, SecretKey};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Something that yields the root key.
pub trait Seal: Send + Sync {
    /// Produces the root key (creating the seal's files on first use where
    /// the seal has any).
    fn open(&self, p: &dyn CryptoProvider) -> Result<RootKey, CryptoError>;
    /// A short name for logs: `key-file`, `passphrase`.
    fn kind(&self) -> &'static str;
}

fn io_err(path: &Path, source: std::io::Error) -> CryptoError {
    CryptoError::SealIo { path: path.display().to_string(), source }
}

/// Writes `contents` to a new file with mode 0600, failing if it exists, and
/// makes it durable (file and directory fsync).
fn create_private_file(path: &Path, contents: &[u8]) -> Result<(), CryptoError> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| io_err(path, e))?;
    f.write_all(contents).map_err(|e| io_err(path, e))?;
    f.sync_all().map_err(|e| io_err(path, e))?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn check_private(path: &Path) -> Result<(), CryptoError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(path).map_err(|e| io_err(path, e))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(CryptoError::Seal(format!(
                "{} is accessible by group or others (mode {:o}); run chmod 600 on it",
                path.display(),
                mode & 0o777
            )));
        }
    }
    Ok(())
}

/// The development seal: a root key in a file.
#[derive(Debug, Clone)]
pub struct KeyFileSeal {
    path: PathBuf,
}

impl KeyFileSeal {
    /// A seal whose key lives at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        KeyFileSeal { path: path.into() }
    }
    /// The key file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// True when the key file exists already.
    pub fn exists(&self) -> bool {
        self.path.exists()
    }
}

impl Seal for KeyFileSeal {
    fn open(&self, p: &dyn CryptoProvider) -> Result<RootKey, CryptoError> {
        if !self.path.exists() {
            let key = p.generate_key()?;
            let mut text = Zeroizing::new(hex::encode(key.expose()));
            text.push('\n');
            create_private_file(&self.path, text.as_bytes())?;
        }
        check_private(&self.path)?;
        let text = Zeroizing::new(fs::read_to_string(&self.path).map_err(|e| io_err(&self.path, e))?);
        let mut raw = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), raw.as_mut_slice())
            .map_err(|_| CryptoError::Seal(format!("{} does not hold a 64-hex-digit key", self.path.display())))?;
        let key = SecretKey::from_slice(raw.as_slice()).ok_or(CryptoError::Malformed("key file"))?;
        Ok(RootKey::new(key))
    }

    fn kind(&self) -> &'static str {
        "key-file"
    }
}

/// A fresh random root key on every open, never stored: for a deployment
/// whose store is in memory and dies with the process.
#[derive(Debug, Default)]
pub struct EphemeralSeal;

impl Seal for EphemeralSeal {
    fn open(&self, p: &dyn CryptoProvider) -> Result<RootKey, CryptoError> {
        Ok(RootKey::new(p.generate_key()?))
    }

    fn kind(&self) -> &'static str {
        "ephemeral"
    }
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Parallelism.
    pub p: u32,
}

impl Default for Argon2Params {
    /// 64 MiB, 3 passes, 1 lane: above OWASP's minimum for Argon2id, and
    /// paid once per server start.
    fn default() -> Self {
        Argon2Params { m_kib: 64 * 1024, t: 3, p: 1 }
    }
}

/// The passphrase seal.
pub struct PassphraseSeal {
    passphrase: Zeroizing<String>,
    salt_path: PathBuf,
    params: Argon2Params,
}

impl PassphraseSeal {
    /// A seal from a passphrase; the salt and parameters are kept at
    /// `salt_path` (created on first use; its parameters win afterwards).
    pub fn new(passphrase: Zeroizing<String>, salt_path: impl Into<PathBuf>, params: Argon2Params) -> Self {
        PassphraseSeal { passphrase, salt_path: salt_path.into(), params }
    }

    fn read_salt_file(&self) -> Result<(Argon2Params, Vec<u8>), CryptoError> {
        let text = fs::read_to_string(&self.salt_path).map_err(|e| io_err(&self.salt_path, e))?;
        let bad = || CryptoError::Seal(format!("{} is not a Trent salt file", self.salt_path.display()));
        let mut params = Argon2Params { m_kib: 0, t: 0, p: 0 };
        let mut salt = None;
        let mut words = text.split_whitespace();
        if words.next() != Some("argon2id") {
            return Err(bad());
        }
        for w in words {
            let (k, v) = w.split_once('=').ok_or_else(bad)?;
            match k {
                "m" => params.m_kib = v.parse().map_err(|_| bad())?,
                "t" => params.t = v.parse().map_err(|_| bad())?,
                "p" => params.p = v.parse().map_err(|_| bad())?,
                "salt" => salt = Some(hex::decode(v).map_err(|_| bad())?),
                _ => return Err(bad()),
            }
        }
        Ok((params, salt.ok_or_else(bad)?))
    }
}

impl Seal for PassphraseSeal {
    fn open(&self, p: &dyn CryptoProvider) -> Result<RootKey, CryptoError> {
        if self.passphrase.chars().count() < 12 {
            return Err(CryptoError::Seal("the passphrase must have at least 12 characters".into()));
        }
        if !self.salt_path.exists() {
            let mut salt = [0u8; 16];
            p.fill_random(&mut salt)?;
            let Argon2Params { m_kib, t, p: lanes } = self.params;
            let line = format!("argon2id m={m_kib} t={t} p={lanes} salt={}\n", hex::encode(salt));
            create_private_file(&self.salt_path, line.as_bytes())?;
        }
        let (params, salt) = self.read_salt_file()?;
        let a = argon2::Params::new(params.m_kib, params.t, params.p, Some(32))
            .map_err(|e| CryptoError::Seal(format!("argon2 parameters: {e}")))?;
        let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, a);
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(self.passphrase.as_bytes(), &salt, out.as_mut_slice())
            .map_err(|e| CryptoError::Seal(format!("argon2: {e}")))?;
        let key = SecretKey::from_slice(out.as_slice()).ok_or(CryptoError::Malformed("argon2 output"))?;
        Ok(RootKey::new(key))
    }

    fn kind(&self) -> &'static str {
        "passphrase"
    }
}

/// The Shamir seal's file in the data directory: the threshold, the number
/// of shares, a digest of each share (so that a share is checked as it
/// arrives; a digest reveals nothing of the share) and an HMAC of the root
/// key under itself (so that the key the shares give is checked). No
/// share and nothing that gives the key is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShamirSealFile {
    /// Shares needed.
    pub threshold: u8,
    /// Shares made.
    pub shares: u8,
    digests: Vec<[u8; 32]>,
    check: [u8; 32],
}

/// The Shamir seal file's name in the data directory.
pub const SHAMIR_FILE: &str = "shamir.seal";
const SHAMIR_MAGIC: &str = "trent-shamir-seal v1";

fn shamir_check(root: &SecretKey) -> [u8; 32] {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, root.expose());
    let tag = aws_lc_rs::hmac::sign(&key, b"trent/v1/shamir-check");
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

impl ShamirSealFile {
    /// Makes a new root key, splits it into `shares` shares of which
    /// `threshold` recover it, writes the seal file at `path` (which must
    /// not exist; mode 0600) and returns the shares, to be shown once.
    pub fn init(
        p: &dyn CryptoProvider,
        path: &Path,
        shares: u8,
        threshold: u8,
    ) -> Result<Vec<crate::shamir::Share>, CryptoError> {
        let root = p.generate_key()?;
        let made = crate::shamir::split(p, &root, shares, threshold)?;
        let file = ShamirSealFile {
            threshold,
            shares,
            digests: made.iter().map(crate::shamir::Share::digest).collect(),
            check: shamir_check(&root),
        };
        let mut text =
            format!("{SHAMIR_MAGIC}\nthreshold {threshold}\nshares {shares}\ncheck {}\n", hex::encode(file.check));
        for (i, d) in file.digests.iter().enumerate() {
            text.push_str(&format!("share {} {}\n", i + 1, hex::encode(d)));
        }
        create_private_file(path, text.as_bytes())?;
        Ok(made)
    }

    /// Reads a seal file.
    pub fn load(path: &Path) -> Result<ShamirSealFile, CryptoError> {
        let text = fs::read_to_string(path).map_err(|e| io_err(path, e))?;
        let bad = || CryptoError::Seal(format!("{} is not a Shamir seal file", path.display()));
        let mut lines = text.lines();
        if lines.next() != Some(SHAMIR_MAGIC) {
            return Err(bad());
        }
        let mut field = |name: &str| -> Result<String, CryptoError> {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|v| v.strip_prefix(' '))
                .map(str::to_owned)
                .ok_or_else(bad)
        };
        let threshold: u8 = field("threshold")?.parse().map_err(|_| bad())?;
        let shares: u8 = field("shares")?.parse().map_err(|_| bad())?;
        let mut check = [0u8; 32];
        hex::decode_to_slice(field("check")?, &mut check).map_err(|_| bad())?;
        let mut digests = Vec::new();
        for i in 1..=shares {
            let line = field("share")?;
            let (n, d) = line.split_once(' ').ok_or_else(bad)?;
            let mut digest = [0u8; 32];
            hex::decode_to_slice(d, &mut digest).map_err(|_| bad())?;
            if n.parse::<u8>().ok() != Some(i) {
                return Err(bad());
            }
            digests.push(digest);
        }
        if threshold < 2 || shares < threshold {
            return Err(bad());
        }
        Ok(ShamirSealFile { threshold, shares, digests, check })
    }

    /// Whether `share` is one of this seal's (its digest, compared in
    /// constant time, is the one kept for its number).
    pub fn accepts(&self, share: &crate::shamir::Share) -> bool {
        use subtle::ConstantTimeEq as _;
        usize::from(share.index())
            .checked_sub(1)
            .and_then(|i| self.digests.get(i))
            .is_some_and(|d| bool::from(d.ct_eq(&share.digest())))
    }
}

/// The Shamir seal: the root key from `threshold` of the shares made by
/// [`ShamirSealFile::init`], collected by the sealed server (`trent admin
/// unseal`). Nothing on disk suffices to recover the key.
pub struct ShamirSeal {
    file: ShamirSealFile,
    shares: Vec<crate::shamir::Share>,
}

impl ShamirSeal {
    /// A seal that opens with `shares`.
    pub fn new(file: ShamirSealFile, shares: Vec<crate::shamir::Share>) -> Self {
        ShamirSeal { file, shares }
    }
}

impl Seal for ShamirSeal {
    fn open(&self, _p: &dyn CryptoProvider) -> Result<RootKey, CryptoError> {
        use subtle::ConstantTimeEq as _;
        if self.shares.len() < usize::from(self.file.threshold) || !self.shares.iter().all(|s| self.file.accepts(s)) {
            return Err(CryptoError::Seal(format!("the Shamir seal needs {} valid shares", self.file.threshold)));
        }
        let root = crate::shamir::combine(&self.shares)?;
        if !bool::from(shamir_check(&root).ct_eq(&self.file.check)) {
            return Err(CryptoError::Seal("the shares do not give this deployment's root key".into()));
        }
        Ok(RootKey::new(root))
    }

    fn kind(&self) -> &'static str {
        "shamir"
    }
}

/// The PKCS#11 seal's file name in the data directory.
pub const PKCS11_FILE: &str = "pkcs11.seal";
const PKCS11_MAGIC: &str = "trent-pkcs11-seal v1";

/// The PKCS#11 seal: the root key is an AES-256 key in a token, made by
/// the token on first use (`CKA_SENSITIVE`, not `CKA_EXTRACTABLE`), found
/// by the `CKA_ID` its seal file keeps. The PIN is the token's crypto-user
/// PIN. Whoever copies the data directory without the token (and its PIN)
/// opens nothing.
pub struct Pkcs11Seal {
    module: PathBuf,
    token_label: String,
    pin: Zeroizing<String>,
    file: PathBuf,
}

impl std::fmt::Debug for Pkcs11Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Seal")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl Pkcs11Seal {
    /// A seal on the token labelled `token_label` of the PKCS#11 module
    /// `module`, whose key is named by the seal file at `file` (made, with
    /// a new key in the token, on first use).
    pub fn new(
        module: impl Into<PathBuf>,
        token_label: impl Into<String>,
        pin: Zeroizing<String>,
        file: impl Into<PathBuf>,
    ) -> Self {
        Pkcs11Seal { module: module.into(), token_label: token_label.into(), pin, file: file.into() }
    }

    /// The key id the seal file names.
    fn read_file(&self) -> Result<Vec<u8>, CryptoError> {
        let text = fs::read_to_string(&self.file).map_err(|e| io_err(&self.file, e))?;
        let bad = || CryptoError::Seal(format!("{} is not a PKCS#11 seal file", self.file.display()));
        let mut lines = text.lines();
        if lines.next() != Some(PKCS11_MAGIC) {
            return Err(bad());
        }
        let id = lines.next().and_then(|l| l.strip_prefix("key ")).ok_or_else(bad)?;
        hex::decode(id).map_err(|_| bad())
    }

    fn token_error(&self, e: crate::pkcs11::HsmError) -> CryptoError {
        CryptoError::Seal(format!("the root key in token {:?}: {e}", self.token_label))
    }
}

impl Seal for Pkcs11Seal {
    fn open(&self, p: &dyn CryptoProvider) -> Result<RootKey, CryptoError> {
        let pin = self.pin.as_bytes();
        if !self.file.exists() {
            let mut id = [0u8; 16];
            p.fill_random(&mut id)?;
            let key = crate::pkcs11::TokenKey::create(
                &self.module,
                &self.token_label,
                pin,
                &id,
                &format!("trent-root-{}", hex::encode(id)),
            )
            .map_err(|e| self.token_error(e))?;
            create_private_file(&self.file, format!("{PKCS11_MAGIC}\nkey {}\n", hex::encode(id)).as_bytes())?;
            return Ok(RootKey::in_token(key));
        }
        let id = self.read_file()?;
        let key = crate::pkcs11::TokenKey::open(&self.module, &self.token_label, pin, &id)
            .map_err(|e| self.token_error(e))?;
        Ok(RootKey::in_token(key))
    }

    fn kind(&self) -> &'static str {
        "pkcs11"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hierarchy::DomainKey;
    use crate::AwsLcProvider;

    #[test]
    fn key_file_is_created_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let p = AwsLcProvider::new();
        let seal = KeyFileSeal::new(dir.path().join("root.key"));
        assert!(!seal.exists());
        let r1 = seal.open(&p).unwrap();
        assert!(seal.exists());
        let r2 = seal.open(&p).unwrap();
        let dk = DomainKey::generate(&p, 1).unwrap();
        let w = r1.wrap_domain_key(&p, &dk).unwrap();
        assert!(r2.unwrap_domain_key(&p, 1, &w).is_ok(), "same key on reopen");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(seal.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            fs::set_permissions(seal.path(), fs::Permissions::from_mode(0o644)).unwrap();
            assert!(seal.open(&p).is_err(), "world-readable key file is refused");
        }
    }

    #[test]
    fn ephemeral_seal_makes_a_new_key_each_time_and_writes_nothing() {
        let p = AwsLcProvider::new();
        let (r1, r2) = (EphemeralSeal.open(&p).unwrap(), EphemeralSeal.open(&p).unwrap());
        let dk = DomainKey::generate(&p, 3).unwrap();
        let w = r1.wrap_domain_key(&p, &dk).unwrap();
        assert!(r1.unwrap_domain_key(&p, 3, &w).is_ok());
        assert!(r2.unwrap_domain_key(&p, 3, &w).is_err(), "another open, another key");
        assert_eq!(EphemeralSeal.kind(), "ephemeral");
    }

    #[test]
    fn passphrase_seal_derives_the_same_key_and_rejects_others() {
        let dir = tempfile::tempdir().unwrap();
        let p = AwsLcProvider::new();
        let small = Argon2Params { m_kib: 256, t: 1, p: 1 };
        let salt = dir.path().join("seal.salt");
        let s1 = PassphraseSeal::new(Zeroizing::new("correct horse battery".into()), &salt, small);
        let r1 = s1.open(&p).unwrap();
        let dk = DomainKey::generate(&p, 7).unwrap();
        let w = r1.wrap_domain_key(&p, &dk).unwrap();
        let r2 = PassphraseSeal::new(Zeroizing::new("correct horse battery".into()), &salt, Argon2Params::default())
            .open(&p)
            .unwrap();
        assert!(r2.unwrap_domain_key(&p, 7, &w).is_ok(), "stored parameters win");
        let wrong =
            PassphraseSeal::new(Zeroizing::new("incorrect horse battery".into()), &salt, small).open(&p).unwrap();
        assert!(wrong.unwrap_domain_key(&p, 7, &w).is_err());
        assert!(PassphraseSeal::new(Zeroizing::new("short".into()), &salt, small).open(&p).is_err());
    }

    #[test]
    fn the_shamir_seal_opens_with_three_of_five_shares_only() {
        let p = AwsLcProvider::new();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SHAMIR_FILE);
        let shares = ShamirSealFile::init(&p, &path, 5, 3).unwrap();
        assert!(ShamirSealFile::init(&p, &path, 5, 3).is_err(), "an existing seal file is never replaced");
        let file = ShamirSealFile::load(&path).unwrap();
        assert_eq!((file.threshold, file.shares), (3, 5));
        let text = fs::read_to_string(&path).unwrap();
        let texts: Vec<_> = shares.iter().map(|s| s.to_text()).collect();
        assert!(texts.iter().all(|t| !text.contains(&t["trent-share-".len()..])), "a share is in the file");
        let take = |i: &[usize]| i.iter().map(|&i| crate::shamir::Share::parse(&texts[i]).unwrap()).collect::<Vec<_>>();
        let a = ShamirSeal::new(file.clone(), take(&[0, 2, 4])).open(&p).unwrap();
        let b = ShamirSeal::new(file.clone(), take(&[1, 2, 3])).open(&p).unwrap();
        let wrap = |r: &RootKey| r.derive_key(&p, b"t").unwrap().expose().to_vec();
        assert_eq!(wrap(&a), wrap(&b));
        assert!(ShamirSeal::new(file.clone(), take(&[0, 1])).open(&p).is_err());
        // A share of another seal is refused as it arrives.
        let other = ShamirSealFile::init(&p, &dir.path().join("other"), 5, 3).unwrap();
        assert!(!file.accepts(&other[0]));
        assert!(file.accepts(&take(&[0])[0]));
        let mut mixed = take(&[0, 1]);
        mixed.push(crate::shamir::Share::parse(&other[2].to_text()).unwrap());
        assert!(ShamirSeal::new(file, mixed).open(&p).is_err());
    }

    /// The root key in a SoftHSM2 token (`TRENT_TEST_PKCS11_MODULE`): made
    /// by the token on first open, sensitive, found again through the seal
    /// file; it wraps domain keys in the token; another token, a wrong PIN
    /// or a missing key opens nothing.
    #[test]
    fn the_pkcs11_seal_keeps_the_root_key_in_the_token() {
        let Some(module) = crate::pkcs11::test_module("the_pkcs11_seal_keeps_the_root_key_in_the_token") else {
            return;
        };
        let p = AwsLcProvider::new();
        let label = format!("seal-{}", std::process::id());
        crate::pkcs11::init_token(&module, &label, "so-pin-1234", "user-pin-1234").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(PKCS11_FILE);
        let pin = || Zeroizing::new("user-pin-1234".to_owned());
        // A wrong PIN (checked while no session of this process is logged
        // in: PKCS#11 logs in an application, not a session) makes nothing.
        assert!(Pkcs11Seal::new(&module, &label, Zeroizing::new("wrong-pin".into()), &file).open(&p).is_err());
        assert!(!file.exists());
        let root = Pkcs11Seal::new(&module, &label, pin(), &file).open(&p).unwrap();
        assert_eq!(root.location(), "token");
        assert!(root.needs_seed() && root.derive_key(&p, b"x").is_err(), "a token root derives only from its seed");
        let dk = DomainKey::generate(&p, 1).unwrap();
        let w = root.wrap_domain_key(&p, &dk).unwrap();
        let text = fs::read_to_string(&file).unwrap();
        assert!(text.starts_with(PKCS11_MAGIC), "{text}");
        let id = hex::decode(text.lines().nth(1).unwrap().strip_prefix("key ").unwrap()).unwrap();
        let key = crate::pkcs11::TokenKey::open(&module, &label, b"user-pin-1234", &id).unwrap();
        assert!(key.value_is_sensitive().unwrap(), "the root key's value leaves the token");
        drop(key);
        // Opened again: the same key, found by the file.
        let again = Pkcs11Seal::new(&module, &label, pin(), &file).open(&p).unwrap();
        assert!(again.unwrap_domain_key(&p, 1, &w).is_ok());
        assert!(again.unwrap_domain_key(&p, 2, &w).is_err(), "the domain key id is bound");
        let mut bad = w.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert!(matches!(again.unwrap_domain_key(&p, 1, &bad), Err(CryptoError::Authentication)));
        // Its seed, wrapped in the token.
        let seed = p.generate_key().unwrap();
        let ws = again.wrap_seed(&p, &seed).unwrap();
        let seeded = again.with_seed(&p, &ws).unwrap();
        assert!(!seeded.needs_seed());
        assert_eq!(seeded.seed().unwrap().expose(), seed.expose());
        // Another token, a file naming another key: refused.
        assert!(Pkcs11Seal::new(&module, "no-such-token", pin(), &file).open(&p).is_err());
        let other = dir.path().join("other.seal");
        fs::write(&other, format!("{PKCS11_MAGIC}\nkey 00112233\n")).unwrap();
        assert!(Pkcs11Seal::new(&module, &label, pin(), &other).open(&p).is_err());
    }
}
