//! The server's side of `TrentAdmin.RotateRoot` ([`trent_core::RootRotation`]):
//! making the new seal's file and opening its root, then putting the file
//! in place once the core has stored the domain keys under the new root.
//!
//! The new seal's file is written as `FILE.next` beside where it belongs
//! (the key file, `seal.salt`, `shamir.seal` or `pkcs11.seal`), so that the
//! current seal's file is untouched until the store has committed. Then
//! `FILE.next` is renamed over `FILE`, and the files of the seal left behind
//! are removed: an old key file or salt would otherwise still open the
//! derived keys, and a Shamir seal file beside another seal stops the
//! server's start. A crash between the commit and the rename leaves
//! `FILE.next`, which the start's error names.

use crate::config::{Pkcs11Params, ServerParams};
use std::path::{Path, PathBuf};
use trent_api::admin::RotateRootRequest;
use trent_core::{KmsError, PreparedRoot, RootRotation};
use trent_crypto::seal::{
    Argon2Params, KeyFileSeal, PassphraseSeal, Pkcs11Seal, Seal as _, ShamirSeal, ShamirSealFile,
};
use trent_crypto::{CryptoError, CryptoProvider};
use zeroize::Zeroizing;

/// The seal files of one deployment's data directory.
pub(crate) struct SealFiles {
    data_dir: PathBuf,
    key_file: PathBuf,
    pkcs11: Option<Pkcs11Params>,
    production: bool,
    /// The files of the seal the deployment is under: the one the server
    /// started under, then each rotation's.
    current: std::sync::Arc<std::sync::Mutex<Vec<PathBuf>>>,
    argon2: Argon2Params,
}

impl SealFiles {
    pub(crate) fn new(params: &ServerParams) -> Self {
        SealFiles {
            data_dir: params.data_dir.clone(),
            key_file: params.key_file.clone(),
            pkcs11: params.pkcs11.clone(),
            production: params.production,
            current: std::sync::Arc::new(std::sync::Mutex::new(crate::startup::seal_files(params))),
            argon2: Argon2Params::default(),
        }
    }

    /// With other Argon2 parameters (tests).
    #[cfg(test)]
    pub(crate) fn with_argon2(self, argon2: Argon2Params) -> Self {
        SealFiles { argon2, ..self }
    }
}

/// `FILE.next`.
pub fn next_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".next");
    PathBuf::from(name)
}

fn seal_error(e: CryptoError) -> KmsError {
    KmsError::crypto(e)
}

fn invalid(message: &str) -> KmsError {
    KmsError::Validation(message.to_owned())
}

impl RootRotation for SealFiles {
    fn prepare(&self, crypto: &dyn CryptoProvider, request: &RotateRootRequest) -> Result<PreparedRoot, KmsError> {
        let kind = request.seal.as_deref().unwrap_or_default();
        let file = crate::startup::seal_file(&self.data_dir, &self.key_file, kind)
            .ok_or_else(|| invalid("Seal must be key-file, passphrase, shamir or pkcs11."))?;
        let next = next_path(&file);
        // A file left by a rotation that failed before its commit.
        if next.exists() {
            std::fs::remove_file(&next)
                .map_err(|e| seal_error(CryptoError::SealIo { path: next.display().to_string(), source: e }))?;
        }
        let mut shares = Vec::new();
        let (root, kind) = match kind {
            "key-file" => {
                if self.production {
                    return Err(invalid(
                        "The key-file seal is for development only; this deployment runs in production mode.",
                    ));
                }
                (KeyFileSeal::new(&next).open(crypto).map_err(seal_error)?, "key-file")
            }
            "passphrase" => {
                let pass = request.passphrase.clone().ok_or_else(|| invalid("Seal passphrase needs a Passphrase."))?;
                (PassphraseSeal::new(pass, &next, self.argon2).open(crypto).map_err(seal_error)?, "passphrase")
            }
            "shamir" => {
                let (Some(n), Some(t)) = (request.share_count, request.threshold) else {
                    return Err(invalid("Seal shamir needs ShareCount and Threshold."));
                };
                let (Ok(n), Ok(t)) = (u8::try_from(n), u8::try_from(t)) else {
                    return Err(invalid("ShareCount and Threshold must be between 2 and 255."));
                };
                if t > n {
                    return Err(invalid("Threshold must not be greater than ShareCount."));
                }
                let made = ShamirSealFile::init(crypto, &next, n, t).map_err(seal_error)?;
                let sealed = ShamirSealFile::load(&next).map_err(seal_error)?;
                shares = made.iter().map(trent_crypto::shamir::Share::to_text).collect::<Vec<Zeroizing<String>>>();
                let root = ShamirSeal::new(sealed, made.into_iter().take(usize::from(t)).collect()).open(crypto);
                (root.map_err(seal_error)?, "shamir")
            }
            _ => {
                let p = self.pkcs11.as_ref().ok_or_else(|| {
                    invalid("Seal pkcs11 needs pkcs11_module, pkcs11_token_label and the PIN in the server's configuration.")
                })?;
                let seal = Pkcs11Seal::new(&p.module, &p.token_label, p.pin.clone(), &next);
                (seal.open(crypto).map_err(seal_error)?, "pkcs11")
            }
        };
        let (current, target) = (self.current.clone(), file.clone());
        let finish = move |committed: bool| -> Result<(), String> {
            if !committed {
                return std::fs::remove_file(&next).map_err(|e| format!("{}: {e}", next.display()));
            }
            std::fs::rename(&next, &target).map_err(|e| format!("{} → {}: {e}", next.display(), target.display()))?;
            let old = std::mem::replace(
                &mut *current.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
                vec![target.clone()],
            );
            for old in old.iter().filter(|f| **f != target) {
                match std::fs::remove_file(old) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(format!("the old seal's {}: {e}", old.display())),
                }
            }
            if let Some(dir) = target.parent() {
                if let Ok(d) = std::fs::File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            Ok(())
        };
        Ok(PreparedRoot { root, kind, seal_file: file.display().to_string(), shares, finish: Box::new(finish) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_crypto::hierarchy::DomainKey;
    use trent_crypto::seal::SHAMIR_FILE;
    use trent_crypto::AwsLcProvider;

    fn files(dir: &Path) -> SealFiles {
        let config = crate::config::Config { data_dir: Some(dir.to_path_buf()), ..Default::default() };
        let params = config.into_params(|_| Err(std::io::Error::other("no files"))).unwrap();
        SealFiles::new(&params).with_argon2(Argon2Params { m_kib: 64, t: 1, p: 1 })
    }

    fn request(seal: &str) -> RotateRootRequest {
        RotateRootRequest { seal: Some(seal.into()), ..Default::default() }
    }

    #[test]
    fn the_new_seal_file_waits_beside_the_old_until_the_commit() {
        let p = AwsLcProvider::new();
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("root.key");
        let old = KeyFileSeal::new(&key_file).open(&p).unwrap();
        let dk = DomainKey::generate(&p, 1).unwrap();
        let s = files(dir.path());

        // Abandoned: nothing left, the old seal untouched.
        let mut req = request("passphrase");
        assert!(matches!(s.prepare(&p, &req), Err(KmsError::Validation(_))), "no passphrase");
        req.passphrase = Some(Zeroizing::new("a new long passphrase".into()));
        let prepared = s.prepare(&p, &req).unwrap();
        assert!(dir.path().join("seal.salt.next").exists() && !dir.path().join("seal.salt").exists());
        (prepared.finish)(false).unwrap();
        assert!(!dir.path().join("seal.salt.next").exists() && key_file.exists());

        // Committed: the new file in place, the old seal's gone.
        let prepared = s.prepare(&p, &req).unwrap();
        let wrapped = prepared.root.wrap_domain_key(&p, &dk).unwrap();
        (prepared.finish)(true).unwrap();
        assert!(dir.path().join("seal.salt").exists() && !key_file.exists());
        let reopened =
            PassphraseSeal::new(req.passphrase.clone().unwrap(), dir.path().join("seal.salt"), Argon2Params::default())
                .open(&p)
                .unwrap();
        assert!(reopened.unwrap_domain_key(&p, 1, &wrapped).is_ok(), "the salt's own parameters win");
        assert!(old.unwrap_domain_key(&p, 1, &wrapped).is_err());

        // Shamir: the shares come back, the threshold opens the new root.
        let mut req = request("shamir");
        req.share_count = Some(3);
        req.threshold = Some(4);
        assert!(matches!(s.prepare(&p, &req), Err(KmsError::Validation(_))), "threshold above the count");
        req.threshold = Some(2);
        let prepared = s.prepare(&p, &req).unwrap();
        assert_eq!(prepared.shares.len(), 3);
        let wrapped = prepared.root.wrap_domain_key(&p, &dk).unwrap();
        let texts = prepared.shares;
        (prepared.finish)(true).unwrap();
        assert!(!dir.path().join("seal.salt").exists(), "the passphrase seal's salt is gone");
        let file = ShamirSealFile::load(&dir.path().join(SHAMIR_FILE)).unwrap();
        let shares = [0, 2].iter().map(|&i| trent_crypto::shamir::Share::parse(&texts[i]).unwrap()).collect();
        let root = ShamirSeal::new(file, shares).open(&p).unwrap();
        assert!(root.unwrap_domain_key(&p, 1, &wrapped).is_ok());
        // The PKCS#11 seal needs the token declared.
        assert!(matches!(s.prepare(&p, &request("pkcs11")), Err(KmsError::Validation(_))));
    }
}
