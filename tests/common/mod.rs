//! Helpers shared by the integration tests: the committed corpus, its truth
//! files, and decoding a capture through the real pipeline.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use corowire::analysis::{Engine, Finding, FindingKind, Snapshot, Thresholds};
use corowire::capture::PacketSource;
use corowire::capture::file::FileSource;
use corowire::decode::{DecodeOptions, Decoder, Outcome};
use corowire::feed::Feed;
use corowire::wire::crypto::AuthKey;
use serde_json::Value;

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The wire reference's sample captures: three real corosync 3.1.7 / libknet
/// 1.25 lab captures, their key, and two synthetic files with every knet and
/// totem type (tests/data/spec/, see docs/wire-format.md).
pub fn spec_capture(name: &str) -> PathBuf {
    crate_dir().join("tests/data/spec").join(name)
}

/// The committed subset of the lab matrix.
pub fn matrix_dir() -> PathBuf {
    crate_dir().join("captures/matrix")
}

/// A file of the committed matrix subset.
pub fn matrix_file(name: &str) -> PathBuf {
    matrix_dir().join(name)
}

/// The truth of the committed matrix scenario `name`.
pub fn matrix_truth(name: &str) -> Truth {
    Truth::load(&matrix_file(&format!("{name}.truth.json")))
}

/// The loss findings (`loss`, `one_way_loss`) of `s` that tell direction
/// `src` → `dst`, each with the prefix of that direction's evidence: ""
/// when the finding is told from it, "reverse_" for a two-way `loss`
/// finding told from the other direction.
pub fn loss_findings_on(
    s: &Snapshot,
    src: Option<u64>,
    dst: Option<u64>,
) -> Vec<(&Finding, &'static str)> {
    s.findings
        .iter()
        .filter_map(|f| {
            let (a, b) = (f.src_node.map(u64::from), f.dst_node.map(u64::from));
            match f.kind {
                FindingKind::Loss | FindingKind::OneWayLoss if (a, b) == (src, dst) => {
                    Some((f, ""))
                }
                FindingKind::Loss if (b, a) == (src, dst) => Some((f, "reverse_")),
                _ => None,
            }
        })
        .collect()
}

/// Every committed truth file, sorted.
pub fn truth_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(crate_dir().join("captures"))
        .expect("captures/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".truth.json"))
        .collect();
    v.sort();
    v
}

/// A truth file and the paths it names.
pub struct Truth {
    pub path: PathBuf,
    pub json: Value,
}

impl Truth {
    pub fn load(path: &Path) -> Truth {
        let text = std::fs::read_to_string(path).expect("truth file readable");
        Truth {
            path: path.to_path_buf(),
            json: serde_json::from_str(&text).expect("truth file is JSON"),
        }
    }
    pub fn name(&self) -> String {
        self.json["scenario"].as_str().unwrap_or("?").to_string()
    }
    pub fn dir(&self) -> PathBuf {
        self.path.parent().expect("in a folder").to_path_buf()
    }
    pub fn pcap(&self) -> PathBuf {
        self.dir()
            .join(self.json["files"]["pcap"].as_str().expect("files.pcap"))
    }
    pub fn encrypted(&self) -> bool {
        self.json["config"]["crypto"]["enabled"]
            .as_bool()
            .unwrap_or(false)
    }
    pub fn transport(&self) -> String {
        self.json["config"]["transport"]
            .as_str()
            .unwrap_or("knet")
            .to_string()
    }
    /// Address → (nodeid, link) from the configured nodes.
    pub fn addresses(&self) -> HashMap<IpAddr, (u32, u32)> {
        let mut m = HashMap::new();
        for n in self.json["config"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let id = n["nodeid"].as_u64().expect("nodeid") as u32;
            for (link, l) in n["links"].as_object().into_iter().flatten() {
                if let Some(a) = l["address"].as_str().and_then(|a| a.parse().ok()) {
                    m.insert(a, (id, link.parse().expect("link number")));
                }
            }
        }
        m
    }
    /// The throw-away authkey of an encrypted capture.
    pub fn authkey(&self) -> Option<AuthKey> {
        let name = self.json["files"]["authkey"].as_str()?;
        let bytes = std::fs::read(self.dir().join(name)).expect("authkey readable");
        Some(AuthKey::from_vec(bytes).expect("valid authkey"))
    }
    /// Decoder options for this capture: its key when it is encrypted.
    pub fn options(&self) -> DecodeOptions {
        DecodeOptions {
            keys: self.authkey().into_iter().collect(),
            ..DecodeOptions::default()
        }
    }
    pub fn faults(&self) -> Vec<Value> {
        self.json["faults"].as_array().cloned().unwrap_or_default()
    }
    /// Scenario time zero (epoch seconds).
    pub fn t0(&self) -> f64 {
        self.json["clock"]["t0"].as_f64().expect("clock.t0")
    }
    /// (address, nodeid) of every configured node address, as the CLI maps
    /// them from a corosync.conf nodelist.
    pub fn node_addresses(&self) -> Vec<(IpAddr, u16)> {
        let mut v: Vec<_> = self
            .addresses()
            .into_iter()
            .map(|(a, (n, _))| (a, n as u16))
            .collect();
        v.sort();
        v
    }
    /// corosync's log events of one kind that lie inside the capture.
    pub fn log_events(&self, kind: &str) -> Vec<&Value> {
        self.json["log_events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["kind"] == kind && e["in_capture"].as_bool().unwrap_or(true))
            .collect()
    }
    /// A bridge capture (not a single-vantage one).
    /// The captures taken inside each node (`files.vantage_pcaps`), in
    /// node order 1..=`nodes`.
    pub fn vantage_pcaps(&self, nodes: u16) -> Vec<PathBuf> {
        (1..=nodes)
            .map(|n| {
                self.dir().join(
                    self.json["files"]["vantage_pcaps"][n.to_string()]
                        .as_str()
                        .expect("files.vantage_pcaps lists every node"),
                )
            })
            .collect()
    }

    pub fn is_bridge_capture(&self) -> bool {
        !self.json["capture"]["vantage"].is_string()
    }
}

/// The budgets corosync itself reported (runtime config), as the CLI maps
/// them from a corosync.conf.
pub fn truth_thresholds(t: &Truth) -> Thresholds {
    let e = &t.json["config"]["effective"];
    let nodes = t.json["config"]["nodes"].as_array();
    let n = nodes.map_or(2, |v| v.len() as u32);
    let g = |k: &str| e[k].as_u64().unwrap_or(0) as u32;
    let mut th = Thresholds::from_corosync(
        g("token_ms"),
        0,
        Some(g("consensus_ms")),
        g("knet_pong_count").max(1),
        n,
    )
    .with_knet_ping(g("knet_ping_interval_ms"), g("knet_ping_timeout_ms"));
    th.token_warning_ms = g("token_warning_ms");
    th.token_retransmit_ms = g("token_retransmit_ms");
    th.hold_ms = g("hold_ms");
    th.expected_nodes = nodes
        .into_iter()
        .flatten()
        .filter_map(|n| n["nodeid"].as_u64())
        .map(|n| n as u16)
        .collect();
    th
}

/// Decodes and analyses a capture through [`Feed`], the path `report`,
/// `tui` and `live` share: decrypted packets go straight to the engine,
/// encrypted ones without a key through the keyless inference. `addrs`
/// numbers nodes by address (what `--corosync-conf` gives the engine).
pub fn analyze_feed(
    path: &Path,
    opts: DecodeOptions,
    th: Thresholds,
    addrs: &[(IpAddr, u16)],
) -> Snapshot {
    let mut eng = Engine::new(th);
    eng.set_addresses(addrs);
    let mut feed = Feed::new(eng, false, 5405);
    let mut last: Option<i64> = None;
    decode_file_with(path, opts, |o| {
        if let Outcome::Corosync(p) = o {
            last = Some(last.map_or(p.ts, |l| l.max(p.ts)));
        }
        feed.outcome(o);
    });
    feed.finish(last);
    feed.engine.snapshot()
}

/// A capture analysed with its authkey (as `report --authkey`).
pub fn keyed_snapshot(t: &Truth) -> Snapshot {
    assert!(
        t.authkey().is_some() || !t.encrypted(),
        "{}: no key",
        t.name()
    );
    analyze_feed(&t.pcap(), t.options(), truth_thresholds(t), &[])
}

/// An encrypted capture analysed without its key, node ids from the
/// configured addresses (as `report --corosync-conf` when the key file is
/// not at hand).
pub fn keyless_snapshot(t: &Truth) -> Snapshot {
    analyze_feed(
        &t.pcap(),
        DecodeOptions::default(),
        truth_thresholds(t),
        &t.node_addresses(),
    )
}

/// Seconds (float) to ns.
pub fn ns(t: f64) -> i64 {
    (t * 1e9).round() as i64
}

/// Decodes a whole capture, calling `f` for every outcome.
pub fn decode_file(path: &Path, f: impl FnMut(&Outcome<'_>)) -> Decoder {
    decode_file_with(path, DecodeOptions::default(), f)
}

/// Decodes a whole capture with options (keys, ports), calling `f` for every outcome.
pub fn decode_file_with(
    path: &Path,
    opts: DecodeOptions,
    mut f: impl FnMut(&Outcome<'_>),
) -> Decoder {
    let mut src = FileSource::open(path).unwrap_or_else(|e| panic!("{e}"));
    let mut dec = Decoder::new(opts);
    while src.advance_past_errors().unwrap_or_else(|e| panic!("{e}")) {
        let fr = src.frame();
        let o = dec.decode(&fr);
        f(&o);
    }
    dec
}

/// The node ids of a "membership" log event of a truth file.
pub fn log_members(e: &Value) -> Vec<u32> {
    e["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .map(|m| m as u32)
        .collect()
}

/// Whether `cmd` is on the PATH (tests that need a tool skip without it).
pub fn have(cmd: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {cmd} >/dev/null")])
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether the tests run as root (namespaces, capabilities).
pub fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `corowire report --format json ARGS FILES...` as a script runs it: the
/// exit status and the parsed report.
pub fn report_json(args: &[&str], files: &[PathBuf]) -> (Option<i32>, Value) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_corowire"))
        .arg("report")
        .args(["--format", "json"])
        .args(args)
        .args(files)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), v)
}

/// The report JSON's link `a` -> `b` (node ids).
pub fn link(v: &Value, a: u64, b: u64) -> &Value {
    v["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["src_node"] == a && l["dst_node"] == b)
        .unwrap_or_else(|| panic!("no link {a}->{b}"))
}

/// The terminal UI's view after replaying `files` to the end through the
/// same session `corowire tui` runs (as fast as possible, deterministic).
pub fn tui_view(
    files: &[PathBuf],
    source: corowire::cli::SourceArgs,
) -> Result<corowire::tui::model::View, corowire::error::AppError> {
    let plan = corowire::session::Plan::new(&source, files, &Default::default(), &[])?;
    Ok(corowire::tui::driver::Pipeline::new(plan.open()?).run_to_end())
}

/// A replay pipeline over `files` as `corowire tui` opens it, and a way to
/// open it again (backward seeks).
pub fn tui_pipeline(
    files: &[PathBuf],
) -> (
    corowire::tui::driver::Pipeline,
    corowire::tui::driver::Reopen,
) {
    use corowire::tui::driver::Pipeline;
    let plan = corowire::session::Plan::new(&Default::default(), files, &Default::default(), &[])
        .expect("plan");
    let p = Pipeline::new(plan.open().expect("open capture"));
    (p, Box::new(move || plan.open().ok().map(Pipeline::new)))
}

/// Runs the real binary with `args`, `stdin` written to its standard input
/// from another thread (so a large input cannot deadlock on a full pipe).
pub fn run_with_stdin(args: &[&str], stdin: Vec<u8>) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_corowire"))
        .current_dir(crate_dir())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut w = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || w.write_all(&stdin));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}
