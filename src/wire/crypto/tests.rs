use super::decryptor::test_support::encrypt;
use super::*;

/// The 256-byte throw-away lab key (`tests/data/spec/lab-authkey.bin`, not a secret).
const LAB_KEY_HEX: [&str; 8] = [
    "89bdd629ba344722f54c0cc3a94f57593236a4cb9eeb5230458f64de9967ac09",
    "fc20f0ad6fba76b443b238f3c2c0a1c933fc1351f40ff79c7cdcc8612d945e86",
    "54aa111e367bd27ca0f120f8f0687fb03bf4cf96111db27d1a163b5a5a821d6d",
    "39be9aff946cf0c5154c8bf99b9fca52d0e6c086d144839793a614d62ce52e89",
    "b9cc3319e9d718512b1c289999368554668649fa70c22ce82bfe147446e6cf2b",
    "865952f276d04808b0c334e57dcf5ec1945ea8e212da7d45b96c7e8d50d3aa2d",
    "ec93900712aa5adf546032d43c5f9d281d2074dbe4412b855e9002874b4c5929",
    "46d4b8a0c67339d12276e33fdd725096ed3782212998800dfba11f38ace8fa98",
];

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn lab_key() -> AuthKey {
    AuthKey::from_vec(hex(&LAB_KEY_HEX.concat())).unwrap()
}

fn key_from(seed: u8, len: usize) -> AuthKey {
    let v: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    AuthKey::from_vec(v).unwrap()
}

/// The cleartext ping of docs/wire-format.md §4.6.
const PING: &str = "01810001000000c301000000000000c71ee21a00000000000001";

fn knet_samples() -> Vec<Vec<u8>> {
    let mut data = hex("0100000100000004000000010000");
    data.extend_from_slice(&[0x5a; 57]);
    let mut big = hex("0100000200000005000001010100");
    big.extend((0..1383u32).map(|i| i as u8));
    let mut probe = hex("01830002000000dc05");
    probe.extend_from_slice(&[0; 1463]);
    vec![
        hex(PING),
        hex("01820001000000c301000000000000232f8d3800000000000001"),
        hex("01840001000000dc05"),
        probe,
        data,
        big,
        // A 14-byte DATA header alone and one 2 bytes past a block boundary.
        hex("0100000100000004000000010000"),
        hex("01000001000000040000000100000000000000"),
    ]
}

fn totem2_sample() -> Vec<u8> {
    hex("050022ff01000000010000000a00000000000000000000000000000000000100000000000000")
}

#[test]
fn spec_4_6_test_vector_decrypts_exactly() {
    let wire = hex(concat!(
        "5227045283bac08071fc2d7945b8c8c3",
        "71aab5d5ea34e721ae21e8c47bd9bbd61b01188703a8123d926764b7a851224f",
        "0b38b77412cd4ce967bf1d5c4ff9e5fed7b5dc2e3caa47c47031644207c50ec3",
    ));
    let want = hex("018100010000001e02000000000000198de22800000000000001");
    let mut out = [0u8; 128];
    // Known suite.
    let mut d = Decryptor::new(&[lab_key()], &[CryptoSuite::AES256_SHA256]);
    let c = d.decrypt_knet(&wire, &mut out).unwrap();
    assert_eq!(c.bytes, &want[..]);
    assert_eq!(c.key_index, Some(0));
    assert_eq!(c.suite, CryptoSuite::AES256_SHA256);
    // Found by trying.
    let mut d = Decryptor::new(&[key_from(1, 256), lab_key()], &[]);
    let c = d.decrypt_knet(&wire, &mut out).unwrap();
    assert_eq!(c.bytes, &want[..]);
    assert_eq!(c.key_index, Some(1));
    assert_eq!(c.suite, CryptoSuite::AES256_SHA256);
    let m = d.stats().best_match().unwrap();
    assert_eq!(
        (m.key_index, m.suite, m.packets),
        (Some(1), CryptoSuite::AES256_SHA256, 1)
    );
}

#[test]
fn every_knet_suite_round_trips_and_is_detected() {
    let key = key_from(7, 256);
    let mut out = vec![0u8; 65536];
    for suite in CryptoSuite::all_knet() {
        let mut auto = Decryptor::new(&[key_from(9, 128), key.clone()], &[]);
        let mut known = Decryptor::new(std::slice::from_ref(&key), &[suite]);
        for (i, clear) in knet_samples().iter().enumerate() {
            let wire = encrypt(Transport::Knet, &key, suite, [i as u8; 16], clear);
            assert_eq!(wire.len(), suite.knet_wire_len(clear.len()), "{suite}");
            let c = known.decrypt_knet(&wire, &mut out).unwrap();
            assert_eq!(
                (c.bytes, c.suite, c.key_index),
                (&clear[..], suite, Some(0)),
                "{suite} #{i}"
            );
            let c = auto.decrypt_knet(&wire, &mut out).unwrap();
            assert_eq!(
                (c.bytes, c.suite, c.key_index),
                (&clear[..], suite, Some(1)),
                "{suite} #{i} auto"
            );
        }
        assert_eq!(auto.stats().decrypted, knet_samples().len() as u64);
        assert_eq!(
            auto.stats().matches.len(),
            1,
            "{suite}: {:?}",
            auto.stats().matches
        );
    }
}

#[test]
fn every_totemnet2_suite_round_trips() {
    // 200-byte key: corosync 2 uses only the first 128 bytes for the HMAC.
    let key = key_from(3, 200);
    let clear = totem2_sample();
    let mut out = vec![0u8; 4096];
    let mut suites: Vec<CryptoSuite> = CryptoSuite::all_knet().to_vec();
    suites.push(CryptoSuite::CLEARTEXT);
    for suite in suites {
        let wire = encrypt(Transport::Totemnet2, &key, suite, [0x42; 16], &clear);
        let mut known = Decryptor::new(std::slice::from_ref(&key), &[suite]);
        let c = known.decrypt_totemnet2(&wire, &mut out).unwrap();
        assert_eq!((c.bytes, c.suite), (&clear[..], suite), "{suite}");
        let mut auto = Decryptor::new(std::slice::from_ref(&key), &[]);
        let c = auto.decrypt_totemnet2(&wire, &mut out).unwrap();
        assert_eq!((c.bytes, c.suite), (&clear[..], suite), "{suite} auto");
        assert_eq!(c.key_index, suite.is_protected().then_some(0));
        // A knet decryptor never takes a totemnet2 packet for knet.
        assert!(
            Decryptor::new(std::slice::from_ref(&key), &[])
                .decrypt_knet(&wire, &mut out)
                .is_err()
        );
    }
}

#[test]
fn totemnet2_hmac_uses_only_the_first_128_bytes() {
    let a = key_from(3, 200);
    let mut b_bytes: Vec<u8> = (0..200)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(3))
        .collect();
    b_bytes[150] ^= 0xff; // differs only after byte 128
    let b = AuthKey::from_vec(b_bytes).unwrap();
    let wire = encrypt(
        Transport::Totemnet2,
        &a,
        CryptoSuite::AES256_SHA1,
        [1; 16],
        &totem2_sample(),
    );
    let mut out = [0u8; 256];
    assert!(
        Decryptor::new(std::slice::from_ref(&b), &[])
            .decrypt_totemnet2(&wire, &mut out)
            .is_ok()
    );
    // knet, by contrast, uses the whole key.
    let wire = encrypt(
        Transport::Knet,
        &a,
        CryptoSuite::AES256_SHA1,
        [1; 16],
        &hex(PING),
    );
    assert_eq!(
        Decryptor::new(&[b], &[]).decrypt_knet(&wire, &mut out),
        Err(DecryptError::NotAuthenticated)
    );
}

#[test]
fn wrong_key_is_not_authenticated() {
    let key = key_from(7, 256);
    let wrong = key_from(8, 256);
    let mut out = [0u8; 256];
    for suite in CryptoSuite::all_knet() {
        let wire = encrypt(Transport::Knet, &key, suite, [5; 16], &hex(PING));
        let mut d = Decryptor::new(std::slice::from_ref(&wrong), &[]);
        assert_eq!(
            d.decrypt_knet(&wire, &mut out),
            Err(DecryptError::NotAuthenticated),
            "{suite}"
        );
        assert_eq!(d.stats().not_authenticated, 1);
        assert_eq!(d.stats().decrypted, 0);
        assert!(d.stats().nothing_authenticated());
        let we = DecryptError::NotAuthenticated.to_wire_error(44);
        assert_eq!((we.layer, we.offset), (crate::wire::Layer::Crypto, 44));
    }
    // No keys at all.
    let wire = encrypt(
        Transport::Knet,
        &key,
        CryptoSuite::AES256_SHA256,
        [5; 16],
        &hex(PING),
    );
    assert_eq!(
        Decryptor::new(&[], &[]).decrypt_knet(&wire, &mut out),
        Err(DecryptError::NotAuthenticated)
    );
}

#[test]
fn any_tampered_byte_is_not_authenticated() {
    let key = key_from(7, 256);
    let mut out = [0u8; 256];
    for suite in [
        CryptoSuite::AES256_SHA256,
        CryptoSuite::new(Cipher::None, Hash::Md5),
    ] {
        let wire = encrypt(Transport::Knet, &key, suite, [5; 16], &hex(PING));
        let mut d = Decryptor::new(std::slice::from_ref(&key), &[]);
        for i in 0..wire.len() {
            for bit in [0x01u8, 0x80] {
                let mut w = wire.clone();
                w[i] ^= bit;
                assert_eq!(
                    d.decrypt_knet(&w, &mut out),
                    Err(DecryptError::NotAuthenticated),
                    "{suite} byte {i}"
                );
            }
        }
        assert!(d.decrypt_knet(&wire, &mut out).is_ok());
    }
}

#[test]
fn bad_padding_after_authentication_is_reported() {
    // Authenticated ciphertext whose last block decrypts to a bad pad: build
    // it by encrypting a cleartext whose tail looks like bad padding and
    // then stripping the extra full pad block before signing.
    let key = key_from(7, 256);
    let suite = CryptoSuite::AES256_SHA256;
    let mut clear = hex(PING);
    clear.extend_from_slice(&[0u8; 6]); // 32 bytes, last byte 0 = invalid pad
    let wire = encrypt(
        Transport::Knet,
        &key,
        CryptoSuite::new(Cipher::Aes256, Hash::None),
        [9; 16],
        &clear,
    );
    // drop the trailing all-16 pad block, keep salt + 2 blocks, then sign
    let mut signed = wire[..16 + 32].to_vec();
    let tag = super::decryptor::test_support::tag(&key, Hash::Sha256, &signed);
    signed.extend_from_slice(&tag);
    let mut out = [0u8; 256];
    let mut d = Decryptor::new(std::slice::from_ref(&key), &[suite]);
    assert_eq!(
        d.decrypt_knet(&signed, &mut out),
        Err(DecryptError::BadPadding {
            key_index: 0,
            suite
        })
    );
    assert_eq!(d.stats().bad_padding, 1);
}

#[test]
fn authenticated_but_not_knet_is_implausible() {
    let key = key_from(7, 256);
    let suite = CryptoSuite::AES256_SHA256;
    let mut out = [0u8; 256];
    let mut d = Decryptor::new(std::slice::from_ref(&key), &[suite]);
    for clear in [
        hex("02810001000000c301000000000000c71ee21a00000000000001"), // version 2
        hex("01810001000000c301000000000000c71ee21a000000000000"),   // ping 25 bytes
        hex("01840001000000dc0500"),                                 // reply 10 bytes
        hex("0100000100000004000000"),                               // data 11 bytes
        hex("01050001000000"),                                       // unknown type
    ] {
        let wire = encrypt(Transport::Knet, &key, suite, [1; 16], &clear);
        assert_eq!(
            d.decrypt_knet(&wire, &mut out),
            Err(DecryptError::Implausible {
                key_index: Some(0),
                suite
            })
        );
    }
}

#[test]
fn truncation_at_every_length_never_panics() {
    let key = key_from(7, 256);
    let mut out = vec![0u8; 2048];
    let mut small = [0u8; 8];
    let mut d = Decryptor::new(&[key.clone(), key_from(1, 4096)], &[]);
    for suite in CryptoSuite::all_knet() {
        for clear in knet_samples() {
            let wire = encrypt(Transport::Knet, &key, suite, [3; 16], &clear);
            for n in 0..wire.len() {
                assert!(d.decrypt_knet(&wire[..n], &mut out).is_err());
                assert!(d.decrypt_knet(&wire[n + 1..], &mut out).is_err());
                assert!(d.decrypt_totemnet2(&wire[..n], &mut out).is_err());
            }
            // A too-small output buffer is an error, not a panic.
            if clear.len() > 8 {
                assert!(d.decrypt_knet(&wire, &mut small).is_err());
            }
        }
        let wire = encrypt(Transport::Totemnet2, &key, suite, [3; 16], &totem2_sample());
        // Once a protected suite has matched, cleartext none/none is no
        // longer guessed, so every truncation fails.
        assert!(d.decrypt_totemnet2(&wire, &mut out).is_ok());
        for n in 0..wire.len() {
            assert!(
                d.decrypt_totemnet2(&wire[..n], &mut out).is_err(),
                "{suite} {n}"
            );
        }
        assert!(d.decrypt_totemnet2(&wire, &mut small).is_err());
    }
    assert!(d.stats().too_short > 0);
    assert!(d.stats().buffer_too_small > 0);
}

#[test]
fn short_payload_reports_too_short() {
    let mut out = [0u8; 64];
    let mut d = Decryptor::new(&[key_from(1, 128)], &[CryptoSuite::AES256_SHA256]);
    assert_eq!(
        d.decrypt_knet(&[0u8; 10], &mut out),
        Err(DecryptError::TooShort { need: 64, have: 10 })
    );
    assert_eq!(
        d.decrypt_totemnet2(&[0xfe, 0xfe], &mut out),
        Err(DecryptError::TooShort { need: 12, have: 2 })
    );
    assert_eq!(
        d.decrypt_totemnet2(&[0u8; 100], &mut out),
        Err(DecryptError::NotTotemnet2)
    );
}

#[test]
fn key_debug_shows_only_the_length() {
    let bytes: Vec<u8> = (0..=255u8).collect();
    let key = AuthKey::from_bytes(&bytes).unwrap();
    let dbg = format!("{key:?} {key:#?}");
    assert!(dbg.contains("256"), "{dbg}");
    // No byte of the key in any common rendering.
    for needle in ["0, 1, 2", "00010203", "[0", "0x"] {
        assert!(!dbg.contains(needle), "{dbg}");
    }
    let d = Decryptor::new(&[lab_key()], &[]);
    let dbg = format!("{d:?}");
    assert!(
        !dbg.to_lowercase().contains("89bd") && !dbg.contains("137, 189"),
        "{dbg}"
    );
}

#[test]
fn key_length_limits() {
    assert_eq!(
        AuthKey::from_bytes(&[0; 127]).unwrap_err(),
        KeyError::TooShort { len: 127 }
    );
    assert_eq!(
        AuthKey::from_vec(vec![0; 4097]).unwrap_err(),
        KeyError::TooLong { len: 4097 }
    );
    assert_eq!(AuthKey::from_bytes(&[0; 128]).unwrap().len(), 128);
    assert_eq!(AuthKey::from_bytes(&[0; 4096]).unwrap().len(), 4096);
}

#[test]
fn suite_names_parse_and_display() {
    assert_eq!(
        CryptoSuite::from_names("aes256", "sha256").unwrap(),
        CryptoSuite::AES256_SHA256
    );
    assert_eq!(
        "AES128/md5".parse::<CryptoSuite>().unwrap(),
        CryptoSuite::new(Cipher::Aes128, Hash::Md5)
    );
    assert_eq!(
        "none:sha512".parse::<CryptoSuite>().unwrap(),
        CryptoSuite::new(Cipher::None, Hash::Sha512)
    );
    assert_eq!(
        CryptoSuite::from_names("aes256", "none"),
        Err(SuiteError::CipherWithoutHash(Cipher::Aes256))
    );
    assert!(matches!(
        CryptoSuite::from_names("aes512", "sha1"),
        Err(SuiteError::UnknownCipher(_))
    ));
    assert!(matches!(
        CryptoSuite::from_names("aes256", "sha3"),
        Err(SuiteError::UnknownHash(_))
    ));
    assert_eq!(
        CryptoSuite::from_names("3des", "sha1"),
        Err(SuiteError::Unsupported("3des"))
    );
    assert!("aes256".parse::<CryptoSuite>().is_err());
    for s in CryptoSuite::all_knet() {
        assert_eq!(s.to_string().parse::<CryptoSuite>().unwrap(), s);
    }
    let all = CryptoSuite::all_knet();
    for (i, a) in all.iter().enumerate() {
        assert!(a.validate().is_ok() && a.is_protected());
        assert!(!all[i + 1..].contains(a));
    }
}

#[test]
fn wire_sizes_match_spec_table_4_4() {
    let t = |c, h| CryptoSuite::new(c, h);
    assert_eq!(t(Cipher::None, Hash::Sha256).knet_wire_len(26), 58);
    assert_eq!(t(Cipher::Aes128, Hash::Md5).knet_wire_len(26), 64);
    assert_eq!(t(Cipher::Aes192, Hash::Sha1).knet_wire_len(9), 52);
    assert_eq!(t(Cipher::Aes256, Hash::Sha256).knet_wire_len(26), 80);
    assert_eq!(t(Cipher::Aes256, Hash::Sha256).knet_wire_len(71), 128);
    assert_eq!(t(Cipher::Aes256, Hash::Sha384).knet_wire_len(39), 112);
    assert_eq!(t(Cipher::Aes256, Hash::Sha512).knet_wire_len(71), 160);
}

#[test]
fn sticky_last_match_and_key_rotation() {
    let old = key_from(1, 256);
    let new = key_from(2, 256);
    let mut d = Decryptor::new(&[old.clone(), new.clone()], &[]);
    let mut out = [0u8; 256];
    let p = hex(PING);
    for _ in 0..3 {
        let w = encrypt(
            Transport::Knet,
            &old,
            CryptoSuite::AES256_SHA256,
            [1; 16],
            &p,
        );
        assert_eq!(d.decrypt_knet(&w, &mut out).unwrap().key_index, Some(0));
    }
    for _ in 0..2 {
        let w = encrypt(
            Transport::Knet,
            &new,
            CryptoSuite::new(Cipher::Aes128, Hash::Sha512),
            [1; 16],
            &p,
        );
        let c = d.decrypt_knet(&w, &mut out).unwrap();
        assert_eq!((c.key_index, c.suite.cipher), (Some(1), Cipher::Aes128));
    }
    let s = d.stats();
    assert_eq!(s.decrypted, 5);
    assert_eq!(s.matches.len(), 2);
    assert_eq!(s.best_match().unwrap().packets, 3);
}

#[test]
fn plausibility_rules() {
    assert!(knet_cleartext_plausible(&hex(PING)));
    assert!(knet_cleartext_plausible(&hex("01840001010000dc05"))); // knet main max_ver 1
    assert!(!knet_cleartext_plausible(&hex("01840001020000dc05")));
    assert!(!knet_cleartext_plausible(&hex("01840001000100dc05")));
    assert!(knet_cleartext_plausible(&hex("01830001000000dc05")));
    assert!(!knet_cleartext_plausible(&hex("01830001000000dc")));
    assert!(!knet_cleartext_plausible(&[]));
    assert!(totem2_cleartext_plausible(&totem2_sample()));
    assert!(totem2_cleartext_plausible(&hex("0000ff2200000001")));
    assert!(!totem2_cleartext_plausible(&hex("0800ff2200000001")));
    assert!(!totem2_cleartext_plausible(&hex("0000ff22000000")));
}

#[test]
fn authenticated_means_a_key_verified_the_hmac() {
    let suite = CryptoSuite::AES256_SHA256;
    assert!(
        DecryptError::BadPadding {
            key_index: 0,
            suite
        }
        .authenticated()
    );
    assert!(
        DecryptError::Implausible {
            key_index: Some(1),
            suite
        }
        .authenticated()
    );
    // totemnet2 none/none carries no HMAC: nothing was authenticated.
    assert!(
        !DecryptError::Implausible {
            key_index: None,
            suite: CryptoSuite::CLEARTEXT
        }
        .authenticated()
    );
    assert!(!DecryptError::NotAuthenticated.authenticated());
    assert!(!DecryptError::TooShort { need: 48, have: 3 }.authenticated());
}
