//! Inputs the fuzzers once crashed on, replayed through the same harness
//! (`fuzz/fuzz_targets/shared/frames.rs`) with the test profile's overflow
//! checks: each must now run to the end, and its reports must be written.
//! One file per crash in `tests/data/fuzz/<target>/`, named for the bug.

#[path = "../fuzz/fuzz_targets/shared/frames.rs"]
#[allow(dead_code)]
mod frames;

use std::path::Path;

#[test]
fn analysis_inputs_that_once_crashed_run_to_the_end() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz/analysis");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("regression inputs") {
        let path = e.expect("entry").path();
        let data = std::fs::read(&path).expect("readable");
        // The harness's own checks (every packet counted once) hold too.
        let s = frames::analyse(&data).unwrap_or_else(|| panic!("{}: no snapshot", path.display()));
        corowire::report::write_text(&s, &mut std::io::sink()).expect("text");
        corowire::report::write_json(&s, &mut std::io::sink()).expect("json");
        n += 1;
    }
    assert!(n >= 1, "no inputs in {}", dir.display());
}
