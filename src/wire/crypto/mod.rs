//! knet (and corosync 2 totemnet) decryption with candidate keys.
//!
//! Pure code, no I/O: an [`AuthKey`] holds key bytes (wiped on drop, never
//! printed), a [`CryptoSuite`] names a `crypto_cipher` / `crypto_hash` pair,
//! and a [`Decryptor`] tries candidate (key, suite) pairs against each
//! payload and writes the cleartext into a caller-owned buffer.
//!
//! Layouts (docs/wire-format.md §5.1 and §5.9):
//!
//! * knet, cipher + hash: `salt(16) · AES-CBC(cleartext, PKCS#7) · HMAC(H)`,
//!   HMAC over salt and ciphertext, IV = salt, AES key = first 16/24/32 key
//!   bytes, HMAC key = the whole key.
//! * knet, hash only: `cleartext · HMAC(H)`.
//! * corosync 2.3/2.4 totemnet: `FE FE 00 00 · salt(16) · AES-CBC · HMAC(H)`
//!   with the HMAC over everything before it (header included), keys taken
//!   from the first 128 key bytes; with cipher none the totem message
//!   follows the header in clear.
//!
//! A result is only reported as decrypted when the HMAC verified (constant
//! time), the padding is valid and the cleartext has the shape of the
//! protocol expected (a knet packet, or a corosync 2 totem message).

mod decryptor;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use zeroize::Zeroizing;

pub use decryptor::{
    Cleartext, DecryptError, DecryptStats, Decryptor, Opening, SuiteMatch, Transport,
    knet_cleartext_plausible, totem2_cleartext_plausible,
};

/// AES block size, also the salt / IV size.
pub const BLOCK: usize = 16;
/// Salt (IV) bytes in front of knet and totemnet ciphertext.
pub const SALT_LEN: usize = 16;
/// The 4-byte header of corosync 2.3/2.4 totemnet packets.
pub const TOTEMNET2_HEADER: [u8; 4] = [0xFE, 0xFE, 0x00, 0x00];
/// Bytes of the authkey corosync 2 uses (`TOTEM_PRIVATE_KEY_LEN`).
pub const TOTEM2_KEY_LEN: usize = 128;

/// Cipher named by `crypto_cipher`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cipher {
    None,
    Aes128,
    Aes192,
    Aes256,
}

impl Cipher {
    /// Every cipher corosync accepts (3des of corosync 2 is not supported).
    pub const ALL: [Cipher; 4] = [Cipher::None, Cipher::Aes256, Cipher::Aes192, Cipher::Aes128];

    /// The corosync.conf spelling.
    pub fn name(self) -> &'static str {
        match self {
            Cipher::None => "none",
            Cipher::Aes128 => "aes128",
            Cipher::Aes192 => "aes192",
            Cipher::Aes256 => "aes256",
        }
    }

    /// AES key length in bytes (0 for none).
    pub fn key_len(self) -> usize {
        match self {
            Cipher::None => 0,
            Cipher::Aes128 => 16,
            Cipher::Aes192 => 24,
            Cipher::Aes256 => 32,
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Cipher::None => 0,
            Cipher::Aes128 => 1,
            Cipher::Aes192 => 2,
            Cipher::Aes256 => 3,
        }
    }
}

impl fmt::Display for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Cipher {
    type Err = SuiteError;
    fn from_str(s: &str) -> Result<Self, SuiteError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Cipher::None),
            "aes128" => Ok(Cipher::Aes128),
            "aes192" => Ok(Cipher::Aes192),
            "aes256" => Ok(Cipher::Aes256),
            "3des" => Err(SuiteError::Unsupported("3des")),
            _ => Err(SuiteError::UnknownCipher(truncate_name(s))),
        }
    }
}

/// HMAC named by `crypto_hash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hash {
    None,
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// Every hash corosync accepts, most common first.
    pub const ALL: [Hash; 6] = [
        Hash::None,
        Hash::Sha256,
        Hash::Sha1,
        Hash::Sha512,
        Hash::Sha384,
        Hash::Md5,
    ];

    /// The corosync.conf spelling.
    pub fn name(self) -> &'static str {
        match self {
            Hash::None => "none",
            Hash::Md5 => "md5",
            Hash::Sha1 => "sha1",
            Hash::Sha256 => "sha256",
            Hash::Sha384 => "sha384",
            Hash::Sha512 => "sha512",
        }
    }

    /// HMAC length on the wire (0 for none).
    pub fn len(self) -> usize {
        match self {
            Hash::None => 0,
            Hash::Md5 => 16,
            Hash::Sha1 => 20,
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    /// True for [`Hash::None`].
    pub fn is_empty(self) -> bool {
        self == Hash::None
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Hash::None => 0,
            Hash::Md5 => 1,
            Hash::Sha1 => 2,
            Hash::Sha256 => 3,
            Hash::Sha384 => 4,
            Hash::Sha512 => 5,
        }
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Hash {
    type Err = SuiteError;
    fn from_str(s: &str) -> Result<Self, SuiteError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Hash::None),
            "md5" => Ok(Hash::Md5),
            "sha1" => Ok(Hash::Sha1),
            "sha256" => Ok(Hash::Sha256),
            "sha384" => Ok(Hash::Sha384),
            "sha512" => Ok(Hash::Sha512),
            _ => Err(SuiteError::UnknownHash(truncate_name(s))),
        }
    }
}

fn truncate_name(s: &str) -> String {
    s.trim().chars().take(32).collect()
}

/// Why a cipher / hash name or pair is not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuiteError {
    UnknownCipher(String),
    UnknownHash(String),
    /// A cipher without a hash: corosync and knet refuse it.
    CipherWithoutHash(Cipher),
    /// Known to corosync but not implemented here.
    Unsupported(&'static str),
    /// Not of the form `cipher/hash`.
    Syntax(String),
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuiteError::UnknownCipher(s) => {
                write!(
                    f,
                    "unknown crypto_cipher {s:?} (expected none, aes128, aes192 or aes256)"
                )
            }
            SuiteError::UnknownHash(s) => {
                write!(
                    f,
                    "unknown crypto_hash {s:?} (expected none, md5, sha1, sha256, sha384 or sha512)"
                )
            }
            SuiteError::CipherWithoutHash(c) => {
                write!(f, "crypto_cipher {c} needs a crypto_hash other than none")
            }
            SuiteError::Unsupported(what) => write!(f, "{what} is not supported"),
            SuiteError::Syntax(s) => write!(
                f,
                "{s:?} is not of the form CIPHER/HASH (e.g. aes256/sha256)"
            ),
        }
    }
}

impl std::error::Error for SuiteError {}

/// A `crypto_cipher` / `crypto_hash` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CryptoSuite {
    pub cipher: Cipher,
    pub hash: Hash,
}

impl CryptoSuite {
    /// Corosync 3's default when crypto is on (`secauth: on`, corosync main).
    pub const AES256_SHA256: CryptoSuite = CryptoSuite {
        cipher: Cipher::Aes256,
        hash: Hash::Sha256,
    };
    /// Corosync 2's default with `secauth: on`.
    pub const AES256_SHA1: CryptoSuite = CryptoSuite {
        cipher: Cipher::Aes256,
        hash: Hash::Sha1,
    };
    /// No crypto at all.
    pub const CLEARTEXT: CryptoSuite = CryptoSuite {
        cipher: Cipher::None,
        hash: Hash::None,
    };

    pub const fn new(cipher: Cipher, hash: Hash) -> Self {
        CryptoSuite { cipher, hash }
    }

    /// Parse corosync names, e.g. `("aes256", "sha256")`, and reject pairs
    /// corosync rejects (a cipher with hash none).
    pub fn from_names(cipher: &str, hash: &str) -> Result<Self, SuiteError> {
        let suite = CryptoSuite {
            cipher: cipher.parse()?,
            hash: hash.parse()?,
        };
        suite.validate()?;
        Ok(suite)
    }

    /// Err when corosync would refuse this pair.
    pub fn validate(self) -> Result<(), SuiteError> {
        if self.cipher != Cipher::None && self.hash == Hash::None {
            return Err(SuiteError::CipherWithoutHash(self.cipher));
        }
        Ok(())
    }

    /// True when packets carry an HMAC or ciphertext (anything but none/none).
    pub fn is_protected(self) -> bool {
        self.hash != Hash::None
    }

    /// Every protected combination corosync 3 accepts for knet: aes256,
    /// aes192, aes128 and none (hash only) with each of sha256, sha1, sha512,
    /// sha384, md5 — 20 suites, the likeliest first.
    pub fn all_knet() -> [CryptoSuite; 20] {
        let mut out = [CryptoSuite::CLEARTEXT; 20];
        let hashes = [
            Hash::Sha256,
            Hash::Sha1,
            Hash::Sha512,
            Hash::Sha384,
            Hash::Md5,
        ];
        let ciphers = [Cipher::Aes256, Cipher::Aes192, Cipher::Aes128, Cipher::None];
        let mut i = 0;
        for h in hashes {
            for c in ciphers {
                out[i] = CryptoSuite::new(c, h);
                i += 1;
            }
        }
        out
    }

    /// Cleartext knet bytes `p` become this many bytes on the wire.
    pub fn knet_wire_len(self, p: usize) -> usize {
        match self.cipher {
            Cipher::None => p + self.hash.len(),
            _ => SALT_LEN + (p / BLOCK + 1) * BLOCK + self.hash.len(),
        }
    }
}

impl fmt::Display for CryptoSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.cipher, self.hash)
    }
}

impl FromStr for CryptoSuite {
    type Err = SuiteError;
    /// `"aes256/sha256"` (also `:` or `,` as separator).
    fn from_str(s: &str) -> Result<Self, SuiteError> {
        let mut parts = s.splitn(2, ['/', ':', ',']);
        match (parts.next(), parts.next()) {
            (Some(c), Some(h)) => CryptoSuite::from_names(c, h),
            _ => Err(SuiteError::Syntax(truncate_name(s))),
        }
    }
}

/// Why key bytes are not accepted as an authkey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// Fewer than [`AuthKey::MIN_LEN`] bytes.
    TooShort { len: usize },
    /// More than [`AuthKey::MAX_LEN`] bytes.
    TooLong { len: usize },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::TooShort { len } => {
                write!(
                    f,
                    "authkey has {len} bytes; corosync needs at least {}",
                    AuthKey::MIN_LEN
                )
            }
            KeyError::TooLong { len } => {
                write!(
                    f,
                    "authkey has {len} bytes; knet accepts at most {}",
                    AuthKey::MAX_LEN
                )
            }
        }
    }
}

impl std::error::Error for KeyError {}

/// A cluster authkey. The bytes are wiped when dropped; `Debug` shows only
/// the length, and there is no `Display` and no serialization.
#[derive(Clone)]
pub struct AuthKey {
    bytes: Zeroizing<Vec<u8>>,
}

impl AuthKey {
    /// Smallest key knet (and corosync 2) accepts.
    pub const MIN_LEN: usize = 128;
    /// Largest key knet accepts.
    pub const MAX_LEN: usize = 4096;

    /// Copy key bytes (the caller wipes its own copy).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        check_key_len(bytes.len())?;
        let mut v = Zeroizing::new(Vec::with_capacity(bytes.len()));
        v.extend_from_slice(bytes);
        Ok(AuthKey { bytes: v })
    }

    /// Take ownership of key bytes; they are wiped on every path.
    pub fn from_vec(bytes: Vec<u8>) -> Result<Self, KeyError> {
        let bytes = Zeroizing::new(bytes);
        check_key_len(bytes.len())?;
        Ok(AuthKey { bytes })
    }

    /// Key length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never true for a constructed key; present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The whole key (knet HMAC key). Crate-internal on purpose.
    pub(crate) fn knet_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The first 128 bytes (corosync 2 uses exactly these).
    pub(crate) fn totem2_bytes(&self) -> &[u8] {
        &self.bytes[..TOTEM2_KEY_LEN.min(self.bytes.len())]
    }
}

fn check_key_len(len: usize) -> Result<(), KeyError> {
    if len < AuthKey::MIN_LEN {
        Err(KeyError::TooShort { len })
    } else if len > AuthKey::MAX_LEN {
        Err(KeyError::TooLong { len })
    } else {
        Ok(())
    }
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthKey")
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl zeroize::ZeroizeOnDrop for AuthKey {}
