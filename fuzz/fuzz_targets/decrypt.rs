#![no_main]
//! Decryption over arbitrary keys and ciphertexts: no panic, outputs within
//! the buffer, and a reported success always carries plausible cleartext.
//!
//! Input layout: byte 0 picks the key length (128 + 16·b, capped by the
//! input), byte 1 picks a suite (or "try all"), the key bytes follow, the
//! rest is the payload. (Random payloads almost never pass an HMAC; the
//! paths after it are covered by the unit tests' round trips and
//! truncations. totemnet2 none/none is reached here, as it needs no key.)

use corowire::wire::crypto::{
    AuthKey, CryptoSuite, Decryptor, knet_cleartext_plausible, totem2_cleartext_plausible,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let key_len = (128 + 16 * usize::from(data[0])).min(AuthKey::MAX_LEN);
    let all = CryptoSuite::all_knet();
    let suites: Vec<CryptoSuite> = match usize::from(data[1]) {
        i if i < all.len() => vec![all[i]],
        _ => Vec::new(),
    };
    let rest = &data[2..];
    // Short inputs: derive a key by repetition so short inputs still run.
    let key_bytes: Vec<u8> = if rest.len() >= key_len {
        rest[..key_len].to_vec()
    } else {
        (0..key_len)
            .map(|i| rest.get(i % rest.len().max(1)).copied().unwrap_or(0))
            .collect()
    };
    let payload = rest.get(key_len..).unwrap_or(rest);
    let Ok(key) = AuthKey::from_bytes(&key_bytes) else {
        return;
    };
    let keys = [key, AuthKey::from_bytes(&[0x5a; 128]).unwrap()];

    let mut d = Decryptor::new(&keys, &suites);
    let mut out = vec![0u8; 65536];
    let mut small = [0u8; 16];

    if let Ok(c) = d.decrypt_knet(payload, &mut out) {
        assert!(c.bytes.len() <= payload.len());
        assert!(knet_cleartext_plausible(c.bytes));
    }
    if let Ok(c) = d.decrypt_totemnet2(payload, &mut out) {
        assert!(c.bytes.len() <= payload.len());
        assert!(totem2_cleartext_plausible(c.bytes));
    }
    let _ = d.decrypt_knet(payload, &mut small);
    let _ = d.decrypt_totemnet2(payload, &mut small);

    let s = d.stats();
    let outcomes = s.decrypted
        + s.not_authenticated
        + s.bad_padding
        + s.implausible
        + s.too_short
        + s.not_totemnet2
        + s.buffer_too_small;
    assert_eq!(outcomes, s.packets);
    assert_eq!(s.packets, 4);
});
