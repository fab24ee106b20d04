#![no_main]
//! The pcap / pcapng reader over arbitrary bytes: no panic, no unbounded
//! loop, frames, error offsets and skipped byte ranges within the input
//! (ranges never overlapping a delivered frame's record start, and adding
//! up to the skipped-bytes count), and the same frames and errors whether
//! the input is read with the normal buffer or with a tiny one that makes
//! records straddle refills.

use corowire::capture::file::FileSource;
use corowire::capture::{CaptureError, PacketSource};
use libfuzzer_sys::fuzz_target;

type Frame = (i64, u32, u32, Vec<u8>, u64, u64);

fn read(src: Result<FileSource, CaptureError>, len: usize) -> (Vec<Frame>, Vec<CaptureError>) {
    let (mut frames, mut errors) = (Vec::new(), Vec::new());
    let mut src = match src {
        Ok(s) => s,
        Err(e) => {
            assert!(e.offset <= len as u64);
            errors.push(e);
            return (frames, errors);
        }
    };
    // Every call consumes at least one byte or ends, so this bound is generous.
    for _ in 0..=len {
        match src.advance() {
            Ok(true) => {
                let f = src.frame();
                assert!(f.offset < len as u64);
                assert!(f.data.len() <= len);
                frames.push((
                    f.ts,
                    f.linktype,
                    f.orig_len,
                    f.data.to_vec(),
                    f.packet_no,
                    f.offset,
                ));
            }
            Ok(false) => {
                check_spans(&src, &frames, len);
                return (frames, errors);
            }
            Err(e) => {
                assert!(e.offset <= len as u64);
                let stop = !e.recoverable;
                errors.push(e);
                if stop {
                    return (frames, errors);
                }
            }
        }
    }
    panic!("reader did not finish within {} calls", len + 1);
}

/// Skipped ranges lie in the input, in order, apart from every frame
/// record, and sum to the counter (when none was left out of the list).
fn check_spans(src: &FileSource, frames: &[Frame], len: usize) {
    let spans = src.skipped_spans();
    let mut prev_end = 0;
    for (_, s) in &spans {
        assert!(s.start >= prev_end && s.start <= s.end && s.end <= len as u64, "{s:?}");
        assert!(
            !frames.iter().any(|f| f.5 >= s.start && f.5 < s.end),
            "a frame inside skipped range {s:?}"
        );
        prev_end = s.end;
    }
    let listed: u64 = spans.iter().map(|(_, s)| s.len()).sum();
    if spans.len() < corowire::capture::MAX_SPANS {
        assert_eq!(listed, src.stats().skipped_bytes);
    }
}

fuzz_target!(|data: &[u8]| {
    let cursor = || Box::new(std::io::Cursor::new(data.to_vec()));
    let normal = read(FileSource::from_reader("fuzz".into(), cursor()), data.len());
    let small = 1 + data.last().map_or(0, |&b| usize::from(b % 64));
    let tiny = read(
        FileSource::from_reader_with_read_size("fuzz".into(), cursor(), small, 64),
        data.len(),
    );
    assert_eq!(normal, tiny);
});
