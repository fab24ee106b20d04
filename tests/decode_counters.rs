//! Issue 3's check on the real corpus: for each node, peer and link, the
//! PING, PONG, PMTUD and DATA packets the capture holds between the two
//! stats samples agree (±1) with corosync's own tx counter deltas; no
//! corosync packet of a cleartext capture is malformed; every ring id that
//! corosync logged as a new membership appears in the decoded tokens.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{Truth, decode_file_with, ns, truth_files};
use corowire::decode::Outcome;
use corowire::wire::classify::Class;
use corowire::wire::knet::Knet;

/// (sender, receiver, link, type) → packets seen inside [t0, t1].
type Counts = HashMap<(u32, u32, u32, &'static str), u64>;

/// Faults that make the wire differ from a sender's counters by design:
/// anything dropped on the sender's own egress (counted, never on the wire),
/// and traffic towards a node whose interface is down (dies in ARP).
fn excluded(t: &Truth, sender: u32, receiver: u32, link: u32, t0: f64, t1: f64) -> Option<String> {
    for f in t.faults() {
        let node = f["node"].as_u64().unwrap_or(0) as u32;
        let flink = f["link"].as_u64().map(|l| l as u32);
        let start = f["effective_start"]
            .as_f64()
            .or(f["requested_start"].as_f64())
            .unwrap_or(0.0);
        let end = f["effective_end"]
            .as_f64()
            .or(f["requested_end"].as_f64())
            .unwrap_or(f64::MAX);
        if end < t0 || start > t1 || flink.is_some_and(|l| l != link) {
            continue;
        }
        let kind = f["kind"].as_str().unwrap_or("");
        let dir = f["direction"].as_str().unwrap_or("both");
        // A paused process sends nothing it counts; a lowered MTU makes the
        // kernel refuse oversize sends before knet counts them (checked on
        // the mtu capture: its counters match the wire).
        if kind == "pause" || kind == "stall" || kind == "mtu" {
            continue;
        }
        let id = f["id"].as_str().unwrap_or("?");
        if node == sender && dir != "ingress" && dir != "in" {
            return Some(format!("fault {id} ({kind}, {dir}) on the sender's egress"));
        }
        if node == receiver && (kind.contains("down") || kind.contains("flap")) {
            return Some(format!(
                "fault {id} ({kind}) takes the receiver's interface down"
            ));
        }
    }
    None
}

#[test]
fn knet_counters_match_corosync() {
    // Encrypted captures are decoded with their throw-away key.
    let (mut checked, mut encrypted) = (0, 0);
    for path in truth_files() {
        let t = Truth::load(&path);
        if t.transport() != "knet" || t.json["counter_windows"].as_array().is_none() {
            continue;
        }
        encrypted += u32::from(t.encrypted());
        let addrs = t.addresses();
        let mut packets: Vec<(i64, u32, u32, u32, &'static str)> = Vec::new();
        let mut malformed = Vec::new();
        let key = t.encrypted();
        decode_file_with(&t.pcap(), t.options(), |o| {
            if let Outcome::Corosync(p) = o {
                if p.class == Class::Malformed || (key && !p.decrypted) {
                    malformed.push(format!("packet {}: {:?}", p.packet_no, p.error));
                }
                let (Some(k), Some(&(rx, link))) = (&p.knet, addrs.get(&p.dgram.dst)) else {
                    return;
                };
                let ty = match k {
                    Knet::Data(_) => "tx_data_packets",
                    Knet::Ping(_) => "tx_ping_packets",
                    Knet::Pong(_) => "tx_pong_packets",
                    Knet::Pmtud(_) => "tx_pmtu_packets",
                    // libknet 1.25 counts no PMTUD reply in any tx counter.
                    _ => return,
                };
                packets.push((p.ts, u32::from(k.node()), rx, link, ty));
            }
        });
        assert!(
            malformed.is_empty(),
            "{}: malformed packets: {malformed:?}",
            t.name()
        );
        let mut bad = Vec::new();
        for w in t.json["counter_windows"].as_array().unwrap() {
            let a = w["node"].as_u64().unwrap() as u32;
            let (t0, t1) = (
                w["begin"]["t"].as_f64().unwrap(),
                w["end"]["t"].as_f64().unwrap(),
            );
            let mut counts: Counts = HashMap::new();
            for &(ts, s, r, l, ty) in &packets {
                if s == a && ts >= ns(t0) && ts <= ns(t1) {
                    *counts.entry((s, r, l, ty)).or_default() += 1;
                }
            }
            for (peer, links) in w["deltas"].as_object().unwrap() {
                let peer: u32 = peer.parse().unwrap();
                for (link, d) in links.as_object().unwrap() {
                    let link: u32 = link.parse().unwrap();
                    if let Some(why) = excluded(&t, a, peer, link, t0, t1) {
                        eprintln!(
                            "{}: node{a}->node{peer} link{link}: not compared: {why}",
                            t.name()
                        );
                        continue;
                    }
                    for ty in [
                        "tx_data_packets",
                        "tx_ping_packets",
                        "tx_pong_packets",
                        "tx_pmtu_packets",
                    ] {
                        let counter = d[ty].as_u64().unwrap_or(0);
                        let wire = counts.get(&(a, peer, link, ty)).copied().unwrap_or(0);
                        checked += 1;
                        if counter.abs_diff(wire) > 1 {
                            bad.push(format!("node{a}->node{peer} link{link} {ty}: counter {counter}, wire {wire}"));
                        }
                    }
                }
            }
        }
        assert!(bad.is_empty(), "{}: {bad:#?}", t.name());
    }
    assert!(checked >= 24, "too few counters compared: {checked}");
    assert!(encrypted >= 1, "no encrypted capture was compared");
}

#[test]
fn logged_ring_ids_appear_in_tokens() {
    let mut checked = 0;
    for path in truth_files() {
        let t = Truth::load(&path);
        let (first, last) = (
            t.json["capture"]["first_packet"].as_f64().unwrap(),
            t.json["capture"]["last_packet"].as_f64().unwrap(),
        );
        let mut rings = BTreeSet::new();
        decode_file_with(&t.pcap(), t.options(), |o| {
            if let Outcome::Corosync(p) = o
                && let Some(r) = p.totem.as_ref().and_then(|tm| tm.ring_id())
            {
                rings.insert(r.to_string());
            }
        });
        for e in t.json["log_events"].as_array().into_iter().flatten() {
            let ts = e["t"].as_f64().unwrap_or(0.0);
            // A ring formed before the capture started cannot be on the wire,
            // nor can a ring of one node (its token never leaves the host).
            let members = e["members"].as_array().map_or(0, Vec::len);
            if e["kind"] == "membership" && members >= 2 && ts > first + 1.0 && ts <= last {
                let r = e["ring_id"].as_str().unwrap();
                checked += 1;
                assert!(
                    rings.contains(r),
                    "{}: ring {r} logged at {ts} not in decoded tokens {rings:?}",
                    t.name()
                );
            }
        }
    }
    assert!(checked > 0, "no membership event inside any capture");
}
