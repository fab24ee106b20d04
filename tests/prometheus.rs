//! The metrics against the real thing: Debian's `prometheus` and `promtool`
//! (2.42; `.ci/run` installs them). Each test starts its own Prometheus on
//! a free loopback port with a temporary config and data directory (never
//! the package's service) and stops it at the end; everything goes in a
//! temporary directory removed when the test ends, pass or fail.
//!
//! - `promtool check metrics` accepts the endpoint's Prometheus text, and
//!   the OpenMetrics answer ends with `# EOF`;
//! - a Prometheus scraping `corowire live -r -` replaying a corpus capture
//!   returns the RTT histogram, the ping counters, loss, ring and findings
//!   series equal to the same capture's `report --format json`;
//! - `promtool tsdb create-blocks-from openmetrics` accepts `report --format
//!   openmetrics`, and a Prometheus over the blocks returns the capture's
//!   final values at its end time, one sample per second of capture.
//!
//! Without prometheus/promtool on the PATH the tests say SKIPPED and pass.

mod common;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_corowire");

fn capture(name: &str) -> PathBuf {
    common::crate_dir().join("captures").join(name)
}

fn skip_without_prometheus() -> bool {
    for tool in ["prometheus", "promtool"] {
        if !common::have(tool) {
            eprintln!("SKIPPED: {tool} is not installed (apt-get install prometheus)");
            return true;
        }
    }
    false
}

/// A temporary directory, removed with everything in it on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let p = std::env::temp_dir().join(format!("corowire-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed and reaped on drop.
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A plain HTTP/1.0 GET with extra header lines: (status, headers, body).
fn get_raw(addr: SocketAddr, path: &str, headers: &str) -> Option<(u16, String, Vec<u8>)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n{headers}\r\n").ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8(raw[..split].to_vec()).ok()?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head, raw[split + 4..].to_vec()))
}

/// A plain HTTP/1.0 GET: (status, headers, body).
fn get(addr: SocketAddr, path: &str, accept: Option<&str>) -> Option<(u16, String, String)> {
    let accept = accept.map_or(String::new(), |a| format!("Accept: {a}\r\n"));
    let (status, head, body) = get_raw(addr, path, &accept)?;
    Some((status, head, String::from_utf8(body).ok()?))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `corowire live -r - --metrics-listen 127.0.0.1:0` replaying `pcap` on
/// stdin, lingering after the end; the endpoint's address.
fn live_replay(pcap: &Path) -> (Kill, SocketAddr) {
    let mut child = Command::new(BIN)
        .args(["live", "-r", "-", "--report-every", "1h"])
        .args(["--metrics-listen", "127.0.0.1:0", "--metrics-linger", "5m"])
        .stdin(File::open(pcap).expect("capture"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("corowire live");
    let stderr = child.stderr.take().expect("stderr");
    let guard = Kill(child);
    let mut lines = BufReader::new(stderr);
    let mut line = String::new();
    let addr = loop {
        line.clear();
        let n = lines.read_line(&mut line).expect("stderr");
        assert!(n > 0, "corowire live ended before serving metrics");
        if let Some(rest) = line.trim().strip_prefix("corowire: metrics at http://") {
            let a = rest.strip_suffix("/metrics").expect("address");
            break a.parse::<SocketAddr>().expect("socket address");
        }
    };
    // Keep reading stderr so corowire never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = lines.read_to_end(&mut sink);
    });
    (guard, addr)
}

/// Waits until `f` returns Some, or panics with `what` after `secs`.
fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let until = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A Prometheus of our own: its own config, data dir and loopback port.
struct Prometheus {
    addr: SocketAddr,
    log: PathBuf,
    _proc: Kill,
}

impl Prometheus {
    fn start(dir: &TempDir, scrape_target: Option<SocketAddr>, data: &Path) -> Prometheus {
        let mut cfg = String::from("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n");
        if let Some(t) = scrape_target {
            cfg.push_str(&format!(
                "scrape_configs:\n  - job_name: corowire\n    static_configs:\n      - targets: ['{t}']\n"
            ));
        }
        let cfg_path = dir.path("prometheus.yml");
        std::fs::write(&cfg_path, cfg).expect("config");
        let log = dir.path("prometheus.log");
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", cfg_path.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            // The corpus is dated: keep its blocks whatever today's date.
            .arg("--storage.tsdb.retention.time=100y")
            .arg(format!("--web.listen-address={addr}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).expect("log"))
            .spawn()
            .expect("prometheus");
        let p = Prometheus {
            addr,
            log,
            _proc: Kill(child),
        };
        wait_for(60, "prometheus to be ready", || {
            get(p.addr, "/-/ready", None).filter(|r| r.0 == 200)
        });
        p
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// An instant query: label set (as a map) → value.
    fn query(&self, q: &str, time: Option<f64>) -> Vec<(HashMap<String, String>, f64)> {
        let mut path = format!("/api/v1/query?query={}", urlencode(q));
        if let Some(t) = time {
            path.push_str(&format!("&time={t:.3}"));
        }
        let (status, _, body) = get(self.addr, &path, None).expect("query");
        assert_eq!(status, 200, "{q}: {body}");
        let v: Value = serde_json::from_str(&body).expect("query JSON");
        v["data"]["result"]
            .as_array()
            .expect("vector result")
            .iter()
            .map(|r| {
                let labels = r["metric"]
                    .as_object()
                    .expect("metric")
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect();
                let val = r["value"][1]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .expect("sample value");
                (labels, val)
            })
            .collect()
    }

    /// The one value of `q`, panicking (with the log) when there is not one.
    fn one(&self, q: &str, time: Option<f64>) -> f64 {
        let r = self.query(q, time);
        assert_eq!(r.len(), 1, "{q}: {r:?}\n{}", self.log());
        r[0].1
    }
}

fn link_selector(l: &Value) -> String {
    format!(
        "src_node=\"{}\",dst_node=\"{}\",link=\"{}\"",
        l["src_node"], l["dst_node"], l["link"]
    )
}

/// Every figure the JSON report and the metrics share, per direction and
/// for the ring and findings, compared at `time` (None: now).
fn compare_with_report(p: &Prometheus, report: &Value, time: Option<f64>) {
    let links = report["links"].as_array().expect("links");
    assert!(!links.is_empty());
    for l in links {
        let sel = link_selector(l);
        let u = |k: &str| l[k].as_u64().unwrap_or_else(|| panic!("{k} in {l}")) as f64;
        let m = |name: &str| p.one(&format!("{name}{{{sel}}}"), time);
        assert_eq!(
            m("corowire_link_pings_sent_total"),
            u("pings_sent"),
            "{sel}"
        );
        assert_eq!(
            m("corowire_link_pongs_received_total"),
            u("pongs_received"),
            "{sel}"
        );
        assert_eq!(
            m("corowire_link_pings_lost"),
            u("pings_missing") + u("pings_unanswered"),
            "{sel}"
        );
        assert_eq!(
            m("corowire_link_pongs_late_total"),
            u("late_pongs"),
            "{sel}"
        );
        assert_eq!(m("corowire_link_downs_total"), u("downs"), "{sel}");
        let loss = l["loss_pct"].as_f64().expect("loss_pct") / 100.0;
        assert!(
            (m("corowire_link_loss_ratio") - loss).abs() < 1e-9,
            "{sel}: loss {loss}"
        );
        let up = match l["state"].as_str() {
            Some("up") => 1.0,
            Some("down") => 0.0,
            _ => continue,
        };
        assert_eq!(m("corowire_link_up"), up, "{sel}");
        // The RTT histogram: every bucket's cumulative count.
        let mut cumulative = 0u64;
        for b in l["rtt_hist"].as_array().expect("rtt_hist") {
            cumulative += b["pongs"].as_u64().expect("pongs");
            let le = match b["max_us"].as_u64() {
                Some(us) => format!("{}", us as f64 / 1e6),
                None => "+Inf".to_string(),
            };
            let q = format!("corowire_link_rtt_seconds_bucket{{{sel}}}");
            let got = p
                .query(&q, time)
                .into_iter()
                .find(|(labels, _)| {
                    labels
                        .get("le")
                        .is_some_and(|x| x == &le || x.parse::<f64>().ok() == le.parse().ok())
                })
                .unwrap_or_else(|| panic!("{q} le={le}"))
                .1;
            assert_eq!(got, cumulative as f64, "{sel} le={le}");
        }
        let samples = l["rtt_us"]["samples"].as_u64().unwrap_or(0) as f64;
        assert_eq!(m("corowire_link_rtt_seconds_count"), samples, "{sel}");
    }
    let rings = report["membership"].as_array().expect("membership");
    let last = rings.last().expect("a ring");
    let ring_id = last["ring_id"].as_str().expect("ring_id");
    let (rep, seq) = ring_id.split_once('.').expect("REP.SEQ");
    assert_eq!(
        p.one("corowire_ring_seq", time),
        u64::from_str_radix(seq, 16).expect("hex seq") as f64
    );
    assert_eq!(
        p.one("corowire_ring_representative", time),
        u64::from_str_radix(rep, 16).expect("hex rep") as f64
    );
    assert_eq!(
        p.one("corowire_ring_members", time),
        last["members"].as_array().expect("members").len() as f64
    );
    assert_eq!(p.one("corowire_rings_total", time), rings.len() as f64);
    let mut kinds: HashMap<(String, String), f64> = HashMap::new();
    for f in report["findings"].as_array().expect("findings") {
        let k = (
            f["kind"].as_str().expect("kind").to_string(),
            f["severity"].as_str().expect("severity").to_string(),
        );
        *kinds.entry(k).or_default() += 1.0;
    }
    let got: HashMap<(String, String), f64> = p
        .query("corowire_findings", time)
        .into_iter()
        .map(|(l, v)| ((l["kind"].clone(), l["severity"].clone()), v))
        .collect();
    assert_eq!(got, kinds);
    assert_eq!(
        p.one("corowire_capture_packets_total", time),
        report["capture"]["packets"].as_f64().expect("packets")
    );
}

#[test]
fn promtool_accepts_the_endpoint() {
    if skip_without_prometheus() {
        return;
    }
    let (_live, addr) = live_replay(&capture("membership-3n-node3-cut-rejoin.pcap"));
    let body = wait_for(60, "the replay to finish", || {
        get(addr, "/metrics", None)
            .filter(|(_, _, b)| {
                b.lines().any(|l| {
                    l.strip_prefix("corowire_capture_finished ")
                        .and_then(|v| v.parse::<f64>().ok())
                        == Some(1.0)
                })
            })
            .map(|r| r.2)
    });
    assert!(body.contains(
        "\ncorowire_link_rtt_seconds_bucket{src_node=\"1\",dst_node=\"2\",link=\"0\",le="
    ));
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    check
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("write");
    let out = check.wait_with_output().expect("promtool");
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // What Prometheus asks for: OpenMetrics, ending with # EOF.
    let (status, head, om) = get(
        addr,
        "/metrics",
        Some("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"),
    )
    .expect("scrape");
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text; version=1.0.0"),
        "{head}"
    );
    assert!(om.ends_with("# EOF\n"));
    assert_eq!(get(addr, "/nothing", None).map(|r| r.0), Some(404));
    // Prometheus also accepts gzip: the same body, compressed.
    #[cfg(feature = "compression")]
    {
        let (status, head, z) = get_raw(
            addr,
            "/metrics",
            "Accept: application/openmetrics-text;version=1.0.0\r\nAccept-Encoding: gzip\r\n",
        )
        .expect("gzip scrape");
        assert_eq!(status, 200);
        assert!(
            head.to_ascii_lowercase().contains("content-encoding: gzip"),
            "{head}"
        );
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&z[..])
            .read_to_string(&mut plain)
            .expect("gzip body");
        assert_eq!(plain, om);
        assert!(z.len() * 4 < om.len(), "{} of {} bytes", z.len(), om.len());
    }
}

#[test]
fn prometheus_scrapes_a_live_replay() {
    if skip_without_prometheus() {
        return;
    }
    let pcap = capture("membership-3n-node3-cut-rejoin.pcap");
    let (_, report) = common::report_json(&[], std::slice::from_ref(&pcap));
    let dir = TempDir::new("prom-live");
    let (_live, target) = live_replay(&pcap);
    let prom = Prometheus::start(&dir, Some(target), &dir.path("data"));
    wait_for(60, "a scrape of the finished replay", || {
        let r = prom.query("corowire_capture_finished", None);
        (r.len() == 1 && r[0].1 == 1.0).then_some(())
    });
    assert_eq!(prom.one("up{job=\"corowire\"}", None), 1.0);
    compare_with_report(&prom, &report, None);
}

#[test]
fn backfill_blocks_answer_with_the_capture() {
    if skip_without_prometheus() {
        return;
    }
    let pcap = capture("twolinks-3n-node3-link1-cut-link0-flaps.pcap");
    let (json_status, report) = common::report_json(&[], std::slice::from_ref(&pcap));
    let dir = TempDir::new("prom-backfill");
    let om_path = dir.path("capture.om");
    let out = Command::new(BIN)
        .args(["report", "--format", "openmetrics"])
        .arg(&pcap)
        .stdout(File::create(&om_path).expect("om file"))
        .status()
        .expect("corowire report");
    assert_eq!(out.code(), json_status, "the verdict's exit status");
    let data = dir.path("data");
    let made = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om_path)
        .arg(&data)
        .output()
        .expect("promtool");
    assert!(
        made.status.success(),
        "promtool tsdb create-blocks-from openmetrics: {}{}",
        String::from_utf8_lossy(&made.stdout),
        String::from_utf8_lossy(&made.stderr)
    );
    let prom = Prometheus::start(&dir, None, &data);
    let first = report["capture"]["first_ts"].as_f64().expect("first_ts");
    let last = report["capture"]["last_ts"].as_f64().expect("last_ts");
    // At the capture's end the blocks hold the report's figures.
    compare_with_report(&prom, &report, Some(last));
    // One sample per second of capture (and the closing one).
    let span = (last - first).ceil() as u64 + 1;
    let n = prom.one(
        &format!("count_over_time(corowire_capture_packets_total[{span}s])"),
        Some(last),
    );
    let seconds = last.floor() - first.ceil() + 1.0;
    assert!(
        (n - (seconds + 1.0)).abs() <= 2.0,
        "{n} samples over {seconds} s of capture"
    );
    // Every query of the Grafana dashboard is valid PromQL, and its RTT
    // matrix has a cell per direction of the capture.
    let dash: Value = serde_json::from_str(
        &std::fs::read_to_string(common::crate_dir().join("contrib/grafana/corowire.json"))
            .expect("dashboard"),
    )
    .expect("dashboard JSON");
    let mut exprs = Vec::new();
    for p in dash["panels"].as_array().expect("panels") {
        for t in p["targets"].as_array().into_iter().flatten() {
            exprs.push((
                p["title"].as_str().unwrap_or("").to_string(),
                t["expr"].clone(),
            ));
        }
    }
    for a in dash["annotations"]["list"].as_array().expect("annotations") {
        if a["expr"].is_string() {
            exprs.push((
                a["name"].as_str().unwrap_or("").to_string(),
                a["expr"].clone(),
            ));
        }
    }
    assert!(exprs.len() >= 15, "{} queries", exprs.len());
    let pairs: std::collections::BTreeSet<String> = report["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| format!("{}>{}", l["src_node"], l["dst_node"]))
        .collect();
    for (title, e) in exprs {
        let q = e
            .as_str()
            .expect("expr")
            .replace("$__rate_interval", "1m")
            .replace("$__range", "5m")
            .replace("$cluster", ".*")
            .replace("$instance", ".*")
            .replace("$link", ".*");
        let r = prom.query(&q, Some(last));
        if title.starts_with("RTT p99 now") {
            assert_eq!(r.len(), pairs.len(), "{title}: a cell per node pair: {r:?}");
        }
    }
    // The series grows: half way through, fewer packets than at the end.
    let mid = prom.one("corowire_capture_packets_total", Some((first + last) / 2.0));
    let end = report["capture"]["packets"].as_f64().expect("packets");
    assert!(mid > 0.0 && mid < end, "{mid} of {end}");
}
