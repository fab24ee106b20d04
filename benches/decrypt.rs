//! Decryption throughput for heartbeat-sized packets (80 bytes on the wire:
//! an aes256/sha256 knet ping, the test vector of docs/wire-format.md §5.7).
//!
//! Each iteration decrypts a batch of `BATCH` packets and asserts every one
//! succeeded, so a broken decryptor cannot look fast.

use std::hint::black_box;

use corowire::wire::crypto::{AuthKey, CryptoSuite, Decryptor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const BATCH: usize = 1024;

const LAB_KEY: &str = concat!(
    "89bdd629ba344722f54c0cc3a94f57593236a4cb9eeb5230458f64de9967ac09",
    "fc20f0ad6fba76b443b238f3c2c0a1c933fc1351f40ff79c7cdcc8612d945e86",
    "54aa111e367bd27ca0f120f8f0687fb03bf4cf96111db27d1a163b5a5a821d6d",
    "39be9aff946cf0c5154c8bf99b9fca52d0e6c086d144839793a614d62ce52e89",
    "b9cc3319e9d718512b1c289999368554668649fa70c22ce82bfe147446e6cf2b",
    "865952f276d04808b0c334e57dcf5ec1945ea8e212da7d45b96c7e8d50d3aa2d",
    "ec93900712aa5adf546032d43c5f9d281d2074dbe4412b855e9002874b4c5929",
    "46d4b8a0c67339d12276e33fdd725096ed3782212998800dfba11f38ace8fa98",
);

const PING_80: &str = concat!(
    "5227045283bac08071fc2d7945b8c8c3",
    "71aab5d5ea34e721ae21e8c47bd9bbd61b01188703a8123d926764b7a851224f",
    "0b38b77412cd4ce967bf1d5c4ff9e5fed7b5dc2e3caa47c47031644207c50ec3",
);

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn run(d: &mut Decryptor, wire: &[u8], out: &mut [u8]) {
    let mut ok = 0;
    for _ in 0..BATCH {
        if let Ok(c) = d.decrypt_knet(black_box(wire), out) {
            ok += c.bytes.len();
        }
    }
    assert_eq!(ok, BATCH * 26);
}

fn bench(c: &mut Criterion) {
    let key = AuthKey::from_vec(hex(LAB_KEY)).unwrap();
    let wire = hex(PING_80);
    assert_eq!(wire.len(), 80);
    let mut out = vec![0u8; 65536];

    let mut g = c.benchmark_group("decrypt_knet_80B");
    g.throughput(Throughput::Elements(BATCH as u64));

    let mut known = Decryptor::new(std::slice::from_ref(&key), &[CryptoSuite::AES256_SHA256]);
    g.bench_function("aes256-sha256 known suite", |b| {
        b.iter(|| run(&mut known, &wire, &mut out))
    });

    // Suite found by trying on the first packet, then the sticky match.
    let mut auto = Decryptor::new(std::slice::from_ref(&key), &[]);
    g.bench_function("aes256-sha256 auto (after first match)", |b| {
        b.iter(|| run(&mut auto, &wire, &mut out))
    });

    // Worst case per packet: a key that authenticates nothing, every suite tried.
    let other = AuthKey::from_vec(vec![7u8; 256]).unwrap();
    let mut miss = Decryptor::new(std::slice::from_ref(&other), &[]);
    g.throughput(Throughput::Elements(1));
    g.bench_function("wrong key, all 20 suites", |b| {
        b.iter(|| assert!(miss.decrypt_knet(black_box(&wire), &mut out).is_err()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
