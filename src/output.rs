//! Printers for `corowire decode`: one text line or one JSON object per
//! corosync packet, and the closing summary. They write to any `io::Write`.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

use crate::decode::{DecodeStats, FragState, Packet};
use crate::timefmt::{self, Precision};
use crate::wire::classify::Class;
use crate::wire::knet::Knet;
use crate::wire::totem::{Body, Totem};

/// `HH:MM:SS.ffffff` (UTC) of a timestamp in ns.
pub fn clock(ts: i64) -> String {
    timefmt::clock(ts, Precision::Micro)
}

/// `YYYY-MM-DD HH:MM:SS.ffffff UTC` of a timestamp in ns.
pub fn datetime(ts: i64) -> String {
    format!("{} UTC", timefmt::datetime(ts, Precision::Micro))
}

pub use crate::timefmt::epoch;

fn list(out: &mut String, it: impl Iterator<Item = u32>) {
    out.push('[');
    for (i, n) in it.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{n}");
    }
    out.push(']');
}

/// The totem part of a text line.
pub fn totem_text(out: &mut String, t: &Totem<'_>) {
    let h = &t.header;
    let name = h.mtype.name();
    let to = |out: &mut String| match h.target_nodeid {
        Some(tg) => {
            let _ = write!(out, " {}>{}", h.nodeid, tg);
        }
        None => {
            let _ = write!(out, " from {}", h.nodeid);
        }
    };
    out.push_str(name);
    match &t.body {
        Body::OrfToken(o) => {
            to(out);
            let _ = write!(
                out,
                " ring {} token_seq {} seq {} aru {:x} aru_addr {} backlog {} fcc {} rtr {}",
                o.ring_id,
                o.token_seq,
                o.seq,
                o.aru,
                o.aru_addr,
                o.backlog,
                o.fcc,
                o.rtr.len()
            );
            if !o.rtr.is_empty() {
                out.push(' ');
                list(out, o.rtr.iter().map(|r| r.seq));
            }
        }
        Body::Mcast(m) => {
            let _ = write!(
                out,
                " from {} ring {} seq {} this_seqno {} len {}",
                m.system_from,
                m.ring_id,
                m.seq,
                m.this_seqno,
                m.payload.len()
            );
            if h.encapsulated == 1 {
                out.push_str(" encapsulated");
            }
            if m.system_from != h.nodeid {
                let _ = write!(out, " (header node {})", h.nodeid);
            }
        }
        Body::MergeDetect {
            system_from,
            ring_id,
        } => {
            let _ = write!(out, " from {system_from} ring {ring_id}");
        }
        Body::Join(j) => {
            let _ = write!(
                out,
                " from {} ring_seq {:x} proc ",
                j.system_from, j.ring_seq
            );
            list(out, j.proc_list.iter());
            out.push_str(" failed ");
            list(out, j.failed_list.iter());
        }
        Body::CommitToken(c) => {
            to(out);
            let _ = write!(
                out,
                " ring {} token_seq {} memb_index {} members ",
                c.ring_id, c.token_seq, c.memb_index
            );
            list(out, c.members.iter());
        }
        Body::HoldCancel { ring_id } => {
            to(out);
            let _ = write!(out, " ring {ring_id}");
        }
        Body::RingTest {
            ring_number,
            nodeid_activator,
        } => {
            let _ = write!(out, " ring {ring_number} activator {nodeid_activator}");
        }
        Body::Unknown(b) => {
            let _ = write!(
                out,
                " type {} from {} len {}",
                h.mtype.code(),
                h.nodeid,
                b.len()
            );
        }
    }
}

/// One text line for a packet (without the newline).
pub fn packet_line(out: &mut String, p: &Packet<'_>, epoch_time: bool) {
    out.clear();
    let d = &p.dgram;
    let t = if epoch_time { epoch(p.ts) } else { clock(p.ts) };
    let _ = write!(
        out,
        "{t} {}:{} > {}:{} ",
        fmt_addr(d.src),
        d.sport,
        fmt_addr(d.dst),
        d.dport
    );
    match (&p.knet, p.class) {
        (Some(k), _) => {
            out.push_str(if p.decrypted {
                "knet(decrypted) "
            } else {
                "knet "
            });
            knet_text(out, p, k);
            if let Some(tm) = &p.totem {
                out.push_str(" | ");
                totem_text(out, tm);
            }
        }
        (None, Class::TotemUdp | Class::Corosync2) => {
            out.push_str(p.class.name());
            if let Some(tm) = &p.totem {
                out.push(' ');
                totem_text(out, tm);
            }
        }
        (None, c) => {
            let _ = write!(out, "{} len {}", c.name(), d.payload.len());
        }
    }
    if let Some(e) = &p.error {
        let _ = write!(
            out,
            " [{}: {e}]",
            if p.class == Class::Malformed {
                "malformed"
            } else {
                "note"
            }
        );
    }
}

fn fmt_addr(a: std::net::IpAddr) -> String {
    match a {
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        v4 => v4.to_string(),
    }
}

fn knet_text(out: &mut String, p: &Packet<'_>, k: &Knet<'_>) {
    let _ = write!(out, "{} node {}", k.packet_type().name(), k.node());
    match k {
        Knet::Data(d) => {
            let _ = write!(out, " seq {}{}", d.seq, if d.bcast { " bcast" } else { "" });
            if d.channel != 0 {
                let _ = write!(out, " channel {}", d.channel);
            }
            if d.compress != 0 {
                let _ = write!(out, " compressed({})", d.compress);
            }
            if d.is_fragment() {
                let _ = write!(out, " frag {}/{}", d.frag_seq, d.frag_num);
                match p.frag {
                    FragState::Completed => out.push_str(" reassembled"),
                    FragState::Duplicate => out.push_str(" duplicate"),
                    _ => {}
                }
            }
        }
        Knet::Ping(g) | Knet::Pong(g) => {
            let _ = write!(
                out,
                " link {} seq {}{}",
                g.link,
                g.seq,
                if g.timed { "" } else { " untimed" }
            );
            if let Some((ns, _)) = g.monotonic_ns() {
                let _ = write!(
                    out,
                    " time {}.{:09}",
                    ns / 1_000_000_000,
                    ns % 1_000_000_000
                );
            }
        }
        Knet::Pmtud(m) | Knet::PmtudReply(m) => {
            let _ = write!(
                out,
                " link {} size {}",
                m.link,
                p.pmtud_size().unwrap_or(m.size_le())
            );
        }
        Knet::Other { body, .. } => {
            let _ = write!(
                out,
                " code 0x{:02x} len {}",
                k.packet_type().code(),
                body.len()
            );
        }
    }
}

#[derive(Serialize)]
struct KnetJson {
    #[serde(rename = "type")]
    ty: &'static str,
    code: u8,
    node: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bcast: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frag_num: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frag_seq: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reassembled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_ns: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pmtud_size: Option<u16>,
}

#[derive(Serialize, Default)]
struct TotemJson {
    #[serde(rename = "type")]
    ty: &'static str,
    version: u8,
    nodeid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_nodeid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ring_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_seq: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aru: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rtr_list_entries: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rtr: Option<Vec<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed: Option<Vec<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encapsulated: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    len: Option<usize>,
}

#[derive(Serialize)]
struct PacketJson<'a> {
    ts: f64,
    file: usize,
    n: u64,
    src: String,
    dst: String,
    sport: u16,
    dport: u16,
    len: usize,
    class: &'static str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    decrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    knet: Option<KnetJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    totem: Option<TotemJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inferred: Option<InferredJson>,
    #[serde(skip)]
    _p: std::marker::PhantomData<&'a ()>,
}

/// What an encrypted packet probably is (`crate::infer`).
#[derive(Serialize)]
struct InferredJson {
    #[serde(rename = "type")]
    ty: &'static str,
    confidence: f64,
    /// The packet it answers / that answers it (packet number).
    #[serde(skip_serializing_if = "Option::is_none")]
    partner: Option<u64>,
    /// Capture-point delay to that packet, µs.
    #[serde(skip_serializing_if = "Option::is_none")]
    delay_us: Option<f64>,
}

fn knet_json(p: &Packet<'_>, k: &Knet<'_>) -> KnetJson {
    let mut j = KnetJson {
        ty: k.packet_type().name(),
        code: k.packet_type().code(),
        node: k.node(),
        link: k.link(),
        seq: None,
        bcast: None,
        frag_num: None,
        frag_seq: None,
        reassembled: None,
        timed: None,
        time_ns: None,
        pmtud_size: p.pmtud_size(),
    };
    match k {
        Knet::Data(d) => {
            j.seq = Some(d.seq);
            j.bcast = Some(d.bcast);
            j.frag_num = Some(d.frag_num);
            j.frag_seq = Some(d.frag_seq);
            if d.is_fragment() {
                j.reassembled = Some(p.frag == FragState::Completed);
            }
        }
        Knet::Ping(g) | Knet::Pong(g) => {
            j.seq = Some(g.seq);
            j.timed = Some(g.timed);
            j.time_ns = g.monotonic_ns().map(|(ns, _)| ns.to_string());
        }
        _ => {}
    }
    j
}

fn totem_json(t: &Totem<'_>) -> TotemJson {
    let h = &t.header;
    let mut j = TotemJson {
        ty: h.mtype.name(),
        version: if h.version == crate::wire::totem::Version::V3 {
            3
        } else {
            2
        },
        nodeid: h.nodeid,
        target_nodeid: h.target_nodeid,
        ring_id: t.ring_id().map(|r| r.to_string()),
        ..TotemJson::default()
    };
    match &t.body {
        Body::OrfToken(o) => {
            j.token_seq = Some(o.token_seq);
            j.seq = Some(o.seq);
            j.aru = Some(o.aru);
            j.rtr_list_entries = Some(o.rtr.len());
            if !o.rtr.is_empty() {
                j.rtr = Some(o.rtr.iter().map(|r| r.seq).collect());
            }
        }
        Body::Mcast(m) => {
            j.seq = Some(m.seq);
            j.encapsulated = Some(h.encapsulated == 1);
            j.len = Some(m.payload.len());
        }
        Body::Join(jn) => {
            j.members = Some(jn.proc_list.iter().collect());
            j.failed = Some(jn.failed_list.iter().collect());
        }
        Body::CommitToken(c) => {
            j.token_seq = Some(c.token_seq);
            j.members = Some(c.members.iter().collect());
        }
        _ => {}
    }
    j
}

/// One JSON object for a packet, followed by a newline.
pub fn packet_json(w: &mut impl Write, p: &Packet<'_>) -> io::Result<()> {
    let d = &p.dgram;
    let j = PacketJson {
        ts: p.ts as f64 / 1e9,
        file: p.source,
        n: p.packet_no,
        src: d.src.to_string(),
        dst: d.dst.to_string(),
        sport: d.sport,
        dport: d.dport,
        len: d.payload_len,
        class: p.class.name(),
        decrypted: p.decrypted,
        knet: p.knet.as_ref().map(|k| knet_json(p, k)),
        totem: p.totem.as_ref().map(totem_json),
        error: p.error.map(|e| e.to_string()),
        inferred: None,
        _p: std::marker::PhantomData,
    };
    serde_json::to_writer(&mut *w, &j)?;
    w.write_all(b"\n")
}

/// One JSON object for an encrypted packet with its inference (the same
/// keys as [`packet_json`] plus `inferred`), followed by a newline.
pub fn inferred_json(
    w: &mut impl Write,
    r: &crate::infer::Record,
    inf: &crate::infer::Inference,
) -> io::Result<()> {
    let j = PacketJson {
        ts: r.ts as f64 / 1e9,
        file: r.source,
        n: r.packet_no,
        src: r.src.to_string(),
        dst: r.dst.to_string(),
        sport: r.sport,
        dport: r.dport,
        len: r.len as usize,
        class: Class::Encrypted.name(),
        decrypted: false,
        knet: None,
        totem: None,
        error: None,
        inferred: Some(InferredJson {
            ty: inf.kind.name(),
            confidence: (f64::from(inf.confidence) * 100.0).round() / 100.0,
            partner: inf.partner.map(|(_, n)| n),
            delay_us: inf.delay_ns.map(|d| d as f64 / 1e3),
        }),
        _p: std::marker::PhantomData,
    };
    serde_json::to_writer(&mut *w, &j)?;
    w.write_all(b"\n")
}

/// One text line for an encrypted packet with its inference, e.g.
/// `… encrypted len 80 ~ping(0.97)` (without the newline).
pub fn inferred_line(
    out: &mut String,
    r: &crate::infer::Record,
    inf: &crate::infer::Inference,
    epoch_time: bool,
) {
    out.clear();
    let t = if epoch_time { epoch(r.ts) } else { clock(r.ts) };
    let _ = write!(
        out,
        "{t} {}:{} > {}:{} encrypted len {} ~{}({:.2})",
        fmt_addr(r.src),
        r.sport,
        fmt_addr(r.dst),
        r.dport,
        r.len,
        inf.kind.name(),
        inf.confidence
    );
    if let Some(d) = inf.delay_ns
        && matches!(
            inf.kind,
            crate::infer::Kind::Pong | crate::infer::Kind::PmtudReply
        )
    {
        let _ = write!(out, " after {:.3} ms", d as f64 / 1e6);
    }
}

/// Counters of the capture side, for the summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InputSummary {
    pub files: Vec<String>,
    pub frames: u64,
    pub bytes: u64,
    pub skipped_records: u64,
    /// Bytes of the inputs not read as frames (corrupt records, resyncs).
    pub skipped_bytes: u64,
    pub capture_errors: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
}

/// The closing summary as text.
pub fn summary_text(w: &mut impl Write, input: &InputSummary, s: &DecodeStats) -> io::Result<()> {
    writeln!(
        w,
        "summary: {} frames read from {}",
        input.frames,
        input.files.join(", ")
    )?;
    if let (Some(a), Some(b)) = (input.first_ts, input.last_ts) {
        writeln!(
            w,
            "  time: {} .. {} ({:.3} s)",
            datetime(a),
            datetime(b),
            (b - a) as f64 / 1e9
        )?;
    }
    writeln!(w, "  corosync packets: {}", s.corosync_packets())?;
    for c in Class::ALL {
        writeln!(w, "    {:<10} {}", c.name(), s.class_count(c))?;
    }
    if s.decrypted > 0 {
        writeln!(w, "    (decrypted {})", s.decrypted)?;
    }
    let knet_total: u64 = s.knet.iter().sum();
    if knet_total > 0 {
        write!(w, "  knet packets:")?;
        for (n, c) in DecodeStats::KNET_NAMES.iter().zip(s.knet) {
            if c > 0 {
                write!(w, " {n} {c}")?;
            }
        }
        writeln!(w)?;
    }
    if s.inferred.iter().sum::<u64>() > 0 {
        write!(w, "  inferred (encrypted, no key):")?;
        for (k, c) in crate::infer::Kind::ALL.iter().zip(s.inferred) {
            if c > 0 {
                write!(w, " {} {c}", k.name())?;
            }
        }
        writeln!(w)?;
    }
    if s.totem.iter().sum::<u64>() > 0 {
        write!(w, "  totem messages:")?;
        for (i, c) in s.totem.iter().enumerate() {
            if *c > 0 {
                write!(w, " {} {c}", crate::decode::totem_counter_name(i))?;
            }
        }
        writeln!(w)?;
    }
    writeln!(w, "  non-corosync frames skipped: {}", s.not_corosync)?;
    if s.undecodable > 0 || s.snaplen_cut > 0 || s.too_big > 0 {
        writeln!(
            w,
            "  undecodable frames: {}, cut by snaplen: {}, ICMP too-big: {}",
            s.undecodable, s.snaplen_cut, s.too_big
        )?;
    }
    if input.skipped_records > 0 || input.capture_errors > 0 {
        writeln!(
            w,
            "  capture records skipped: {} ({} bytes not read), capture errors: {}",
            input.skipped_records, input.skipped_bytes, input.capture_errors
        )?;
    }
    for l in s.accounting_lines() {
        writeln!(w, "  {l}")?;
    }
    if !s.reasons.is_empty() {
        writeln!(w, "  malformed / undecodable reasons:")?;
        for (r, c) in &s.reasons {
            writeln!(w, "    {c:>8}  {r}")?;
        }
    }
    Ok(())
}

/// The closing summary as one JSON object.
pub fn summary_json(w: &mut impl Write, input: &InputSummary, s: &DecodeStats) -> io::Result<()> {
    let classes: serde_json::Map<String, serde_json::Value> = Class::ALL
        .iter()
        .map(|c| (c.name().to_string(), s.class_count(*c).into()))
        .collect();
    let knet: serde_json::Map<String, serde_json::Value> = DecodeStats::KNET_NAMES
        .iter()
        .zip(s.knet)
        .map(|(n, c)| (n.to_string(), c.into()))
        .collect();
    let totem: serde_json::Map<String, serde_json::Value> = s
        .totem
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                crate::decode::totem_counter_name(i).to_string(),
                (*c).into(),
            )
        })
        .collect();
    let inferred: serde_json::Map<String, serde_json::Value> = crate::infer::Kind::ALL
        .iter()
        .zip(s.inferred)
        .map(|(k, c)| (k.name().to_string(), c.into()))
        .collect();
    let v = serde_json::json!({
        "summary": {
            "input": input,
            "corosync_packets": s.corosync_packets(),
            "classes": classes,
            "decrypted": s.decrypted,
            "knet": knet,
            "inferred": inferred,
            "totem": totem,
            "not_corosync": s.not_corosync,
            "undecodable": s.undecodable,
            "snaplen_cut": s.snaplen_cut,
            "icmp_too_big": s.too_big,
            "reasons": s.reasons,
            "accounting": s.accounting_json(),
        }
    });
    serde_json::to_writer(&mut *w, &v)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let ts = 1_700_000_000_123_456_789;
        assert_eq!(clock(ts), "22:13:20.123456");
        assert_eq!(datetime(ts), "2023-11-14 22:13:20.123456 UTC");
    }
}
