//! TrentAdmin.RotateRoot (`trent admin rotate-root`): the deployment moves
//! to a new root key, from the same seal or another (key file → Shamir,
//! passphrase → PKCS#11, …), while it serves.
//!
//! The server makes the new seal ([`RootRotation::prepare`]: its file is
//! written beside the current one, its root opened); here every domain key
//! is unwrapped under the current root and wrapped again under the new one,
//! the root seed with them (so the keys derived from it — row MACs, the
//! checkpoint key, backups — stay what they were, and so do every row,
//! checkpoint and digest file made before), and the rows are replaced in
//! one transaction with the call's event, checked against the rows read
//! (`Conflict` if another rotation came first). Only then does the keyring
//! take the new root and the server put the new seal's file in place
//! ([`PreparedRoot::finish`]); a failure before leaves everything as it
//! was. Key material is never re-wrapped: it is wrapped under domain keys,
//! which do not change. Requests in flight are not held up: they use the
//! domain keys in memory, which stay the same.

use crate::caller::Caller;
use crate::error::KmsError;
use crate::kms::Kms;
use crate::model::DomainKeyRecord;
use crate::store::StoreError;
use trent_api::admin::{RotateRootRequest, RotateRootResponse};
use trent_api::operation::Operation;
use trent_crypto::hierarchy::{RootKey, SEED_ID};
use trent_crypto::CryptoProvider;
use zeroize::Zeroizing;

/// How a new root key is made: the server's side of a rotation, which knows
/// the seal's files and tokens (the core knows neither).
pub trait RootRotation: Send + Sync {
    /// Makes the new seal for `request` (its file written where it does not
    /// replace the current seal's) and opens its root key. Blocking (key
    /// derivation, token calls): called on a blocking thread.
    fn prepare(&self, crypto: &dyn CryptoProvider, request: &RotateRootRequest) -> Result<PreparedRoot, KmsError>;
}

impl std::fmt::Debug for dyn RootRotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RootRotation")
    }
}

/// What to do once a new seal's rows are stored, or not.
pub type Finish = Box<dyn FnOnce(bool) -> Result<(), String> + Send>;

/// A new seal, made and opened, whose file is not yet in place.
pub struct PreparedRoot {
    /// Its root key (no seed: the rotation gives it the deployment's).
    pub root: RootKey,
    /// Its kind (`key-file`, `passphrase`, `shamir`, `pkcs11`).
    pub kind: &'static str,
    /// Where its file will be.
    pub seal_file: String,
    /// The shares of a new Shamir seal, to be shown once.
    pub shares: Vec<Zeroizing<String>>,
    /// Called with `true` once the store holds the domain keys wrapped under
    /// the new root (puts the new file in place, removes the old seal's),
    /// `false` if it does not (removes what `prepare` wrote).
    pub finish: Finish,
}

impl Kms {
    /// RotateRoot: only a principal of the operator account whose policies
    /// allow `trent:RotateRoot`. `UnsupportedOperationException` on a
    /// deployment with no seal to move (`trent serve --ephemeral`).
    pub async fn admin_rotate_root(
        &self,
        caller: &Caller,
        request: RotateRootRequest,
    ) -> Result<RotateRootResponse, KmsError> {
        self.require_operator(caller, Operation::RotateRoot, "rotate the root key").await?;
        // No member is taken and ignored.
        let seal = request.seal.as_deref().unwrap_or_default();
        if seal != "shamir" && (request.share_count.is_some() || request.threshold.is_some()) {
            return Err(KmsError::Validation(format!(
                "ShareCount and Threshold are valid only with Seal shamir, not {seal}."
            )));
        }
        if seal != "passphrase" && request.passphrase.is_some() {
            return Err(KmsError::Validation(format!("Passphrase is valid only with Seal passphrase, not {seal}.")));
        }
        // A new passphrase travels in the request, new shares in the
        // answer: never in clear over a network.
        let secret_on_the_wire = matches!(request.seal.as_deref(), Some("passphrase" | "shamir"));
        let local = caller.source_ip.is_none_or(|ip| ip.is_loopback());
        if secret_on_the_wire && !caller.secure_transport && !local {
            return Err(KmsError::Validation(
                "Seal passphrase and shamir carry secrets in the request or its answer: call RotateRoot over TLS, or from the server's own host.".into(),
            ));
        }
        let rotation = self.root_rotation.clone().ok_or_else(|| {
            KmsError::Unsupported("This deployment has no seal to rotate: its root key lives only in memory.".into())
        })?;
        // One rotation at a time on this node; the store's check orders
        // rotations across nodes.
        let _one = self.rotating.lock().await;
        let crypto = self.keyring.crypto_arc();
        let prepared =
            tokio::task::spawn_blocking(move || rotation.prepare(crypto.as_ref(), &request)).await.map_err(|e| {
                KmsError::crypto(trent_crypto::CryptoError::Seal(format!("the new seal could not be made: {e}")))
            })??;
        let PreparedRoot { root: new_root, kind, seal_file, shares, finish } = prepared;
        match self.rewrap_under(caller, new_root, kind, &seal_file).await {
            Ok((response, new_root)) => {
                self.keyring.replace_root(new_root);
                self.root_rotated.store(true, std::sync::atomic::Ordering::Relaxed);
                let mut next_steps = vec![format!(
                    "Set seal = \"{kind}\" in every node's configuration before its next start{}.",
                    match kind {
                        "passphrase" => " (with the new passphrase)",
                        "pkcs11" => " (with pkcs11_module, pkcs11_token_label and the PIN)",
                        _ => "",
                    }
                )];
                if let Err(e) =
                    tokio::task::spawn_blocking(move || finish(true)).await.unwrap_or_else(|e| Err(e.to_string()))
                {
                    tracing::error!(error = %e, "root rotated in the store, but the new seal's file is not in place");
                    next_steps.push(format!(
                        "The new seal's file could not be put in place ({e}): rename {seal_file}.next to {seal_file} before the next start."
                    ));
                }
                next_steps.push(format!(
                    "Other nodes of this deployment (PostgreSQL) keep serving, and start again only under the new seal: copy {seal_file} to their data directories."
                ));
                tracing::warn!(
                    caller = caller.principal.as_str(),
                    seal = kind,
                    "root key rotated: the domain keys are wrapped under the new seal's root key"
                );
                Ok(RotateRootResponse { shares, next_steps, ..response })
            }
            Err(e) => {
                if let Err(cleanup) =
                    tokio::task::spawn_blocking(move || finish(false)).await.unwrap_or_else(|e| Err(e.to_string()))
                {
                    tracing::warn!(error = %cleanup, "the abandoned new seal's file could not be removed");
                }
                Err(e)
            }
        }
    }

    /// Wraps every stored domain key, and the seed, under `new_root`, and
    /// replaces the stored rows with the call's event. Returns the response
    /// (without shares) and the new root with the seed.
    async fn rewrap_under(
        &self,
        caller: &Caller,
        new_root: RootKey,
        kind: &str,
        seal_file: &str,
    ) -> Result<(RotateRootResponse, RootKey), KmsError> {
        let crypto = self.keyring.crypto();
        let current = self.keyring.root();
        let stored = self.store.domain_keys().await?;
        let seed = current.seed().map_err(KmsError::crypto)?;
        let mut rewrapped = Vec::with_capacity(stored.len() + 1);
        let mut created_at = self.now();
        for rec in stored.iter().filter(|r| r.id != SEED_ID) {
            let dk = current.unwrap_domain_key(crypto, rec.id, &rec.wrapped).map_err(|_| {
                KmsError::Conflict(format!(
                    "Domain key {} is not wrapped under this node's root key: the root was rotated by another node. Restart this node under the new seal.",
                    rec.id
                ))
            })?;
            rewrapped.push(DomainKeyRecord {
                id: rec.id,
                wrapped: new_root.wrap_domain_key(crypto, &dk).map_err(KmsError::crypto)?,
                created_at: rec.created_at,
            });
        }
        if let Some(old_seed) = stored.iter().find(|r| r.id == SEED_ID) {
            created_at = old_seed.created_at;
        }
        rewrapped.push(DomainKeyRecord {
            id: SEED_ID,
            wrapped: new_root.wrap_seed(crypto, &seed).map_err(KmsError::crypto)?,
            created_at,
        });
        rewrapped.sort_by_key(|r| r.id);
        let response = RotateRootResponse {
            seal: kind.to_owned(),
            seal_file: seal_file.to_owned(),
            domain_keys: u32::try_from(rewrapped.len() - 1).unwrap_or(u32::MAX),
            shares: Vec::new(),
            next_steps: Vec::new(),
        };
        self.commit_answering(caller, &response, async |audit| {
            match self.store.replace_domain_keys(&stored, &rewrapped, audit).await {
                Ok(()) => Ok(()),
                Err(StoreError::Conflict) => Err(KmsError::Conflict(
                    "The domain keys changed while they were being wrapped again (another rotation?): try again."
                        .into(),
                )),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
        Ok((response, new_root.with_given_seed(seed)))
    }
}
