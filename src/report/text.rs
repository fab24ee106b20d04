//! The text report: verdict first, then findings in time order, the
//! per-link tables, totem and the membership timeline. Fits 100 columns.

use std::io::{self, Write};

use super::{fmt_datetime, fmt_time};
use crate::analysis::multi::MultiView;
use crate::analysis::{Coverage, Severity};
use crate::analysis::{LinkView, Measures, RingState, Snapshot};

/// A node as the report shows it: its configured name, else its id.
/// A node as findings name it: its configured name shortened in the middle
/// (never cut at the end, where names differ: `db-prod-a` / `db-prod-b`),
/// else its id.
fn node(s: &Snapshot, n: Option<u16>) -> String {
    match n {
        Some(id) => s
            .node_name(id)
            .map_or_else(|| id.to_string(), |name| shorten(name, 16)),
        None => "?".to_string(),
    }
}

/// A node on its own: its name, else `node N`.
fn node_label(s: &Snapshot, n: Option<u16>) -> String {
    match n.and_then(|id| s.node_name(id)) {
        Some(_) => node(s, n),
        None => format!("node {}", node(s, n)),
    }
}

/// A node in the tables: its id (the NODES legend gives names and addresses).
fn node_id(n: Option<u16>) -> String {
    n.map_or_else(|| "?".to_string(), |id| id.to_string())
}

/// `name` in at most `max` characters, shortened in the middle with `…`.
fn shorten(name: &str, max: usize) -> String {
    let n = name.chars().count();
    if n <= max || max < 3 {
        return name.to_string();
    }
    let tail = (max - 1) / 2;
    let head = max - 1 - tail;
    let mut out: String = name.chars().take(head).collect();
    out.push('…');
    out.extend(name.chars().skip(n - tail));
    out
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
    write_text_multi(s, None, w)
}

/// Writes the text report; `m` adds the sections of several captures
/// (captures and clocks, one way between the capture points).
pub fn write_text_multi(s: &Snapshot, m: Option<&MultiView>, w: &mut impl Write) -> io::Result<()> {
    write_text_with(s, m, &super::Extras::default(), w)
}

/// The text report; the extras' coverage lets the verdict say what could
/// not be seen, `min_severity` and `brief` leave out the rest.
pub fn write_text_with(
    s: &Snapshot,
    m: Option<&MultiView>,
    x: &super::Extras,
    w: &mut impl Write,
) -> io::Result<()> {
    write_head(s, x.coverage.as_ref(), w)?;
    write_incidents(s, w)?;
    write_nodes(s, w)?;
    let min = x.min_severity.unwrap_or(Severity::Info);
    if x.brief {
        return write_findings(s, min.max(Severity::Warning), w);
    }
    if let Some(m) = m {
        write_clocks(s, m, w)?;
    }
    write_findings(s, min, w)?;
    write_links(s, w)?;
    if let Some(m) = m {
        write_one_way(s, m, w)?;
    }
    write_totem(s, w)?;
    write_membership(s, w)?;
    write_what_if(s, w)?;
    write_overflow(s, w)
}

/// `corowire tune`: the head (verdict, budgets, what the wire says of
/// them), the incidents and the what-if budgets.
pub fn write_tune(s: &Snapshot, cov: Option<&Coverage>, w: &mut impl Write) -> io::Result<()> {
    write_head(s, cov, w)?;
    write_incidents(s, w)?;
    write_what_if(s, w)
}

/// `percent` of `of`, for people: "81 %".
fn pct_of(v: f64, of: u32) -> String {
    if of == 0 {
        "-".to_string()
    } else {
        format!("{:.0} %", v * 100.0 / f64::from(of))
    }
}

/// The what-if budgets: what would have ridden each incident out, the
/// headroom and the lowest budgets with a margin (also `corowire tune`).
pub fn write_what_if(s: &Snapshot, w: &mut impl Write) -> io::Result<()> {
    let incs = crate::analysis::incidents(s);
    let wi = crate::analysis::what_if(s, &incs);
    let th = &s.thresholds;
    let h = &wi.headroom;
    if wi.incidents.is_empty() && h.token_gap_ms.is_none() && h.silence_ms.is_none() {
        return Ok(());
    }
    writeln!(w)?;
    writeln!(
        w,
        "WHAT IF  (token is the effective token; consensus and knet's ping values follow it)"
    )?;
    let mut lines: Vec<String> = Vec::new();
    for i in &wi.incidents {
        let Some(inc) = incs.get(i.incident) else {
            continue;
        };
        let mut parts: Vec<String> = Vec::new();
        if let Some(t) = i.min_token_ms {
            let mut seen: Vec<String> = Vec::new();
            if let Some(g) = i.token_gap_ms {
                seen.push(format!("token gap {g:.0} ms"));
            }
            if let Some(st) = i.stall_ms {
                seen.push(format!("stall {st:.0} ms"));
            }
            parts.push(format!(
                "token > {t} ms ({}; in force {} ms), consensus {} ms",
                seen.join(", "),
                th.token_ms,
                i.min_consensus_ms.unwrap_or(0)
            ));
        }
        if let (Some(p), Some(sl)) = (i.min_ping_timeout_ms, i.silence_ms) {
            parts.push(format!(
                "knet ping timeout > {p} ms (no pong for {sl:.0} ms; in force {} ms)",
                th.ping_timeout_ms
            ));
        }
        if parts.is_empty() {
            parts.push("no token gap, stall or silence to ride out".to_string());
        }
        lines.push(format!(
            "incident {} ({}): rides out with {}",
            i.incident + 1,
            inc.cause.describe(),
            parts.join(", ")
        ));
    }
    let mut head: Vec<String> = Vec::new();
    if let Some(g) = h.token_gap_ms {
        head.push(format!(
            "worst token gap {g:.0} ms ({} of the {} ms token)",
            pct_of(g, th.token_ms),
            th.token_ms
        ));
    }
    if let Some(sl) = h.silence_ms {
        head.push(format!(
            "worst silence without a pong {sl:.0} ms ({} of the {} ms ping timeout)",
            pct_of(sl, th.ping_timeout_ms),
            th.ping_timeout_ms
        ));
    }
    if let (Some(p99), Some(max)) = (h.rtt_p99_ms, h.rtt_max_ms) {
        head.push(format!(
            "RTT p99 {p99:.1} ms, max {max:.1} ms ({} of it)",
            pct_of(max, th.ping_timeout_ms)
        ));
    }
    lines.push(format!("headroom: {}", head.join(", ")));
    lines.push(match (h.lowest_token_ms, h.lowest_ping_timeout_ms) {
        (Some(t), Some(p)) => format!(
            "lowest with a {:.0}x margin over what was seen: token {t} ms, consensus {} ms, \
             ping timeout {p} ms (pings every {} ms){}",
            crate::analysis::WHAT_IF_MARGIN,
            h.lowest_consensus_ms.unwrap_or(0),
            h.lowest_ping_spacing_ms.unwrap_or(0),
            if wi.incidents.is_empty() {
                ""
            } else {
                "; the incidents above say what that would not ride out"
            }
        ),
        _ => format!(
            "no token below the {} ms in force keeps a {:.0}x margin over what was seen",
            th.token_ms,
            crate::analysis::WHAT_IF_MARGIN
        ),
    });
    for l in lines {
        for (i, part) in wrap(&l, 96).iter().enumerate() {
            writeln!(w, "  {}{part}", if i > 0 { "  " } else { "" })?;
        }
    }
    Ok(())
}

/// The verdict, the capture's span and the budgets.
fn write_head(s: &Snapshot, cov: Option<&Coverage>, w: &mut impl Write) -> io::Result<()> {
    let v = super::judge(s, cov);
    let head = format!("VERDICT: {}: {}", v.severity.to_uppercase(), v.summary);
    for l in wrap(&head, 100) {
        writeln!(w, "{l}")?;
    }
    for n in v.blind_spots {
        for (i, l) in wrap(&format!("not judged: {n}"), 98).iter().enumerate() {
            writeln!(w, "{}{l}", if i > 0 { "  " } else { "" })?;
        }
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
    let src = th.sources();
    let n = |s| th.source_name(s);
    let budgets = format!(
        "budgets ({} nodes; {}): token {} ms ({}; warning {}), consensus {} ms ({}), pings every {} ms \
         (interval {}, {}), ping timeout {} ms ({}), pong_count {} ({})",
        th.nodes,
        th.origin,
        th.token_ms,
        n(src.token),
        th.token_warning_ms,
        th.consensus_ms,
        n(src.consensus),
        th.ping_spacing_ms,
        th.ping_interval_ms,
        n(src.ping_interval),
        th.ping_timeout_ms,
        n(src.ping_timeout),
        th.pong_count,
        n(src.pong_count),
    );
    for (i, l) in wrap(&budgets, 98).iter().enumerate() {
        writeln!(w, "{}{l}", if i > 0 { "  " } else { "" })?;
    }
    if let Some(note) = wire_note(s) {
        for l in wrap(&note, 96) {
            writeln!(w, "  {l}")?;
        }
    }
    Ok(())
}

/// What the wire says of the budgets, when it contradicts them.
fn wire_note(s: &Snapshot) -> Option<String> {
    let v = &s.wire;
    if v.contradictions.is_empty() {
        return None;
    }
    let th = &s.thresholds;
    let checked = match &th.config_file {
        Some(c) => c.clone(),
        None => format!(
            "the budgets assumed (token {} ms, pings every {} ms)",
            v.checked_token_ms, v.checked_spacing_ms
        ),
    };
    let mut note = format!(
        "the wire contradicts {checked}: {}",
        v.contradictions.join("; ")
    );
    if v.used.is_empty() {
        note.push_str(if th.config_file.is_some() {
            "; is this the cluster's corosync.conf?"
        } else {
            "; give --corosync-conf"
        });
    } else {
        note.push_str(&format!(
            "; judged with the wire's {}; give --corosync-conf for the cluster's own",
            v.used.join(", ")
        ));
    }
    Some(note)
}

/// The incident timeline, one line each (and what corosync did).
fn write_incidents(s: &Snapshot, w: &mut impl Write) -> io::Result<()> {
    let incs = crate::analysis::incidents(s);
    if incs.is_empty() {
        return Ok(());
    }
    writeln!(w)?;
    writeln!(w, "INCIDENTS ({})", incs.len())?;
    for (n, i) in incs.iter().enumerate() {
        let end = i.end.map_or_else(
            || "ongoing".to_string(),
            |e| format!("{:.1}s", (e - i.start) as f64 / 1e9),
        );
        let nodes: Vec<String> = i.nodes.iter().map(|&id| node(s, Some(id))).collect();
        let line = format!(
            "{:>2} {} {:>8} {:<8} {:<7} {} (nodes {}; {} findings)",
            n + 1,
            fmt_time(i.start),
            rel(s, i.start),
            i.severity.name().to_uppercase(),
            end,
            i.cause.describe(),
            nodes.join(" "),
            i.findings.len()
        );
        for (k, l) in wrap(&line, 96).iter().enumerate() {
            writeln!(w, "{}{l}", if k == 0 { "  " } else { "       " })?;
        }
        if !i.corosync.is_empty() {
            for l in wrap(&format!("corosync: {}", i.corosync.join("; ")), 90) {
                writeln!(w, "       {l}")?;
            }
        }
    }
    Ok(())
}

/// The legend the tables refer to: each node's id, name and addresses.
fn write_nodes(s: &Snapshot, w: &mut impl Write) -> io::Result<()> {
    if s.nodes.is_empty() {
        return Ok(());
    }
    writeln!(w)?;
    writeln!(w, "NODES")?;
    for n in &s.nodes {
        let addrs: Vec<String> = n.addrs.iter().map(|a| a.to_string()).collect();
        let addrs = if addrs.is_empty() {
            "-".to_string()
        } else {
            addrs.join(" ")
        };
        writeln!(
            w,
            "  {:>5}  {:<24} {addrs}  ({} packets, longest pause {:.0} ms)",
            n.id,
            s.node_name(n.id).unwrap_or("-"),
            n.packets,
            n.max_gap_ms
        )?;
    }
    Ok(())
}

/// The findings of at least `min` severity (all of them from `Info`).
fn write_findings(s: &Snapshot, min: Severity, w: &mut impl Write) -> io::Result<()> {
    writeln!(w)?;
    let shown: Vec<_> = s.findings.iter().filter(|f| f.severity >= min).collect();
    if min > Severity::Info {
        writeln!(
            w,
            "FINDINGS ({} of {}, {} and above)",
            shown.len(),
            s.findings.len(),
            min.name()
        )?;
    } else {
        writeln!(w, "FINDINGS ({})", s.findings.len())?;
    }
    if shown.is_empty() {
        writeln!(w, "  none")?;
    }
    for f in shown {
        let place = match (f.src_node, f.dst_node, f.link) {
            (Some(_), Some(_), Some(l)) => {
                format!("{}->{} link {l}", node(s, f.src_node), node(s, f.dst_node))
            }
            (None, Some(_), None) => format!("at {}", node_label(s, f.dst_node)),
            (Some(_), None, _) => node_label(s, f.src_node),
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
    Ok(())
}

/// One table per knet link, each with its node × node p50 RTT matrix.
fn write_links(s: &Snapshot, w: &mut impl Write) -> io::Result<()> {
    let mut links: Vec<u8> = s.links.iter().map(|l| l.link).collect();
    links.sort_unstable();
    links.dedup();
    for link in links {
        writeln!(w)?;
        writeln!(
            w,
            "LINK {link}  (row = pinger/sender by node id, RTT at the capture point in ms)"
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
        write_rtt_matrix(s, link, w)?;
    }
    Ok(())
}

/// The node × node matrix of p50 RTT of one link (2 to 12 nodes).
fn write_rtt_matrix(s: &Snapshot, link: u8, w: &mut impl Write) -> io::Result<()> {
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
            write!(w, "{:>7}", format!("->{b}"))?;
        }
        writeln!(w)?;
        for a in &ids {
            write!(w, "  {a:<9}")?;
            for b in &ids {
                let cell = s
                    .links
                    .iter()
                    .find(|l| l.link == link && l.src_node == Some(*a) && l.dst_node == Some(*b))
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
    Ok(())
}

fn write_totem(s: &Snapshot, w: &mut impl Write) -> io::Result<()> {
    let th = &s.thresholds;
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
    Ok(())
}

fn write_membership(s: &Snapshot, w: &mut impl Write) -> io::Result<()> {
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
        if let Some(by) = &m.named_by {
            line.push_str(&format!("  (earlier; named by {by})"));
        }
        writeln!(w, "{line}")?;
        // What became of it, on a line of its own.
        let pad = " ".repeat(36);
        match m.state {
            RingState::Attempt => writeln!(w, "{pad}attempt: never became operational")?,
            RingState::Forming => writeln!(w, "{pad}forming: not operational yet")?,
            RingState::Operational => {
                if let Some(gap) = m.notable_no_ring_ns() {
                    writeln!(
                        w,
                        "{pad}operational after {:.1} s with no working ring, {} failed attempt{}",
                        gap as f64 / 1e9,
                        m.attempts,
                        if m.attempts == 1 { "" } else { "s" }
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// What was not tracked because a cap was reached.
fn write_overflow(s: &Snapshot, w: &mut impl Write) -> io::Result<()> {
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
        format!("{}->{}", node_id(l.src_node), node_id(l.dst_node)),
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

fn signed_ms(ns: i64) -> String {
    format!("{:+.3}", ns as f64 / 1e6)
}

/// CAPTURES AND CLOCKS: each file, where it was taken, its offset.
fn write_clocks(s: &Snapshot, m: &MultiView, w: &mut impl Write) -> io::Result<()> {
    let c = &m.clocks;
    writeln!(w)?;
    writeln!(
        w,
        "CAPTURES AND CLOCKS  (offset = this capture's clock minus capture {}'s, ms)",
        c.reference + 1
    )?;
    for (i, cc) in c.captures.iter().enumerate() {
        let file = m.files.get(i).map_or("?", String::as_str);
        let vantage = match cc.vantage {
            Some(v) => format!("on {}", node_label(s, Some(v))),
            None => "no single node (bridge/SPAN?)".to_string(),
        };
        let off = match (cc.offset_ns, cc.uncertainty_ns) {
            _ if i == c.reference => "reference".to_string(),
            (Some(o), Some(u)) => format!("{} ± {:.3}", signed_ms(o), u as f64 / 1e6),
            _ => "unknown (no ping/pong seen in this and a linked capture)".to_string(),
        };
        let shift = m.shifts_ns.get(i).copied().unwrap_or(0);
        let shift = if shift != 0 {
            format!(", after --time-shift {:+.6} s", shift as f64 / 1e9)
        } else {
            String::new()
        };
        writeln!(w, "  [{}] {file}", i + 1)?;
        let line = format!(
            "{vantage}, {} packets, offset {off}, {} exchanges{shift}",
            cc.packets, cc.samples
        );
        for l in wrap(&line, 92) {
            writeln!(w, "      {l}")?;
        }
    }
    let method = format!(
        "method: {} — a knet ping and its pong seen in two captures are an NTP exchange; \
         per pair the lowest-delay decile (at least 5) gives the offset, and the bound is where \
         causality puts the truth (half the time the exchange spent between the two capture \
         points). A path slower one way biases the offset by half the asymmetry, which no \
         capture can tell from a clock offset. Offsets: weighted least squares over all pairs; \
         the bound comes from the best chain of pairs. Drift is not modelled (one offset \
         per file); the last column is the later half's offset minus the earlier half's, \
         marked ! when beyond both bounds.{}",
        crate::analysis::multi::METHOD,
        if c.pairs.iter().any(|p| p.from_packets) {
            " Pairs marked * had no readable pings (encrypted, no key): there each exchange \
             is an encrypted packet seen in both captures and the nearest packet between the \
             same two hosts going the other way, matched by their bytes."
        } else {
            ""
        }
    );
    for l in wrap(&method, 96) {
        writeln!(w, "  {l}")?;
    }
    write_clock_pairs(c, w)?;
    let feed = if m.bridge_only {
        "links, findings and membership below come from the captures on no single node only \
         (a packet is counted once)"
    } else {
        "links below: each ping/pong from the pinger's capture, other packets from the sender's"
    };
    for l in wrap(feed, 96) {
        writeln!(w, "  {l}")?;
    }
    if c.sightings_overflow > 0 || m.overflow_pending > 0 || m.overflow_paths > 0 {
        writeln!(
            w,
            "  not tracked (caps reached): ping/pong sightings {}, one-way pending {}, paths {}",
            c.sightings_overflow, m.overflow_pending, m.overflow_paths
        )?;
    }
    Ok(())
}

/// The offset of every pair of captures that exchanged packets.
fn write_clock_pairs(
    c: &crate::analysis::multi::ClockEstimate,
    w: &mut impl Write,
) -> io::Result<()> {
    if c.pairs.is_empty() {
        return Ok(());
    }
    writeln!(
        w,
        "  {:<7} {:>8} {:>20} {:>14} {:>17} {:>19}",
        "pair", "samples", "offset±bound ms", "all median ms", "between min/p50", "2nd-1st half ms"
    )?;
    for p in &c.pairs {
        let drift = p.drift.map_or("-".to_string(), |d| {
            format!(
                "{}{}",
                signed_ms(d.change_ns),
                if d.significant() {
                    format!(" ({:+.0} ppm)!", d.ppm())
                } else {
                    String::new()
                }
            )
        });
        writeln!(
            w,
            "  {:<7} {:>8} {:>20} {:>14} {:>17} {:>19}",
            format!(
                "{}-{}{}",
                p.a + 1,
                p.b + 1,
                if p.from_packets { "*" } else { "" }
            ),
            p.samples,
            format!(
                "{}±{:.3}",
                signed_ms(p.theta_ns),
                p.uncertainty_ns as f64 / 1e6
            ),
            signed_ms(p.theta_all_median_ns),
            format!(
                "{:.3}/{:.3}",
                p.delay_min_ns as f64 / 1e6,
                p.delay_p50_ns as f64 / 1e6
            ),
            drift
        )?;
    }
    if c.pairs
        .iter()
        .any(|p| p.drift.is_some_and(|d| d.significant()))
    {
        for l in wrap(
            "! the offset moved between the halves of the capture by more than both bounds: \
             a clock drifts, or a path's asymmetry changed; one offset per file is then only \
             an average, and one-way delays are off by up to that change.",
            96,
        ) {
            writeln!(w, "  {l}")?;
        }
    }

    Ok(())
}

/// ONE WAY: delay and loss between the sender's and the receiver's capture.
fn write_one_way(s: &Snapshot, m: &MultiView, w: &mut impl Write) -> io::Result<()> {
    writeln!(w)?;
    writeln!(
        w,
        "ONE WAY  (sender's capture -> receiver's capture, offsets applied; delay in ms)"
    )?;
    if m.one_way.is_empty() {
        writeln!(w, "  no path with a capture at both ends")?;
        return Ok(());
    }
    writeln!(
        w,
        "  {:<9} {:>5} {:>21} {:>8} {:>9} {:>7} {:>11}",
        "src->dst", "link", "delay p50/p99/max", "matched", "lost", "loss%", "not seen tx"
    )?;
    for o in &m.one_way {
        let l = s
            .links
            .iter()
            .find(|l| l.src_addr == o.src_addr && l.dst_addr == o.dst_addr);
        let name = match l {
            Some(l) => format!("{}->{}", node(s, l.src_node), node(s, l.dst_node)),
            None => format!("{}->{}", o.src_addr, o.dst_addr),
        };
        let delay = match (o.delay_p50_us, o.delay_p99_us, o.delay_max_us) {
            (Some(a), Some(b), Some(c)) => format!("{}/{}/{}", ms3(a), ms3(b), ms3(c)),
            _ => "-".to_string(),
        };
        writeln!(
            w,
            "  {:<9} {:>5} {:>21} {:>8} {:>9} {:>7.1} {:>11}",
            name.chars().take(9).collect::<String>(),
            l.map_or("?".to_string(), |l| l.link.to_string()),
            delay,
            o.matched,
            o.left_not_arrived,
            o.loss_pct,
            o.arrived_not_seen_leaving
        )?;
        if o.negative > 0 {
            writeln!(
                w,
                "      {} packets arrived before they left (by up to {:.3} ms): the offset is off by that much",
                o.negative,
                -(o.delay_min_ns.unwrap_or(0) as f64) / 1e6
            )?;
        }
    }
    for l in wrap(
        "lost = left the sender's capture, never in the receiver's (while it ran); \
         not seen tx = in the receiver's capture only (dropped by the sender's capture).",
        96,
    ) {
        writeln!(w, "  {l}")?;
    }
    Ok(())
}

#[cfg(test)]
mod name_tests {
    use super::shorten;

    #[test]
    fn names_are_shortened_in_the_middle() {
        assert_eq!(shorten("node1", 16), "node1");
        assert_eq!(shorten("db-prod-cluster-a", 12), "db-pro…ter-a");
        assert_eq!(shorten("db-prod-cluster-b", 12), "db-pro…ter-b");
        assert_eq!(shorten("db-prod-cluster-a", 12).chars().count(), 12);
    }
}
