//! Faults injected into encrypted clusters (knet crypto on), analysed with
//! the cluster's authkey and without it, checked against the lab's truth:
//! the fault schedule and what corosync itself logged.
//!
//! With the key every check holds to the same tolerances as on cleartext
//! captures (issue #5). Without the key the analysis runs on what the
//! keyless inference (`src/infer.rs`) makes of sizes and timing; the
//! tolerances for that path are wider, each stated and explained in
//! [`Tolerances::KEYLESS`].

mod common;

use common::{Truth, keyed_snapshot, keyless_snapshot};
use corowire::analysis::{Finding, FindingKind, Severity, Snapshot};
use serde_json::Value;

/// Encrypted bridge captures with at least one injected fault.
fn encrypted_fault_captures() -> Vec<Truth> {
    common::truth_files()
        .iter()
        .map(|p| Truth::load(p))
        .filter(|t| t.encrypted() && !t.faults().is_empty() && t.is_bridge_capture())
        .collect()
}

/// How knet link state is judged against corosync's `link ... is down/up`
/// log lines (node N about host H = the direction N→H).
#[derive(Debug, Clone, Copy, PartialEq)]
enum LinkLog {
    /// Every logged down and up has an engine transition of the same kind
    /// within `ms`.
    All { ms: i64 },
    /// Only the healthy nodes' view of a node that fell silent (a cut):
    /// their downs towards it within `down_ms` after the log line, their
    /// ups after it came back within `up_early_ms` before to 250 ms after.
    /// Nothing else is claimed, nothing is judged.
    TowardsSilentNode { down_ms: i64, up_early_ms: i64 },
}

/// How membership changes are judged.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Membership {
    /// Every ring corosync logged with two or more members is in the
    /// timeline with its ring id and the same members.
    Rings,
    /// Ring ids and members are inside the ciphertext: the timeline stays
    /// empty, and the token-loss episodes (token_lost findings, grouped
    /// when less than 5 s apart) are one to one with corosync's
    /// "A processor failed, forming new configuration" episodes: each
    /// starts between token_ms + 1 s before the log line and 1 s after.
    TokenLostEpisodes,
}

#[derive(Debug, Clone, Copy)]
struct Tolerances {
    /// The first finding of the fault's kind on its path starts at most
    /// this long after the fault took effect (not more than 1 s before).
    start_s: f64,
    /// The same for a random loss, counted from its first drop on the wire
    /// (the rule may go in seconds before the first packet it drops).
    loss_start_s: f64,
    /// RTT p50 during a delay episode minus the healthy baseline: within
    /// max(abs, rel × delay) of the injected delay.
    delay_abs_ms: f64,
    delay_rel: f64,
    /// Egress loss of node N towards each peer, as counted by the analysis
    /// (N's pings missing from its cadence + the peer's pings N left
    /// unanswered), against corosync's own tx counters minus the wire:
    /// from `loss_min_share` × truth − `loss_pp` to truth + `loss_pp`.
    loss_pp: f64,
    loss_min_share: f64,
    link_log: LinkLog,
    membership: Membership,
    /// Latency findings only on the delayed node's paths, from this many
    /// seconds after t0 (all nodes quorate) on.
    latency_only_on_path_from_s: f64,
}

impl Tolerances {
    /// With the key: the bar of issue #5, as for cleartext captures.
    const KEYED: Tolerances = Tolerances {
        start_s: 2.0,
        loss_start_s: 2.0,
        delay_abs_ms: 0.3,
        delay_rel: 0.05,
        loss_pp: 2.0,
        loss_min_share: 1.0,
        link_log: LinkLog::All { ms: 250 },
        membership: Membership::Rings,
        latency_only_on_path_from_s: f64::NEG_INFINITY,
    };
    /// Without the key, measured on the two encrypted fault captures.
    const KEYLESS: Tolerances = Tolerances {
        // Measured: the same as with the key (delay -0.3 s, cut 1.1 s,
        // MTU 1.4 s, loss 2.9 s from the first drop). The findings come
        // from inferred pings, pongs and probes, decided after a lookahead
        // of at most one answer window: no wider bound is needed.
        start_s: 2.0,
        // Without the key DATA copies cannot be matched (no seq), so the
        // first lost packet the engine can see is a missing ping: 2.9 s
        // after the first drop on the wire here.
        loss_start_s: 3.0,
        // Measured errors 0.63 and 0.34 ms, identical to the keyed run
        // (the inference pairs every ping with its pong here). Widened to
        // max(1 ms, 10 %) because a pong the inference cannot pair (crossing
        // pings, a late pong beyond the answer window) is paired by the
        // engine with the oldest waiting ping, which can move the median
        // by a fraction of the jitter.
        delay_abs_ms: 1.0,
        delay_rel: 0.10,
        // Without the key only pings missing from the lossy node's cadence
        // count as lost: a ping left unanswered cannot be told from one
        // whose pong the inference did not pair, so it is never counted.
        // About half of what an egress fault drops are pongs: measured
        // 2.4 % for 4.8 % and 11.1 % for 23.8 %. The keyless loss is a
        // lower bound: at least a quarter of the truth (less 2 pp), never
        // more than the truth plus 2 pp.
        loss_pp: 2.0,
        loss_min_share: 0.25,
        // Any packet from the peer counts as a sign of life on an inferred
        // path (engine design), so a lossy but talking peer never takes a
        // link down, and a path starts up without a transition: only the
        // healthy nodes' view of a silent (cut) node is judged.
        // Downs: measured 14 and 869 ms after the log; the grid restarts
        // from the peer's last packet of any kind, which can follow its
        // last pong by up to a ping interval.
        // Ups: within 250 ms as with the key. (They came one ping interval
        // early while the engine paired an already paired pong a second
        // time with the oldest waiting ping; fixed.)
        link_log: LinkLog::TowardsSilentNode {
            down_ms: 1_100,
            up_early_ms: 250,
        },
        membership: Membership::TokenLostEpisodes,
        // Latency findings are judged over the whole capture, as with the
        // key (the double pairing of a pong that gave a ~1 s RTT at the
        // start is fixed).
        latency_only_on_path_from_s: f64::NEG_INFINITY,
    };
}

fn secs(t: &Truth, ns: i64) -> f64 {
    ns as f64 / 1e9 - t.t0()
}

fn kinds_of(fault: &str) -> &'static [FindingKind] {
    match fault {
        "cut" | "link_down" => &[FindingKind::LinkDown],
        "loss" => &[FindingKind::OneWayLoss, FindingKind::Loss],
        "delay" => &[FindingKind::Latency],
        "mtu" => &[FindingKind::MtuChange, FindingKind::MtuBlackHole],
        "pause" => &[FindingKind::HostStall, FindingKind::LinkDown],
        other => panic!("fault kind {other} not covered"),
    }
}

/// Does a finding lie on the faulted node's link in the fault's direction?
/// Egress delay on N slows N's pongs: RTT rises on x→N. Egress loss on N
/// loses what N sends: the lossy direction is N→x. A cut or an MTU change
/// touches both directions of N's links. A delay in the hub (after the
/// bridge capture point) holds N's packets after the bridge saw them: there
/// N's pongs look prompt and N's own pings come back late, so RTT rises on
/// N→x.
fn on_fault_path(f: &Value, x: &Finding) -> bool {
    let node = f["node"].as_u64().map(|n| n as u16);
    let link = f["link"].as_u64().map(|l| l as u8);
    if link.is_some() && x.link != link {
        return false;
    }
    if f["kind"] == "delay" && f["where"] == "hub" {
        return x.src_node == node;
    }
    match (f["kind"].as_str().unwrap_or(""), f["direction"].as_str()) {
        ("delay", Some("egress")) => x.dst_node == node,
        ("delay", Some("ingress")) => x.src_node == node,
        ("loss", Some("egress")) => x.src_node == node,
        ("loss", Some("ingress")) => x.dst_node == node,
        _ => x.src_node == node || x.dst_node == node,
    }
}

/// A knet ping or pong on the wire, decrypted.
struct WirePing {
    ts: f64,
    from: u16,
    to: u16,
    pong: bool,
    time: [u8; 16],
}

fn wire_pings_pongs(t: &Truth) -> Vec<WirePing> {
    use corowire::decode::Outcome;
    use corowire::wire::knet::Knet;
    let addrs = t.addresses();
    let mut v = Vec::new();
    common::decode_file_with(&t.pcap(), t.options(), |o| {
        let Outcome::Corosync(p) = o else { return };
        let (pong, k) = match &p.knet {
            Some(Knet::Ping(k)) => (false, k),
            Some(Knet::Pong(k)) => (true, k),
            _ => return,
        };
        let (Some(a), Some(b)) = (addrs.get(&p.dgram.src), addrs.get(&p.dgram.dst)) else {
            return;
        };
        v.push(WirePing {
            ts: p.ts as f64 / 1e9,
            from: a.0 as u16,
            to: b.0 as u16,
            pong,
            time: k.time,
        });
    });
    v
}

/// What an egress loss fault on node N did to N→peer, from corosync's own
/// counters and the decrypted wire, independently of the analysis: knet
/// counts a ping or pong before the egress drop, so the tx counter delta
/// over the counter window minus the pings+pongs N→peer on the wire in
/// that window is what was dropped (all inside the fault window).
struct EgressLoss {
    peer: u16,
    dropped: u64,
    /// pings+pongs N→peer on the wire during the fault
    on_wire: u64,
    /// The first sign of a drop on the wire: a ping of the peer's that N
    /// did not answer, or a gap of more than 1.5 s in N's pings.
    first_drop: Option<f64>,
}

impl EgressLoss {
    fn rate(&self) -> f64 {
        100.0 * self.dropped as f64 / (self.dropped + self.on_wire).max(1) as f64
    }
}

fn egress_loss_truth(t: &Truth, wire: &[WirePing], f: &Value) -> Vec<EgressLoss> {
    let node = f["node"].as_u64().unwrap() as u16;
    let link = f["link"].as_u64().unwrap();
    let (fs, fe) = (
        f["effective_start"].as_f64().unwrap(),
        f["effective_end"].as_f64().unwrap(),
    );
    let count = |peer: u16, lo: f64, hi: f64| {
        wire.iter()
            .filter(|w| w.from == node && w.to == peer && w.ts >= lo && w.ts <= hi)
            .count() as u64
    };
    let mut out = Vec::new();
    for w in t.json["counter_windows"].as_array().into_iter().flatten() {
        if w["node"].as_u64() != Some(u64::from(node)) {
            continue;
        }
        let (b, e) = (
            w["begin"]["t"].as_f64().unwrap(),
            w["end"]["t"].as_f64().unwrap(),
        );
        for (peer, links) in w["deltas"].as_object().into_iter().flatten() {
            let peer: u16 = peer.parse().unwrap();
            let d = &links[&link.to_string()];
            let counted = d["tx_ping_packets"].as_u64().unwrap_or(0)
                + d["tx_pong_packets"].as_u64().unwrap_or(0);
            let unanswered = wire
                .iter()
                .filter(|p| !p.pong && p.from == peer && p.to == node && p.ts >= fs && p.ts <= fe)
                .filter(|p| {
                    !wire
                        .iter()
                        .any(|q| q.pong && q.from == node && q.to == peer && q.time == p.time)
                })
                .map(|p| p.ts);
            let own: Vec<f64> = wire
                .iter()
                .filter(|p| !p.pong && p.from == node && p.to == peer)
                .map(|p| p.ts)
                .collect();
            let gaps = own
                .windows(2)
                .filter(|g| g[1] - g[0] > 1.5 && g[1] >= fs && g[0] <= fe)
                .map(|g| g[0] + 1.0);
            out.push(EgressLoss {
                peer,
                dropped: counted.saturating_sub(count(peer, b, e)),
                on_wire: count(peer, fs, fe),
                first_drop: unanswered.chain(gaps).min_by(f64::total_cmp),
            });
        }
    }
    out
}

/// Checks one analysed capture against its truth with the given
/// tolerances; prints what was measured and returns what failed.
fn check(t: &Truth, s: &Snapshot, tol: &Tolerances, label: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let name = t.name();
    println!("== {name} [{label}] ({} findings)", s.findings.len());
    let mut wire = None;
    for f in t.faults() {
        let fk = f["kind"].as_str().unwrap_or("").to_string();
        let start = common::ns(f["effective_start"].as_f64().unwrap());
        let kinds = kinds_of(&fk);
        let mut hits: Vec<&Finding> = s
            .findings
            .iter()
            .filter(|x| kinds.contains(&x.kind) && on_fault_path(&f, x))
            .filter(|x| x.start >= start - 1_000_000_000)
            .collect();
        hits.sort_by_key(|x| x.start);
        let first = hits.first().copied();
        // A random loss starts showing with its first drop, which may come
        // seconds after the rule went in: the clock starts there.
        let origin = if fk == "loss" && f["direction"] == "egress" {
            let wire = wire.get_or_insert_with(|| wire_pings_pongs(t));
            egress_loss_truth(t, wire, &f)
                .iter()
                .filter_map(|x| x.first_drop)
                .min_by(f64::total_cmp)
                .map_or(start, common::ns)
        } else {
            start
        };
        let delay_s = first.map(|x| (x.start - origin) as f64 / 1e9);
        println!(
            "  fault {fk} node {} link {} {} rel {:.2}..{:.2}: first {:?} after {:?} s",
            f["node"],
            f["link"],
            f["direction"],
            f["rel_start"].as_f64().unwrap_or(0.0),
            f["rel_end"].as_f64().unwrap_or(0.0),
            first.map(|x| (x.kind, x.src_node, x.dst_node)),
            delay_s.map(|d| (d * 1000.0).round() / 1000.0)
        );
        let within = if fk == "loss" {
            tol.loss_start_s
        } else {
            tol.start_s
        };
        match delay_s {
            Some(d) if d <= within => {}
            _ => bad.push(format!(
                "{name}: {fk} on node {}: no {kinds:?} on its path within {within} s (first after {delay_s:?} s)",
                f["node"]
            )),
        }
        match fk.as_str() {
            "delay" => {
                let want = f["delay_ms"].as_f64().unwrap();
                let lat: Vec<_> = hits
                    .iter()
                    .filter(|x| x.kind == FindingKind::Latency)
                    .collect();
                if lat.is_empty() {
                    bad.push(format!("{name}: no latency finding"));
                }
                for x in lat {
                    let got =
                        x.evidence("rtt_p50_ms").unwrap() - x.evidence("baseline_ms").unwrap();
                    let allowed = (tol.delay_rel * want).max(tol.delay_abs_ms);
                    println!(
                        "    latency {:?}->{:?}: p50 - baseline {got:.2} ms vs {want} (error {:.2}, allowed {allowed:.2})",
                        x.src_node,
                        x.dst_node,
                        got - want
                    );
                    if (got - want).abs() > allowed {
                        bad.push(format!(
                            "{name}: delay {:?}->{:?} {got:.2} ms vs {want} ms",
                            x.src_node, x.dst_node
                        ));
                    }
                }
                // nothing on paths the delay did not touch
                let node = f["node"].as_u64().map(|n| n as u16);
                for x in s.findings.iter().filter(|x| {
                    x.kind == FindingKind::Latency
                        && secs(t, x.start) >= tol.latency_only_on_path_from_s
                }) {
                    if x.src_node != node && x.dst_node != node {
                        bad.push(format!("{name}: latency off the delayed node: {x:?}"));
                    }
                }
            }
            "loss" if f["direction"] == "egress" => {
                let node = f["node"].as_u64().unwrap() as u16;
                let link = f["link"].as_u64().unwrap() as u8;
                let wire = wire.get_or_insert_with(|| wire_pings_pongs(t));
                for tr in egress_loss_truth(t, wire, &f) {
                    let peer = tr.peer;
                    // the analysis' count of the same packets: N's pings
                    // missing from its cadence, the peer's pings N left
                    // unanswered
                    let missing = s.link(node, peer, link).map_or(0, |l| l.pings_missing);
                    let unanswered = s.link(peer, node, link).map_or(0, |l| l.pings_unanswered);
                    let lost = missing + unanswered;
                    let rate = 100.0 * lost as f64 / (lost + tr.on_wire).max(1) as f64;
                    let x = hits.iter().find(|x| x.dst_node == Some(peer));
                    println!(
                        "    loss {node}->{peer}: truth {} dropped = {:.1} %, first drop rel {:?}; \
                         analysis {missing} missing + {unanswered} unanswered = {rate:.1} %; finding {:?}",
                        tr.dropped,
                        tr.rate(),
                        tr.first_drop
                            .map(|d| ((d - t.t0()) * 100.0).round() / 100.0),
                        x.map(|x| (x.kind, secs(t, x.start), x.evidence("loss_pct")))
                    );
                    let (lo, hi) = (
                        tol.loss_min_share * tr.rate() - tol.loss_pp,
                        tr.rate() + tol.loss_pp,
                    );
                    if rate < lo || rate > hi {
                        bad.push(format!(
                            "{name}: loss {node}->{peer} {rate:.1} % vs {:.1} % (allowed {lo:.1}..{hi:.1})",
                            tr.rate()
                        ));
                    }
                }
                // No loss towards the node backed by pings missing from the
                // peer's cadence (lost before the capture point: only an
                // egress fault on the peer does that). A ping of the peer's
                // left unanswered is no such evidence: on the bridge a pong
                // the node dropped on egress looks like a ping it dropped on
                // ingress, and the analysis books it to the ping's direction.
                for x in s.findings.iter().filter(|x| {
                    matches!(x.kind, FindingKind::OneWayLoss)
                        && x.dst_node == Some(node)
                        && x.evidence("pings_missing").unwrap_or(0.0) > 0.0
                        && x.start <= common::ns(f["effective_end"].as_f64().unwrap())
                        && x.start >= start
                }) {
                    bad.push(format!("{name}: loss towards node {node}: {x:?}"));
                }
            }
            "mtu" => {
                let node = f["node"].as_u64().unwrap() as u16;
                let link = f["link"].as_u64().unwrap() as u8;
                let want = f["mtu"].as_u64().unwrap() as u16;
                for l in s.links.iter().filter(|l| l.link == link) {
                    if l.src_node == Some(node) {
                        println!(
                            "    pmtu {:?}->{:?}: min {:?} now {:?} (lowered to {want})",
                            l.src_node, l.dst_node, l.pmtu_min, l.pmtu
                        );
                        if l.pmtu_min != Some(want) {
                            bad.push(format!(
                                "{name}: pmtu {:?}->{:?} {:?} vs {want}",
                                l.src_node, l.dst_node, l.pmtu_min
                            ));
                        }
                    } else if l.dst_node == Some(node) {
                        println!(
                            "    pmtu {:?}->{:?}: min {:?} now {:?}",
                            l.src_node, l.dst_node, l.pmtu_min, l.pmtu
                        );
                    }
                }
            }
            _ => {}
        }
    }
    // knet link state vs corosync's log lines
    let silent: Vec<(u16, u8, f64, f64)> = t
        .faults()
        .iter()
        .filter(|f| f["kind"] == "cut" || f["kind"] == "link_down")
        .map(|f| {
            (
                f["node"].as_u64().unwrap() as u16,
                f["link"].as_u64().unwrap() as u8,
                f["effective_start"].as_f64().unwrap(),
                f["effective_end"].as_f64().unwrap(),
            )
        })
        .collect();
    let (mut matched, mut total, mut worst) = (0, 0, (0i64, 0i64));
    for (kind, up) in [("link_down", false), ("link_up", true)] {
        for e in t.log_events(kind) {
            let (n, h, l) = (
                e["node"].as_u64().unwrap() as u16,
                e["host"].as_u64().unwrap() as u16,
                e["link"].as_u64().unwrap() as u8,
            );
            let et = e["t"].as_f64().unwrap();
            let (early, late) = match tol.link_log {
                LinkLog::All { ms } => (ms, ms),
                LinkLog::TowardsSilentNode {
                    down_ms,
                    up_early_ms,
                } => {
                    // the healthy nodes' view of a cut node, from the cut
                    // until a few seconds after it ended
                    let judged = silent.iter().any(|&(sn, sl, fs, fe)| {
                        sn == h && sl == l && n != sn && et >= fs && et <= fe + 5.0
                    });
                    if !judged {
                        continue;
                    }
                    if up {
                        (up_early_ms, 250)
                    } else {
                        (250, down_ms)
                    }
                }
            };
            let at = common::ns(et);
            let best = s.link(n, h, l).and_then(|lv| {
                lv.transitions
                    .iter()
                    .filter(|tr| tr.up == up)
                    .map(|tr| tr.ts - at)
                    .min_by_key(|d| d.abs())
            });
            total += 1;
            match best {
                Some(d) if d >= -early * 1_000_000 && d <= late * 1_000_000 => {
                    matched += 1;
                    worst = (worst.0.min(d), worst.1.max(d));
                }
                _ => bad.push(format!(
                    "{name}: {kind} {n}->{h} link {l} at rel {:.3}: nearest {:?} ms",
                    e["rel"].as_f64().unwrap_or(0.0),
                    best.map(|d| d / 1_000_000)
                )),
            }
        }
    }
    println!(
        "  link transitions: {matched}/{total} judged log lines matched ({:?}), engine - log from {:.1} to {:.1} ms",
        tol.link_log,
        worst.0 as f64 / 1e6,
        worst.1 as f64 / 1e6
    );
    if total == 0 && (matches!(tol.link_log, LinkLog::All { .. }) || !silent.is_empty()) {
        bad.push(format!("{name}: no link transition judged"));
    }
    // membership
    match tol.membership {
        Membership::Rings => {
            let mut rings = 0;
            for e in t.log_events("membership") {
                let members = common::log_members(e);
                if members.len() < 2 {
                    continue; // a node alone sends nothing on the wire
                }
                rings += 1;
                let ring = e["ring_id"].as_str().unwrap();
                let m = s.membership.iter().find(|m| m.ring_id == ring);
                if m.map(|m| &m.members) != Some(&members) {
                    bad.push(format!(
                        "{name}: ring {ring} {members:?}: timeline {:?}",
                        m.map(|m| &m.members)
                    ));
                }
            }
            println!(
                "  membership: {rings} logged ring lines; timeline {:?}",
                s.membership
                    .iter()
                    .map(|m| (m.ring_id.as_str(), &m.members))
                    .collect::<Vec<_>>()
            );
        }
        Membership::TokenLostEpisodes => {
            let token_s = t.json["config"]["effective"]["token_ms"].as_f64().unwrap() / 1000.0;
            let mut failed: Vec<f64> = t
                .log_events("processor_failed")
                .iter()
                .map(|e| e["t"].as_f64().unwrap() - t.t0())
                .collect();
            failed.sort_by(f64::total_cmp);
            failed.dedup_by(|b, a| *b - *a < 5.0);
            let mut lost: Vec<f64> = s
                .findings
                .iter()
                .filter(|x| x.kind == FindingKind::TokenLost)
                .map(|x| secs(t, x.start))
                .collect();
            lost.sort_by(f64::total_cmp);
            let episodes: Vec<Vec<f64>> =
                lost.iter().fold(Vec::new(), |mut v: Vec<Vec<f64>>, &x| {
                    match v.last_mut() {
                        Some(e) if x - e[e.len() - 1] < 5.0 => e.push(x),
                        _ => v.push(vec![x]),
                    }
                    v
                });
            let r = |x: f64| (x * 100.0).round() / 100.0;
            println!(
                "  processor failed (log, rel): {:?}; token_lost episodes (rel): {:?}; timeline {:?}",
                failed.iter().map(|&x| r(x)).collect::<Vec<_>>(),
                episodes
                    .iter()
                    .map(|e| e.iter().map(|&x| r(x)).collect::<Vec<_>>())
                    .collect::<Vec<_>>(),
                s.membership
                    .iter()
                    .map(|m| (m.ring_id.as_str(), &m.members))
                    .collect::<Vec<_>>()
            );
            let near =
                |pf: f64, e: &Vec<f64>| e.iter().any(|&x| x >= pf - token_s - 1.0 && x <= pf + 1.0);
            if episodes.len() != failed.len() {
                bad.push(format!(
                    "{name}: {} token-loss episodes vs {} logged",
                    episodes.len(),
                    failed.len()
                ));
            }
            for pf in &failed {
                if !episodes.iter().any(|e| near(*pf, e)) {
                    bad.push(format!(
                        "{name}: processor failed at rel {pf:.2}: no token_lost near"
                    ));
                }
            }
            if !s.membership.is_empty() {
                bad.push(format!("{name}: rings claimed without the key"));
            }
        }
    }
    for x in s.findings.iter().filter(|x| x.severity > Severity::Info) {
        println!(
            "    finding {:7.2} {} {:?}->{:?} {}",
            secs(t, x.start),
            x.kind,
            x.src_node,
            x.dst_node,
            x.message
        );
    }
    bad
}

/// `cargo test --release --test analysis_encrypted measure -- --ignored --nocapture`
/// prints every measured number; `COROWIRE_MEASURE=NAME` picks one capture
/// of the corpus instead (a cleartext one is checked with the keyed bar
/// only).
#[test]
#[ignore]
fn measure() {
    let caps = match std::env::var("COROWIRE_MEASURE") {
        Ok(name) => vec![Truth::load(
            &common::crate_dir().join(format!("captures/{name}.truth.json")),
        )],
        Err(_) => encrypted_fault_captures(),
    };
    for t in caps {
        let k = keyed_snapshot(&t);
        for b in check(&t, &k, &Tolerances::KEYED, "keyed") {
            println!("  FAIL {b}");
        }
        if !t.encrypted() {
            continue;
        }
        let u = keyless_snapshot(&t);
        for b in check(&t, &u, &Tolerances::KEYLESS, "keyless") {
            println!("  FAIL {b}");
        }
    }
}

fn run(tol: &Tolerances, label: &str, snap: fn(&Truth) -> Snapshot) {
    let caps = encrypted_fault_captures();
    let kinds: Vec<String> = caps
        .iter()
        .flat_map(|t| t.faults())
        .filter_map(|f| f["kind"].as_str().map(str::to_string))
        .collect();
    for k in ["delay", "cut", "loss", "mtu"] {
        assert!(
            kinds.iter().any(|x| x == k),
            "no encrypted capture with a {k} fault"
        );
    }
    let mut bad = Vec::new();
    for t in &caps {
        let s = snap(t);
        bad.extend(check(t, &s, tol, label));
    }
    assert!(bad.is_empty(), "{label}:\n{}", bad.join("\n"));
}

/// With the authkey every packet is decrypted (none left opaque), and the
/// fault checks of the cleartext corpus hold to the same tolerances: the
/// finding of the fault's kind on the faulted node's path in the right
/// direction within 2 s of the fault, RTT p50 − baseline within
/// max(0.3 ms, 5 %) of the injected delay, the egress loss per peer within
/// ±2 pp of corosync's own counters, every link down/up within 250 ms of
/// corosync's log, every ring with its members, the lowered MTU exactly.
/// (A loss finding used to start 2.9 s after the first drop: episodes were
/// dated from ping losses only, not from lost DATA copies; fixed.)
#[test]
fn keyed_faults_match_truth() {
    for t in encrypted_fault_captures() {
        let s = keyed_snapshot(&t);
        assert_eq!(s.opaque_packets, 0, "{}: packets left encrypted", t.name());
        assert!(
            s.links
                .iter()
                .all(|l| l.src_node.is_some() && l.dst_node.is_some()),
            "{}: links without knet node ids",
            t.name()
        );
    }
    run(&Tolerances::KEYED, "keyed", keyed_snapshot);
}

/// Without the key, through the keyless inference, to the wider
/// tolerances of [`Tolerances::KEYLESS`] (each says why).
#[test]
fn keyless_faults_match_truth_within_stated_tolerances() {
    for t in encrypted_fault_captures() {
        let s = keyless_snapshot(&t);
        assert!(
            s.opaque_packets > 0,
            "{}: nothing opaque without the key",
            t.name()
        );
    }
    run(&Tolerances::KEYLESS, "keyless", keyless_snapshot);
}

/// Tokens resent (totem's token-retransmit timer: no sign of the token
/// going on) are found during a random loss, with the key and without it,
/// and only then: each `token_resent` episode starts after the loss took
/// effect and ends by its end plus a token timeout; the healthy encrypted
/// capture has none.
#[test]
fn tokens_resent_during_loss_and_only_then() {
    let dir = common::crate_dir().join("captures");
    let t = Truth::load(&dir.join("crypto-faults-3n-aes128-sha1-loss-mtu.truth.json"));
    let loss = t
        .faults()
        .into_iter()
        .find(|f| f["kind"] == "loss")
        .expect("a loss fault");
    let from = common::ns(loss["effective_start"].as_f64().unwrap());
    let to = common::ns(loss["effective_end"].as_f64().unwrap());
    for (label, s) in [
        ("keyed", keyed_snapshot(&t)),
        ("keyless", keyless_snapshot(&t)),
    ] {
        let token = i64::from(s.thresholds.token_ms) * 1_000_000;
        let resent: Vec<&Finding> = s
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::TokenResent)
            .collect();
        assert!(
            resent.iter().any(|f| f.severity == Severity::Warning),
            "{label}: no token_resent warning during the loss"
        );
        for f in &resent {
            assert!(
                f.start >= from && f.end.is_some_and(|e| e <= to + token),
                "{label}: {f:?} outside the loss [{from}, {to}]"
            );
        }
    }
    let h = Truth::load(&dir.join("healthy-3n-aes256-sha256-nss.truth.json"));
    for s in [keyed_snapshot(&h), keyless_snapshot(&h)] {
        assert!(
            s.findings
                .iter()
                .all(|f| f.kind != FindingKind::TokenResent)
        );
    }
}

/// Without the key a loss after the capture point shows only as pings that
/// went unanswered. In `pathloss-3n-pair2-3-both10-aes128` the hub drops
/// packets between nodes 2 and 3 both ways, after the bridge capture: each
/// direction has a loss finding whose interval holds the loss nftables
/// realised, and the pairs with node 1 have none. (Before unanswered pings
/// counted on a bridge without the key, neither direction was found.)
#[test]
fn without_the_key_a_loss_after_the_bridge_shows_in_unanswered_pings() {
    let t = common::matrix_truth("pathloss-3n-pair2-3-both10-aes128");
    let s = keyless_snapshot(&t);
    let mut pairs = 0;
    for fault in t.faults() {
        for p in fault["per_pair"].as_array().expect("per_pair") {
            let (src, dst) = (p["src"].as_u64(), p["dst"].as_u64());
            let realised = p["realized_pct"].as_f64().expect("realized_pct");
            let found = common::loss_findings_on(&s, src, dst);
            assert!(!found.is_empty(), "{src:?}->{dst:?}: no loss finding");
            for (f, side) in found {
                let ev = |k: &str| {
                    f.evidence(&format!("{side}{k}"))
                        .unwrap_or_else(|| panic!("{side}{k}: {f:?}"))
                };
                let (lo, hi) = (ev("loss_ci95_low"), ev("loss_ci95_high"));
                assert!(
                    lo <= realised && realised <= hi && ev("pings_unanswered") > 0.0,
                    "{src:?}->{dst:?}: realised {realised} % vs {}",
                    f.message
                );
            }
            pairs += 1;
        }
    }
    assert_eq!(pairs, 2);
    let with_node1: Vec<_> = s
        .findings
        .iter()
        .filter(|f| matches!(f.kind, FindingKind::Loss | FindingKind::OneWayLoss))
        .filter(|f| f.src_node == Some(1) || f.dst_node == Some(1))
        .collect();
    assert!(with_node1.is_empty(), "{with_node1:?}");
}
