//! Compressed captures, as incident captures arrive: gzip, zstd, xz and
//! lz4 files (made with the gzip, zstd, xz and lz4 tools from a real lab
//! capture) and the same bytes on stdin decode exactly as the plain file.

use std::process::Command;

mod common;

const PLAIN: &str = "tests/data/spec/lab-c3.1.7-knet1.25-cleartext.pcap";
const COMPRESSED: [&str; 4] = [
    "tests/data/compressed/lab-cleartext.pcap.gz",
    "tests/data/compressed/lab-cleartext.pcap.zst",
    "tests/data/compressed/lab-cleartext.pcap.xz",
    "tests/data/compressed/lab-cleartext.pcap.lz4",
];

fn decode(args: &[&str], stdin: Option<Vec<u8>>) -> (Option<i32>, String, String) {
    let out = match stdin {
        Some(bytes) => common::run_with_stdin(args, bytes),
        None => Command::new(env!("CARGO_BIN_EXE_corowire"))
            .current_dir(common::crate_dir())
            .args(args)
            .output()
            .unwrap(),
    };
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_compression_decodes_as_the_plain_capture() {
    let (code, plain, _) = decode(&["decode", "--json", PLAIN], None);
    assert_eq!(code, Some(0));
    assert!(plain.lines().count() > 900, "{}", plain.lines().count());
    for c in COMPRESSED {
        let (code, out, err) = decode(&["decode", "--json", c], None);
        assert_eq!(code, Some(0), "{c}: {err}");
        assert_eq!(out, plain, "{c}");
        let bytes = std::fs::read(common::crate_dir().join(c)).unwrap();
        let (code, out, err) = decode(&["decode", "--json", "-"], Some(bytes));
        assert_eq!(code, Some(0), "{c} on stdin: {err}");
        assert_eq!(out, plain, "{c} on stdin");
    }
    // pcapng inside gzip too.
    let (_, gz, _) = decode(
        &[
            "decode",
            "-s",
            "tests/data/compressed/cleartext-20.pcapng.gz",
        ],
        None,
    );
    let (_, ng, _) = decode(&["decode", "-s", "tests/data/cleartext-20.pcapng"], None);
    assert_eq!(
        gz.lines().skip(1).collect::<Vec<_>>(),
        ng.lines().skip(1).collect::<Vec<_>>()
    );
}

#[test]
fn report_reads_compressed_captures() {
    let plain = common::report_json(&[], &[common::crate_dir().join(PLAIN)]).1;
    let xz = common::report_json(&[], &[common::crate_dir().join(COMPRESSED[2])]).1;
    assert_eq!(plain["links"], xz["links"]);
    assert_eq!(plain["findings"], xz["findings"]);
}

#[test]
fn a_corrupt_compressed_stream_is_an_error_naming_the_file() {
    let mut bytes = std::fs::read(common::crate_dir().join(COMPRESSED[0])).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let path =
        std::env::temp_dir().join(format!("corowire-corrupt-{}.pcap.gz", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let (code, out, err) = decode(&["decode", path.to_str().unwrap()], None);
    std::fs::remove_file(&path).unwrap();
    assert!(!out.is_empty(), "the packets before the damage are decoded");
    assert!(err.contains(path.to_str().unwrap()), "{err}");
    assert!(err.contains("error"), "{err}");
    assert_eq!(
        code,
        Some(0),
        "decode reports and goes on to its summary: {err}"
    );
}
