//! The [`Snapshot`]: a copy of everything the engine knows, built on
//! demand. No I/O; the cost is linear in the tracked paths and nodes (and
//! their time series), not in the packets seen.
//!
//! Vantage: given, or the node that sent the frames a Linux cooked capture
//! marks outgoing, or the one address taking part in every directed path
//! with at least two peers. On a path towards the vantage the ping→pong
//! time is the responder's delay, not a round trip.

use std::net::IpAddr;

use hdrhistogram::Histogram;

use crate::analysis::snapshot::{
    LinkView, Measures, NodeView, Quantiles, SeriesPoint, SizeBucket, Snapshot, TotemView,
    rtt_buckets, token_buckets,
};
use crate::analysis::vantage::addrs_of;

use super::{Dir, Engine, NS, SIZE_BOUNDS, Side, add_link_count, loss_estimate, ms, pct};

pub(super) fn quantiles<T: hdrhistogram::Counter>(h: &Histogram<T>, div: u64) -> Option<Quantiles> {
    if h.is_empty() {
        return None;
    }
    let d = div.max(1);
    Some(Quantiles {
        count: h.len(),
        min: h.min() / d,
        p50: h.value_at_quantile(0.5) / d,
        p90: h.value_at_quantile(0.9) / d,
        p99: h.value_at_quantile(0.99) / d,
        max: h.max() / d,
        mean: h.mean() / d as f64,
    })
}

impl Engine {
    /// A copy of everything the engine knows now. No I/O; cost is linear in
    /// the tracked links (and their time series), not in the packets seen.
    pub fn snapshot(&self) -> Snapshot {
        let now = self.now.max(self.opaque_last);
        let vantage = self.vantage.or_else(|| self.infer_vantage());
        let vantage_addrs = addrs_of(&self.addr_node, vantage);
        let mut links: Vec<LinkView> = self
            .dirs
            .iter()
            .map(|d| self.link_view(d, now, &vantage_addrs))
            .collect();
        links.sort_by_key(|l| {
            (
                l.src_node.is_none(),
                l.src_node,
                l.dst_node,
                l.link,
                l.src_addr,
                l.dst_addr,
            )
        });
        let nodes = self.node_views();
        let totem = self.totem_view();
        let mut findings = self.findings.clone();
        // Episodes still open are shown with no end.
        findings.extend((0..self.dirs.len()).filter_map(|i| self.open_loss_finding(i)));
        findings.extend(self.open_token_findings(now));
        let membership = self.rings.viewed_by(vantage);
        super::membership::ring_findings(&membership, &mut findings, self.finished);
        findings.sort_by_key(|f| (f.start, f.kind.name()));
        Snapshot {
            first_ts: self.first_ts,
            now,
            finished: self.finished,
            thresholds: self.th.clone(),
            packets: self.packets,
            bytes: self.bytes,
            opaque_packets: self.opaque,
            vantage,
            nodes,
            links,
            totem,
            membership,
            findings,
            node_names: self.node_names.clone(),
            wire: self.wire.clone(),
            overflow: self.overflow,
        }
    }

    /// What path `d` shows at `now`; RTTs towards a vantage address are the
    /// responder's delay.
    fn link_view(&self, d: &Dir, now: i64, vantage_addrs: &[IpAddr]) -> LinkView {
        let now_sec = now.div_euclid(NS);
        let rev = d.rev.and_then(|r| self.dirs.get(r as usize));
        let expected = d.ping.pings + d.ping.missing;
        let loss_pct = loss_estimate(&Side::of(d), &rev.map(Side::of).unwrap_or_default());
        let mut series = Vec::new();
        let len = d.series_len as i64;
        for s in (now_sec - len + 1)..=now_sec {
            if let Some(b) = d.bucket_ref(s) {
                series.push(SeriesPoint {
                    ts: s * NS,
                    pings: b.pings,
                    pongs: b.pongs,
                    lost: b.missing + b.unanswered,
                    rtt_avg_us: if b.rtt_n > 0 {
                        (b.rtt_sum_us / u64::from(b.rtt_n)).min(u64::from(u32::MAX)) as u32
                    } else {
                        0
                    },
                    rtt_max_us: b.rtt_max_us,
                    rtt_p50_us: b.rtt_p50_us(),
                    packets: b.packets,
                    bytes: b.bytes,
                });
            }
        }
        LinkView {
            src_node: d.src_node,
            dst_node: d.dst_node,
            src_addr: d.key.src,
            dst_addr: d.key.dst,
            link: d.key.link,
            first_ts: d.first_ts,
            last_ts: d.last_ts,
            pings_sent: d.ping.pings,
            pongs_received: d.ping.pongs,
            pings_unanswered: d.ping.unanswered,
            pings_missing: d.ping.missing,
            late_pongs: d.ping.late_pongs,
            rtt_us: quantiles(&d.ping.rtt, 1),
            rtt_hist: rtt_buckets(&d.ping.rtt),
            jitter_us: if d.ping.jitter_n == 0 {
                0.0
            } else {
                d.ping.jitter_sum / d.ping.jitter_n as f64
            },
            measures: if vantage_addrs.contains(&d.key.dst) {
                Measures::ResponderDelay
            } else {
                Measures::RoundTrip
            },
            ping_loss_pct: pct(d.ping.missing + d.ping.unanswered, expected),
            data_copies_seen: d.seq.data_seen,
            data_copies_lost: d.seq.data_lost,
            size_buckets: (0..SIZE_BOUNDS.len() + 1)
                .map(|c| SizeBucket {
                    max_bytes: SIZE_BOUNDS.get(c).copied(),
                    packets: d.sizes.packets[c],
                    rtt_us_p50: if c == 0 {
                        d.ping_p50()
                    } else {
                        d.sizes.probe_p50(c).map(|(p, _)| p)
                    },
                })
                .collect(),
            loss_pct,
            max_ping_gap_ms: ms(d.ping.max_ping_gap),
            max_ping_gap_at: d.ping.max_ping_gap_at,
            max_silence_ms: ms(d.ping.max_pong_gap),
            max_silence_at: d.ping.max_pong_gap_at,
            pong_age_ms: d.ping.last_pong.map_or(0.0, |lp| ms(now - lp)),
            state: d.link.state,
            transitions: d.link.transitions.clone(),
            downs: d.link.downs,
            pmtu: d.pmtud.pmtu,
            pmtu_min: d.pmtud.pmtu_min,
            pmtud_unanswered: d.pmtud.unanswered.clone(),
            pmtud_probes: d.pmtud.probes_sent,
            pmtud_replies: d.pmtud.replies,
            icmp_too_big: d.pmtud.icmp_too_big,
            icmp_mtu: d.pmtud.icmp_mtu,
            ip_fragments: d.ip_fragments,
            traffic: d.traffic,
            series,
        }
    }

    fn node_views(&self) -> Vec<NodeView> {
        let mut nodes: Vec<NodeView> = self
            .nodes
            .values()
            .map(|n| NodeView {
                id: n.id,
                addrs: {
                    let mut a = addrs_of(&self.addr_node, Some(n.id));
                    a.sort();
                    a
                },
                first_ts: n.first_ts,
                last_ts: n.last_ts,
                packets: n.packets,
                max_gap_ms: ms(n.max_gap),
                max_gap_at: n.max_gap_at,
            })
            .collect();
        nodes.sort_by_key(|n| n.id);
        nodes
    }

    fn totem_view(&self) -> TotemView {
        let mut totem = self.totem.v.clone();
        totem.token_rotation_us = self
            .totem
            .rotation
            .as_ref()
            .and_then(|h| quantiles(&h.to_hdr(), 1));
        totem.hold_us = self
            .totem
            .tok
            .hists()
            .filter_map(|(n, h)| quantiles(&h, 1).map(|q| (n, q)))
            .collect();
        totem.hold_us.sort_by_key(|(n, _)| *n);
        if let Some(h) = &self.totem.rotation {
            totem.rotation_hist = token_buckets(&h.to_hdr());
        }
        totem.hold_hist = self
            .totem
            .tok
            .hists()
            .map(|(n, h)| (n, token_buckets(&h)))
            .collect();
        totem.hold_hist.sort_by_key(|(n, _)| *n);
        totem.last_token = self.totem.tok.last_arrivals().collect();
        totem.last_token.sort_unstable();
        totem.series = self.totem.series.clone();
        totem.rotations = self.totem.rotations.iter().copied().collect();
        for d in self.dirs.iter().filter(|d| d.totem_data > 0) {
            add_link_count(&mut totem.data_by_link, d.key.link, d.totem_data);
        }
        totem.data_by_link.sort_unstable();
        totem
    }

    /// One address takes part in every directed path, with ≥ 2 peers: the
    /// capture was taken on that node.
    pub(super) fn infer_vantage(&self) -> Option<u16> {
        // The link layer said which frames the host sent.
        if let Some(n) = self.outgoing.node(|a| self.addr_node.get(a).copied()) {
            return Some(n);
        }
        let first = self.dirs.first()?;
        let mut peers: Vec<IpAddr> = Vec::new();
        for cand in [first.key.src, first.key.dst] {
            peers.clear();
            let all = self.dirs.iter().all(|d| {
                let other = if d.key.src == cand {
                    d.key.dst
                } else if d.key.dst == cand {
                    d.key.src
                } else {
                    return false;
                };
                if !peers.contains(&other) && peers.len() < 64 {
                    peers.push(other);
                }
                true
            });
            if all && peers.len() >= 2 {
                return self.addr_node.get(&cand).copied();
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::new_hist;
    use super::quantiles;

    #[test]
    fn quantiles_of_a_histogram() {
        let mut h = new_hist();
        assert!(quantiles(&h, 1).is_none());
        for v in [100, 200, 300, 400] {
            h.record(v).unwrap();
        }
        let q = quantiles(&h, 100).expect("values");
        assert_eq!((q.count, q.min, q.max), (4, 1, 4));
        assert!((q.mean - 2.5).abs() < 0.01);
    }
}
