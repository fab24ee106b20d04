//! Decryption of real encrypted knet captures with the throw-away key: the
//! lab samples of tests/data/spec/ (docs/wire-format.md §8; NSS, and NSS on
//! one node with OpenSSL on the other).

mod common;

use corowire::decode::{DecodeOptions, Outcome};
use corowire::wire::classify::Class;
use corowire::wire::crypto::{AuthKey, CryptoSuite};

fn spec_key() -> AuthKey {
    AuthKey::from_vec(std::fs::read(common::spec_capture("lab-authkey.bin")).unwrap()).unwrap()
}

fn decrypt_all(name: &str, suites: Vec<CryptoSuite>) -> (u64, u64, [u64; 6], Option<CryptoSuite>) {
    let opts = DecodeOptions {
        keys: vec![spec_key()],
        suites,
        ..DecodeOptions::default()
    };
    let (mut total, mut decrypted) = (0, 0);
    let dec = common::decode_file_with(&common::spec_capture(name), opts, |o| {
        if let Outcome::Corosync(p) = o {
            total += 1;
            if p.decrypted {
                assert_eq!(p.class, Class::Knet, "packet {}", p.packet_no);
                assert!(p.knet.is_some());
                decrypted += 1;
            }
        }
    });
    let best = dec
        .decryptor()
        .and_then(|d| d.stats().best_match().map(|m| m.suite));
    (total, decrypted, dec.stats.knet, best)
}

#[test]
fn nss_capture_decrypts_completely_and_finds_the_suite() {
    let (total, decrypted, knet, suite) =
        decrypt_all("lab-c3.1.7-knet1.25-aes256-sha256-nss.pcap", vec![]);
    assert_eq!((total, decrypted), (773, 773));
    assert_eq!(suite, Some(CryptoSuite::AES256_SHA256));
    // Pings, pongs and PMTUD exist under the encryption as in cleartext.
    assert!(
        knet[1] > 0 && knet[2] > 0 && knet[3] > 0 && knet[3] == knet[4],
        "{knet:?}"
    );
}

#[test]
fn nss_and_openssl_nodes_decrypt_with_one_procedure() {
    let (total, decrypted, _, suite) = decrypt_all(
        "lab-c3.1.7-knet1.25-aes256-sha256-nss-vs-openssl.pcap",
        vec![CryptoSuite::AES256_SHA256],
    );
    assert_eq!((total, decrypted), (321, 321));
    assert_eq!(suite, Some(CryptoSuite::AES256_SHA256));
}

#[test]
fn a_wrong_key_opens_nothing() {
    let wrong = AuthKey::from_vec(vec![7u8; 256]).unwrap();
    let opts = DecodeOptions {
        keys: vec![wrong],
        ..DecodeOptions::default()
    };
    let mut classes = Vec::new();
    let dec = common::decode_file_with(
        &common::spec_capture("lab-c3.1.7-knet1.25-aes256-sha256-nss-vs-openssl.pcap"),
        opts,
        |o| {
            if let Outcome::Corosync(p) = o {
                classes.push(p.class);
            }
        },
    );
    assert_eq!(classes.len(), 321);
    assert!(classes.iter().all(|c| *c == Class::Encrypted));
    assert_eq!(dec.decryptor().unwrap().stats().not_authenticated, 321);
}
