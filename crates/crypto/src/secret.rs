//! Secret types. They deliberately implement neither `Debug`, `Clone` nor
//! `Serialize`; bytes leave them only through named methods.

use zeroize::{Zeroize, Zeroizing};

/// A 256-bit symmetric key, zeroized on drop.
pub struct SecretKey(Zeroizing<[u8; 32]>);

impl SecretKey {
    /// Takes ownership of key bytes (the caller's copy should be zeroized).
    pub fn from_bytes(mut bytes: [u8; 32]) -> Self {
        let k = SecretKey(Zeroizing::new(bytes));
        bytes.zeroize();
        k
    }
    /// Copies key bytes from a slice of exactly 32 bytes.
    pub fn from_slice(s: &[u8]) -> Option<Self> {
        let mut k = Zeroizing::new([0u8; 32]);
        if s.len() != 32 {
            return None;
        }
        k.copy_from_slice(s);
        Some(SecretKey(k))
    }
    /// Borrows the key bytes, for a primitive that needs them.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Variable-length secret bytes (plaintexts, data keys), zeroized on drop.
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Wraps bytes.
    pub fn new(bytes: Zeroizing<Vec<u8>>) -> Self {
        SecretBytes(bytes)
    }
    /// A zero-filled buffer of `len` bytes, to be filled in place.
    pub fn zeroed(len: usize) -> Self {
        SecretBytes(Zeroizing::new(vec![0u8; len]))
    }
    /// Borrows the bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
    /// Borrows the bytes mutably.
    pub fn expose_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
    /// Gives up the zeroizing buffer, e.g. to hand plaintext to the wire layer
    /// which keeps it zeroizing.
    pub fn into_zeroizing(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
    /// Length.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
