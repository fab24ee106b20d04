//! knet (and corosync 2 totemnet) decryption with candidate keys.
//!
//! OWNER: crypto helper. Contract: pure functions and a stateful
//! [`Decryptor`] that writes cleartext into a caller-owned buffer; no I/O.

/// Cipher named by `crypto_cipher`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cipher {
    None,
    Aes128,
    Aes192,
    Aes256,
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
