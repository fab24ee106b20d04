#![no_main]
//! Totem, corosync 3 and 2: parsing and walking every list must accept any
//! bytes without panicking.

use corowire::wire::totem::{self, Body};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for r in [totem::parse(data), totem::parse_v2(data), totem::parse_v3(data)] {
        let Ok(t) = r else { continue };
        let _ = t.ring_id().map(|r| r.to_string());
        match t.body {
            Body::OrfToken(o) => {
                let _ = o
                    .rtr
                    .iter()
                    .fold(0u64, |a, i| a.wrapping_add(u64::from(i.seq)).wrapping_add(i.ring_id.seq));
            }
            Body::Join(j) => {
                let _ = j.proc_list.iter().chain(j.failed_list.iter()).count();
            }
            Body::CommitToken(c) => {
                let _ = c.members.iter().count();
                let _ = c.entries.iter().map(|e| e.aru).max();
            }
            _ => {}
        }
    }
});
