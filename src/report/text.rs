//! The text report: verdict first, then findings in time order, the
//! per-link tables, totem and the membership timeline. Fits 100 columns.

use std::io::{self, Write};

use super::{fmt_datetime, fmt_time, verdict};
use crate::analysis::{LinkView, Measures, Snapshot};

/// A node as the report shows it: its configured name, else its id.
fn node(s: &Snapshot, n: Option<u16>) -> String {
    match n {
        Some(id) => s
            .node_name(id)
            .map_or_else(|| id.to_string(), str::to_string),
        None => "?".to_string(),
    }
}

fn rel(s: &Snapshot, ts: i64) -> String {
    match s.first_ts {
        Some(f) => format!("+{:.1}s", (ts - f) as f64 / 1e9),
        None => String::new(),
    }
}

/// Cuts `text` to lines of at most `width` columns (on spaces where possible).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

fn ms3(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

/// Writes the text report.
pub fn write_text(s: &Snapshot, w: &mut impl Write) -> io::Result<()> {
    let (sev, summary) = verdict(s);
    let head = format!("VERDICT: {}: {summary}", sev.to_uppercase());
    for l in wrap(&head, 100) {
        writeln!(w, "{l}")?;
    }
    let th = &s.thresholds;
    match s.first_ts {
        Some(f) => writeln!(
            w,
            "capture {} - {} UTC ({:.1} s), {} packets, {} nodes, vantage: {}",
            fmt_datetime(f),
            fmt_time(s.now),
            (s.now - f) as f64 / 1e9,
            s.packets,
            s.nodes.len(),
            s.vantage
                .map_or("unknown".to_string(), |v| format!("node {v}"))
        )?,
        None => writeln!(w, "no corosync packets")?,
    }
    if s.opaque_packets > 0 {
        writeln!(
            w,
            "{} packets could not be decoded (encrypted without key or malformed)",
            s.opaque_packets
        )?;
    }
    let budgets = format!(
        "budgets ({} nodes): token {} ms (warning {}), consensus {} ms, pings every {} ms (interval {}), \
         ping timeout {} ms, pong_count {}",
        th.nodes,
        th.token_ms,
        th.token_warning_ms,
        th.consensus_ms,
        th.ping_spacing_ms,
        th.ping_interval_ms,
        th.ping_timeout_ms,
        th.pong_count
    );
    for (i, l) in wrap(&budgets, 98).iter().enumerate() {
        writeln!(w, "{}{l}", if i > 0 { "  " } else { "" })?;
    }

    writeln!(w)?;
    writeln!(w, "FINDINGS ({})", s.findings.len())?;
    if s.findings.is_empty() {
        writeln!(w, "  none")?;
    }
    for f in &s.findings {
        let place = match (f.src_node, f.dst_node, f.link) {
            (Some(_), Some(_), Some(l)) => {
                format!("{}->{} link {l}", node(s, f.src_node), node(s, f.dst_node))
            }
            (None, Some(_), None) => format!("at node {}", node(s, f.dst_node)),
            (Some(_), None, _) => format!("node {}", node(s, f.src_node)),
            (a, b, Some(l)) => format!("{}->{} link {l}", node(s, a), node(s, b)),
            _ => "cluster".to_string(),
        };
        let dur = f.end.map_or_else(
            || "ongoing".to_string(),
            |e| format!("{:.1}s", (e - f.start) as f64 / 1e9),
        );
        writeln!(
            w,
            "  {} {:>8} {:<8} {:<17} {:<16} {dur}",
            fmt_time(f.start),
            rel(s, f.start),
            f.severity.name().to_uppercase(),
            f.kind.name(),
            place
        )?;
        for l in wrap(&f.message, 90) {
            writeln!(w, "      {l}")?;
        }
        if !f.evidence.is_empty() {
            let ev: Vec<String> = f
                .evidence
                .iter()
                .map(|(n, v)| {
                    if v.fract() == 0.0 {
                        format!("{n}={v:.0}")
                    } else {
                        format!("{n}={v:.2}")
                    }
                })
                .collect();
            for l in wrap(&ev.join(" "), 90) {
                writeln!(w, "      {l}")?;
            }
        }
    }

    let mut links: Vec<u8> = s.links.iter().map(|l| l.link).collect();
    links.sort_unstable();
    links.dedup();
    for link in links {
        writeln!(w)?;
        writeln!(
            w,
            "LINK {link}  (row = pinger/sender, RTT at the capture point in ms)"
        )?;
        writeln!(
            w,
            "  {:<9} {:>21} {:>6} {:>6} {:>6} {:>6} {:>6} {:>13} {:>5} {:>5}",
            "src->dst",
            "RTT p50/p99/max",
            "loss%",
            "ping%",
            "pings",
            "pongs",
            "PMTU",
            "silence/tmo s",
            "state",
            "downs"
        )?;
        for l in s.links.iter().filter(|l| {
            l.link == link && (l.pings_sent > 0 || l.traffic.iter().any(|c| c.packets > 0))
        }) {
            write_link_row(s, l, w)?;
        }
        // node × node matrix of p50 RTT
        let mut ids: Vec<u16> = s
            .links
            .iter()
            .filter(|l| l.link == link)
            .flat_map(|l| [l.src_node, l.dst_node])
            .flatten()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() >= 2 && ids.len() <= 12 {
            write!(w, "  p50 ms   ")?;
            for b in &ids {
                let n: String = node(s, Some(*b)).chars().take(5).collect();
                write!(w, "{:>7}", format!("->{n}"))?;
            }
            writeln!(w)?;
            for a in &ids {
                let n: String = node(s, Some(*a)).chars().take(9).collect();
                write!(w, "  {n:<9}")?;
                for b in &ids {
                    let cell = s
                        .links
                        .iter()
                        .find(|l| {
                            l.link == link && l.src_node == Some(*a) && l.dst_node == Some(*b)
                        })
                        .and_then(|l| l.rtt_us)
                        .map_or_else(
                            || {
                                if a == b {
                                    "-".to_string()
                                } else {
                                    ".".to_string()
                                }
                            },
                            |q| ms3(q.p50),
                        );
                    write!(w, "{cell:>7}")?;
                }
                writeln!(w)?;
            }
        }
    }

    writeln!(w)?;
    let t = &s.totem;
    writeln!(w, "TOTEM")?;
    match t.token_rotation_us {
        Some(q) => writeln!(
            w,
            "  tokens {}, rotation at a node p50 {} / p99 {} / max {} ms (warning {}, token {} ms)",
            t.tokens,
            ms3(q.p50),
            ms3(q.p99),
            ms3(q.max),
            th.token_warning_ms,
            th.token_ms
        )?,
        None => writeln!(w, "  tokens {}, no token rotation measured", t.tokens)?,
    }
    let line = format!(
        "token retransmits {}, rtr max {}, tokens with rtr {}, mcasts {} (re-multicast {}), joins {}, commit tokens {}",
        t.token_retransmits,
        t.rtr_max,
        t.tokens_with_rtr,
        t.mcasts,
        t.mcast_retransmits,
        t.joins,
        t.commit_tokens
    );
    for l in wrap(&line, 96) {
        writeln!(w, "  {l}")?;
    }
    if !t.data_by_link.is_empty() {
        let v: Vec<String> = t
            .data_by_link
            .iter()
            .map(|(l, n)| format!("link {l}: {n}"))
            .collect();
        writeln!(w, "  totem data packets by link: {}", v.join(", "))?;
    }
    writeln!(w)?;
    writeln!(w, "MEMBERSHIP")?;
    if s.membership.is_empty() {
        writeln!(w, "  no ring seen")?;
    }
    for m in &s.membership {
        let list = |v: &[u32]| {
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut line = format!(
            "  {} {:>8}  ring {:<8} members {}",
            fmt_time(m.ts),
            rel(s, m.ts),
            m.ring_id,
            list(&m.members)
        );
        if m.members_inferred {
            line.push_str(" (from tokens)");
        }
        if !m.left.is_empty() {
            line.push_str(&format!("  left {}", list(&m.left)));
        }
        if !m.joined.is_empty() {
            line.push_str(&format!("  joined {}", list(&m.joined)));
        }
        writeln!(w, "{line}")?;
    }
    let o = &s.overflow;
    if o.paths + o.nodes + o.addrs + o.pending_pings + o.findings + o.memberships > 0 {
        writeln!(
            w,
            "\nNOT TRACKED (caps reached): paths {}, nodes {}, addresses {}, pings {}, findings {}, rings {}",
            o.paths, o.nodes, o.addrs, o.pending_pings, o.findings, o.memberships
        )?;
    }
    Ok(())
}

fn write_link_row(s: &Snapshot, l: &LinkView, w: &mut impl Write) -> io::Result<()> {
    let rtt = l.rtt_us.map_or("-".to_string(), |q| {
        format!("{}/{}/{}", ms3(q.p50), ms3(q.p99), ms3(q.max))
    });
    let rtt = if l.measures == Measures::ResponderDelay {
        format!("{rtt}*")
    } else {
        rtt
    };
    let silence = format!(
        "{:.2}/{:.2}",
        l.max_silence_ms / 1000.0,
        f64::from(s.thresholds.ping_timeout_ms) / 1000.0
    );
    writeln!(
        w,
        "  {:<9} {:>21} {:>6.1} {:>6.1} {:>6} {:>6} {:>6} {:>13} {:>5} {:>5}",
        format!("{}->{}", node(s, l.src_node), node(s, l.dst_node))
            .chars()
            .take(9)
            .collect::<String>(),
        rtt,
        l.loss_pct,
        l.ping_loss_pct,
        l.pings_sent,
        l.pongs_received,
        l.pmtu.map_or("-".to_string(), |p| p.to_string()),
        silence,
        l.state.name(),
        l.downs
    )
}
