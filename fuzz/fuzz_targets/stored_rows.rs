//! Stored rows, through the backup format (the one place rows leave and
//! re-enter a store as bytes):
//!
//! - input starting with `{`: a snapshot's JSON (every kind of row). If it
//!   decodes and a store accepts it, a backup of that store restores into an
//!   empty store that exports exactly the same rows.
//! - any other input: a backup file. Opening it under a fixed root key never
//!   panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use trent_core::backup;
use trent_core::memory::InMemoryStore;
use trent_core::model::Snapshot;
use trent_core::Store;
use trent_crypto::hierarchy::RootKey;
use trent_crypto::{AwsLcProvider, SecretKey};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let p = AwsLcProvider::new();
    let root = || RootKey::new(SecretKey::from_bytes([3; 32]));
    if data.first() != Some(&b'{') {
        let _ = backup::open(&p, root(), data);
        return;
    }
    let Ok(snapshot) = serde_json::from_slice::<Snapshot>(data) else { return };
    runtime().block_on(async {
        let store = InMemoryStore::new();
        if store.import(&snapshot).await.is_err() {
            return;
        }
        let exported = store.export().await.unwrap();
        let Ok((bytes, _header)) = backup::create(&store, &p, root(), 42).await else { return };
        let target = InMemoryStore::new();
        backup::restore(&target, &p, root(), &bytes).await.unwrap();
        assert!(target.export().await.unwrap() == exported, "a backup restored other rows than it was made of");
    });
});
