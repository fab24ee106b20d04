#![no_main]
//! The whole per-packet pipeline on one frame: link type from the first
//! byte, the rest as the frame; output formatting included.

use corowire::capture::{RawFrame, linktype};
use corowire::decode::{Decoder, Outcome};
use libfuzzer_sys::fuzz_target;

const LINKTYPES: [u32; 7] = [
    linktype::ETHERNET,
    linktype::RAW,
    linktype::LINUX_SLL,
    linktype::LINUX_SLL2,
    linktype::IPV4,
    linktype::IPV6,
    linktype::NULL,
];

fuzz_target!(|data: &[u8]| {
    let Some((&lt, frame)) = data.split_first() else { return };
    let mut dec = Decoder::default();
    let f = RawFrame {
        ts: 1,
        linktype: LINKTYPES[usize::from(lt) % LINKTYPES.len()],
        orig_len: frame.len() as u32,
        data: frame,
        packet_no: 1,
        offset: 0,
        source: 0,
    };
    if let Outcome::Corosync(p) = dec.decode(&f) {
        let mut line = String::new();
        corowire::output::packet_line(&mut line, &p, false);
        let _ = corowire::output::packet_json(&mut std::io::sink(), &p);
    }
});
