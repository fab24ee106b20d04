#![no_main]
//! knet onwire v1: the checked view, the classification and the fragment
//! table must accept any bytes without panicking.

use corowire::wire::classify;
use corowire::wire::knet::{self, Knet, defrag};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = classify::framing(data);
    let mut table = defrag::Defrag::new(defrag::Limits { max_messages: 4, max_len: 4096, timeout_ns: 1_000 });
    // Treat the input as a run of knet packets, each prefixed by a length byte.
    let mut rest = data;
    let mut ts = 0i64;
    while let Some((&n, tail)) = rest.split_first() {
        let n = usize::from(n).min(tail.len());
        let (pkt, next) = tail.split_at(n);
        rest = next;
        ts += 100;
        if let Ok(k) = knet::parse(pkt) {
            let _ = (k.node(), k.link(), k.packet_type().name());
            match k {
                Knet::Ping(p) | Knet::Pong(p) => {
                    let _ = p.monotonic_ns();
                }
                Knet::Pmtud(p) | Knet::PmtudReply(p) => {
                    let _ = p.size(Some(n as u32));
                }
                Knet::Data(d) if d.is_fragment() => {
                    let key = defrag::FragKey {
                        src: [10, 0, 0, 1].into(),
                        dst: [10, 0, 0, 2].into(),
                        sport: 5405,
                        dport: 5405,
                        node: d.node,
                        seq: d.seq,
                    };
                    let _ = table.push(ts, key, &d);
                }
                _ => {}
            }
        }
    }
});
