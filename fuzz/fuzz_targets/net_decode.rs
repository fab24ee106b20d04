#![no_main]
//! `NetDecoder::decode` over arbitrary frames. The first byte picks the link
//! type; the rest is a run of frames, each prefixed by a length byte, so the
//! fragment table sees sequences (small limits make eviction and timeouts
//! happen).

use corowire::capture::linktype;
use corowire::wire::net::{DefragLimits, NetDecoder, NetPacket};
use libfuzzer_sys::fuzz_target;

const LINKTYPES: [u32; 9] = [
    linktype::ETHERNET,
    linktype::LINUX_SLL,
    linktype::LINUX_SLL2,
    linktype::RAW,
    linktype::IPV4,
    linktype::IPV6,
    linktype::NULL,
    linktype::RAW_ALT12,
    108,
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, mut rest)) = data.split_first() else {
        return;
    };
    let lt = LINKTYPES[usize::from(sel) % LINKTYPES.len()];
    let mut d = NetDecoder::new(DefragLimits {
        max_datagrams: 4,
        max_datagram_len: 2048,
        timeout_ns: 1_000,
    });
    let mut ts = 0i64;
    // A single frame when the second byte is zero, to reach long frames too.
    if rest.first() == Some(&0) {
        let _ = d.decode(ts, lt, &rest[1..]);
        return;
    }
    while let Some((&n, tail)) = rest.split_first() {
        let n = usize::from(n).min(tail.len());
        let (frame, next) = tail.split_at(n);
        rest = next;
        ts += 300;
        match d.decode(ts, lt, frame) {
            Ok(NetPacket::Udp(g)) => {
                assert!(g.payload.len() <= g.payload_len);
                if !g.reassembled {
                    assert!(g.payload_offset + g.payload.len() <= frame.len());
                }
            }
            Ok(_) => {}
            Err(e) => assert!(e.offset <= frame.len().max(2048)),
        }
        assert!(d.fragments_pending() <= 4);
    }
});
