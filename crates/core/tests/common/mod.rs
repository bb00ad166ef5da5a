//! Setup shared by the core's scenario test binaries.

use trent_api::ids::{AccessKeyId, AccountId, Region};
use trent_core::Caller;

/// The root principal of `account` calling in `region`, from in process:
/// no source address, no TLS, no audit draft (its calls leave no event).
pub fn root_caller(account: &str, region: &str) -> Caller {
    let account = AccountId::parse(account).expect("a 12-digit account id");
    Caller {
        principal: account.root_arn(),
        account,
        region: Region::parse(region).expect("a region name"),
        access_key_id: AccessKeyId::new_unchecked("AKIAEXAMPLEEXAMPLE00"),
        source_ip: None,
        session: None,
        secure_transport: false,
        audit: Default::default(),
    }
}

/// IAM user `name` of `account` calling in `region`, from in process (the
/// user must exist in the store for its calls to be authorized).
#[allow(dead_code)] // Not every test binary has users.
pub fn user_caller(account: &str, name: &str, region: &str) -> Caller {
    Caller {
        principal: trent_api::ids::PrincipalArn::new_unchecked(format!("arn:aws:iam::{account}:user/{name}")),
        ..root_caller(account, region)
    }
}

/// A Kms on `store` and `clock` with a fixed test root key.
#[allow(dead_code)] // Not every test binary keeps the store and clock.
pub async fn kms_with(
    store: std::sync::Arc<trent_core::memory::InMemoryStore>,
    clock: std::sync::Arc<trent_core::ManualClock>,
    options: trent_core::KmsOptions,
) -> trent_core::Kms {
    use trent_crypto::hierarchy::RootKey;
    use trent_crypto::{AwsLcProvider, SecretKey};
    let root = RootKey::new(SecretKey::from_bytes([7u8; 32]));
    trent_core::Kms::with_root_key(store, std::sync::Arc::new(AwsLcProvider::new()), clock, root, options)
        .await
        .expect("an in-memory Kms")
}

/// A Kms on a fresh in-memory store, its clock at 2023-11-14, with small
/// key caches (so tests reach the store).
#[allow(dead_code)] // Not every test binary uses it.
pub async fn kms() -> trent_core::Kms {
    let options = trent_core::KmsOptions { backing_key_cache_capacity: 8, ..trent_core::KmsOptions::default() };
    kms_with(
        std::sync::Arc::new(trent_core::memory::InMemoryStore::new()),
        std::sync::Arc::new(trent_core::ManualClock::new(1_700_000_000_000)),
        options,
    )
    .await
}
