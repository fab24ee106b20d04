//! The stateful decryptor: pre-keyed HMAC and AES state per candidate key,
//! candidate suites, the last (key, suite) that worked, and counters.

use std::fmt;

use aes::cipher::{BlockCipherDecrypt, KeyInit};
use aes::{Aes128, Aes192, Aes256, Block};
use hmac::{Hmac, Mac};

use super::{AuthKey, BLOCK, Cipher, CryptoSuite, Hash, SALT_LEN, TOTEMNET2_HEADER};
use crate::wire::{Layer, WireError, WireErrorKind};

/// Which framing a packet was decrypted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Corosync 3 over kronosnet.
    Knet,
    /// Corosync 2.3/2.4 totemnet (`FE FE 00 00`).
    Totemnet2,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Knet => "knet",
            Transport::Totemnet2 => "totemnet2",
        })
    }
}

/// A successful decryption: the cleartext (a view into the caller's buffer)
/// and what opened it.
#[derive(Debug, PartialEq, Eq)]
pub struct Cleartext<'o> {
    /// The cleartext knet packet (knet) or corosync 2 totem message
    /// (totemnet2).
    pub bytes: &'o [u8],
    /// Index of the key (in the order given to [`Decryptor::new`]) whose
    /// HMAC verified; `None` only for totemnet2 with suite none/none, which
    /// carries no HMAC.
    pub key_index: Option<usize>,
    pub suite: CryptoSuite,
}

/// Why a payload was not decrypted. No variant carries key bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecryptError {
    /// Shorter than the smallest packet any candidate suite can produce.
    TooShort { need: usize, have: usize },
    /// No candidate (key, hash) verified the HMAC (or the length cannot be
    /// a ciphertext of any candidate suite).
    NotAuthenticated,
    /// The HMAC verified but the PKCS#7 padding is invalid (a wrong cipher
    /// guess, or a sender bug).
    BadPadding {
        key_index: usize,
        suite: CryptoSuite,
    },
    /// Authenticated and unpadded, but the cleartext is not a knet packet
    /// (knet) / corosync 2 totem message (totemnet2).
    Implausible {
        key_index: Option<usize>,
        suite: CryptoSuite,
    },
    /// totemnet2 only: the payload does not start with `FE FE 00 00`.
    NotTotemnet2,
    /// The output buffer cannot hold the cleartext.
    BufferTooSmall { need: usize, have: usize },
}

impl DecryptError {
    /// True when a configured key's HMAC verified the payload but it still
    /// could not be decrypted (bad padding, an implausible cleartext): a
    /// broken packet from a key holder, not traffic without a key.
    pub fn authenticated(&self) -> bool {
        // Implausible without a key index is totemnet2 none/none: no HMAC.
        matches!(
            self,
            DecryptError::BadPadding { .. }
                | DecryptError::Implausible {
                    key_index: Some(_),
                    ..
                }
        )
    }

    /// A short machine-friendly reason, usable as a counter key.
    pub fn reason(&self) -> &'static str {
        match self {
            DecryptError::TooShort { .. } => "crypto: too short",
            DecryptError::NotAuthenticated => "crypto: not authenticated",
            DecryptError::BadPadding { .. } => "crypto: bad padding",
            DecryptError::Implausible { .. } => "crypto: cleartext implausible",
            DecryptError::NotTotemnet2 => "crypto: not totemnet2",
            DecryptError::BufferTooSmall { .. } => "crypto: output buffer too small",
        }
    }
}

impl DecryptError {
    /// As a [`WireError`] of layer `crypto` for a payload starting `offset`
    /// bytes into the frame (for pipelines that report errors uniformly).
    pub fn to_wire_error(&self, offset: usize) -> WireError {
        match *self {
            DecryptError::TooShort { need, have } => {
                WireError::short(Layer::Crypto, offset, need, have)
            }
            DecryptError::BufferTooSmall { need, have } => {
                WireError::bad_length(Layer::Crypto, offset, "output buffer", need as u64, have)
            }
            DecryptError::NotTotemnet2 => {
                WireError::bad_value(Layer::Crypto, offset, "totemnet2 header", 0)
            }
            DecryptError::NotAuthenticated => WireError {
                layer: Layer::Crypto,
                offset,
                kind: WireErrorKind::Unsupported("unauthenticated payload"),
                cleartext: false,
            },
            DecryptError::BadPadding { .. } => WireError {
                layer: Layer::Crypto,
                offset,
                kind: WireErrorKind::Undecryptable("invalid padding"),
                cleartext: false,
            },
            DecryptError::Implausible { .. } => WireError {
                layer: Layer::Crypto,
                offset,
                kind: WireErrorKind::Undecryptable("the cleartext is not a valid packet"),
                cleartext: false,
            },
        }
    }
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecryptError::TooShort { need, have } => {
                write!(
                    f,
                    "encrypted payload needs at least {need} bytes, {have} present"
                )
            }
            DecryptError::NotAuthenticated => {
                f.write_str("not authenticated by any candidate key and hash")
            }
            DecryptError::BadPadding { key_index, suite } => {
                write!(
                    f,
                    "authenticated by key #{key_index} ({suite}) but the padding is invalid"
                )
            }
            DecryptError::Implausible {
                key_index: Some(k),
                suite,
            } => {
                write!(
                    f,
                    "authenticated by key #{k} ({suite}) but the cleartext is not a valid packet"
                )
            }
            DecryptError::Implausible {
                key_index: None,
                suite,
            } => {
                write!(f, "cleartext ({suite}) is not a valid packet")
            }
            DecryptError::NotTotemnet2 => f.write_str("payload does not start with FE FE 00 00"),
            DecryptError::BufferTooSmall { need, have } => {
                write!(f, "output buffer holds {have} bytes, {need} needed")
            }
        }
    }
}

impl std::error::Error for DecryptError {}

/// How often one (transport, key, suite) opened a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteMatch {
    pub transport: Transport,
    pub key_index: Option<usize>,
    pub suite: CryptoSuite,
    pub packets: u64,
}

/// Counters per outcome, and which (key, suite) matched how often.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecryptStats {
    /// Calls to `decrypt_knet` / `decrypt_totemnet2`.
    pub packets: u64,
    pub decrypted: u64,
    pub not_authenticated: u64,
    pub bad_padding: u64,
    pub implausible: u64,
    pub too_short: u64,
    pub not_totemnet2: u64,
    pub buffer_too_small: u64,
    /// One entry per (transport, key, suite) that opened at least one packet.
    pub matches: Vec<SuiteMatch>,
}

impl DecryptStats {
    /// True when packets were tried and not one authenticated: the cue for
    /// a single "wrong key or crypto_hash?" message instead of per-packet
    /// errors.
    pub fn nothing_authenticated(&self) -> bool {
        self.packets > 0 && self.decrypted == 0 && self.bad_padding == 0 && self.implausible == 0
    }

    /// The (transport, key, suite) that opened the most packets.
    pub fn best_match(&self) -> Option<&SuiteMatch> {
        self.matches.iter().max_by_key(|m| m.packets)
    }

    fn count_ok(&mut self, transport: Transport, key_index: Option<usize>, suite: CryptoSuite) {
        self.decrypted += 1;
        if let Some(m) = self
            .matches
            .iter_mut()
            .find(|m| m.transport == transport && m.key_index == key_index && m.suite == suite)
        {
            m.packets += 1;
        } else {
            self.matches.push(SuiteMatch {
                transport,
                key_index,
                suite,
                packets: 1,
            });
        }
    }

    fn count_err(&mut self, e: &DecryptError) {
        match e {
            DecryptError::TooShort { .. } => self.too_short += 1,
            DecryptError::NotAuthenticated => self.not_authenticated += 1,
            DecryptError::BadPadding { .. } => self.bad_padding += 1,
            DecryptError::Implausible { .. } => self.implausible += 1,
            DecryptError::NotTotemnet2 => self.not_totemnet2 += 1,
            DecryptError::BufferTooSmall { .. } => self.buffer_too_small += 1,
        }
    }
}

/// A pre-keyed HMAC; cloned per packet so the key pads are hashed once.
#[derive(Clone)]
enum MacKey {
    Md5(Hmac<md5::Md5>),
    Sha1(Hmac<sha1::Sha1>),
    Sha256(Hmac<sha2::Sha256>),
    Sha384(Hmac<sha2::Sha384>),
    Sha512(Hmac<sha2::Sha512>),
}

impl MacKey {
    fn new(hash: Hash, key: &[u8]) -> Option<MacKey> {
        // HMAC accepts keys of any length; `ok()?` only guards the API shape.
        Some(match hash {
            Hash::None => return None,
            Hash::Md5 => MacKey::Md5(Hmac::new_from_slice(key).ok()?),
            Hash::Sha1 => MacKey::Sha1(Hmac::new_from_slice(key).ok()?),
            Hash::Sha256 => MacKey::Sha256(Hmac::new_from_slice(key).ok()?),
            Hash::Sha384 => MacKey::Sha384(Hmac::new_from_slice(key).ok()?),
            Hash::Sha512 => MacKey::Sha512(Hmac::new_from_slice(key).ok()?),
        })
    }

    /// Constant-time comparison of HMAC(data) with `tag`.
    fn verify(&self, data: &[u8], tag: &[u8]) -> bool {
        fn go<M: Mac + Clone>(m: &M, data: &[u8], tag: &[u8]) -> bool {
            let mut m = m.clone();
            m.update(data);
            m.verify_slice(tag).is_ok()
        }
        match self {
            MacKey::Md5(m) => go(m, data, tag),
            MacKey::Sha1(m) => go(m, data, tag),
            MacKey::Sha256(m) => go(m, data, tag),
            MacKey::Sha384(m) => go(m, data, tag),
            MacKey::Sha512(m) => go(m, data, tag),
        }
    }

    #[cfg(test)]
    pub(super) fn tag(&self, data: &[u8]) -> Vec<u8> {
        fn go<M: Mac + Clone>(m: &M, data: &[u8]) -> Vec<u8> {
            let mut m = m.clone();
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        match self {
            MacKey::Md5(m) => go(m, data),
            MacKey::Sha1(m) => go(m, data),
            MacKey::Sha256(m) => go(m, data),
            MacKey::Sha384(m) => go(m, data),
            MacKey::Sha512(m) => go(m, data),
        }
    }
}

/// An AES key schedule, expanded once.
#[derive(Clone)]
enum AesKey {
    A128(Aes128),
    A192(Aes192),
    A256(Aes256),
}

impl AesKey {
    fn new(cipher: Cipher, key: &[u8]) -> Option<AesKey> {
        let k = key.get(..cipher.key_len())?;
        Some(match cipher {
            Cipher::None => return None,
            Cipher::Aes128 => AesKey::A128(Aes128::new_from_slice(k).ok()?),
            Cipher::Aes192 => AesKey::A192(Aes192::new_from_slice(k).ok()?),
            Cipher::Aes256 => AesKey::A256(Aes256::new_from_slice(k).ok()?),
        })
    }

    /// Decrypts whole blocks in place, each on its own (ECB): the AES
    /// step of CBC, which [`chain`] completes. One call over many
    /// payloads' blocks sets the cipher up once (the AVX-512 backend
    /// broadcasts every round key at each call).
    fn decrypt_blocks(&self, buf: &mut [u8]) {
        let (blocks, _) = Block::slice_as_chunks_mut(buf);
        match self {
            AesKey::A128(c) => c.decrypt_blocks(blocks),
            AesKey::A192(c) => c.decrypt_blocks(blocks),
            AesKey::A256(c) => c.decrypt_blocks(blocks),
        }
    }
}

/// The chaining of CBC after [`AesKey::decrypt_blocks`]: P_i = D(C_i) xor
/// C_{i-1}, with C_{-1} = IV.
/// Each block is XORed as one 128-bit word (the iterator chain of byte
/// pairs this replaces was not vectorised: ~20 instructions a block).
fn chain(iv: &[u8], ct: &[u8], out: &mut [u8]) {
    fn xor(blk: &mut [u8; BLOCK], prev: &[u8; BLOCK]) {
        *blk = (u128::from_ne_bytes(*blk) ^ u128::from_ne_bytes(*prev)).to_ne_bytes();
    }
    let (blocks, _) = out.as_chunks_mut::<BLOCK>();
    let Some((first, rest)) = blocks.split_first_mut() else {
        return;
    };
    match <&[u8; BLOCK]>::try_from(iv) {
        Ok(iv) => xor(first, iv),
        Err(_) => {
            for (a, b) in first.iter_mut().zip(iv) {
                *a ^= *b;
            }
        }
    }
    let (prevs, _) = ct.as_chunks::<BLOCK>();
    for (blk, prev) in rest.iter_mut().zip(prevs) {
        xor(blk, prev);
    }
}

/// Everything derived from one candidate key.
#[derive(Clone)]
struct KeyState {
    /// HMAC keyed with the whole key (knet), by `Hash::index`.
    knet_mac: [Option<MacKey>; 6],
    /// HMAC keyed with the first 128 bytes (corosync 2), by `Hash::index`.
    totem2_mac: [Option<MacKey>; 6],
    /// AES with the first 16/24/32 bytes, by `Cipher::index`.
    aes: [Option<AesKey>; 4],
}

impl KeyState {
    fn new(key: &AuthKey) -> KeyState {
        let knet = key.knet_bytes();
        let t2 = key.totem2_bytes();
        KeyState {
            knet_mac: Hash::ALL_BY_INDEX.map(|h| MacKey::new(h, knet)),
            totem2_mac: Hash::ALL_BY_INDEX.map(|h| MacKey::new(h, t2)),
            aes: Cipher::ALL_BY_INDEX.map(|c| AesKey::new(c, knet)),
        }
    }
}

impl Hash {
    const ALL_BY_INDEX: [Hash; 6] = [
        Hash::None,
        Hash::Md5,
        Hash::Sha1,
        Hash::Sha256,
        Hash::Sha384,
        Hash::Sha512,
    ];
}

impl Cipher {
    const ALL_BY_INDEX: [Cipher; 4] =
        [Cipher::None, Cipher::Aes128, Cipher::Aes192, Cipher::Aes256];
}

/// Outcome of one (key, suite) attempt.
enum Attempt {
    Ok(usize),
    /// Too short for this suite; the number is the suite's minimum.
    Short(usize),
    NoAuth,
    BadPad,
    Implausible,
    BufSmall(usize),
}

/// Per-packet memo of HMAC results per hash for one key: 0 unknown, 1 ok, 2 bad.
type Memo = [u8; 6];

/// Smallest cleartext knet packet (common header).
const KNET_MIN: usize = 6;
/// Smallest corosync 2 totem message (header).
const TOTEM2_MIN: usize = 8;

/// What [`Decryptor::check_pair`] made of a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// Opened: the cleartext's length.
    Done(usize),
    /// Authenticated; its `n` bytes of ciphertext (after the IV at `iv_at`
    /// in the payload) are in the output, waiting for the AES step.
    Cbc { iv_at: usize, n: usize },
}

/// Tries candidate keys and suites against payloads; see the module docs.
/// A clone shares nothing with the original: workers that decrypt ahead
/// each hold one.
#[derive(Clone)]
pub struct Decryptor {
    keys: Vec<KeyState>,
    knet_suites: Vec<CryptoSuite>,
    totem2_suites: Vec<CryptoSuite>,
    auto: bool,
    last_knet: Option<(usize, usize)>,
    last_totem2: Option<(usize, usize)>,
    memo: Vec<Memo>,
    stats: DecryptStats,
}

impl fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decryptor")
            .field("keys", &self.keys.len())
            .field("knet_suites", &self.knet_suites)
            .field("totem2_suites", &self.totem2_suites)
            .field("auto", &self.auto)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Decryptor {
    /// Candidate `keys` (tried in order; during a key change two are live)
    /// and candidate `suites`; an empty `suites` means "try every
    /// combination corosync accepts" (see [`CryptoSuite::all_knet`]; for
    /// totemnet2 also none/none, which needs no key). Suites corosync would
    /// refuse (a cipher with hash none) are ignored; none/none is ignored
    /// for knet (cleartext knet is not this module's business).
    pub fn new(keys: &[AuthKey], suites: &[CryptoSuite]) -> Decryptor {
        let auto = suites.iter().all(|s| s.validate().is_err());
        let (knet_suites, totem2_suites) = if auto {
            let all = CryptoSuite::all_knet();
            let mut t2 = all.to_vec();
            t2.push(CryptoSuite::CLEARTEXT);
            (all.to_vec(), t2)
        } else {
            let mut knet = Vec::new();
            let mut t2 = Vec::new();
            for &s in suites {
                if s.validate().is_err() {
                    continue;
                }
                if s.is_protected() && !knet.contains(&s) {
                    knet.push(s);
                }
                if !t2.contains(&s) {
                    t2.push(s);
                }
            }
            (knet, t2)
        };
        Decryptor {
            keys: keys.iter().map(KeyState::new).collect(),
            knet_suites,
            totem2_suites,
            auto,
            last_knet: None,
            last_totem2: None,
            memo: vec![[0; 6]; keys.len()],
            stats: DecryptStats::default(),
        }
    }

    /// Number of candidate keys.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// True when the suites are found by trying every combination.
    pub fn is_auto(&self) -> bool {
        self.auto
    }

    /// Candidate suites for knet, in the order tried.
    pub fn knet_suites(&self) -> &[CryptoSuite] {
        &self.knet_suites
    }

    /// Candidate suites for totemnet2, in the order tried.
    pub fn totemnet2_suites(&self) -> &[CryptoSuite] {
        &self.totem2_suites
    }

    /// Counters so far.
    pub fn stats(&self) -> &DecryptStats {
        &self.stats
    }

    /// Reset the counters (the last match is kept).
    pub fn reset_stats(&mut self) {
        self.stats = DecryptStats::default();
    }

    /// Decrypt (or, for hash-only suites, authenticate) one knet UDP
    /// payload into `out`. `out` must hold at least `payload.len()` bytes
    /// for the attempt to be possible; a reused 64 KiB buffer always fits.
    pub fn decrypt_knet<'o>(
        &mut self,
        payload: &[u8],
        out: &'o mut [u8],
    ) -> Result<Cleartext<'o>, DecryptError> {
        self.run(Transport::Knet, payload, out)
    }

    /// Decrypt one corosync 2.3/2.4 totemnet UDP payload (`FE FE 00 00`
    /// header) into `out`; the cleartext is the corosync 2 totem message.
    pub fn decrypt_totemnet2<'o>(
        &mut self,
        payload: &[u8],
        out: &'o mut [u8],
    ) -> Result<Cleartext<'o>, DecryptError> {
        let early = if payload.len() < TOTEMNET2_HEADER.len() {
            Some(DecryptError::TooShort {
                need: TOTEMNET2_HEADER.len() + TOTEM2_MIN,
                have: payload.len(),
            })
        } else if payload[..TOTEMNET2_HEADER.len()] != TOTEMNET2_HEADER {
            Some(DecryptError::NotTotemnet2)
        } else {
            None
        };
        if let Some(e) = early {
            self.stats.packets += 1;
            self.stats.count_err(&e);
            return Err(e);
        }
        self.run(Transport::Totemnet2, payload, out)
    }

    /// The (key, suite) pair that opened the last packet of `transport`:
    /// the one every packet is tried with first.
    pub fn last_pair(&self, transport: Transport) -> Option<(usize, usize)> {
        match transport {
            Transport::Knet => self.last_knet,
            Transport::Totemnet2 => self.last_totem2,
        }
    }

    /// Tries `pair` alone on `payload` (nothing counted, nothing
    /// remembered): the length of the cleartext written to `out` when it
    /// opens the packet. For workers that decrypt ahead; the decoding
    /// thread then takes the cleartext with [`Decryptor::accept`].
    pub fn try_pair(
        &self,
        transport: Transport,
        pair: (usize, usize),
        payload: &[u8],
        out: &mut [u8],
    ) -> Option<usize> {
        match self.check_pair(transport, pair, payload, out)? {
            Opening::Done(len) => Some(len),
            Opening::Cbc { iv_at, n } => {
                self.decrypt_blocks(transport, pair, &mut out[..n]);
                self.finish_pair(transport, payload, iv_at, n, out)
            }
        }
    }

    /// [`Decryptor::try_pair`] up to its AES step, so that a worker runs
    /// that step once over many payloads ([`Decryptor::decrypt_blocks`]),
    /// then finishes each ([`Decryptor::finish_pair`]); the outcome is
    /// `try_pair`'s. None: `pair` does not open the packet.
    pub fn check_pair(
        &self,
        transport: Transport,
        pair: (usize, usize),
        payload: &[u8],
        out: &mut [u8],
    ) -> Option<Opening> {
        if transport == Transport::Totemnet2
            && payload.get(..TOTEMNET2_HEADER.len()) != Some(&TOTEMNET2_HEADER[..])
        {
            return None;
        }
        let suites = match transport {
            Transport::Knet => &self.knet_suites,
            Transport::Totemnet2 => &self.totem2_suites,
        };
        let (k, si) = pair;
        let &suite = suites.get(si)?;
        // As `run` tries the pair that worked last (with it first, an
        // unprotected suite is always allowed).
        let a = if suite.is_protected() {
            match check(
                transport,
                self.keys.get(k)?,
                &mut [0; 6],
                suite,
                payload,
                out,
            ) {
                Checked::Done(a) => a,
                Checked::Cbc { iv_at, n, .. } => return Some(Opening::Cbc { iv_at, n }),
            }
        } else {
            attempt_clear(transport, suite, payload, out)
        };
        match a {
            Attempt::Ok(len) => Some(Opening::Done(len)),
            _ => None,
        }
    }

    /// The AES step of [`Opening::Cbc`] payloads of `transport` opened
    /// with `pair`, over their ciphertexts laid back to back in `buf`
    /// (whole blocks).
    pub fn decrypt_blocks(&self, transport: Transport, pair: (usize, usize), buf: &mut [u8]) {
        let suites = match transport {
            Transport::Knet => &self.knet_suites,
            Transport::Totemnet2 => &self.totem2_suites,
        };
        let (k, si) = pair;
        let aes = suites
            .get(si)
            .and_then(|s| self.keys.get(k)?.aes[s.cipher.index()].as_ref());
        if let Some(aes) = aes {
            aes.decrypt_blocks(buf);
        }
    }

    /// Finishes an [`Opening::Cbc`] of `payload` whose `n` bytes at `out`
    /// went through [`Decryptor::decrypt_blocks`]: the cleartext's length,
    /// as [`Decryptor::try_pair`] gives it.
    pub fn finish_pair(
        &self,
        transport: Transport,
        payload: &[u8],
        iv_at: usize,
        n: usize,
        out: &mut [u8],
    ) -> Option<usize> {
        match finish_cbc(transport, payload, iv_at, n, out) {
            Attempt::Ok(len) => Some(len),
            _ => None,
        }
    }

    /// A worker opened a packet of `transport` with `pair`
    /// ([`Decryptor::try_pair`]): when `pair` is the one this decryptor
    /// tries first, that is exactly what decrypting it here would give, so
    /// it is counted as such and the (key index, suite) returned; None: the
    /// caller decrypts the packet itself.
    pub fn accept(
        &mut self,
        transport: Transport,
        pair: (usize, usize),
    ) -> Option<(Option<usize>, CryptoSuite)> {
        if self.last_pair(transport) != Some(pair) {
            return None;
        }
        let suites = match transport {
            Transport::Knet => &self.knet_suites,
            Transport::Totemnet2 => &self.totem2_suites,
        };
        let &suite = suites.get(pair.1)?;
        let key_index = suite.is_protected().then_some(pair.0);
        self.stats.packets += 1;
        self.stats.count_ok(transport, key_index, suite);
        Some((key_index, suite))
    }

    fn run<'o>(
        &mut self,
        transport: Transport,
        payload: &[u8],
        out: &'o mut [u8],
    ) -> Result<Cleartext<'o>, DecryptError> {
        self.stats.packets += 1;
        let (suites, last) = match transport {
            Transport::Knet => (&self.knet_suites, &mut self.last_knet),
            Transport::Totemnet2 => (&self.totem2_suites, &mut self.last_totem2),
        };
        for m in self.memo.iter_mut() {
            *m = [0; 6];
        }
        let mut worst = Worst::default();
        let mut found = None;

        // The pair that worked last time first, then every other pair.
        let first = last.iter().copied();
        let rest = suites.iter().enumerate().flat_map(|(si, s)| {
            // An unprotected suite (totemnet2 none/none) involves no key.
            let nkeys = if s.is_protected() { self.keys.len() } else { 1 };
            (0..nkeys).map(move |k| (k, si))
        });
        let skip = *last;
        // In auto mode, cleartext (totemnet2 none/none) is only considered
        // until a protected suite has matched: after that a packet failing
        // its HMAC must not pass as cleartext.
        let clear_ok = !self.auto
            || skip
                .and_then(|(_, si)| suites.get(si))
                .is_none_or(|s| !s.is_protected());
        for (k, si) in first.chain(rest.filter(|p| Some(*p) != skip)) {
            let Some(&suite) = suites.get(si) else {
                continue;
            };
            let (a, key_index) = if suite.is_protected() {
                let (Some(key), Some(memo)) = (self.keys.get(k), self.memo.get_mut(k)) else {
                    continue;
                };
                (attempt(transport, key, memo, suite, payload, out), Some(k))
            } else if clear_ok {
                (attempt_clear(transport, suite, payload, out), None)
            } else {
                continue;
            };
            if let Attempt::Ok(len) = a {
                found = Some((k, si, key_index, suite, len));
                break;
            }
            worst.note(a, key_index, suite);
        }
        if let Some((k, si, key_index, suite, len)) = found {
            *last = Some((k, si));
            self.stats.count_ok(transport, key_index, suite);
            return Ok(Cleartext {
                bytes: &out[..len],
                key_index,
                suite,
            });
        }
        let e = worst.into_error(payload.len());
        self.stats.count_err(&e);
        Err(e)
    }
}

/// The most informative failure seen across attempts.
#[derive(Default)]
struct Worst {
    implausible: Option<(Option<usize>, CryptoSuite)>,
    bad_pad: Option<(usize, CryptoSuite)>,
    buf_small: Option<usize>,
    no_auth: bool,
    short_need: Option<usize>,
}

impl Worst {
    fn note(&mut self, a: Attempt, key: Option<usize>, suite: CryptoSuite) {
        match a {
            Attempt::Ok(_) => {}
            Attempt::Implausible => {
                self.implausible.get_or_insert((key, suite));
            }
            Attempt::BadPad => {
                if let Some(k) = key {
                    self.bad_pad.get_or_insert((k, suite));
                }
            }
            Attempt::BufSmall(n) => {
                self.buf_small.get_or_insert(n);
            }
            Attempt::NoAuth => self.no_auth = true,
            Attempt::Short(n) => {
                self.short_need = Some(self.short_need.map_or(n, |m| m.min(n)));
            }
        }
    }

    fn into_error(self, have: usize) -> DecryptError {
        if let Some((key_index, suite)) = self.implausible {
            DecryptError::Implausible { key_index, suite }
        } else if let Some((key_index, suite)) = self.bad_pad {
            DecryptError::BadPadding { key_index, suite }
        } else if let Some(need) = self.buf_small {
            DecryptError::BufferTooSmall { need, have }
        } else if self.no_auth {
            DecryptError::NotAuthenticated
        } else if let Some(need) = self.short_need {
            DecryptError::TooShort { need, have }
        } else {
            DecryptError::NotAuthenticated
        }
    }
}

/// Where the protected bytes of a payload start (after the totemnet2 header).
fn body_start(transport: Transport) -> usize {
    match transport {
        Transport::Knet => 0,
        Transport::Totemnet2 => TOTEMNET2_HEADER.len(),
    }
}

fn clear_min(transport: Transport) -> usize {
    match transport {
        Transport::Knet => KNET_MIN,
        Transport::Totemnet2 => TOTEM2_MIN,
    }
}

fn plausible(transport: Transport, clear: &[u8]) -> bool {
    match transport {
        Transport::Knet => knet_cleartext_plausible(clear),
        Transport::Totemnet2 => totem2_cleartext_plausible(clear),
    }
}

/// One keyed attempt (the suite has a hash).
fn attempt(
    transport: Transport,
    key: &KeyState,
    memo: &mut Memo,
    suite: CryptoSuite,
    payload: &[u8],
    out: &mut [u8],
) -> Attempt {
    match check(transport, key, memo, suite, payload, out) {
        Checked::Done(a) => a,
        Checked::Cbc { aes, iv_at, n } => {
            aes.decrypt_blocks(&mut out[..n]);
            finish_cbc(transport, payload, iv_at, n, out)
        }
    }
}

/// A keyed attempt up to its AES step.
enum Checked<'k> {
    Done(Attempt),
    /// The HMAC verified and the `n` bytes of ciphertext after the IV at
    /// `iv_at` are copied to the output, for `aes`.
    Cbc {
        aes: &'k AesKey,
        iv_at: usize,
        n: usize,
    },
}

/// Everything of a keyed attempt but the AES step: lengths, the HMAC,
/// the ciphertext copied to `out` (or, without cipher, the cleartext
/// checked).
fn check<'k>(
    transport: Transport,
    key: &'k KeyState,
    memo: &mut Memo,
    suite: CryptoSuite,
    payload: &[u8],
    out: &mut [u8],
) -> Checked<'k> {
    let h = suite.hash.len();
    let start = body_start(transport);
    let min = match suite.cipher {
        Cipher::None => start + clear_min(transport) + h,
        _ => start + SALT_LEN + BLOCK + h,
    };
    if payload.len() < min {
        return Checked::Done(Attempt::Short(min));
    }
    let (signed, tag) = payload.split_at(payload.len() - h);
    let body = &signed[start..];
    if suite.cipher != Cipher::None && !(body.len() - SALT_LEN).is_multiple_of(BLOCK) {
        // Cannot be a ciphertext of this suite; no need to hash.
        return Checked::Done(Attempt::NoAuth);
    }

    // HMAC first (constant-time compare), memoized per hash for this key.
    let hi = suite.hash.index();
    if memo[hi] == 0 {
        let macs = match transport {
            Transport::Knet => &key.knet_mac,
            Transport::Totemnet2 => &key.totem2_mac,
        };
        let ok = macs[hi].as_ref().is_some_and(|m| m.verify(signed, tag));
        memo[hi] = if ok { 1 } else { 2 };
    }
    if memo[hi] != 1 {
        return Checked::Done(Attempt::NoAuth);
    }

    match suite.cipher {
        Cipher::None => {
            let n = body.len();
            let Some(dst) = out.get_mut(..n) else {
                return Checked::Done(Attempt::BufSmall(n));
            };
            dst.copy_from_slice(body);
            Checked::Done(if plausible(transport, &out[..n]) {
                Attempt::Ok(n)
            } else {
                Attempt::Implausible
            })
        }
        c => {
            let ct = &body[SALT_LEN..];
            let n = ct.len();
            if out.len() < n {
                return Checked::Done(Attempt::BufSmall(n));
            }
            let Some(aes) = key.aes[c.index()].as_ref() else {
                return Checked::Done(Attempt::NoAuth);
            };
            out[..n].copy_from_slice(ct);
            Checked::Cbc {
                aes,
                iv_at: start,
                n,
            }
        }
    }
}

/// After the AES step on `out[..n]` ([`Checked::Cbc`]): the chaining with
/// the IV and ciphertext of `payload`, the padding, the cleartext's shape.
fn finish_cbc(
    transport: Transport,
    payload: &[u8],
    iv_at: usize,
    n: usize,
    out: &mut [u8],
) -> Attempt {
    let (Some(iv), Some(ct), Some(dst)) = (
        payload.get(iv_at..iv_at + SALT_LEN),
        payload.get(iv_at + SALT_LEN..iv_at + SALT_LEN + n),
        out.get_mut(..n),
    ) else {
        return Attempt::NoAuth;
    };
    chain(iv, ct, dst);
    let len = match unpad(dst) {
        Some(len) => len,
        None => return Attempt::BadPad,
    };
    if plausible(transport, &out[..len]) {
        Attempt::Ok(len)
    } else {
        Attempt::Implausible
    }
}

/// totemnet2 none/none: the header followed by a cleartext totem message.
fn attempt_clear(
    transport: Transport,
    suite: CryptoSuite,
    payload: &[u8],
    out: &mut [u8],
) -> Attempt {
    let start = body_start(transport);
    let min = start + clear_min(transport);
    if transport != Transport::Totemnet2 || suite.is_protected() {
        return Attempt::NoAuth;
    }
    if payload.len() < min {
        return Attempt::Short(min);
    }
    let body = &payload[start..];
    let Some(dst) = out.get_mut(..body.len()) else {
        return Attempt::BufSmall(body.len());
    };
    dst.copy_from_slice(body);
    if plausible(transport, body) {
        Attempt::Ok(body.len())
    } else {
        Attempt::Implausible
    }
}

/// PKCS#7: the last byte n is 1..=16 and the last n bytes all equal n.
fn unpad(buf: &[u8]) -> Option<usize> {
    let &n = buf.last()?;
    let n = usize::from(n);
    if n == 0 || n > BLOCK || n > buf.len() {
        return None;
    }
    let (clear, pad) = buf.split_at(buf.len() - n);
    // Only reached after the HMAC verified, so no padding oracle concern;
    // still branch-free over the pad bytes.
    let bad = pad.iter().fold(0u8, |acc, &b| acc | (b ^ n as u8));
    (bad == 0).then_some(clear.len())
}

/// Does `p` have the shape of a cleartext knet packet: version 1, pad
/// bytes 0 (byte 4 may be 1 on knet main), a known type and that type's
/// length rule (ping/pong 26, PMTUD reply 9, PMTUD ≥ 9, DATA ≥ 14)?
pub fn knet_cleartext_plausible(p: &[u8]) -> bool {
    if p.len() < KNET_MIN || p[0] != 1 || p[4] > 1 || p[5] != 0 {
        return false;
    }
    match p[1] {
        0x00 => p.len() >= 14,
        0x81 | 0x82 => p.len() == 26,
        0x83 => p.len() >= 9,
        0x84 => p.len() == 9,
        _ => false,
    }
}

/// Does `p` have the shape of a corosync 2 totem message: type 0..=7 and
/// the endian detector `22 FF` / `FF 22` at offset 2?
pub fn totem2_cleartext_plausible(p: &[u8]) -> bool {
    p.len() >= TOTEM2_MIN && p[0] <= 7 && matches!((p[2], p[3]), (0x22, 0xFF) | (0xFF, 0x22))
}

#[cfg(test)]
pub(super) mod test_support {
    //! Test-only encryption, to round-trip every suite.
    use super::*;
    use aes::cipher::{BlockCipherEncrypt, KeyInit};

    /// HMAC over `data` with the whole key (knet).
    pub fn tag(key: &AuthKey, hash: Hash, data: &[u8]) -> Vec<u8> {
        MacKey::new(hash, key.knet_bytes()).unwrap().tag(data)
    }

    /// Encrypt a cleartext the way knet (or corosync 2.3/2.4 when
    /// `transport` is Totemnet2) does, with a chosen salt.
    pub fn encrypt(
        transport: Transport,
        key: &AuthKey,
        suite: CryptoSuite,
        salt: [u8; 16],
        clear: &[u8],
    ) -> Vec<u8> {
        let mut wire = Vec::new();
        if transport == Transport::Totemnet2 {
            wire.extend_from_slice(&TOTEMNET2_HEADER);
        }
        let k = key.knet_bytes();
        match suite.cipher {
            Cipher::None => wire.extend_from_slice(clear),
            c => {
                wire.extend_from_slice(&salt);
                let n = BLOCK - clear.len() % BLOCK;
                let mut buf = clear.to_vec();
                buf.extend(std::iter::repeat_n(n as u8, n));
                let mut prev = salt;
                for chunk in buf.chunks_exact_mut(BLOCK) {
                    for (a, b) in chunk.iter_mut().zip(prev) {
                        *a ^= b;
                    }
                    let blk = Block::slice_as_mut_array(chunk).unwrap();
                    match c {
                        Cipher::Aes128 => {
                            Aes128::new_from_slice(&k[..16]).unwrap().encrypt_block(blk)
                        }
                        Cipher::Aes192 => {
                            Aes192::new_from_slice(&k[..24]).unwrap().encrypt_block(blk)
                        }
                        Cipher::Aes256 => {
                            Aes256::new_from_slice(&k[..32]).unwrap().encrypt_block(blk)
                        }
                        Cipher::None => unreachable!(),
                    }
                    prev.copy_from_slice(chunk);
                }
                wire.extend_from_slice(&buf);
            }
        }
        if suite.hash != Hash::None {
            let mac_key = match transport {
                Transport::Knet => k,
                Transport::Totemnet2 => key.totem2_bytes(),
            };
            let tag = MacKey::new(suite.hash, mac_key).unwrap().tag(&wire);
            wire.extend_from_slice(&tag);
        }
        wire
    }
}
