#![no_main]
//! The corosync.conf parser and typed view over arbitrary text: no panic,
//! errors name a line inside the input, and budgets derived from whatever
//! parsed stay computable.

use corowire::config::{Budgets, ConfTree, CorosyncVersion, parse_corosync_conf};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count();
    match ConfTree::parse(text) {
        Ok(_) => {}
        Err(e) => {
            let l = e.line.unwrap_or(0);
            assert!(l >= 1 && l <= lines.max(1), "line {l} of {lines}");
            let _ = e.to_string();
        }
    }
    if let Ok((_, cfg)) = parse_corosync_conf(text) {
        let _ = cfg.crypto_suite();
        for v in [
            CorosyncVersion::V2,
            CorosyncVersion::V3_0,
            CorosyncVersion::V3_1,
        ] {
            let b = Budgets::from_config(v, &cfg, 3);
            let _ = b.membership_loss_ms();
            let _ = b.knet_link(1);
        }
        for link in 0..8 {
            let _ = cfg.link_port(link);
        }
    }
});
