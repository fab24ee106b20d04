//! `corowire live -r FILE --report-every`: one JSON object per interval of
//! capture time (the `corowire report --format json` schema), then a final
//! one; every link of the cluster appears.

use std::process::Command;

#[test]
fn report_every_writes_one_json_object_per_interval() {
    let pcap = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/healthy-3n-clear.pcap"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args([
            "live",
            "-r",
            pcap,
            "--report-every",
            "10s",
            "--format",
            "json",
        ])
        .output()
        .expect("run corowire");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let reports: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    // ~51 s of capture: 5 full intervals and the final report.
    assert!(reports.len() >= 5, "{} reports", reports.len());
    for r in &reports {
        assert_eq!(r["format"], corowire::report::JSON_FORMAT);
        // A file has no kernel counters: n/a (null).
        assert_eq!(r["source"]["kind"], "file", "{}", r["source"]);
        assert!(r["source"]["pcap_stats"].is_null(), "{}", r["source"]);
        assert!(r["source"]["frames"].as_u64().unwrap_or(0) > 0);
    }
    // Capture time goes forward report by report.
    let pings = |r: &serde_json::Value| r["links"][0]["pings_sent"].as_u64().unwrap_or(0);
    assert!(pings(&reports[0]) < pings(reports.last().unwrap()));
    let links = reports.last().unwrap()["links"].as_array().unwrap().clone();
    // 3 nodes, 1 link: every ordered pair, with a plausible RTT on a bridge.
    assert_eq!(links.len(), 6, "{links:?}");
    for l in &links {
        let p50 = l["rtt_us"]["p50"].as_u64().unwrap();
        assert!((1..5_000).contains(&p50), "{l}");
        assert_eq!(l["state"], "up");
    }
}

/// `--format text` with `--report-every`: the same text report as
/// `corowire report`, once per interval and once at the end.
#[test]
fn report_every_in_text_is_the_report_text() {
    let pcap = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/healthy-3n-clear.pcap"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args([
            "live",
            "-r",
            pcap,
            "--report-every",
            "20s",
            "--format",
            "text",
        ])
        .output()
        .expect("run corowire");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // 51 s of capture: two 20 s intervals and the final report.
    assert_eq!(text.matches("VERDICT: ").count(), 3, "{text}");
    let report = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(["report", pcap])
        .output()
        .expect("run corowire");
    let whole = String::from_utf8(report.stdout).unwrap();
    let last = &text[text.rfind("VERDICT: ").unwrap()..];
    assert_eq!(last, whole);
}

#[test]
fn live_without_a_source_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(["live"])
        .output()
        .expect("run corowire");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-i IFACE"));
}

/// `live -r -` on an encrypted capture and no key: the same keyless path as
/// `report` (inference, nodes numbered by address) measures every link.
#[test]
fn headless_live_measures_encrypted_traffic_without_the_key() {
    use std::io::Write;
    let pcap = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("captures/healthy-3n-aes256-sha256-nss.pcap"),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(["live", "-r", "-", "--report-every", "1000s"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&pcap));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let last = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    let v: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(v["source"]["kind"], "stdin");
    assert!(v["source"]["pcap_stats"].is_null());
    let links = v["links"].as_array().unwrap();
    assert_eq!(links.len(), 6);
    for l in links {
        assert_eq!(l["pongs_received"], 52, "{l}");
    }
}

/// SIGTERM in headless mode: the final report is written once the source
/// delivers its next frame, and the exit status is 143; a source that stays
/// silent (stdin held open) ends the process a few seconds later anyway.
#[test]
fn sigterm_writes_the_final_report() {
    use std::io::Write;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let pcap = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/healthy-3n-clear.pcap"),
    )
    .unwrap();
    // Little-endian pcap: the first record follows the 24-byte header.
    assert_eq!(&pcap[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    let incl = u32::from_le_bytes(pcap[32..36].try_into().unwrap()) as usize;
    let first_record = pcap[24..24 + 16 + incl].to_vec();
    let run = |one_more: bool| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_corowire"))
            .args(["live", "-r", "-", "--report-every", "1000s"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&pcap).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(700));
        let t0 = Instant::now();
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        std::thread::sleep(Duration::from_millis(200));
        if one_more {
            // The next frame lets the reader see the stop flag.
            let _ = stdin.write_all(&first_record);
            let _ = stdin.flush();
        }
        let out = child.wait_with_output().unwrap();
        drop(stdin);
        (out, t0.elapsed())
    };
    let (out, _) = run(true);
    assert_eq!(out.status.code(), Some(143));
    let text = String::from_utf8_lossy(&out.stdout);
    let last: serde_json::Value =
        serde_json::from_str(text.lines().last().expect("a final report")).unwrap();
    let links = last["links"].as_array().unwrap();
    assert_eq!(links.len(), 6, "{last}");
    assert!(links.iter().all(|l| l["pongs_received"] == 52), "{last}");
    // Silent stdin: no report, but the process does not hang on SIGTERM.
    let (out, took) = run(false);
    assert_eq!(out.status.code(), Some(143));
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// Interval reports carry only what began, changed or was open in their
/// interval, so the output grows with the capture, not with its square;
/// the final report is the whole run's (`corowire report`'s findings).
#[test]
fn interval_reports_carry_their_interval_only() {
    let pcap = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/membership-3n-node3-cut-rejoin.pcap"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(["live", "-r", pcap, "--report-every", "5s"])
        .output()
        .expect("run corowire");
    assert!(out.status.success());
    let reports: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(reports.len() > 5, "{}", reports.len());
    let (last, intervals) = reports.split_last().unwrap();
    let (mut shown, mut cumulative) = (0, 0);
    for r in intervals {
        cumulative += r["interval"]["findings_total"].as_u64().unwrap();
        let i = &r["interval"];
        assert_eq!(i["final"], false);
        let start = i["start"].as_f64().unwrap();
        for f in r["findings"].as_array().unwrap() {
            let open_or_after = f["end"].as_f64().is_none_or(|e| e >= start);
            assert!(
                f["start"].as_f64().unwrap() >= start || open_or_after,
                "{f} in {i}"
            );
            shown += 1;
        }
        for m in r["membership"].as_array().unwrap() {
            assert!(m["ts"].as_f64().unwrap() >= start, "{m} in {i}");
        }
    }
    let total = last["interval"]["findings_total"].as_u64().unwrap();
    assert_eq!(last["interval"]["final"], true);
    assert_eq!(last["findings"].as_array().unwrap().len() as u64, total);
    // Cumulative reports would have repeated every earlier finding in
    // every later interval; here only the open ones are.
    assert!(
        shown * 2 < cumulative,
        "{shown} shown, {cumulative} cumulative"
    );
}
