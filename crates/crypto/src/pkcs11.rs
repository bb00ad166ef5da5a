//! PKCS#11 tokens (HSMs), through the `cryptoki` crate: the keys of a
//! custom key store are made and used inside a token and never leave it.
//!
//! - [`Token`]: a token found by label in a module (`.so`). A module is
//!   loaded and `C_Initialize`d once per process (PKCS#11 allows one
//!   initialization per application), whatever number of tokens or key
//!   stores use it.
//! - [`TokenSession`]: one logged-in session. `cryptoki`'s sessions may not
//!   move between threads, so a session lives on the thread that opened it.
//! - [`HsmPool`]: a few worker threads, each owning a session, that run jobs
//!   sent to them. This is how async code uses a token: it sends a job and
//!   awaits the job's answer, and a slow token holds up only its workers.
//!
//! Keys are AES-256 secret-key objects made by the token (`CKM_AES_KEY_GEN`)
//! with `CKA_TOKEN`, `CKA_PRIVATE`, `CKA_SENSITIVE` true and
//! `CKA_EXTRACTABLE` false: the token refuses to reveal or wrap them, so
//! their value never exists outside it. They are found by `CKA_ID` (the
//! key's material id) and used with `CKM_AES_GCM` (96-bit IV from the
//! caller, 128-bit tag). GCM under one key is bounded by the IV space: NIST
//! SP 800-38D caps random 96-bit IVs at 2^32 messages per key.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use zeroize::Zeroizing;

/// Why a token operation failed, in the terms AWS's custom key store
/// errors need.
#[derive(Debug, thiserror::Error)]
pub enum HsmError {
    /// The module could not be loaded or initialized.
    #[error("PKCS#11 module {0}: {1}")]
    Module(String, String),
    /// No initialized token of that label.
    #[error("no token labelled {0:?}")]
    TokenNotFound(String),
    /// The crypto-user PIN was refused.
    #[error("the token refused the PIN")]
    PinIncorrect,
    /// The token locked the user out (too many wrong PINs).
    #[error("the token's user PIN is locked")]
    PinLocked,
    /// The token has no user PIN set.
    #[error("the token has no user PIN")]
    UserNotFound,
    /// The token is gone or failing.
    #[error("the token is unreachable: {0}")]
    Unreachable(String),
    /// The key object is not in the token.
    #[error("the key is not in the token")]
    KeyNotFound,
    /// Decryption failed authentication (a wrong or altered ciphertext).
    #[error("authentication failed")]
    Authentication,
    /// The pool was stopped (the key store was disconnected).
    #[error("the token's connection is closed")]
    Closed,
    /// Anything else the token answered.
    #[error("PKCS#11: {0}")]
    Other(String),
}

fn classify(e: CkError) -> HsmError {
    match e {
        CkError::Pkcs11(rv, _) => match rv {
            RvError::PinIncorrect | RvError::PinLenRange => HsmError::PinIncorrect,
            RvError::PinLocked => HsmError::PinLocked,
            RvError::UserPinNotInitialized => HsmError::UserNotFound,
            RvError::EncryptedDataInvalid | RvError::EncryptedDataLenRange => HsmError::Authentication,
            RvError::DeviceError
            | RvError::DeviceRemoved
            | RvError::DeviceMemory
            | RvError::TokenNotPresent
            | RvError::TokenNotRecognized
            | RvError::SessionHandleInvalid
            | RvError::UserNotLoggedIn => HsmError::Unreachable(format!("{rv:?}")),
            other => HsmError::Other(format!("{other:?}")),
        },
        CkError::LibraryLoading(e) => HsmError::Module(String::new(), e.to_string()),
        other => HsmError::Other(other.to_string()),
    }
}

/// The modules loaded so far, by path: each is initialized once.
fn modules() -> &'static Mutex<HashMap<PathBuf, Pkcs11>> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    MODULES.get_or_init(Mutex::default)
}

fn module(path: &Path) -> Result<Pkcs11, HsmError> {
    let mut loaded = modules().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(m) = loaded.get(path) {
        return Ok(m.clone());
    }
    let shown = path.display().to_string();
    let m = Pkcs11::new(path).map_err(|e| HsmError::Module(shown.clone(), e.to_string()))?;
    match m.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(HsmError::Module(shown, e.to_string())),
    }
    loaded.insert(path.to_owned(), m.clone());
    Ok(m)
}

/// A token of a module, found by its label.
#[derive(Clone)]
pub struct Token {
    ctx: Pkcs11,
    slot: Slot,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token(slot {})", self.slot.id())
    }
}

impl Token {
    /// Finds the initialized token labelled `label` in the module at
    /// `module_path`, loading the module on first use.
    pub fn find(module_path: &Path, label: &str) -> Result<Token, HsmError> {
        let ctx = module(module_path)?;
        for slot in ctx.get_slots_with_initialized_token().map_err(classify)? {
            let info = ctx.get_token_info(slot).map_err(classify)?;
            if info.label().trim_end() == label {
                return Ok(Token { ctx, slot });
            }
        }
        Err(HsmError::TokenNotFound(label.to_owned()))
    }

    /// Opens a read-write session and logs the crypto user in (a token
    /// whose user is logged in already by another session of this process
    /// accepts the session as it is).
    pub fn login(&self, pin: &[u8]) -> Result<TokenSession, HsmError> {
        let session = self.ctx.open_rw_session(self.slot).map_err(classify)?;
        let pin = std::str::from_utf8(pin).map_err(|_| HsmError::PinIncorrect)?;
        match session.login(UserType::User, Some(&AuthPin::from(pin.to_owned()))) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => return Err(classify(e)),
        }
        Ok(TokenSession { session, handles: RefCell::default() })
    }
}

/// Initializes a fresh token labelled `label` in the first free slot of the
/// module, with a security officer PIN and a crypto-user PIN: what an
/// operator does once with `softhsm2-util --init-token`; tests use it to
/// get a token of their own.
pub fn init_token(module_path: &Path, label: &str, so_pin: &str, user_pin: &str) -> Result<(), HsmError> {
    // One initialization at a time: two would pick the same free slot.
    static INIT: Mutex<()> = Mutex::new(());
    let _one = INIT.lock().unwrap_or_else(PoisonError::into_inner);
    let ctx = module(module_path)?;
    let mut free = None;
    for slot in ctx.get_slots_with_token().map_err(classify)? {
        if !ctx.get_token_info(slot).map_err(classify)?.token_initialized() {
            free = Some(slot);
            break;
        }
    }
    let slot = free.ok_or_else(|| HsmError::Other("no free slot".into()))?;
    let so = AuthPin::from(so_pin.to_owned());
    ctx.init_token(slot, &so, label).map_err(classify)?;
    let session = ctx.open_rw_session(slot).map_err(classify)?;
    session.login(UserType::So, Some(&so)).map_err(classify)?;
    session.init_pin(&AuthPin::from(user_pin.to_owned())).map_err(classify)?;
    Ok(())
}

/// The IV length the GCM mechanism is given.
pub const GCM_IV_LEN: usize = 12;

/// A logged-in session; it stays on the thread that opened it.
pub struct TokenSession {
    session: Session,
    /// Key handles by `CKA_ID`, so that a key is searched for once per
    /// session.
    handles: RefCell<HashMap<Vec<u8>, ObjectHandle>>,
}

impl TokenSession {
    /// Makes a non-extractable, sensitive AES-256 key in the token, found
    /// later by `id`, labelled `label` (the KMS key's ARN, for operators).
    pub fn generate_aes_key(&self, id: &[u8], label: &str) -> Result<(), HsmError> {
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::ValueLen(32.into()),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Wrap(false),
            Attribute::Unwrap(false),
            Attribute::Derive(false),
            Attribute::Id(id.to_vec()),
            Attribute::Label(label.as_bytes().to_vec()),
        ];
        let handle = self.session.generate_key(&Mechanism::AesKeyGen, &template).map_err(classify)?;
        self.handles.borrow_mut().insert(id.to_vec(), handle);
        Ok(())
    }

    fn key(&self, id: &[u8]) -> Result<ObjectHandle, HsmError> {
        if let Some(h) = self.handles.borrow().get(id) {
            return Ok(*h);
        }
        let found = self
            .session
            .find_objects(&[Attribute::Class(ObjectClass::SECRET_KEY), Attribute::Id(id.to_vec())])
            .map_err(classify)?;
        let [handle] = found.as_slice() else {
            return Err(HsmError::KeyNotFound);
        };
        self.handles.borrow_mut().insert(id.to_vec(), *handle);
        Ok(*handle)
    }

    /// AES-GCM encryption inside the token: the ciphertext and its 16-byte
    /// tag.
    pub fn encrypt_gcm(
        &self,
        id: &[u8],
        iv: &[u8; GCM_IV_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, HsmError> {
        let key = self.key(id)?;
        let mut iv = *iv;
        let params = GcmParams::new(&mut iv, aad, 128.into()).map_err(classify)?;
        self.session.encrypt(&Mechanism::AesGcm(params), key, plaintext).map_err(classify)
    }

    /// AES-GCM decryption inside the token of a ciphertext with its tag;
    /// [`HsmError::Authentication`] when it does not authenticate.
    pub fn decrypt_gcm(
        &self,
        id: &[u8],
        iv: &[u8; GCM_IV_LEN],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, HsmError> {
        let key = self.key(id)?;
        let mut iv = *iv;
        let params = GcmParams::new(&mut iv, aad, 128.into()).map_err(classify)?;
        self.session.decrypt(&Mechanism::AesGcm(params), key, ciphertext).map(Zeroizing::new).map_err(|e| match e {
            // PKCS#11 3.0 answers a wrong tag CKR_ENCRYPTED_DATA_INVALID;
            // SoftHSM2 (2.6) answers CKR_GENERAL_ERROR. With the key found
            // and the session sound, either means the ciphertext, its AAD
            // or its IV is not what was encrypted.
            CkError::Pkcs11(RvError::GeneralError | RvError::FunctionFailed, _) => HsmError::Authentication,
            other => classify(other),
        })
    }

    /// Random bytes from the token's generator.
    pub fn random(&self, len: u32) -> Result<Zeroizing<Vec<u8>>, HsmError> {
        self.session.generate_random_vec(len).map(Zeroizing::new).map_err(classify)
    }

    /// Destroys the key object.
    pub fn destroy_key(&self, id: &[u8]) -> Result<(), HsmError> {
        let key = self.key(id)?;
        self.handles.borrow_mut().remove(id);
        self.session.destroy_object(key).map_err(classify)
    }

    /// True when the token refuses to reveal the key's value
    /// (`CKR_ATTRIBUTE_SENSITIVE`): what a test checks of every key.
    pub fn value_is_sensitive(&self, id: &[u8]) -> Result<bool, HsmError> {
        let key = self.key(id)?;
        let info = self.session.get_attribute_info(key, &[AttributeType::Value]).map_err(classify)?;
        Ok(matches!(info.as_slice(), [AttributeInfo::Sensitive]))
    }

    /// Imports a session (not token) AES key of the given value, for
    /// known-answer tests of the token's GCM (Wycheproof); never used for a
    /// KMS key.
    pub fn import_test_key(&self, id: &[u8], value: &[u8]) -> Result<(), HsmError> {
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Id(id.to_vec()),
            Attribute::Value(value.to_vec()),
        ];
        let handle = self.session.create_object(&template).map_err(classify)?;
        self.handles.borrow_mut().insert(id.to_vec(), handle);
        Ok(())
    }
}

type Job = Box<dyn FnOnce(&TokenSession) + Send>;

/// Worker threads that each own a logged-in session to one token, and run
/// the jobs sent to them. [`HsmPool::close`] ends them and waits; dropping
/// the pool ends them without waiting (a worker stuck in a token call must
/// not block whoever drops the last reference). Their sessions close,
/// which logs the user out of the token once the last one is gone.
pub struct HsmPool {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    workers: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for HsmPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HsmPool")
    }
}

impl HsmPool {
    /// Logs in to `token` with `pin` on `workers` threads (at least one);
    /// fails as the first login fails.
    pub fn start(token: &Token, pin: &[u8], workers: usize) -> Result<HsmPool, HsmError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let pool = HsmPool { jobs: Mutex::new(Some(tx)), workers: Mutex::default() };
        for n in 0..workers.max(1) {
            let (ready_tx, ready_rx) = mpsc::channel();
            let token = token.clone();
            let pin = Zeroizing::new(pin.to_vec());
            let rx = rx.clone();
            let handle = std::thread::Builder::new()
                .name(format!("trent-hsm-{n}"))
                .spawn(move || {
                    let session = match token.login(&pin) {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    drop(pin);
                    let _ = ready_tx.send(Ok(()));
                    loop {
                        // The lock is held only while waiting for a job.
                        let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        match job {
                            Ok(job) => job(&session),
                            Err(_) => return,
                        }
                    }
                })
                .map_err(|e| HsmError::Other(e.to_string()))?;
            pool.workers.lock().unwrap_or_else(PoisonError::into_inner).push(handle);
            if let Err(e) = ready_rx.recv().map_err(|_| HsmError::Other("HSM worker ended".into())).and_then(|r| r) {
                // The workers started are logged in: end them before the
                // failure is reported.
                pool.close();
                return Err(e);
            }
        }
        Ok(pool)
    }

    /// Sends a job to a worker; [`HsmError::Closed`] after
    /// [`HsmPool::close`].
    pub fn submit(&self, job: impl FnOnce(&TokenSession) + Send + 'static) -> Result<(), HsmError> {
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        jobs.as_ref().ok_or(HsmError::Closed)?.send(Box::new(job)).map_err(|_| HsmError::Closed)
    }

    /// Stops taking jobs, and waits for the workers to finish the jobs
    /// queued and close their sessions: once it returns, this pool is no
    /// longer logged in (a later login must present its PIN again).
    pub fn close(&self) {
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner).take();
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(PoisonError::into_inner));
        for w in workers {
            let _ = w.join();
        }
    }
}

impl Drop for HsmPool {
    fn drop(&mut self) {
        // The workers end when the queue is empty; nobody waits for them.
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner).take();
    }
}

/// How long [`TokenKey`] waits for the token to answer.
pub const TOKEN_KEY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// One key inside a token, used from synchronous code: the PKCS#11 seal's
/// root key. A single logged-in worker ([`HsmPool`]) runs its calls; each
/// call waits for the answer for at most [`TOKEN_KEY_TIMEOUT`].
pub struct TokenKey {
    pool: HsmPool,
    id: Vec<u8>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey").field("id", &hex::encode(&self.id)).finish()
    }
}

impl TokenKey {
    /// Logs in to the token labelled `label` in `module` and finds the key
    /// whose `CKA_ID` is `id` ([`HsmError::KeyNotFound`] if absent).
    pub fn open(module: &Path, label: &str, pin: &[u8], id: &[u8]) -> Result<TokenKey, HsmError> {
        let key = TokenKey { pool: HsmPool::start(&Token::find(module, label)?, pin, 1)?, id: id.to_vec() };
        let probe = key.id.clone();
        key.call(move |s| s.key(&probe).map(drop))?;
        Ok(key)
    }

    /// Makes a new non-extractable, sensitive AES-256 key with `CKA_ID`
    /// `id` in the token, and opens it.
    pub fn create(module: &Path, label: &str, pin: &[u8], id: &[u8], object_label: &str) -> Result<TokenKey, HsmError> {
        let key = TokenKey { pool: HsmPool::start(&Token::find(module, label)?, pin, 1)?, id: id.to_vec() };
        let (new_id, object_label) = (key.id.clone(), object_label.to_owned());
        key.call(move |s| s.generate_aes_key(&new_id, &object_label))?;
        Ok(key)
    }

    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&TokenSession) -> Result<T, HsmError> + Send + 'static,
    ) -> Result<T, HsmError> {
        let (tx, rx) = mpsc::channel();
        self.pool.submit(move |s| {
            let _ = tx.send(f(s));
        })?;
        match rx.recv_timeout(TOKEN_KEY_TIMEOUT) {
            Ok(answer) => answer,
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(HsmError::Closed),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                Err(HsmError::Unreachable(format!("no answer within {} s", TOKEN_KEY_TIMEOUT.as_secs())))
            }
        }
    }

    /// AES-GCM encryption inside the token ([`TokenSession::encrypt_gcm`]).
    pub fn encrypt_gcm(&self, iv: &[u8; GCM_IV_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, HsmError> {
        let (id, iv, aad, pt) = (self.id.clone(), *iv, aad.to_vec(), Zeroizing::new(plaintext.to_vec()));
        self.call(move |s| s.encrypt_gcm(&id, &iv, &aad, &pt))
    }

    /// AES-GCM decryption inside the token ([`TokenSession::decrypt_gcm`]).
    pub fn decrypt_gcm(
        &self,
        iv: &[u8; GCM_IV_LEN],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, HsmError> {
        let (id, iv, aad, ct) = (self.id.clone(), *iv, aad.to_vec(), ciphertext.to_vec());
        self.call(move |s| s.decrypt_gcm(&id, &iv, &aad, &ct))
    }

    /// True when the token refuses to reveal the key's value.
    pub fn value_is_sensitive(&self) -> Result<bool, HsmError> {
        let id = self.id.clone();
        self.call(move |s| s.value_is_sensitive(&id))
    }
}

/// The PKCS#11 module a test runs against (`TRENT_TEST_PKCS11_MODULE`,
/// set by `.ci/run`), or `None` after saying, on stderr and in the file
/// `TRENT_TEST_SKIP_LOG` names (which `scripts/test` counts), that `test`
/// skipped.
#[cfg(test)]
pub(crate) fn test_module(test: &str) -> Option<PathBuf> {
    if let Ok(m) = std::env::var("TRENT_TEST_PKCS11_MODULE") {
        return Some(PathBuf::from(m));
    }
    eprintln!("SKIPPED {test}: TRENT_TEST_PKCS11_MODULE is not set (PKCS#11 test)");
    if let Ok(path) = std::env::var("TRENT_TEST_SKIP_LOG") {
        use std::io::Write as _;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{test}");
        }
    }
    None
}
