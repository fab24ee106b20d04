//! The habits of tcpdump and tshark users, through the real binary: closed
//! pipes, line-buffered decoding of a slow stream, `-r`, value ranges,
//! `--version` and `--help`.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_corowire"))
}

fn capture(name: &str) -> std::path::PathBuf {
    common::crate_dir().join("captures").join(name)
}

/// Runs `cmd` with stdout and/or stderr into pipes whose reading ends are
/// closed at once: every write fails (EPIPE), as under `| head` once head
/// has gone. Returns the exit status.
fn with_closed(mut cmd: Command, stdout: bool, stderr: bool) -> std::process::ExitStatus {
    cmd.stdout(if stdout {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stderr(if stderr {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    child.wait().unwrap()
}

#[test]
fn a_closed_stderr_ends_quietly_with_the_usual_status() {
    // A capture cut in its last record: a warning on stderr.
    let full = std::fs::read(capture("healthy-3n-clear.pcap")).unwrap();
    let cut = std::env::temp_dir().join(format!("corowire-cut-{}.pcap", std::process::id()));
    std::fs::write(&cut, &full[..full.len() - 40]).unwrap();
    let warned = bin().args(["decode", "-s"]).arg(&cut).output().unwrap();
    assert!(String::from_utf8_lossy(&warned.stderr).contains("truncated record"));
    for args in [["decode", "-s"], ["report", "--format=json"]] {
        let mut cmd = bin();
        cmd.args(args).arg(&cut);
        assert_eq!(with_closed(cmd, false, true).code(), Some(0), "{args:?}");
    }
    std::fs::remove_file(&cut).unwrap();
    let mut cmd = bin();
    cmd.arg("decode").arg(capture("healthy-3n-clear.pcap"));
    assert_eq!(with_closed(cmd, true, true).code(), Some(0));
}

#[test]
fn report_into_a_closed_pipe_keeps_the_verdicts_status() {
    let mut cmd = bin();
    cmd.arg("report")
        .arg(capture("membership-3n-node3-cut-rejoin.pcap"));
    let status = with_closed(cmd, true, false);
    assert_eq!(
        status.code(),
        Some(4),
        "a critical verdict stays 4 under | head"
    );
}

/// `tcpdump -U -w - | corowire decode -l -`: each packet's line comes out
/// within 100 ms of its record, while the stream is still open.
#[test]
fn line_buffered_decode_prints_each_packet_as_it_arrives() {
    let path = capture("healthy-3n-clear.pcap");
    // Record numbers of the first corosync packets (the rest is ARP etc.).
    let json = bin()
        .args(["decode", "--json", "-c", "5"])
        .arg(&path)
        .output()
        .unwrap();
    let wanted: Vec<u64> = String::from_utf8_lossy(&json.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["n"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(wanted.len(), 5);
    let bytes = std::fs::read(&path).unwrap();
    let mut child = bin()
        .args(["decode", "-l", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for l in std::io::BufReader::new(stdout).lines() {
            if tx.send(l.unwrap()).is_err() {
                break;
            }
        }
    });
    stdin.write_all(&bytes[..24]).unwrap();
    let mut at = 24;
    for n in 1..=*wanted.last().unwrap() {
        let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        stdin.write_all(&bytes[at..at + 16 + len]).unwrap();
        stdin.flush().unwrap();
        at += 16 + len;
        if wanted.contains(&n) {
            let line = rx
                .recv_timeout(Duration::from_millis(100))
                .unwrap_or_else(|e| panic!("record {n}: no line within 100 ms ({e})"));
            assert!(line.contains("knet"), "{line}");
        }
    }
    drop(stdin);
    child.wait().unwrap();
}

#[test]
fn dash_r_reads_a_file_as_tcpdump_does() {
    let p = capture("healthy-3n-clear.pcap");
    let named = bin().args(["decode", "-c", "3"]).arg(&p).output().unwrap();
    let with_r = bin()
        .args(["decode", "-c", "3", "-r"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(named.stdout, with_r.stdout);
    assert_eq!(String::from_utf8_lossy(&with_r.stdout).lines().count(), 3);
    let r = bin().args(["report", "-r"]).arg(&p).output().unwrap();
    assert!(String::from_utf8_lossy(&r.stdout).starts_with("VERDICT: OK"));
}

#[test]
fn values_corosync_would_reject_are_usage_errors_with_the_range() {
    for args in [
        vec!["decode", "-c", "0"],
        vec!["report", "--token", "0"],
        vec!["report", "--token", "29"],
        vec!["report", "--knet-pong-count", "0"],
        vec!["report", "--knet-pong-count", "256"],
        vec!["report", "--consensus", "0"],
    ] {
        let out = bin()
            .args(&args)
            .arg(capture("healthy-3n-clear.pcap"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is not in "), "{args:?}: {err}");
    }
}

#[test]
fn version_says_which_features_are_built_in_and_help_has_examples() {
    let v = bin().arg("--version").output().unwrap();
    let v = String::from_utf8_lossy(&v.stdout);
    assert!(v.contains("features:"), "{v}");
    assert_eq!(v.contains(" live"), cfg!(feature = "live"), "{v}");
    assert_eq!(
        v.contains(" compression"),
        cfg!(feature = "compression"),
        "{v}"
    );
    for cmd in ["decode", "report", "tui", "live"] {
        let h = bin().args([cmd, "--help"]).output().unwrap();
        let h = String::from_utf8_lossy(&h.stdout);
        let ex = h.rfind("Examples:").unwrap_or_else(|| panic!("{cmd}: {h}"));
        assert!(
            h[ex..].lines().filter(|l| l.contains("corowire ")).count() >= 2,
            "{cmd}: {h}"
        );
    }
}

/// A link type the decoder cannot read is one error naming the DLT, exit 1
/// (it was a warning per packet and exit 0).
#[test]
fn an_unsupported_link_type_is_one_error_naming_it() {
    let mut b = std::fs::read(common::crate_dir().join("tests/data/cleartext-20-ns.pcap")).unwrap();
    // The pcap header's link type (bytes 20..24, little-endian here): 802.11.
    b[20..24].copy_from_slice(&105u32.to_le_bytes());
    let p = std::env::temp_dir().join(format!("corowire-dlt-{}.pcap", std::process::id()));
    std::fs::write(&p, &b).unwrap();
    for cmd in ["decode", "report"] {
        let out = bin().arg(cmd).arg(&p).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{cmd}: {err}");
        assert!(
            err.contains("link type 105 (LINKTYPE_IEEE802_11)"),
            "{cmd}: {err}"
        );
    }
    std::fs::remove_file(&p).unwrap();
}
