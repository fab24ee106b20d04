#![no_main]
//! The keyless inferrer on arbitrary (time step, direction, length)
//! sequences: no panic, every record released exactly once and in order,
//! confidences within 0..1, counters consistent. The first byte picks a
//! small or the default configuration (small: ring and flow table overflow).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use corowire::infer::{Config, Inferrer, Record};
use libfuzzer_sys::fuzz_target;

fn addr(n: u8) -> IpAddr {
    if n & 0x80 != 0 {
        IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, u16::from(n & 7)))
    } else {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, n & 7))
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let cfg = if mode & 1 == 1 {
        Config {
            capacity: 16,
            max_flows: 3,
            burst_gap_ns: i64::from(mode >> 1) * 10_000,
            learn_hold_ns: i64::from(mode) * 1_000_000,
            ..Config::default()
        }
    } else {
        // The default configuration, with a ring just large enough for the
        // longest input (4096 bytes: 682 records): nothing is forced out
        // early either way, and each run skips a 16,384-slot allocation.
        Config {
            capacity: 1024,
            ..Config::default()
        }
    };
    let mut inf = Inferrer::new(cfg);
    let mut ts: i64 = 0;
    let mut pushed = 0u64;
    let mut released = Vec::new();
    // 6 bytes per record: time step (2, scaled), src/dst (1), length (2),
    // flags (1: pop now, big time jump, backwards step, link-layer
    // direction).
    for c in rest.chunks_exact(6) {
        let step = i64::from(u16::from_le_bytes([c[0], c[1]]));
        let flags = c[5];
        ts = match flags & 0x0c {
            0x04 => ts.saturating_add(step * 1_000_000_000),
            0x08 => ts.saturating_sub(step * 1_000),
            0x0c => i64::MAX - step,
            _ => ts.saturating_add(step * 1_000),
        };
        let len = u32::from(u16::from_le_bytes([c[3], c[4]]));
        let r = Record {
            ts,
            source: 0,
            packet_no: pushed,
            src: addr(c[2] & 0x87),
            dst: addr((c[2] >> 3) & 0x87 | (c[2] & 0x80)),
            sport: 5405,
            dport: 5405 + u16::from(flags >> 7),
            len,
            ip_len: len.saturating_add(if c[2] & 0x80 != 0 { 48 } else { 28 }),
            outgoing: match flags & 0x30 {
                0x10 => Some(true),
                0x20 => Some(false),
                _ => None,
            },
        };
        inf.push(r);
        pushed += 1;
        if flags & 1 == 1 {
            while let Some(x) = inf.pop() {
                released.push(x);
            }
        }
    }
    inf.flush();
    while let Some(x) = inf.pop() {
        released.push(x);
    }
    for (_, i) in &released {
        assert!((0.0..=1.0).contains(&i.confidence), "{i:?}");
    }
    assert!(
        released
            .windows(2)
            .all(|w| w[0].0.packet_no < w[1].0.packet_no)
    );
    assert_eq!(released.len() as u64 + inf.stats.dropped, pushed);
    assert_eq!(inf.stats.kinds.iter().sum::<u64>(), released.len() as u64);
    assert_eq!(inf.pending(), 0);
});
