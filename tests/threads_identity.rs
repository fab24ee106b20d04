//! `report --threads N` gives the same bytes whatever N is (issue 20): every
//! corpus capture (with its key when it has one, and without), every
//! several-captures set, text and JSON, on one thread and on the threaded
//! pipeline (decoding apart from the analysis; with a key, two decryption
//! workers), stdout, stderr and exit status alike.

use std::path::{Path, PathBuf};
use std::process::Command;

fn captures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

fn report(threads: u32, args: &[String]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .arg("report")
        .arg("--threads")
        .arg(threads.to_string())
        .args(args)
        .current_dir(captures())
        .output()
        .expect("run corowire");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn reports_are_the_same_on_one_thread_and_several() {
    let mut sets: Vec<Vec<String>> = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(captures())
        .expect("captures/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".truth.json"))
        .map(|n| n.trim_end_matches(".truth.json").to_string())
        .collect();
    names.sort();
    for n in &names {
        let key = captures().join(format!("{n}.authkey"));
        let mut vantage: Vec<String> = std::fs::read_dir(captures())
            .expect("captures/")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|f| f.starts_with(&format!("{n}.vantage-")) && f.ends_with(".pcap"))
            .collect();
        vantage.sort();
        let mut inputs = vec![vec![format!("{n}.pcap")]];
        if !vantage.is_empty() {
            inputs.push(vantage);
        }
        for files in inputs {
            sets.push(files.clone());
            if key.exists() {
                let mut keyed = vec!["--authkey".to_string(), format!("{n}.authkey")];
                keyed.extend(files);
                sets.push(keyed);
            }
        }
    }
    assert!(sets.len() >= 25, "{} sets", sets.len());
    let mut with_packets = 0;
    for set in &sets {
        for format in ["text", "json"] {
            let mut args = vec!["--format".to_string(), format.to_string()];
            args.extend(set.iter().cloned());
            let one = report(1, &args);
            let three = report(3, &args);
            assert_eq!(one, three, "report {args:?}: --threads 1 and 3 differ");
            assert!(one.1.len() > 500, "report {args:?}: {}", one.1);
            with_packets += usize::from(one.1.contains("node"));
        }
    }
    assert!(with_packets >= sets.len(), "{with_packets}");
}
