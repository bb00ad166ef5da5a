//! Peer sites: other Trent deployments, with their own stores, that serve
//! other Regions, so that a multi-Region key's related keys can live on
//! different sites (AWS KMS's Regions).
//!
//! The core says what travels ([`PeerMessage`], [`PeerReply`]); the server
//! carries it ([`PeerLink`]: TLS with the peer's certificate pinned, each
//! message authenticated with the trust the operator configured on both
//! sites). Key material crosses only wrapped to a transport key the
//! receiving site made for it ([`PeerMessage::TransportKey`]): an RSA key
//! pair whose private half never leaves the receiver, sealed in a token
//! under the receiver's own domain key, as for `GetParametersForImport`.
//! The receiver unwraps the material and wraps it under its own domain key,
//! so neither site ever holds the other's keys.
//!
//! What each message does on the receiving site is in
//! [`crate::Kms::peer_receive`]; how the operations use them is in the
//! multi-Region operations (ReplicateKey, rotation, UpdatePrimaryRegion,
//! the deletion of a related key).

use crate::model::KeyRecord;
use trent_api::enums::RotationType;
use trent_api::ids::{AccountId, KeyId, Region};
use trent_api::Blob;

/// One version of a multi-Region key's material, wrapped to the
/// receiver's transport key (`RSA_AES_KEY_WRAP_SHA_256`).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PeerVersion {
    /// Version number.
    pub version: u32,
    /// The material's id (the same on every site: it is bound into the
    /// wrapping of the stored material).
    pub material_id: String,
    /// When the version was made, epoch milliseconds.
    pub created_at: i64,
    /// The rotation that made it; `None` for the key's original material.
    pub rotation_type: Option<RotationType>,
    /// The material, wrapped to the transport key.
    pub wrapped: Blob,
}

/// A message from one site to the site that serves `region`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "Message")]
pub enum PeerMessage {
    /// Asks for a transport key for material of the key `key_id` of
    /// `account` sent to its related key in `region`.
    TransportKey {
        /// The account.
        account: AccountId,
        /// The multi-Region key's id.
        key_id: KeyId,
        /// The receiving Region.
        region: Region,
    },
    /// A new replica of a primary key the sender holds, with every version
    /// of its material; the replica's `remote_regions` name every other
    /// related key's Region.
    CreateReplica {
        /// The replica (its policy principals are the receiver's to find).
        replica: Box<KeyRecord>,
        /// Every version of the material.
        versions: Vec<PeerVersion>,
        /// The transport key's token.
        token: Blob,
    },
    /// Versions of the material the receiver stores (adding any it lacks:
    /// a rotation sends them before it commits, so that every ciphertext of
    /// the new material decrypts on every site), and, once the rotation
    /// committed, the version that is now current.
    Versions {
        /// The account.
        account: AccountId,
        /// The multi-Region key's id.
        key_id: KeyId,
        /// The receiving Region.
        region: Region,
        /// Versions, wrapped to the transport key of `token`.
        versions: Vec<PeerVersion>,
        /// The transport key's token (with `versions`).
        token: Option<Blob>,
        /// The version that is now current.
        current_version: Option<u32>,
    },
    /// The related keys after a change on the sender (a new replica, a new
    /// primary Region, a related key destroyed): the primary's Region,
    /// every related key's Region, and the primary's automatic rotation,
    /// which the receiver takes when it becomes the primary.
    Relate {
        /// The account.
        account: AccountId,
        /// The multi-Region key's id.
        key_id: KeyId,
        /// The receiving Region.
        region: Region,
        /// The primary key's Region.
        primary_region: Region,
        /// Every related key's Region.
        regions: Vec<Region>,
        /// The primary's days between automatic rotations.
        rotation_period_days: Option<i32>,
        /// When the primary's next automatic rotation is due.
        next_rotation_at: Option<i64>,
    },
    /// Asks for the automatic rotation of the primary key in `region`
    /// (GetKeyRotationStatus on a replica answers the primary's).
    RotationStatus {
        /// The account.
        account: AccountId,
        /// The multi-Region key's id.
        key_id: KeyId,
        /// The primary's Region.
        region: Region,
    },
}

impl PeerMessage {
    /// The message's name, for logs, metrics and audit.
    pub fn name(&self) -> &'static str {
        match self {
            PeerMessage::TransportKey { .. } => "TransportKey",
            PeerMessage::CreateReplica { .. } => "CreateReplica",
            PeerMessage::Versions { .. } => "Versions",
            PeerMessage::Relate { .. } => "Relate",
            PeerMessage::RotationStatus { .. } => "RotationStatus",
        }
    }

    /// The Region the message is for.
    pub fn region(&self) -> &Region {
        match self {
            PeerMessage::TransportKey { region, .. }
            | PeerMessage::Versions { region, .. }
            | PeerMessage::Relate { region, .. }
            | PeerMessage::RotationStatus { region, .. } => region,
            PeerMessage::CreateReplica { replica, .. } => &replica.scope.region,
        }
    }
}

/// A site's answer to a [`PeerMessage`].
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "Reply")]
pub enum PeerReply {
    /// The answer to [`PeerMessage::TransportKey`].
    TransportKey {
        /// The RSA public key (DER `SubjectPublicKeyInfo`).
        public_key: Blob,
        /// The sealed private half, to be sent back with the material.
        token: Blob,
        /// The versions of the key's material the receiver already holds:
        /// (number, material id), which the sender need not send again.
        #[serde(default)]
        held: Vec<(u32, String)>,
    },
    /// The answer to [`PeerMessage::RotationStatus`].
    RotationStatus {
        /// Days between automatic rotations; `None` while it is off.
        rotation_period_days: Option<i32>,
        /// When the next automatic rotation is due.
        next_rotation_at: Option<i64>,
    },
    /// Done.
    Done {},
}

/// Why a message did not get its answer.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// No peer is configured for the Region.
    #[error("no peer site serves Region {0}")]
    NoPeer(Region),
    /// The peer could not be reached, or its answer could not be read
    /// (the detail is for the log).
    #[error("peer site for {region}: {detail}")]
    Unreachable {
        /// The Region.
        region: Region,
        /// What went wrong.
        detail: String,
    },
    /// The peer refused the message with an AWS error.
    #[error("{1}")]
    Refused(trent_api::ErrorCode, String),
}

/// The channel to the peer sites (the server's, over HTTPS).
#[async_trait::async_trait]
pub trait PeerLink: Send + Sync + std::fmt::Debug {
    /// True when a peer site serves `region`.
    fn serves(&self, region: &Region) -> bool;
    /// Sends `message` to the site serving its Region and waits for its
    /// answer.
    async fn call(&self, message: &PeerMessage) -> Result<PeerReply, PeerError>;
}
