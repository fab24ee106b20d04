//! Every corosync packet of the lab's encrypted captures authenticates and
//! decrypts with the lab key, and the suite is found by trying.
//!
//! Test-only capture walking: pcap-parser directly and the fixed SLL2 +
//! IPv4 + UDP offsets of the lab files (the real capture reader lives in
//! `capture`).

use std::path::{Path, PathBuf};

use corowire::wire::crypto::{
    AuthKey, CryptoSuite, DecryptError, Decryptor, knet_cleartext_plausible,
};
use pcap_parser::pcap::{parse_pcap_frame, parse_pcap_header};

const SLL2_LEN: usize = 20;
const LINKTYPE_SLL2: i32 = 276;
const ETH_LEN: usize = 14;
const LINKTYPE_ETHERNET: i32 = 1;

/// The wire reference's lab captures and their key, committed in tests/data/spec.
fn captures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/spec")
}

struct Frame {
    src_port: u16,
    dst_port: u16,
    payload: Vec<u8>,
}

/// All frames; `None` for frames that are not SLL2/IPv4/UDP.
fn read_frames(name: &str) -> Vec<Option<Frame>> {
    read_frames_at(&captures_dir().join(name), Some(LINKTYPE_SLL2))
}

/// All frames of an SLL2 or Ethernet pcap; `None` for non-IPv4/UDP frames.
fn read_frames_at(path: &Path, want_linktype: Option<i32>) -> Vec<Option<Frame>> {
    let bytes = std::fs::read(path).unwrap();
    let (mut rest, header) = parse_pcap_header(&bytes).unwrap();
    assert!(!header.is_bigendian());
    let linktype = header.network.0;
    if let Some(want) = want_linktype {
        assert_eq!(linktype, want, "{}: link type", path.display());
    }
    let mut frames = Vec::new();
    while !rest.is_empty() {
        let (r, block) = parse_pcap_frame(rest).unwrap();
        rest = r;
        frames.push(udp(linktype, block.data));
    }
    frames
}

fn udp(linktype: i32, d: &[u8]) -> Option<Frame> {
    // SLL2: protocol type (BE) at 0; Ethernet: ethertype at 12.
    let (ethertype, l2) = match linktype {
        LINKTYPE_SLL2 => (d.get(0..2)?, SLL2_LEN),
        LINKTYPE_ETHERNET => (d.get(12..14)?, ETH_LEN),
        _ => return None,
    };
    if d.len() < l2 + 20 || ethertype != [0x08, 0x00] {
        return None;
    }
    let ip = &d[l2..];
    if ip[0] >> 4 != 4 || ip[9] != 17 {
        return None;
    }
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    let udp = ip.get(ihl..total.min(ip.len()))?;
    if udp.len() < 8 {
        return None;
    }
    Some(Frame {
        src_port: u16::from_be_bytes([udp[0], udp[1]]),
        dst_port: u16::from_be_bytes([udp[2], udp[3]]),
        payload: udp[8..].to_vec(),
    })
}

fn lab_key() -> AuthKey {
    AuthKey::from_vec(std::fs::read(captures_dir().join("lab-authkey.bin")).unwrap()).unwrap()
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Types {
    data: u32,
    ping: u32,
    pong: u32,
    pmtud: u32,
    pmtud_reply: u32,
}

fn check_capture(name: &str, frames_expected: usize) -> Types {
    let frames = read_frames(name);
    assert_eq!(frames.len(), frames_expected, "{name}: frame count");
    let corosync: Vec<&Frame> = frames
        .iter()
        .flatten()
        .filter(|f| (5405..=5406).contains(&f.dst_port) && f.src_port == f.dst_port)
        .collect();
    // Every frame of these captures is corosync knet traffic.
    assert_eq!(corosync.len(), frames_expected, "{name}: corosync frames");

    let mut out = vec![0u8; 65536];
    let mut auto = Decryptor::new(&[lab_key()], &[]);
    let mut known = Decryptor::new(&[lab_key()], &[CryptoSuite::AES256_SHA256]);
    let mut types = Types::default();
    for (i, f) in corosync.iter().enumerate() {
        let c = auto
            .decrypt_knet(&f.payload, &mut out)
            .unwrap_or_else(|e| panic!("{name} frame {i}: {e}"));
        assert_eq!(c.suite, CryptoSuite::AES256_SHA256);
        assert!(knet_cleartext_plausible(c.bytes));
        match c.bytes[1] {
            0x00 => types.data += 1,
            0x81 => types.ping += 1,
            0x82 => types.pong += 1,
            0x83 => types.pmtud += 1,
            0x84 => types.pmtud_reply += 1,
            t => panic!("type {t:#x}"),
        }
        let clear = c.bytes.to_vec();
        let c = known.decrypt_knet(&f.payload, &mut out).unwrap();
        assert_eq!(c.bytes, &clear[..]);
    }
    let s = auto.stats();
    assert_eq!(s.decrypted as usize, corosync.len());
    assert_eq!(
        s.not_authenticated + s.bad_padding + s.implausible + s.too_short,
        0
    );
    assert_eq!(s.matches.len(), 1);
    let m = s.best_match().unwrap();
    assert_eq!(
        (m.key_index, m.suite, m.packets as usize),
        (Some(0), CryptoSuite::AES256_SHA256, corosync.len())
    );
    eprintln!(
        "{name}: {}/{} decrypted, {types:?}",
        s.decrypted,
        corosync.len()
    );
    types
}

#[test]
fn nss_capture_decrypts_completely() {
    let t = check_capture("lab-c3.1.7-knet1.25-aes256-sha256-nss.pcap", 773);
    assert!(
        t.data > 0 && t.ping > 0 && t.pong > 0 && t.pmtud > 0 && t.pmtud_reply > 0,
        "{t:?}"
    );
}

#[test]
fn nss_vs_openssl_capture_decrypts_completely() {
    let t = check_capture("lab-c3.1.7-knet1.25-aes256-sha256-nss-vs-openssl.pcap", 321);
    assert!(t.data > 0 && t.ping > 0 && t.pong > 0, "{t:?}");
}

#[test]
fn wrong_key_authenticates_nothing() {
    let frames = read_frames("lab-c3.1.7-knet1.25-aes256-sha256-nss.pcap");
    let mut other = std::fs::read(captures_dir().join("lab-authkey.bin")).unwrap();
    other[200] ^= 1; // a different key that shares the AES key bytes
    let mut d = Decryptor::new(&[AuthKey::from_vec(other).unwrap()], &[]);
    let mut out = vec![0u8; 65536];
    for f in frames.iter().flatten() {
        assert_eq!(
            d.decrypt_knet(&f.payload, &mut out),
            Err(DecryptError::NotAuthenticated)
        );
    }
    assert_eq!(d.stats().decrypted, 0);
    assert_eq!(d.stats().not_authenticated, 773);
}

#[test]
fn cleartext_capture_is_never_decoded_by_guesswork() {
    let frames = read_frames("lab-c3.1.7-knet1.25-cleartext.pcap");
    let mut d = Decryptor::new(&[lab_key()], &[]);
    let mut out = vec![0u8; 65536];
    let mut n = 0;
    for f in frames
        .iter()
        .flatten()
        .filter(|f| (5405..=5406).contains(&f.dst_port))
    {
        assert!(d.decrypt_knet(&f.payload, &mut out).is_err());
        n += 1;
    }
    assert!(n > 900, "{n}");
    assert_eq!(d.stats().decrypted, 0);
}

/// The lab corpus (recorded separately, Ethernet link type): every capture
/// whose truth file names an authkey decrypts completely on its link ports.
/// Looks in `$COROWIRE_LAB_CAPTURES`, this crate's `captures/`, then
/// `/work/main/captures`; passes with a note when none is found.
#[test]
fn lab_corpus_encrypted_captures_decrypt_completely() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut dirs: Vec<PathBuf> = std::env::var_os("COROWIRE_LAB_CAPTURES")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    dirs.push(manifest.join("captures"));
    dirs.push(PathBuf::from("/work/main/captures"));
    let mut checked = 0;
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut truths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(".truth.json"))
            .collect();
        truths.sort();
        for t in truths {
            let truth: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&t).unwrap()).unwrap();
            let crypto = &truth["config"]["crypto"];
            let (Some(key), Some(pcap)) =
                (crypto["authkey"].as_str(), truth["files"]["pcap"].as_str())
            else {
                continue;
            };
            let want: CryptoSuite = format!(
                "{}/{}",
                crypto["cipher"].as_str().unwrap(),
                crypto["hash"].as_str().unwrap()
            )
            .parse()
            .unwrap();
            let ports: Vec<u16> = truth["config"]["links"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["port"].as_u64().unwrap() as u16)
                .collect();
            let key = AuthKey::from_vec(std::fs::read(dir.join(key)).unwrap()).unwrap();
            let mut d = Decryptor::new(&[key], &[]);
            let mut out = vec![0u8; 65536];
            let mut n = 0u64;
            for f in read_frames_at(&dir.join(pcap), None).iter().flatten() {
                if !ports.contains(&f.dst_port) {
                    continue;
                }
                n += 1;
                let c = d
                    .decrypt_knet(&f.payload, &mut out)
                    .unwrap_or_else(|e| panic!("{pcap} packet {n}: {e}"));
                assert_eq!(c.suite, want, "{pcap}");
            }
            assert!(n > 0, "{pcap}: no packets on {ports:?}");
            assert_eq!(d.stats().decrypted, n);
            eprintln!("{pcap}: {n}/{n} decrypted as {want} (found by trying)");
            checked += 1;
        }
        if checked > 0 {
            break;
        }
    }
    if checked == 0 {
        eprintln!("no encrypted lab captures found; skipped");
    }
}
