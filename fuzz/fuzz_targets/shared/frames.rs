//! The input format the `analysis` and `tui` targets share: one mode byte,
//! then records of [flags, time step (2 bytes LE), frame length (2 bytes
//! LE), frame]. Flags: bits 0-2 the link type, bits 3-4 how time moves
//! (µs step, s step, backwards, far end). Mode: bit 0 small limits (every
//! table overflows), bit 1 numbering opaque senders by address, bits 2-7
//! the node count the thresholds are derived from.
//!
//! [`analyse`] decodes every frame, feeds the engine and returns its
//! snapshot, after checking that the snapshot counts every corosync
//! packet once.

use corowire::analysis::{Engine, Limits, Snapshot, Thresholds};
use corowire::capture::{RawFrame, linktype};
use corowire::decode::{Decoder, Outcome};
use corowire::feed::Feed;

const LINKTYPES: [u32; 5] = [
    linktype::ETHERNET,
    linktype::RAW,
    linktype::LINUX_SLL,
    linktype::LINUX_SLL2,
    linktype::IPV4,
];

pub fn analyse(data: &[u8]) -> Option<Snapshot> {
    let (&mode, mut rest) = data.split_first()?;
    let mut th = Thresholds::corosync31_defaults(u32::from(mode >> 2).max(2));
    if mode & 1 == 1 {
        th.limits = Limits {
            max_paths: 3,
            max_nodes: 2,
            max_addrs: 2,
            max_pending_pings: 2,
            max_findings: 3,
            max_memberships: 2,
            max_transitions: 2,
            series_len: 4,
        };
    }
    let mut feed = Feed::new(Engine::new(th), mode & 2 != 0, 5405);
    let mut dec = Decoder::default();
    let mut ts: i64 = 1_700_000_000_000_000_000;
    let (mut n, mut corosync) = (0u64, 0u64);
    while rest.len() >= 5 {
        let flags = rest[0];
        let step = i64::from(u16::from_le_bytes([rest[1], rest[2]]));
        let len = usize::from(u16::from_le_bytes([rest[3], rest[4]])).min(rest.len() - 5);
        let frame = &rest[5..5 + len];
        rest = &rest[5 + len..];
        ts = match (flags >> 3) & 3 {
            0 => ts.saturating_add(step * 1_000),
            1 => ts.saturating_add(step * 1_000_000_000),
            2 => ts.saturating_sub(step * 1_000),
            _ => i64::MAX - step,
        };
        n += 1;
        let f = RawFrame {
            ts,
            linktype: LINKTYPES[usize::from(flags & 7) % LINKTYPES.len()],
            orig_len: frame.len() as u32,
            data: frame,
            packet_no: n,
            offset: 0,
            source: 0,
        };
        let o = dec.decode(&f);
        if matches!(o, Outcome::Corosync(_)) {
            corosync += 1;
        }
        feed.outcome(&o);
    }
    dec.finish();
    assert_eq!(
        dec.stats.frames_accounted(),
        dec.stats.frames,
        "every frame has an outcome"
    );
    assert_eq!(
        dec.stats.held_accounted(),
        dec.stats.held,
        "every held fragment has a fate"
    );
    feed.finish(Some(ts));
    let s = feed.engine.snapshot();
    assert_eq!(s.packets, corosync, "every corosync packet counted once");
    Some(s)
}
