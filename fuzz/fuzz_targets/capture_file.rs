#![no_main]
//! The pcap / pcapng reader over arbitrary bytes: no panic, no unbounded
//! loop, every frame within the bytes given, errors carry offsets inside
//! the input.

use corowire::capture::PacketSource;
use corowire::capture::file::FileSource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;
    let Ok(mut src) =
        FileSource::from_reader("fuzz".into(), Box::new(std::io::Cursor::new(data.to_vec())))
    else {
        return;
    };
    // Every call consumes at least one byte or ends, so this bound is generous.
    for _ in 0..=data.len() {
        match src.advance() {
            Ok(true) => {
                let f = src.frame();
                assert!(f.offset < len);
                assert!(f.data.len() as u64 <= len);
            }
            Ok(false) => return,
            Err(e) => {
                assert!(e.offset <= len);
                if !e.recoverable {
                    return;
                }
            }
        }
    }
    panic!("reader did not finish within {} calls", data.len() + 1);
});
