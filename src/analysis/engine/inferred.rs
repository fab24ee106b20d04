//! Encrypted traffic analysed without the key: what the keyless inference
//! (`crate::infer`) decided about each packet.
//!
//! Pings with their answer give RTT, cadence and link state (an unknown
//! DATA seq is taken as a node already running). A pong the inference
//! could not pair answers the ping still waiting on the reverse path within
//! the ping timeout whose round trip is nearest the path's mean; one it did
//! pair answers that ping or nothing. A ping still waiting at its timeout
//! went unanswered, at every vantage, as with the key.
//! PMTUD probes are sized by their IP length, and a reply answers the probe
//! its prober sent last. Tokens give rotation at their receiver (no
//! token_seq: every token counts as new), and a node's second send with
//! no token reaching it since, a whole number of token_retransmit periods
//! after the first, is a resend.

use crate::infer::{Inference, Kind, Record};

use super::{Engine, MS, PathKey, Pending, PingKey, TokRx, clamp_ts};

/// A node's send this soon after a resent token reached it may be that
/// token passed on (the node lost the first copy), not its own resend.
const RESEND_FORWARD_NS: i64 = 10 * MS;

/// The pending-ping key of an inferred ping: its place in the input, in
/// bytes no monotonic timespec has (tv_nsec would be negative).
pub(super) fn inferred_key(source: usize, packet_no: u64) -> [u8; 16] {
    let mut time = [0xffu8; 16];
    time[..8].copy_from_slice(&packet_no.to_le_bytes());
    time[8..12].copy_from_slice(&(source as u32).to_le_bytes());
    time
}

impl Engine {
    /// Feeds what the keyless inference decided about an encrypted packet
    /// (the packet itself went through [`Engine::ingest`] already, which
    /// counted it). Pings with their answer give RTT, cadence and link
    /// state; tokens give token gaps at their receiver (no token_seq: every
    /// token counts as new). Node ids come from [`Engine::set_addresses`].
    pub fn ingest_inferred(&mut self, rec: &Record, inf: &Inference) {
        let ts = clamp_ts(rec.ts);
        self.advance_time(ts);
        let link = self.link_of(rec.src, rec.sport, rec.dport);
        match inf.kind {
            Kind::Ping => self.inferred_ping(rec, inf, link, ts),
            Kind::Pong => self.inferred_pong(rec, inf, link, ts),
            // PMTUD without the key: the probe's IP length is its size; a
            // reply answers the probe its prober sent last (knet probes one
            // size at a time and waits for the answer).
            Kind::Pmtud => {
                if let (Some(i), Ok(size)) = (
                    self.path(rec.src, rec.dst, link, ts),
                    u16::try_from(rec.ip_len),
                ) {
                    self.on_probe(i, size, ts);
                }
            }
            Kind::PmtudReply => {
                let key = PathKey {
                    src: rec.dst,
                    dst: rec.src,
                    link,
                };
                if let Some(&i) = self.paths.get(&key) {
                    let d = &mut self.dirs[i as usize];
                    d.pmtud_reply(d.pmtud.last_probe, ts);
                }
            }
            Kind::Token => {
                self.totem.v.tokens += 1;
                let Some(to) = self.addr_node.get(&rec.dst).copied().map(u32::from) else {
                    return;
                };
                let resent = self.addr_node.get(&rec.src).copied().is_some_and(|from| {
                    self.inferred_token_sent(
                        u32::from(from),
                        to,
                        ts,
                        rec.len,
                        inf.confidence >= 0.7,
                    )
                });
                if resent {
                    // A resent token is no new token at its receiver.
                    let max_nodes = self.th.limits.max_nodes;
                    if let Some(tn) = self.totem.tok.entry(to, max_nodes, &mut 0) {
                        tn.resend_rx = Some(ts);
                    }
                } else {
                    self.inferred_tokens += 1;
                    let this = TokRx {
                        ts,
                        ring: (u32::MAX, 0),
                        token_seq: (self.inferred_tokens & 0xffff_ffff) as u32,
                    };
                    self.token_arrival(to, this, false, &mut 0);
                }
            }
            _ => {}
        }
    }

    /// Node `from` sent a token to `to` at `ts` (inferred: no token_seq).
    /// A node passes a token on after one reached it; a second send with
    /// none reaching it since, at a whole number of token_retransmit
    /// periods (±10 %) after the first, is totem resending the token it
    /// saw no sign of. Judged only where tokens reaching `from` are in the
    /// capture (one was seen before its first send). A resend reaching its
    /// receiver is no new token there. A resend is a copy of the first
    /// send (same length), and only tokens the inference is sure of
    /// (`sure`: the idle token's size, or unicast among several peers)
    /// count. Whether it was a resend.
    fn inferred_token_sent(&mut self, from: u32, to: u32, ts: i64, len: u32, sure: bool) -> bool {
        let every = self.th.token_retransmit_ns();
        let max_nodes = self.th.limits.max_nodes;
        let Some(tn) = self.totem.tok.entry(from, max_nodes, &mut 0) else {
            return false;
        };
        // Keyless, a sent token's `token_seq` holds its length.
        let this = TokRx {
            ts,
            ring: (u32::MAX, 0),
            token_seq: len,
        };
        // A send right after a resend reached the node may pass on a
        // token it never had the first copy of: not judged.
        let after_resend = tn
            .resend_rx
            .is_some_and(|r| r <= ts && ts - r <= RESEND_FORWARD_NS);
        let first = match (tn.tx, tn.rx) {
            (Some(tx), Some(rx))
                if sure && !after_resend && rx.ts < tx.ts && tx.token_seq == len =>
            {
                tx.ts
            }
            _ => {
                tn.tx = Some(this);
                return false;
            }
        };
        let k = ((ts - first) as f64 / every as f64).round();
        let off = (ts - first) as f64 - k * every as f64;
        if (1.0..=8.0).contains(&k) && off.abs() <= 0.1 * every as f64 {
            self.totem.v.token_retransmits += 1;
            self.token_resent(from, Some(to), first, ts);
            true
        } else {
            tn.tx = Some(this);
            false
        }
    }

    /// An inferred ping: answered at once when the inference paired it,
    /// else waiting for a pong decided later.
    fn inferred_ping(&mut self, rec: &Record, inf: &Inference, link: u8, ts: i64) {
        let Some(i) = self.path(rec.src, rec.dst, link, ts) else {
            return;
        };
        let node = self.addr_node.get(&rec.src).copied();
        if let Some(n) = node
            && self.node_activity(n, ts, &mut 0)
        {
            self.pinger_resumed(n, ts);
        }
        self.dirs[i as usize].link.inferred = true;
        self.dirs[i as usize].cadence.note(ts);
        self.ping_sent(i, node, true, ts);
        // Unknown data seq: taken as a node already running.
        let p = Pending {
            ts,
            dir: i,
            data_seq: 1,
            expired: false,
        };
        match inf.delay_ns {
            Some(d) if d >= 0 => {
                let responder = self.addr_node.get(&rec.dst).copied();
                self.answered(p, responder, ts + d);
            }
            _ => {
                // Its pong may be decided later: wait for it under the
                // packet's place (no real ping time looks so). A ping-size
                // packet the inference takes for a pong without pairing it
                // answers a waiting ping (`inferred_pong`), so a ping still
                // unanswered at its timeout had nothing come back that
                // could be its pong: it is loss, as with the key (of the
                // ping after the capture point, or of its pong before it).
                let time = inferred_key(rec.source, rec.packet_no);
                let key = PingKey {
                    pinger: rec.src,
                    responder: rec.dst,
                    link,
                    time,
                };
                self.await_pong(key, p);
            }
        }
    }

    /// An inferred pong: answers its paired ping, or else the oldest ping
    /// waiting on the reverse path.
    fn inferred_pong(&mut self, rec: &Record, inf: &Inference, link: u8, ts: i64) {
        let by_partner = inf.partner.map(|(source, packet_no)| PingKey {
            pinger: rec.dst,
            responder: rec.src,
            link,
            time: inferred_key(source, packet_no),
        });
        // A pong the inference could not pair (crossing pings) answers the
        // ping still waiting on the reverse path, within the ping timeout,
        // whose round trip is nearest the path's average so far (knet's
        // running mean): after a lost pong an older ping waits too, and
        // the pong is the newer one's, not one a ping interval late. With
        // no average yet, the oldest. A pong it did pair answers that ping
        // or nothing: matching it again to another ping gave ~1 s RTTs and
        // link-ups one ping interval early.
        let key = match by_partner {
            Some(k) => Some(k).filter(|k| self.pending.contains_key(k)),
            None => {
                let oldest = ts - self.th.ping_timeout_ns();
                let avg_ns = |p: &Pending| {
                    self.dirs
                        .get(p.dir as usize)
                        .map_or(0.0, |d| d.ping.avg_lat_us * 1000.0)
                };
                self.pending
                    .iter()
                    .filter(|(k, p)| {
                        k.pinger == rec.dst
                            && k.responder == rec.src
                            && k.link == link
                            && p.ts <= ts
                            && p.ts >= oldest
                    })
                    .min_by(|(_, a), (_, b)| {
                        let off = |p: &Pending| match avg_ns(p) {
                            avg if avg > 0.0 => ((ts - p.ts) as f64 - avg).abs(),
                            _ => (p.ts - oldest) as f64,
                        };
                        off(a).total_cmp(&off(b)).then(a.ts.cmp(&b.ts))
                    })
                    .map(|(k, _)| *k)
            }
        };
        if let Some(p) = key.and_then(|k| self.pending.remove(&k)) {
            let responder = self.addr_node.get(&rec.src).copied();
            self.answered(p, responder, ts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::inferred_key;
    use crate::infer::{Inference, Kind, Record};

    fn rec(ts: i64, src: u8, dst: u8, packet_no: u64) -> Record {
        Record {
            ts,
            source: 0,
            packet_no,
            src: ip(src),
            dst: ip(dst),
            sport: 5405,
            dport: 5405,
            len: 68,
            ip_len: 96,
            outgoing: None,
        }
    }

    fn inferred(kind: Kind) -> Inference {
        Inference {
            kind,
            confidence: 0.97,
            partner: None,
            delay_ns: None,
        }
    }

    /// Node 1 pings node 2 every 800 ms, each pong 200 µs later and left
    /// unpaired by the inference; the 6th pong is lost. The packets carry
    /// the link-layer direction marks `marks` (ping, pong).
    fn sixth_pong_lost(marks: (Option<bool>, Option<bool>)) -> crate::analysis::Snapshot {
        let mut e = Engine::new(two_nodes());
        e.set_addresses(&[(ip(1), 1), (ip(2), 2)]);
        let mut n = 0;
        for k in 0..20 {
            let t = T0 + k * 800 * MS;
            n += 1;
            let ping = Record {
                outgoing: marks.0,
                ..rec(t, 1, 2, n)
            };
            e.ingest_inferred(&ping, &inferred(Kind::Ping));
            if k != 5 {
                n += 1;
                let pong = Record {
                    outgoing: marks.1,
                    ..rec(t + 200_000, 2, 1, n)
                };
                e.ingest_inferred(&pong, &inferred(Kind::Pong));
            }
        }
        e.finish(T0 + 20 * 800 * MS);
        e.snapshot()
    }

    /// The 7th pong is the 7th ping's (200 µs), not the 6th's 800 ms late.
    #[test]
    fn an_unpaired_pong_after_a_lost_one_answers_the_newer_ping() {
        let s = sixth_pong_lost((None, None));
        let l = s.link(1, 2, 0).expect("path 1->2");
        let rtt = l.rtt_us.expect("RTTs");
        assert!(rtt.max < 1_000, "{rtt:?}");
        assert_eq!(rtt.count, 19);
        assert!(s.findings.iter().all(|f| f.kind != FindingKind::HostStall));
    }

    /// The unanswered pings counted on path 1 -> 2.
    fn unanswered_with(marks: (Option<bool>, Option<bool>)) -> u64 {
        let s = sixth_pong_lost(marks);
        s.link(1, 2, 0).expect("path 1->2").pings_unanswered
    }

    #[test]
    fn an_unanswered_ping_is_loss_at_every_vantage() {
        // Captured on node 2 (the link layer marks node 1's pings received
        // and node 2's pongs sent), on node 1, which sent the pings, and on
        // a bridge, where nothing marks them: every other pong answered a
        // waiting ping, so the one missing is loss wherever it was captured.
        for marks in [
            (Some(false), Some(true)),
            (Some(true), Some(false)),
            (None, None),
        ] {
            assert_eq!(unanswered_with(marks), 1, "{marks:?}");
        }
    }

    #[test]
    fn inferred_keys_never_look_like_ping_times() {
        let k = inferred_key(3, 42);
        // tv_nsec (bytes 8..16) would be negative: no real timespec.
        assert!(i64::from_le_bytes(k[8..16].try_into().unwrap()) < 0);
        assert_ne!(k, inferred_key(3, 43));
        assert_ne!(k, inferred_key(4, 42));
    }
}
