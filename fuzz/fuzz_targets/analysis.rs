#![no_main]
//! The analysis path on a sequence of arbitrary frames: decode, `Feed`
//! (cleartext, or opaque packets through the keyless inference), the
//! engine, its snapshot and both report writers. No panic, every frame
//! accounted for, and the snapshot's own counts agree with what was fed.
//! The terminal UI drawn from the same snapshot is the `tui` target (it
//! costs ~30 times the rest, so here it kept the rate near 40 runs/s).
//!
//! Input: see `shared/frames.rs`.

#[path = "shared/frames.rs"]
mod frames;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(s) = frames::analyse(data) else {
        return;
    };
    let _ = corowire::report::write_text(&s, &mut std::io::sink());
    let _ = corowire::report::write_json(&s, &mut std::io::sink());
    let _ = corowire::report::exit_code(&s);
});
