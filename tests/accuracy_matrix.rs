//! The accuracy scoreboard of issue 13: every estimator of `corowire report`
//! checked against truth from outside corowire (the lab's fault schedule and
//! nftables counters, corosync's own logs and knet statistics), over every
//! capture set that has a truth file.
//!
//! Scenarios: the committed corpus (`captures/*.truth.json`) and, when
//! `COROWIRE_MATRIX` names one or more directories (`:`-separated), every
//! `*.truth.json` in them or one folder below (`/work/lab-out/NAME/`,
//! `captures/matrix/`). A scenario found twice is taken once, from the copy
//! with the most of its pcaps present.
//!
//! Runs per scenario: the bridge capture, each per-node capture alone, and
//! the per-node captures together; with `--corosync-conf` (node 1's) and
//! `--authkey` (keyed), and for encrypted scenarios also without the key
//! (keyless, held to the README's keyless tolerances).
//!
//! Every check is one line (measure, scenario, vantage, mode, pass/fail,
//! detail). The test prints the scoreboard (per measure and mode: passes /
//! total, what was not counted and why, every failure) and fails when a
//! scenario's passes for a measure drop below the floor recorded in
//! `tests/data/accuracy_floors.tsv` (today's values: a regression guard;
//! raise them as estimators improve). `COROWIRE_MATRIX_WRITE_FLOORS=1`
//! rewrites that file from this run (keeping the lines of scenarios not
//! present). `COROWIRE_BIN` runs another build (e.g. target/release).
//!
//! ```sh
//! cargo test --test accuracy_matrix -- --nocapture
//! COROWIRE_MATRIX=/work/lab-out cargo test --test accuracy_matrix -- --nocapture
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde_json::Value;

const FLOORS: &str = "tests/data/accuracy_floors.tsv";

// ------------------------------------------------------------------ scenarios

struct Scenario {
    name: String,
    dir: PathBuf,
    t: Value,
}

impl Scenario {
    fn file(&self, rel: Option<&str>) -> Option<PathBuf> {
        let p = self.dir.join(rel?);
        p.exists().then_some(p)
    }
    fn pcap(&self) -> Option<PathBuf> {
        self.file(self.t["files"]["pcap"].as_str())
    }
    /// Every per-node capture the truth names and that is present, by node.
    fn vantages(&self) -> Vec<(u64, PathBuf)> {
        let mut v: Vec<(u64, PathBuf)> = self.t["files"]["vantage_pcaps"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(n, p)| Some((n.parse().ok()?, self.file(p.as_str())?)))
            .collect();
        if v.is_empty() {
            // older truth files name one vantage capture only
            if let (Some(p), Some(n)) = (
                self.file(self.t["files"]["vantage_pcap"].as_str()),
                self.t["capture"]["vantage"]["node"].as_u64(),
            ) {
                v.push((n, p));
            }
        }
        v.sort();
        v
    }
    fn named_vantages(&self) -> usize {
        self.t["files"]["vantage_pcaps"]
            .as_object()
            .map_or(0, |m| m.len())
    }
    fn present(&self) -> usize {
        usize::from(self.pcap().is_some()) + self.vantages().len()
    }
    fn authkey(&self) -> Option<PathBuf> {
        self.file(self.t["files"]["authkey"].as_str())
    }
    fn conf(&self) -> Option<PathBuf> {
        let c = &self.t["files"]["corosync_conf"];
        self.file(c["1"].as_str()).or_else(|| {
            let c = &self.t["config"]["corosync_conf"];
            self.file(c["1"].as_str())
        })
    }
    fn encrypted(&self) -> bool {
        self.t["config"]["crypto"]["enabled"]
            .as_bool()
            .unwrap_or(false)
    }
    fn knet(&self) -> bool {
        self.t["config"]["transport"].as_str().unwrap_or("knet") == "knet"
    }
    fn nodes(&self) -> Vec<u64> {
        self.t["config"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["nodeid"].as_u64())
            .collect()
    }
    fn eff_ms(&self, k: &str) -> Option<f64> {
        self.t["config"]["effective"][k].as_f64()
    }
    fn faults(&self) -> Vec<&Value> {
        self.t["faults"].as_array().into_iter().flatten().collect()
    }
    /// corosync log events of a kind inside the capture.
    fn log(&self, kind: &str) -> Vec<&Value> {
        self.t["log_events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["kind"] == kind && e["in_capture"].as_bool().unwrap_or(false))
            .collect()
    }
    fn last_packet(&self) -> f64 {
        self.t["capture"]["last_packet"]
            .as_f64()
            .unwrap_or(f64::MAX)
    }
}

fn truth_files_in(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() && depth > 0 {
            truth_files_in(&p, depth - 1, out);
        } else if p.to_string_lossy().ends_with(".truth.json") {
            out.push(p);
        }
    }
}

/// The corpus and the `COROWIRE_MATRIX` folders: one scenario per name (the
/// copy with the most pcaps present), and notes on what could not be used.
fn scenarios(notes: &mut Vec<String>) -> Vec<Scenario> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    truth_files_in(&root.join("captures"), 0, &mut files);
    // The committed part of the matrix (pcaps for some scenarios).
    truth_files_in(&root.join("captures/matrix"), 0, &mut files);
    if let Ok(m) = std::env::var("COROWIRE_MATRIX") {
        for d in m.split(':').filter(|d| !d.is_empty()) {
            truth_files_in(Path::new(d), 2, &mut files);
        }
    }
    let mut by_name: BTreeMap<String, Scenario> = BTreeMap::new();
    for f in files {
        let t: Value = match std::fs::read_to_string(&f)
            .map_err(|e| e.to_string())
            .and_then(|s| serde_json::from_str(&s).map_err(|e| e.to_string()))
        {
            Ok(t) => t,
            Err(e) => {
                notes.push(format!("{}: not read ({e})", f.display()));
                continue;
            }
        };
        if t["format"] != "corowire-lab-truth/1" {
            continue;
        }
        let s = Scenario {
            name: t["scenario"].as_str().unwrap_or("?").to_string(),
            dir: f.parent().unwrap().to_path_buf(),
            t,
        };
        match by_name.get(&s.name) {
            Some(o) if o.present() >= s.present() => {}
            _ => {
                by_name.insert(s.name.clone(), s);
            }
        }
    }
    let mut v = Vec::new();
    for s in by_name.into_values() {
        if s.present() == 0 {
            notes.push(format!("{}: truth without any of its pcaps here", s.name));
            continue;
        }
        let missing =
            s.named_vantages().saturating_sub(s.vantages().len()) + usize::from(s.pcap().is_none());
        if missing > 0 {
            notes.push(format!(
                "{}: {missing} of its pcaps not here (those runs skipped)",
                s.name
            ));
        }
        v.push(s);
    }
    v
}

// ------------------------------------------------------------------ runs

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Mode {
    Keyed,
    Keyless,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Keyed => "keyed",
            Mode::Keyless => "keyless",
        }
    }
}

/// Where the capture(s) of a run were taken.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum View {
    Bridge,
    Node(u64),
    /// One capture inside every node, read together.
    Set,
}

impl View {
    fn name(self) -> String {
        match self {
            View::Bridge => "bridge".into(),
            View::Node(n) => format!("node{n}"),
            View::Set => "per-node set".into(),
        }
    }
    /// Whether traffic between nodes `a` and `b` is in the capture(s).
    fn sees_pair(self, a: u64, b: u64) -> bool {
        match self {
            View::Bridge | View::Set => true,
            View::Node(n) => n == a || n == b,
        }
    }
    /// Whether `n`'s own view (its pings, its token) can be judged: its
    /// round trips are timed at its own capture, or at a bridge.
    fn sees_node(self, n: u64) -> bool {
        match self {
            View::Bridge | View::Set => true,
            View::Node(v) => v == n,
        }
    }
}

struct Run {
    view: View,
    mode: Mode,
    report: Option<Value>,
    error: String,
}

fn bin() -> PathBuf {
    std::env::var_os("COROWIRE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_corowire")))
}

fn run_report(s: &Scenario, files: &[PathBuf], mode: Mode) -> (Option<Value>, String) {
    let mut c = Command::new(bin());
    c.args(["report", "--format", "json"]);
    if let Some(conf) = s.conf() {
        c.arg("--corosync-conf").arg(conf);
    }
    if mode == Mode::Keyed
        && let Some(k) = s.authkey()
    {
        c.arg("--authkey").arg(k);
    }
    c.args(files);
    match c.output() {
        Ok(o) => match serde_json::from_slice::<Value>(&o.stdout) {
            Ok(v) => (Some(v), String::new()),
            Err(e) => (
                None,
                format!(
                    "exit {:?}, no JSON ({e}): {}",
                    o.status.code(),
                    String::from_utf8_lossy(&o.stderr).trim()
                ),
            ),
        },
        Err(e) => (None, format!("{}: {e}", bin().display())),
    }
}

fn plan(s: &Scenario) -> Vec<(View, Mode, Vec<PathBuf>)> {
    let mut modes = Vec::new();
    if !s.encrypted() || s.authkey().is_some() {
        modes.push(Mode::Keyed);
    }
    if s.encrypted() {
        modes.push(Mode::Keyless);
    }
    let mut v = Vec::new();
    let vant = s.vantages();
    for &m in &modes {
        if let Some(p) = s.pcap() {
            v.push((View::Bridge, m, vec![p]));
        }
        for (n, p) in &vant {
            v.push((View::Node(*n), m, vec![p.clone()]));
        }
        if vant.len() >= 2 && vant.len() == s.nodes().len() {
            v.push((View::Set, m, vant.iter().map(|(_, p)| p.clone()).collect()));
        }
    }
    v
}

// ------------------------------------------------------------------ checks

#[derive(Clone)]
struct Check {
    measure: &'static str,
    scenario: String,
    vantage: String,
    mode: Mode,
    pass: bool,
    detail: String,
}

/// Checks and the reasons something was not counted.
#[derive(Default)]
struct Board {
    checks: Vec<Check>,
    /// (measure, mode) -> reason -> count
    skipped: BTreeMap<(&'static str, Mode), BTreeMap<String, usize>>,
}

struct Ctx<'a> {
    s: &'a Scenario,
    run: &'a Run,
    r: &'a Value,
    out: &'a mut Board,
}

impl<'a> Ctx<'a> {
    fn check(&mut self, measure: &'static str, pass: bool, detail: String) {
        self.out.checks.push(Check {
            measure,
            scenario: self.s.name.clone(),
            vantage: self.run.view.name(),
            mode: self.run.mode,
            pass,
            detail,
        });
    }
    fn skip(&mut self, measure: &'static str, why: &str) {
        *self
            .out
            .skipped
            .entry((measure, self.run.mode))
            .or_default()
            .entry(why.to_string())
            .or_default() += 1;
    }
    fn keyless(&self) -> bool {
        self.run.mode == Mode::Keyless
    }
    fn findings(&self) -> Vec<&'a Value> {
        self.r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .collect()
    }
}

fn u(v: &Value) -> Option<u64> {
    v.as_u64()
}

fn f64_of(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn alarm(f: &Value) -> bool {
    matches!(f["severity"].as_str(), Some("warning" | "critical"))
}

fn fstart(f: &Value) -> f64 {
    f64_of(&f["start"])
}

fn fend(f: &Value) -> f64 {
    f["end"].as_f64().unwrap_or(f64::MAX)
}

fn overlap(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.1.min(b.1) - a.0.max(b.0)).max(0.0)
}

fn short(f: &Value, t0: f64) -> String {
    format!(
        "{} {} {}->{} l{} @{:+.1}s",
        f["kind"].as_str().unwrap_or("?"),
        f["severity"].as_str().unwrap_or("?"),
        f["src_node"],
        f["dst_node"],
        f["link"],
        fstart(f) - t0
    )
}

/// 95 % Wilson score interval of k in n, in percent.
fn wilson(k: f64, n: f64) -> (f64, f64) {
    let z = 1.959964_f64;
    let p = k / n;
    let d = 1.0 + z * z / n;
    let c = p + z * z / (2.0 * n);
    let h = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    (100.0 * (c - h) / d, 100.0 * (c + h) / d)
}

/// A fault's window (effective start, effective end or the capture's end).
fn window(s: &Scenario, f: &Value) -> (f64, f64) {
    (
        f64_of(&f["effective_start"]),
        f["effective_end"].as_f64().unwrap_or(s.last_packet()),
    )
}

/// One directed pair of a loss fault: (src, dst, link, realised %, matched).
type Pair = (u64, u64, u64, Option<f64>, Option<u64>);

/// The directed pairs a loss fault dropped on, with the realised loss where
/// the truth has per-pair counters (`per_pair`), else derived from the
/// fault's node, direction and peers (realised unknown).
fn loss_pairs(s: &Scenario, f: &Value) -> Vec<Pair> {
    if let Some(pp) = f["per_pair"].as_array() {
        return pp
            .iter()
            .filter(|p| p["dropped"].as_u64().unwrap_or(0) > 0)
            .filter_map(|p| {
                Some((
                    u(&p["src"])?,
                    u(&p["dst"])?,
                    u(&p["link"])?,
                    p["realized_pct"].as_f64(),
                    p["matched"].as_u64(),
                ))
            })
            .collect();
    }
    let (Some(n), Some(l)) = (u(&f["node"]), u(&f["link"])) else {
        return vec![];
    };
    if f["kind"] == "path_loss" {
        return u(&f["dst_node"])
            .map(|d| {
                (
                    n,
                    d,
                    l,
                    f["realized_pct"].as_f64(),
                    f["nft_matched"].as_u64(),
                )
            })
            .into_iter()
            .collect();
    }
    let peers: Vec<u64> = match f["peers"].as_array() {
        Some(p) if !p.is_empty() => p.iter().filter_map(u).collect(),
        _ => s.nodes().into_iter().filter(|&p| p != n).collect(),
    };
    let dir = f["direction"].as_str().unwrap_or("");
    let mut v = Vec::new();
    for p in peers {
        if dir == "egress" || dir == "both" {
            v.push((n, p, l, None, None));
        }
        if dir == "ingress" || dir == "both" {
            v.push((p, n, l, None, None));
        }
    }
    v
}

fn loss_kind(f: &Value) -> bool {
    matches!(f["kind"].as_str(), Some("loss" | "one_way_loss"))
}

fn same_dir(f: &Value, src: u64, dst: u64, link: u64) -> bool {
    u(&f["src_node"]) == Some(src) && u(&f["dst_node"]) == Some(dst) && u(&f["link"]) == Some(link)
}

/// A finding that names both directions of its pair ("direction": "both")
/// told from the other side: it states `src -> dst`'s loss as its reverse.
fn both_reversed(f: &Value, src: u64, dst: u64, link: u64) -> bool {
    f["direction"] == "both" && same_dir(f, dst, src, link)
}

fn involves(f: &Value, node: u64, link: Option<u64>) -> bool {
    (u(&f["src_node"]) == Some(node) || u(&f["dst_node"]) == Some(node))
        && (link.is_none() || u(&f["link"]) == link)
}

/// The node a host_stall finding names as stalled: the responder whose
/// pongs came late (dst), else the one node it names.
fn stalled_node(f: &Value) -> Option<u64> {
    u(&f["dst_node"]).or_else(|| u(&f["src_node"]))
}

/// Up to four findings, the nearest to `at` first.
fn nearest_desc_at(c: &[&Value], t0: f64, at: f64) -> String {
    let mut v = c.to_vec();
    v.sort_by(|a, b| (fstart(a) - at).abs().total_cmp(&(fstart(b) - at).abs()));
    nearest_desc(&v, t0)
}

fn nearest_desc(c: &[&Value], t0: f64) -> String {
    if c.is_empty() {
        "none".into()
    } else {
        c.iter()
            .take(4)
            .map(|f| short(f, t0))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Faults flagged on the right link and direction within 2 s, severity
/// warning or critical; the loss figure and direction of loss faults; the
/// delay of delay faults; stall durations; quiet reorder/duplicate windows.
fn check_faults(c: &mut Ctx) {
    let s = c.s;
    let t0 = s.t["clock"]["t0"].as_f64().unwrap_or(0.0);
    let view = c.run.view;
    let find = c.findings();
    let ping_timeout = s.eff_ms("knet_ping_timeout_ms").unwrap_or(2000.0) / 1000.0;
    let pmtud = s.eff_ms("knet_pmtud_interval_s").unwrap_or(30.0);
    let late = if c.keyless() { 3.0 } else { 2.0 };
    let warn_pct = c.r["budgets"]["loss_warning_pct"].as_f64().unwrap_or(5.0);
    // every pair some loss-like fault touched, for the clean-direction check
    let mut faulted: BTreeSet<(u64, u64, u64)> = BTreeSet::new();
    let mut cut_nodes: BTreeSet<(u64, u64)> = BTreeSet::new();
    for f in s.faults() {
        match f["kind"].as_str() {
            Some("loss" | "path_loss") => {
                for p in loss_pairs(s, f) {
                    faulted.insert((p.0, p.1, p.2));
                }
            }
            Some("cut" | "link_down") => {
                if let (Some(n), Some(l)) = (u(&f["node"]), u(&f["link"])) {
                    cut_nodes.insert((n, l));
                }
            }
            _ => {}
        }
    }
    for f in s.faults() {
        let (ws, we) = window(s, f);
        let id = f["id"].as_str().unwrap_or("?");
        let kind = f["kind"].as_str().unwrap_or("?");
        let node = u(&f["node"]);
        let link = u(&f["link"]);
        let what = format!(
            "{id} {kind} node{} l{} @{:+.1}s",
            f["node"],
            f["link"],
            ws - t0
        );
        match kind {
            "loss" | "path_loss" => {
                for (src, dst, l, realised, matched) in loss_pairs(s, f) {
                    if !view.sees_pair(src, dst) {
                        c.skip("faults_flagged", "pair not in this vantage's capture");
                        continue;
                    }
                    let here: Vec<&Value> = find
                        .iter()
                        .copied()
                        .filter(|x| {
                            loss_kind(x)
                                && (same_dir(x, src, dst, l) || both_reversed(x, src, dst, l))
                        })
                        .collect();
                    let ok = here
                        .iter()
                        .any(|x| alarm(x) && fstart(x) >= ws - 2.0 && fstart(x) <= ws + late);
                    let pair = format!("{what} {src}->{dst}");
                    // the loss findings of that direction in the fault's window
                    let eps: Vec<&Value> = here
                        .iter()
                        .copied()
                        .filter(|x| overlap((fstart(x), fend(x)), (ws - 2.0, we + 2.0)) > 0.0)
                        .collect();
                    // A loss clearly below the report's warning threshold
                    // (the realised rate's Wilson interval under it) is not
                    // a warning by the report's own budget: not counted
                    // unless corowire did flag it.
                    let below = match (realised, matched) {
                        (Some(p), Some(m)) if m > 0 => {
                            wilson(p * m as f64 / 100.0, m as f64).1 < warn_pct
                        }
                        _ => false,
                    };
                    let judged = !(below && eps.is_empty());
                    if !judged {
                        let why = format!(
                            "realised loss clearly below the report's {warn_pct} % warning threshold, and not flagged"
                        );
                        c.skip("faults_flagged", &why);
                        c.skip("loss_pct", &why);
                    }
                    if judged {
                        c.check(
                            "faults_flagged",
                            ok,
                            format!(
                                "{pair}: loss findings on that direction: {}",
                                nearest_desc_at(&here, t0, ws)
                            ),
                        );
                        match realised {
                            None => c.skip(
                                "loss_pct",
                                "truth has no per-pair matched counter (realised loss unknown)",
                            ),
                            Some(p) => {
                                if eps.is_empty() {
                                    c.check(
                                    "loss_pct",
                                    false,
                                    format!(
                                        "{pair}: realised {p:.1} % ({} samples): no loss finding in the window",
                                        matched.unwrap_or(0)
                                    ),
                                );
                                } else {
                                    let (mut lost, mut n, mut est_simple) = (0.0, 0.0, 0.0);
                                    for x in &eps {
                                        let e = &x["evidence"];
                                        let rev = both_reversed(x, src, dst, l);
                                        let (pk, sk) = if rev {
                                            ("reverse_loss_pct", "reverse_samples")
                                        } else {
                                            ("loss_pct", "samples")
                                        };
                                        let pct = f64_of(&e[pk]);
                                        let ns = e[sk].as_f64().unwrap_or_else(|| {
                                            if e["matched"].is_number() {
                                                f64_of(&e["matched"])
                                                    + f64_of(&e["left_not_arrived"])
                                            } else {
                                                [
                                                    "pings",
                                                    "pings_missing",
                                                    "data_copies_seen",
                                                    "data_copies_lost",
                                                ]
                                                .iter()
                                                .map(|k| e[*k].as_f64().unwrap_or(0.0))
                                                .sum()
                                            }
                                        });
                                        est_simple = pct;
                                        lost += pct * ns / 100.0;
                                        n += ns;
                                    }
                                    let est = if n > 0.0 {
                                        100.0 * lost / n
                                    } else {
                                        est_simple
                                    };
                                    let (lo, hi) =
                                        if n > 0.0 { wilson(lost, n) } else { (est, est) };
                                    let (pass, tol) = if c.keyless() {
                                        (
                                            est >= p / 4.0 - 2.0 && est <= p + 2.0,
                                            format!(
                                                "keyless: within [{:.1}, {:.1}]",
                                                p / 4.0 - 2.0,
                                                p + 2.0
                                            ),
                                        )
                                    } else {
                                        (
                                            (est - p).abs() <= 2.0 || (lo <= p && p <= hi),
                                            format!(
                                                "±2 points or Wilson95 of corowire's {n:.0} samples [{lo:.1}, {hi:.1}]"
                                            ),
                                        )
                                    };
                                    c.check(
                                    "loss_pct",
                                    pass,
                                    format!(
                                        "{pair}: corowire {est:.1} % vs realised {p:.1} % ({} nft samples), off {:+.1} points; {tol}; {} episode(s)",
                                        matched.unwrap_or(0),
                                        est - p,
                                        eps.len()
                                    ),
                                );
                                }
                            }
                        }
                    }
                    // the direction: the reverse, when clean, must not be called lossy
                    let rev = (dst, src, l);
                    if faulted.contains(&rev)
                        || cut_nodes.contains(&(src, l))
                        || cut_nodes.contains(&(dst, l))
                    {
                        c.skip("loss_direction", "reverse direction faulted too");
                    } else {
                        let wrong: Vec<&Value> = find
                            .iter()
                            .copied()
                            .filter(|x| {
                                alarm(x)
                                    && ((same_dir(x, dst, src, l)
                                        && (loss_kind(x)
                                            || (x["kind"] == "asymmetry"
                                                && f64_of(&x["evidence"]["loss_pct"])
                                                    > f64_of(&x["evidence"]["reverse_loss_pct"])
                                                        + 5.0)))
                                        || (loss_kind(x) && both_reversed(x, dst, src, l)))
                                    && overlap((fstart(x), fend(x)), (ws - 2.0, we + 2.0)) > 0.0
                            })
                            .collect();
                        c.check(
                            "loss_direction",
                            wrong.is_empty(),
                            format!(
                                "{pair}: clean reverse {dst}->{src} called lossy by: {}",
                                nearest_desc(&wrong, t0)
                            ),
                        );
                    }
                }
            }
            "cut" | "link_down" => {
                let (Some(n), Some(l)) = (node, link) else {
                    continue;
                };
                // a cut of some pairs only (`peers`) is a fault of those pairs
                let peers: Vec<u64> = match f["peers"].as_array() {
                    Some(p) if !p.is_empty() => p.iter().filter_map(u).collect(),
                    _ => s.nodes().into_iter().filter(|&p| p != n).collect(),
                };
                if !peers.iter().any(|&p| view.sees_pair(n, p)) {
                    c.skip("faults_flagged", "pair not in this vantage's capture");
                    continue;
                }
                let here: Vec<&Value> = find
                    .iter()
                    .copied()
                    .filter(|x| {
                        matches!(
                            x["kind"].as_str(),
                            Some("link_down" | "loss" | "one_way_loss")
                        ) && involves(x, n, Some(l))
                            && [&x["src_node"], &x["dst_node"]]
                                .iter()
                                .filter_map(|v| u(v))
                                .all(|e| e == n || peers.contains(&e))
                    })
                    .collect();
                let ok = here.iter().any(|x| {
                    alarm(x) && fstart(x) >= ws - 2.0 && fstart(x) <= ws + 2.0 + ping_timeout
                });
                c.check(
                    "faults_flagged",
                    ok,
                    format!(
                        "{what}: link_down/loss on node{n} l{l} (peers {peers:?}) by +{:.1}s: {}",
                        2.0 + ping_timeout,
                        nearest_desc_at(&here, t0, ws)
                    ),
                );
            }
            "delay" => {
                let (Some(n), Some(l)) = (node, link) else {
                    continue;
                };
                let here: Vec<&Value> = find
                    .iter()
                    .copied()
                    .filter(|x| x["kind"] == "latency" && involves(x, n, Some(l)))
                    .collect();
                let ok = here
                    .iter()
                    .any(|x| alarm(x) && (fstart(x) - ws).abs() <= 2.0);
                c.check(
                    "faults_flagged",
                    ok,
                    format!(
                        "{what}: latency findings: {}",
                        nearest_desc_at(&here, t0, ws)
                    ),
                );
                check_delay(c, f, n, l, (ws, we));
            }
            "pause" => {
                let Some(n) = node else { continue };
                let here: Vec<&Value> = find
                    .iter()
                    .copied()
                    .filter(|x| x["kind"] == "host_stall" && stalled_node(x) == Some(n))
                    .collect();
                let near: Vec<&Value> = here
                    .iter()
                    .copied()
                    .filter(|x| (fstart(x) - ws).abs() <= 2.0)
                    .collect();
                let others: Vec<&Value> = find
                    .iter()
                    .copied()
                    .filter(|x| {
                        alarm(x) && (fstart(x) - ws).abs() <= 2.0 && x["kind"] != "host_stall"
                    })
                    .collect();
                c.check(
                    "faults_flagged",
                    near.iter().any(|x| alarm(x)),
                    format!(
                        "{what}: host_stall of node{n}: {}; instead: {}",
                        nearest_desc_at(&here, t0, ws),
                        nearest_desc_at(&others, t0, ws)
                    ),
                );
                let truth = f["stall_seconds"].as_f64();
                let (tdur, basis) = match truth {
                    Some(d) => (d, "stall_seconds"),
                    None => (we - ws, "SIGSTOP..SIGCONT effective times"),
                };
                match near.first() {
                    None => c.check(
                        "stall",
                        false,
                        format!("{what}: {tdur:.3} s stall ({basis}) not found"),
                    ),
                    Some(x) => {
                        let d = x["evidence"]["stall_ms"]
                            .as_f64()
                            .or_else(|| x["evidence"]["silence_ms"].as_f64())
                            .map_or(fend(x) - fstart(x), |m| m / 1000.0);
                        c.check(
                            "stall",
                            (d - tdur).abs() <= 0.2,
                            format!(
                                "{what}: corowire {d:.3} s vs {tdur:.3} s ({basis}), off {:+.3} s (±0.2)",
                                d - tdur
                            ),
                        );
                    }
                }
            }
            "mtu" | "mtu_black_hole" => {
                let (Some(n), Some(l)) = (node, link) else {
                    continue;
                };
                let kinds: &[&str] = if kind == "mtu" {
                    &["mtu_change", "mtu_black_hole"]
                } else {
                    &["mtu_black_hole"]
                };
                let here: Vec<&Value> = find
                    .iter()
                    .copied()
                    .filter(|x| {
                        kinds.contains(&x["kind"].as_str().unwrap_or("")) && involves(x, n, Some(l))
                    })
                    .collect();
                let ok = here
                    .iter()
                    .any(|x| alarm(x) && fstart(x) >= ws - 2.0 && fstart(x) <= ws + pmtud + 2.0);
                c.check(
                    "faults_flagged",
                    ok,
                    format!(
                        "{what}: {} by +{:.0}s (PMTUD interval + 2 s): {}",
                        kinds.join("/"),
                        pmtud + 2.0,
                        nearest_desc_at(&here, t0, ws)
                    ),
                );
            }
            "reorder" | "duplicate" => {
                // nothing is lost: no loss, link or token alarm unless corosync logged one
                let logged = |k: &str| {
                    s.log(k).iter().any(|e| {
                        let t = f64_of(&e["t"]);
                        t >= ws && t <= we + 5.0
                    })
                };
                let noisy: Vec<&Value> = find
                    .iter()
                    .copied()
                    .filter(|x| {
                        alarm(x)
                            && overlap((fstart(x), fend(x)), (ws, we)) > 0.0
                            && match x["kind"].as_str().unwrap_or("") {
                                "loss" | "one_way_loss" => true,
                                "link_down" | "link_flapping" => !logged("link_down"),
                                "token_lost" | "token_at_risk" => !logged("processor_failed"),
                                _ => false,
                            }
                    })
                    .collect();
                c.check(
                    "healthy_clean",
                    noisy.is_empty(),
                    format!(
                        "{what}: alarms during the window: {}",
                        nearest_desc(&noisy, t0)
                    ),
                );
            }
            "cpu_starve" => c.skip(
                "faults_flagged",
                "cpu_starve: optional in the truth (stalls only when over budget)",
            ),
            _ => c.skip("faults_flagged", "fault kind without a check"),
        }
    }
}

/// RTT during a delay fault: the latency episode's p50 above its baseline
/// against the configured delay, on the round trips the delay is inside of
/// at this vantage.
fn check_delay(c: &mut Ctx, f: &Value, n: u64, l: u64, w: (f64, f64)) {
    let view = c.run.view;
    let hub = f["where"] == "hub";
    let delay = f64_of(&f["delay_ms"]);
    let t0 = c.s.t["clock"]["t0"].as_f64().unwrap_or(0.0);
    let mut links: Vec<(u64, u64)> = Vec::new();
    for x in c.s.nodes().into_iter().filter(|&x| x != n) {
        // pinger P's round trip contains the delayed packet as seen at the
        // vantage (see captures/README.md: where each delay sits)
        let cand: [(u64, u64, bool); 2] = if hub {
            [
                (
                    n,
                    x,
                    matches!(view, View::Bridge | View::Set) || view == View::Node(n),
                ),
                (x, n, view == View::Set || view == View::Node(x)),
            ]
        } else {
            [
                (
                    x,
                    n,
                    matches!(view, View::Bridge | View::Set) || view == View::Node(x),
                ),
                (n, x, false),
            ]
        };
        for (p, r, ok) in cand {
            if ok {
                links.push((p, r));
            }
        }
    }
    if links.is_empty() {
        c.skip(
            "rtt_p50_fault",
            "delay not inside any round trip timed here",
        );
    }
    let (tol_abs, tol_rel): (f64, f64) = if c.keyless() {
        (1.0, 0.10)
    } else {
        (0.3, 0.05)
    };
    // A jittered delay (uniform ±J) is known as a distribution, not per
    // packet: the median of n pings of it is off by up to 1.96·J/√n (95 %),
    // n = the window over knet's ping interval on the wire.
    let jitter = f["jitter_ms"].as_f64().unwrap_or(0.0);
    let spacing =
        c.s.eff_ms("knet_ping_interval_on_wire_expected_ms")
            .or_else(|| c.s.eff_ms("knet_ping_interval_ms"))
            .unwrap_or(1000.0)
            .max(1.0);
    let n_pings = ((w.1 - w.0) * 1000.0 / spacing).max(1.0);
    let sampling = 1.96 * jitter / n_pings.sqrt();
    let tol = tol_abs.max(tol_rel * delay).max(sampling);
    for (p, r) in links {
        let ep: Vec<&Value> = c
            .findings()
            .into_iter()
            .filter(|x| x["kind"] == "latency" && same_dir(x, p, r, l))
            .filter(|x| overlap((fstart(x), fend(x)), w) > 0.0)
            .collect();
        let what = format!(
            "{} delay {delay} ms on node{n}{} {p}->{r} l{l} @{:+.1}s",
            f["id"].as_str().unwrap_or("?"),
            if hub { " (hub)" } else { "" },
            w.0 - t0
        );
        match ep.iter().max_by(|a, b| {
            overlap((fstart(a), fend(a)), w).total_cmp(&overlap((fstart(b), fend(b)), w))
        }) {
            None => c.check(
                "rtt_p50_fault",
                false,
                format!("{what}: no latency episode with a p50 on that link"),
            ),
            Some(x) => {
                let e = &x["evidence"];
                let step = f64_of(&e["rtt_p50_ms"]) - e["baseline_ms"].as_f64().unwrap_or(0.0);
                c.check(
                    "rtt_p50_fault",
                    (step - delay).abs() <= tol,
                    format!(
                        "{what}: p50 - baseline {step:.2} ms vs configured {delay:.2} ms (truth: the fault's delay_ms), off {:+.2} (tol {tol:.2}{})",
                        step - delay,
                        if jitter > 0.0 {
                            format!("; jitter ±{jitter} ms over ~{n_pings:.0} pings: median ±{sampling:.2}")
                        } else {
                            String::new()
                        }
                    ),
                );
            }
        }
    }
}

/// Whole-capture RTT p50 per link against knet's own latency figure.
fn check_rtt_links(c: &mut Ctx) {
    let s = c.s;
    let delayed: BTreeSet<u64> = s
        .faults()
        .iter()
        .filter(|f| matches!(f["kind"].as_str(), Some("delay" | "reorder" | "duplicate")))
        .filter_map(|f| u(&f["node"]))
        .collect();
    // knet's latency_ave is a running average: a stall's late pongs stay in it
    let stalled: BTreeSet<u64> = s
        .faults()
        .iter()
        .filter(|f| matches!(f["kind"].as_str(), Some("pause" | "cpu_starve")))
        .filter_map(|f| u(&f["node"]))
        .collect();
    // every knet stats sample of each node (begin, every ~5 s, end)
    let mut samples: BTreeMap<u64, Vec<&Value>> = BTreeMap::new();
    for x in s.t["stats_samples"].as_array().into_iter().flatten() {
        if x["rc"].as_i64().unwrap_or(0) == 0
            && let Some(n) = u(&x["node"])
        {
            samples.entry(n).or_default().push(&x["stats"]);
        }
    }
    let (tol_abs, tol_rel): (f64, f64) = if c.keyless() {
        (1000.0, 0.10)
    } else {
        (300.0, 0.05)
    };
    for lk in c.r["links"].as_array().into_iter().flatten() {
        let (Some(p), Some(r), Some(l)) = (u(&lk["src_node"]), u(&lk["dst_node"]), u(&lk["link"]))
        else {
            continue;
        };
        let Some(p50) = lk["rtt_us"]["p50"].as_f64() else {
            continue;
        };
        if !c.run.view.sees_node(p) {
            c.skip(
                "rtt_p50_link",
                "pinger has no capture here (RTT is the responder's delay)",
            );
            continue;
        }
        if delayed.contains(&p) || delayed.contains(&r) {
            c.skip(
                "rtt_p50_link",
                "a delay/reorder fault on the pair (see rtt_p50_fault)",
            );
            continue;
        }
        if stalled.contains(&p) || stalled.contains(&r) {
            c.skip(
                "rtt_p50_link",
                "a stalled node on the pair (knet's running average keeps the late pongs)",
            );
            continue;
        }
        // knet's latency_ave is a running average of its own pings, measured
        // in userspace: the median over the run's samples keeps a stall or a
        // storm out of it
        let mut aves: Vec<f64> = samples
            .get(&p)
            .into_iter()
            .flatten()
            .filter(|st| {
                st[format!("stats.knet.node{r}.link{l}.latency_samples")]
                    .as_f64()
                    .unwrap_or(0.0)
                    > 0.0
            })
            .filter_map(|st| st[format!("stats.knet.node{r}.link{l}.latency_ave")].as_f64())
            .collect();
        if aves.is_empty() {
            c.skip(
                "rtt_p50_link",
                "no knet latency samples for that link in the truth",
            );
            continue;
        }
        aves.sort_by(f64::total_cmp);
        let ave = aves[aves.len() / 2];
        let nsamp = aves.len();
        let tol = tol_abs.max(tol_rel * ave);
        c.check(
            "rtt_p50_link",
            (p50 - ave).abs() <= tol,
            format!(
                "{p}->{r} l{l}: p50 {p50:.0} us vs knet latency_ave {ave:.0} us (median of the pinger's {nsamp} stats samples), off {:+.0} (tol {tol:.0}){}",
                p50 - ave,
                if p50 < ave - tol {
                    "; below knet's: knet times its pings in userspace (crypto, scheduling), above the wire"
                } else {
                    ""
                }
            ),
        );
    }
}

/// knet link down/up against every node's log (and the reverse: every
/// transition corowire shows against the logs).
fn check_links(c: &mut Ctx) {
    let s = c.s;
    if !s.knet() {
        return;
    }
    let t0 = s.t["clock"]["t0"].as_f64().unwrap_or(0.0);
    let view = c.run.view;
    let r = c.r;
    let trans = |x: u64, h: u64, l: u64| -> Vec<(f64, String)> {
        r["links"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|lk| same_dir(lk, x, h, l))
            .flat_map(|lk| lk["transitions"].as_array().into_iter().flatten())
            .map(|t| {
                (
                    f64_of(&t["ts"]),
                    t["state"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let mut logged: Vec<(u64, u64, u64, f64, &str)> = Vec::new();
    for (kind, state) in [("link_down", "down"), ("link_up", "up")] {
        for e in s.log(kind) {
            let (Some(x), Some(h), Some(l)) = (u(&e["node"]), u(&e["host"]), u(&e["link"])) else {
                continue;
            };
            if x != h {
                logged.push((x, h, l, f64_of(&e["t"]), state));
            }
        }
    }
    if c.keyless() {
        // README: without the key only the healthy nodes' view of a silent
        // (cut) node: down 0–1.1 s after corosync's log, up within 250 ms.
        let cuts: Vec<(u64, u64, f64, f64)> = s
            .faults()
            .iter()
            .filter(|f| f["kind"] == "cut")
            .filter_map(|f| {
                let (a, b) = window(s, f);
                Some((u(&f["node"])?, u(&f["link"])?, a, b))
            })
            .collect();
        for &(x, h, l, t, state) in &logged {
            let in_cut = cuts
                .iter()
                .any(|&(n, cl, a, b)| h == n && x != n && cl == l && t >= a && t <= b + 5.0);
            if !in_cut {
                c.skip(
                    "link_events",
                    "keyless: only healthy nodes' view of a cut node is stated",
                );
                continue;
            }
            if !view.sees_pair(x, h) {
                continue;
            }
            let (lo, hi) = if state == "down" {
                (0.0, 1.1)
            } else {
                (-0.25, 0.25)
            };
            let tr = trans(x, h, l);
            let best = tr
                .iter()
                .filter(|(_, st)| st == state)
                .map(|(ts, _)| ts - t)
                .min_by(|a, b| a.abs().total_cmp(&b.abs()));
            c.check(
                "link_events",
                best.is_some_and(|d| d >= lo && d <= hi),
                format!(
                    "node{x} sees {h} l{l} {state} @{:+.3}s: corowire {} (keyless window [{lo}, {hi}] s)",
                    t - t0,
                    best.map_or("none".into(), |d| format!("{d:+.3} s"))
                ),
            );
        }
        c.skip("link_events_extra", "keyless: no stated bound");
        return;
    }
    for &(x, h, l, t, state) in &logged {
        let measure = if t < t0 {
            "link_events_startup"
        } else {
            "link_events"
        };
        if !view.sees_pair(x, h) {
            c.skip(measure, "pair not in this vantage's capture");
            continue;
        }
        let tr = trans(x, h, l);
        let best = tr
            .iter()
            .filter(|(_, st)| st == state)
            .map(|(ts, _)| ts - t)
            .min_by(|a, b| a.abs().total_cmp(&b.abs()));
        c.check(
            measure,
            best.is_some_and(|d| d.abs() <= 0.25),
            format!(
                "node{x} sees {h} l{l} {state} @{:+.3}s: nearest corowire {state} {}",
                t - t0,
                best.map_or("none".into(), |d| format!("{d:+.3} s"))
            ),
        );
    }
    for lk in c.r["links"].as_array().into_iter().flatten() {
        let (Some(x), Some(h), Some(l)) = (u(&lk["src_node"]), u(&lk["dst_node"]), u(&lk["link"]))
        else {
            continue;
        };
        if !view.sees_pair(x, h) {
            continue;
        }
        for tr in lk["transitions"].as_array().into_iter().flatten() {
            let ts = f64_of(&tr["ts"]);
            let st = tr["state"].as_str().unwrap_or("");
            let best = logged
                .iter()
                .filter(|e| e.0 == x && e.1 == h && e.2 == l && e.4 == st)
                .map(|e| ts - e.3)
                .min_by(|a, b| a.abs().total_cmp(&b.abs()));
            if ts < t0 {
                c.skip(
                    "link_events_extra",
                    "start-up transition (see link_events_startup)",
                );
                continue;
            }
            c.check(
                "link_events_extra",
                best.is_some_and(|d| d.abs() <= 0.25),
                format!(
                    "corowire {x}->{h} l{l} {st} @{:+.3}s: nearest logged {st} {}",
                    ts - t0,
                    best.map_or("none".into(), |d| format!("{d:+.3} s"))
                ),
            );
        }
    }
}

/// Every logged ring: id, members, left/joined (any logging node's view).
fn check_membership(c: &mut Ctx) {
    if c.keyless() {
        c.skip("membership", "keyless: ring ids and members are encrypted");
        c.skip(
            "membership_startup",
            "keyless: ring ids and members are encrypted",
        );
        c.skip(
            "membership_state",
            "keyless: ring ids and members are encrypted",
        );
        return;
    }
    let s = c.s;
    let t0 = s.t["clock"]["t0"].as_f64().unwrap_or(0.0);
    let mut rings: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for e in s.log("membership") {
        let Some(id) = e["ring_id"].as_str() else {
            continue;
        };
        if let View::Node(v) = c.run.view
            && u(&e["node"]) != Some(v)
        {
            continue;
        }
        rings.entry(id.to_lowercase()).or_default().push(e);
    }
    let ours: Vec<&Value> = c.r["membership"].as_array().into_iter().flatten().collect();
    // Operational or not, as corosync says: a ring any node logged as
    // formed became operational (corosync logs it on entering
    // OPERATIONAL); one none logged was an attempt.
    let formed: BTreeMap<String, f64> = s.t["log_events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["kind"] == "membership")
        .filter_map(|e| Some((e["ring_id"].as_str()?.to_lowercase(), f64_of(&e["t"]))))
        .collect();
    let end = c.r["capture"]["last_ts"].as_f64().unwrap_or(f64::MAX);
    for m in &ours {
        let Some(id) = m["ring_id"].as_str().map(str::to_lowercase) else {
            continue;
        };
        let state = m["state"].as_str().unwrap_or("?");
        let logged = formed.get(&id).copied();
        // Working from when first seen, and no node's log names it: formed
        // before a log that does not reach back that far.
        if logged.is_none() && m["operational_ts"] == m["ts"] {
            c.skip("membership_state", "ring formed before the logs begin");
            continue;
        }
        let ok = match state {
            "operational" => logged.is_some(),
            "attempt" => logged.is_none(),
            // Still forming when the capture ended: not formed before it.
            _ => logged.is_none_or(|t| t >= end),
        };
        let when = f64_of(&m["ts"]) - t0;
        c.check(
            "membership_state",
            ok,
            format!(
                "ring {id} @{when:+.1}s: corowire {state}, corosync {}",
                if logged.is_some() {
                    "logged it formed"
                } else {
                    "never logged it formed"
                }
            ),
        );
    }
    let ids = |v: &Value| -> Vec<u64> {
        let mut x: Vec<u64> = v.as_array().into_iter().flatten().filter_map(u).collect();
        x.sort();
        x
    };
    for (id, evs) in rings {
        let t = f64_of(&evs[0]["t"]);
        let logged_members = evs
            .iter()
            .find(|e| e["members"].is_array())
            .map(|e| ids(&e["members"]));
        let views: Vec<(Vec<u64>, Vec<u64>)> = evs
            .iter()
            .map(|e| (ids(&e["left"]), ids(&e["joined"])))
            .collect();
        let measure = if t < t0 {
            "membership_startup"
        } else {
            "membership"
        };
        let what = format!(
            "ring {id} @{:+.1}s members {:?} left/joined {:?}",
            t - t0,
            logged_members.clone().unwrap_or_default(),
            views
        );
        let Some(m) = ours
            .iter()
            .find(|m| m["ring_id"].as_str().map(str::to_lowercase) == Some(id.clone()))
        else {
            c.check(
                measure,
                false,
                format!("{what}: ring not in corowire's timeline"),
            );
            continue;
        };
        let got_m = ids(&m["members"]);
        let got = (ids(&m["left"]), ids(&m["joined"]));
        let members_ok = logged_members.as_ref().is_none_or(|lm| *lm == got_m);
        let lj_ok = views.contains(&got);
        c.check(
            measure,
            members_ok && lj_ok,
            format!(
                "{what}: corowire members {got_m:?}{} left {:?} joined {:?}",
                if m["members_inferred"].as_bool() == Some(true) {
                    " (inferred)"
                } else {
                    ""
                },
                got.0,
                got.1
            ),
        );
    }
}

/// Token loss where corosync logged "A processor failed", and none where it did not.
fn check_token(c: &mut Ctx) {
    let s = c.s;
    let t0 = s.t["clock"]["t0"].as_f64().unwrap_or(0.0);
    let token = s.eff_ms("token_ms").unwrap_or(3000.0) / 1000.0;
    let view = c.run.view;
    let logged: Vec<(u64, f64)> = s
        .log("processor_failed")
        .iter()
        .filter_map(|e| Some((u(&e["node"])?, f64_of(&e["t"]))))
        .collect();
    let ours: Vec<&Value> = c
        .findings()
        .into_iter()
        .filter(|x| x["kind"] == "token_lost")
        .collect();
    for &(n, t) in &logged {
        if !view.sees_node(n) {
            c.skip("token_lost", "node's token not at this vantage");
            continue;
        }
        let ok = ours.iter().any(|x| {
            u(&x["dst_node"]).is_none_or(|d| d == n)
                && fstart(x) >= t - token - 1.0
                && fstart(x) <= t + 1.0
        });
        let near: Vec<&Value> = ours
            .iter()
            .copied()
            .filter(|x| (fstart(x) - t).abs() < 20.0)
            .collect();
        c.check(
            "token_lost",
            ok,
            format!(
                "node{n} logged processor failed @{:+.1}s: token_lost starting in [-{:.1}, +1] s: {}",
                t - t0,
                token + 1.0,
                nearest_desc_at(&near, t0, t)
            ),
        );
    }
    for x in ours {
        let d = u(&x["dst_node"]);
        if let Some(d) = d
            && !view.sees_node(d)
        {
            continue;
        }
        let st = fstart(x);
        let ok = logged
            .iter()
            .any(|&(n, t)| d.is_none_or(|d| d == n) && st >= t - token - 1.0 && st <= t + 1.0);
        c.check(
            "token_lost_extra",
            ok,
            format!(
                "corowire {}: corosync logged no processor failure then",
                short(x, t0)
            ),
        );
    }
}

fn check_healthy(c: &mut Ctx) {
    if !c.s.faults().is_empty() {
        return;
    }
    let t0 = c.s.t["clock"]["t0"].as_f64().unwrap_or(0.0);
    let alarms: Vec<&Value> = c.findings().into_iter().filter(|x| alarm(x)).collect();
    let kinds: BTreeSet<&str> = alarms.iter().filter_map(|x| x["kind"].as_str()).collect();
    c.check(
        "healthy_clean",
        alarms.is_empty(),
        format!(
            "healthy run: {} warning/critical findings ({kinds:?}): {}",
            alarms.len(),
            nearest_desc(&alarms, t0)
        ),
    );
}

/// The incident causes that tell a fault kind (None: not judged).
fn causes_for(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "loss" | "path_loss" => &["loss"],
        "delay" | "jitter" => &["latency"],
        "mtu" | "mtu_black_hole" => &["mtu"],
        "pause" => &["host_stall"],
        "cut" => &["link_cut"],
        "link_down" => &["link_cut", "link_flaps", "loss"],
        _ => return None,
    })
}

/// The verdict tells the story: the worst incident's cause is the injected
/// fault's (one of the scenario's fault kinds); a healthy run has none. On
/// a capture taken on a node that no faulted pair touches, the fault is not
/// in the capture: a verdict that says so (its paths are not in it) is
/// right, and any other cause is not.
fn check_verdict(c: &mut Ctx) {
    let kinds: Vec<&str> =
        c.s.faults()
            .iter()
            .filter_map(|f| f["kind"].as_str())
            .collect();
    let judged: Vec<&[&str]> = kinds.iter().filter_map(|k| causes_for(k)).collect();
    if !kinds.is_empty() && judged.is_empty() {
        c.skip(
            "verdict_cause",
            "fault kinds with no incident cause of their own (reorder, duplicate, cpu_starve)",
        );
        return;
    }
    let incidents: Vec<&Value> = c.r["incidents"].as_array().into_iter().flatten().collect();
    let rank = |s: &Value| match s.as_str() {
        Some("critical") => 2,
        Some("warning") => 1,
        _ => 0,
    };
    // The incident the verdict names (older reports: the worst by
    // severity, the earliest of those).
    let worst = match c.r["verdict"]["incident"].as_u64() {
        Some(k) => incidents.get(k as usize).copied(),
        None => incidents.iter().copied().max_by(|a, b| {
            rank(&a["severity"])
                .cmp(&rank(&b["severity"]))
                .then(f64_of(&b["start"]).total_cmp(&f64_of(&a["start"])))
        }),
    };
    let (ok, detail) = match (kinds.is_empty(), worst) {
        (true, None) => (true, "healthy: no incident".to_string()),
        (true, Some(w)) => (false, format!("healthy, yet incident {}", w["summary"])),
        // Nothing seen on a capture the faulted pairs are not in: right
        // when the verdict says what the capture cannot show.
        (false, None) => {
            let unseen = !c.s.faults().iter().any(|f| fault_seen(c.s, f, c.run.view));
            let says_unseen = c.r["verdict"]["summary"]
                .as_str()
                .is_some_and(|t| t.contains("the other nodes' paths are not in it"));
            (
                unseen && says_unseen,
                format!(
                    "faults {kinds:?}: no incident{}",
                    if unseen {
                        "; the faulted pairs are not in this capture"
                    } else {
                        ""
                    }
                ),
            )
        }
        (false, Some(w)) => {
            let cause = w["cause"].as_str().unwrap_or("");
            // A capture taken on a node that none of the faulted pairs
            // touch cannot see the fault: the right answer says so.
            let unseen = !c.s.faults().iter().any(|f| fault_seen(c.s, f, c.run.view));
            let says_unseen = w["summary"]
                .as_str()
                .is_some_and(|t| t.contains("the other nodes' paths are not in it"));
            (
                judged.iter().any(|cs| cs.contains(&cause)) || (unseen && says_unseen),
                format!(
                    "faults {kinds:?}: worst incident {} ({cause}){}",
                    w["summary"],
                    if unseen {
                        "; the faulted pairs are not in this capture"
                    } else {
                        ""
                    }
                ),
            )
        }
    };
    c.check("verdict_cause", ok, detail);
}

/// Whether fault `f` touched a pair this vantage's capture holds: its
/// lossy pairs, or its node's pairs (with `peers`, only those).
fn fault_seen(s: &Scenario, f: &Value, view: View) -> bool {
    match f["kind"].as_str() {
        Some("loss" | "path_loss") => {
            let pairs = loss_pairs(s, f);
            pairs.is_empty() || pairs.iter().any(|p| view.sees_pair(p.0, p.1))
        }
        _ => {
            let Some(n) = u(&f["node"]) else {
                return true;
            };
            let peers: Vec<u64> = match f["peers"].as_array() {
                Some(p) if !p.is_empty() => p.iter().filter_map(u).collect(),
                _ => s.nodes().into_iter().filter(|&p| p != n).collect(),
            };
            peers.iter().any(|&p| view.sees_pair(n, p))
        }
    }
}

fn judge(s: &Scenario, run: &Run, out: &mut Board) {
    let Some(r) = &run.report else {
        out.checks.push(Check {
            measure: "report_runs",
            scenario: s.name.clone(),
            vantage: run.view.name(),
            mode: run.mode,
            pass: false,
            detail: run.error.clone(),
        });
        return;
    };
    let mut c = Ctx { s, run, r, out };
    c.check("report_runs", true, String::new());
    check_faults(&mut c);
    check_rtt_links(&mut c);
    check_links(&mut c);
    check_membership(&mut c);
    check_token(&mut c);
    check_healthy(&mut c);
    check_verdict(&mut c);
}

// ------------------------------------------------------------------ board

const MEASURES: &[(&str, &str)] = &[
    ("report_runs", "report produced JSON"),
    (
        "faults_flagged",
        "fault flagged on its link and direction within 2 s, warning/critical",
    ),
    (
        "loss_direction",
        "clean reverse of a lossy direction not called lossy",
    ),
    (
        "loss_pct",
        "loss % within max(2 points, Wilson95 of the samples) of the nft-realised loss",
    ),
    (
        "rtt_p50_link",
        "link RTT p50 within max(0.3 ms, 5 %) of knet's latency_ave (median of samples)",
    ),
    (
        "rtt_p50_fault",
        "latency episode p50 - baseline within max(0.3 ms, 5 %) of the injected delay",
    ),
    (
        "link_events",
        "corosync-logged link down/up after t0, every node's view, within 250 ms",
    ),
    (
        "link_events_startup",
        "the same for the start-up link ups (before t0)",
    ),
    (
        "link_events_extra",
        "corowire link transition with a logged one within 250 ms",
    ),
    ("stall", "SIGSTOP stall found, duration within ±200 ms"),
    (
        "membership",
        "ring logged after t0 with its members and left/joined",
    ),
    (
        "membership_startup",
        "the same for the rings of the start-up (before t0)",
    ),
    (
        "membership_state",
        "ring shown operational only if corosync logged it formed; attempts never",
    ),
    (
        "token_lost",
        "logged token loss found (start within token+1 s before, 1 s after)",
    ),
    ("token_lost_extra", "corowire token_lost with a logged one"),
    (
        "healthy_clean",
        "no warning on healthy runs / reorder-duplicate windows",
    ),
    (
        "verdict_cause",
        "the worst incident's cause is the injected fault's; none on healthy runs",
    ),
];

fn board_text(b: &Board, notes: &[String], scen: usize, runs: usize) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "ACCURACY SCOREBOARD (issue 13): {scen} scenarios, {runs} report runs; binary {}",
        bin().display()
    );
    for n in notes {
        let _ = writeln!(o, "  note: {n}");
    }
    let _ = writeln!(
        o,
        "  keyless rows: the README's keyless tolerances (loss flagged within 3 s; loss % in\n  \
         [realised/4 - 2, realised + 2]; RTT max(1 ms, 10 %); link events only the healthy nodes'\n  \
         view of a cut node, down 0..1.1 s after the log, up ±250 ms; no ring ids)"
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{:<20} {:<8} {:>13}  what",
        "measure", "mode", "pass/total"
    );
    for (m, what) in MEASURES {
        for mode in [Mode::Keyed, Mode::Keyless] {
            let cs: Vec<&Check> = b
                .checks
                .iter()
                .filter(|c| c.measure == *m && c.mode == mode)
                .collect();
            let skipped = b.skipped.get(&(*m, mode));
            if cs.is_empty() && skipped.is_none() {
                continue;
            }
            let pass = cs.iter().filter(|c| c.pass).count();
            let pct = if cs.is_empty() {
                0.0
            } else {
                100.0 * pass as f64 / cs.len() as f64
            };
            let _ = writeln!(
                o,
                "{m:<20} {:<8} {:>6}/{:<6} {:>5.1} %  {what}",
                mode.name(),
                pass,
                cs.len(),
                pct
            );
            for (why, n) in skipped.into_iter().flatten() {
                let _ = writeln!(o, "{:<30} not counted: {n} x {why}", "");
            }
        }
    }
    let _ = writeln!(
        o,
        "\nFAILURES (measure | scenario | vantage | mode | detail):"
    );
    for (m, _) in MEASURES {
        for c in b.checks.iter().filter(|c| c.measure == *m && !c.pass) {
            let _ = writeln!(
                o,
                "{} | {} | {} | {} | {}",
                c.measure,
                c.scenario,
                c.vantage,
                c.mode.name(),
                c.detail
            );
        }
    }
    o
}

/// Floors are per (scenario, vantage, mode): a row with the passes of every
/// measure, and the bridge capture's packet count (a re-recording of the
/// same scenario is another capture: its row does not apply).
type RowKey = (String, String, String);

struct Floors {
    rows: BTreeMap<RowKey, (u64, BTreeMap<String, usize>)>,
}

fn packets(s: &Scenario) -> u64 {
    s.t["capture"]["packets"].as_u64().unwrap_or(0)
}

fn passes(b: &Board, scen: &[Scenario]) -> Floors {
    let pk: BTreeMap<&str, u64> = scen.iter().map(|s| (s.name.as_str(), packets(s))).collect();
    let mut rows: BTreeMap<RowKey, (u64, BTreeMap<String, usize>)> = BTreeMap::new();
    for c in &b.checks {
        let row = rows
            .entry((
                c.scenario.clone(),
                c.vantage.clone(),
                c.mode.name().to_string(),
            ))
            .or_insert_with(|| {
                (
                    pk.get(c.scenario.as_str()).copied().unwrap_or(0),
                    BTreeMap::new(),
                )
            });
        let e = row.1.entry(c.measure.to_string()).or_insert(0);
        if c.pass {
            *e += 1;
        }
    }
    Floors { rows }
}

fn read_floors(path: &Path) -> Floors {
    let mut rows = BTreeMap::new();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut cols: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("#scenario\t") {
            cols = h.split('\t').map(str::to_string).collect();
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != cols.len() + 1 || cols.len() < 3 {
            continue;
        }
        let key = (f[0].to_string(), f[1].to_string(), f[2].to_string());
        let pk = f[3].parse().unwrap_or(0);
        let m = cols[3..]
            .iter()
            .zip(&f[4..])
            .filter_map(|(c, v)| Some((c.clone(), v.parse().ok()?)))
            .collect();
        rows.insert(key, (pk, m));
    }
    Floors { rows }
}

fn write_floors(path: &Path, got: &Floors, present: &BTreeSet<String>) {
    let mut all = read_floors(path).rows;
    all.retain(|k, _| !present.contains(&k.0));
    all.extend(got.rows.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut o = String::from(
        "# Floors of tests/accuracy_matrix.rs: per scenario, vantage and mode, the passes\n\
         # of each measure when the row was written (a regression guard: an estimator\n\
         # change may keep or raise them, never lower them). `packets` is the bridge\n\
         # capture's packet count in the truth: a re-recording does not match its row.\n\
         # Rewrite with COROWIRE_MATRIX_WRITE_FLOORS=1 after an improvement.\n",
    );
    o.push_str("#scenario\tvantage\tmode\tpackets");
    for (m, _) in MEASURES {
        o.push('\t');
        o.push_str(m);
    }
    o.push('\n');
    for ((s, v, mo), (pk, m)) in all {
        let _ = write!(o, "{s}\t{v}\t{mo}\t{pk}");
        for (me, _) in MEASURES {
            let _ = write!(o, "\t{}", m.get(*me).copied().unwrap_or(0));
        }
        o.push('\n');
    }
    std::fs::write(path, o).expect("floors written");
}

#[test]
fn accuracy_scoreboard() {
    let mut notes = Vec::new();
    let scen = scenarios(&mut notes);
    assert!(!scen.is_empty(), "no truth files found");
    let jobs: Vec<(usize, View, Mode, Vec<PathBuf>)> = scen
        .iter()
        .enumerate()
        .flat_map(|(i, s)| plan(s).into_iter().map(move |(v, m, f)| (i, v, m, f)))
        .collect();
    let threads: usize = std::env::var("COROWIRE_MATRIX_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(2)
        .max(1);
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<(usize, usize, Run)>> = Mutex::new(Vec::new());
    std::thread::scope(|sc| {
        for _ in 0..threads {
            sc.spawn(|| {
                loop {
                    let k = {
                        let mut n = next.lock().unwrap();
                        let k = *n;
                        *n += 1;
                        k
                    };
                    let Some((i, view, mode, files)) = jobs.get(k) else {
                        break;
                    };
                    let (report, error) = run_report(&scen[*i], files, *mode);
                    let run = Run {
                        view: *view,
                        mode: *mode,
                        report,
                        error,
                    };
                    results.lock().unwrap().push((*i, k, run));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| (r.0, r.1));
    let mut board = Board::default();
    for (i, _, run) in &results {
        judge(&scen[*i], run, &mut board);
    }
    let text = board_text(&board, &notes, scen.len(), results.len());
    println!("{text}");

    let floors_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(FLOORS);
    let got = passes(&board, &scen);
    let present: BTreeSet<String> = scen.iter().map(|s| s.name.clone()).collect();
    if std::env::var_os("COROWIRE_MATRIX_WRITE_FLOORS").is_some() {
        write_floors(&floors_path, &got, &present);
    }
    let floors = read_floors(&floors_path);
    let mut below = Vec::new();
    let mut unguarded = BTreeSet::new();
    let mut other_recording = BTreeSet::new();
    for (k, (pk, m)) in &got.rows {
        let Some((fpk, fm)) = floors.rows.get(k) else {
            unguarded.insert(k.0.clone());
            continue;
        };
        if fpk != pk {
            other_recording.insert(k.0.clone());
            continue;
        }
        for (me, &floor) in fm {
            let n = m.get(me).copied().unwrap_or(0);
            if n < floor {
                below.push(format!(
                    "{} / {} / {} / {me}: {n} passes, floor {floor}",
                    k.0, k.1, k.2
                ));
            }
        }
    }
    for (what, set) in [
        ("no floors yet (not guarded)", &unguarded),
        (
            "another recording than the floors' (not guarded)",
            &other_recording,
        ),
    ] {
        if !set.is_empty() {
            println!(
                "{what}: {}",
                set.iter().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    assert!(
        below.is_empty(),
        "accuracy below its recorded floor ({FLOORS}; the scoreboard is above):\n{}",
        below.join("\n")
    );
}
