//! Prometheus / OpenMetrics exposition of a run, written from a
//! [`Sample`] of the snapshot (`analysis::timeline`): the live endpoint
//! (`live --metrics-listen`, [`http`]) and the backfill of a capture
//! (`report --format openmetrics`, [`write_backfill`]).
//!
//! The exposition is encoded by the `prometheus-client` crate (names,
//! units, `_total` suffixes, label escaping, histogram buckets). That crate
//! writes no sample timestamps, which a backfill needs: for
//! [`write_backfill`] the collector emits each family once with its series
//! one after the other, each series' points in time order, and notes each
//! point's time and line count; the writer the encoder streams into puts
//! the time at the end of each of those lines. Nothing but the timeline is
//! held in memory, whatever the length of the output.
//!
//! Names follow Prometheus' conventions: base units (`_seconds`, `_bytes`),
//! counters end in `_total`. Labels and their values, all bounded:
//! `src_node`, `dst_node` (a node id; the address when the node id is not
//! known — encrypted traffic without the key — as many as the engine's
//! path cap, 256), `link` (0–7), `node` (totem node ids, capped at the
//! engine's 64 nodes), `kind` and `severity` (the finding kinds and three
//! severities), `table` (six state tables), and `cluster` (totem's
//! `cluster_name` from `--corosync-conf`; absent without it).

pub mod http;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

use crate::analysis::timeline::{End, LinkSample, Sample, Timeline, TokenHist};
use crate::analysis::{RTT_BUCKETS_US, TOKEN_BUCKETS_US};

/// The capture source's own counters (not the analysis'), when known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceCounters {
    /// Frames read.
    pub frames: u64,
    /// libpcap's received, dropped and interface-dropped (live capture).
    pub kernel: Option<(u64, u64, u64)>,
}

/// What one exposition shows: a sample and the source's counters.
#[derive(Debug, Clone, PartialEq)]
pub struct Exposition {
    pub sample: Sample,
    pub source: Option<SourceCounters>,
}

/// Content type of an OpenMetrics exposition.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// Content type of the Prometheus text format.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Per point emitted, in order: its time (ns) and the lines it has left.
type Stamps = Arc<Mutex<VecDeque<(i64, usize)>>>;

/// The exposition of samples: one (a scrape) or a timeline (a backfill,
/// with `stamps` noting each point's time).
#[derive(Debug)]
struct SampleCollector {
    points: Arc<Vec<Sample>>,
    source: Option<SourceCounters>,
    stamps: Option<Stamps>,
}

impl Collector for SampleCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> fmt::Result {
        let cx = Cx {
            points: &self.points,
            source: self.source,
            stamps: self.stamps.as_deref(),
        };
        families(&cx, &mut enc)
    }
}

fn registry_of(c: SampleCollector, cluster: Option<&str>) -> Registry {
    let mut r = match cluster.filter(|c| !c.is_empty()) {
        Some(c) => Registry::with_labels(std::iter::once((
            Cow::Borrowed("cluster"),
            Cow::Owned(c.to_string()),
        ))),
        None => Registry::default(),
    };
    r.register_collector(Box::new(c));
    r
}

/// A registry exposing `e`, every series labelled with `cluster` if given.
pub fn registry(e: &Exposition, cluster: Option<&str>) -> Registry {
    registry_of(
        SampleCollector {
            points: Arc::new(vec![e.sample.clone()]),
            source: e.source,
            stamps: None,
        },
        cluster,
    )
}

/// The OpenMetrics text of `e` (ends with `# EOF`).
pub fn openmetrics(e: &Exposition, cluster: Option<&str>) -> String {
    let mut s = String::with_capacity(16 * 1024);
    // Writing into a String cannot fail; the encoder's errors are fmt's.
    let _ = prometheus_client::encoding::text::encode(&mut s, &registry(e, cluster));
    s
}

/// The Prometheus text format (0.0.4) of `e`.
pub fn prometheus_text(e: &Exposition, cluster: Option<&str>) -> String {
    let mut s = String::with_capacity(16 * 1024);
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut s, &registry(e, cluster));
    s
}

fn secs_us(us: f64) -> f64 {
    us / 1e6
}

fn secs_ms(ms: f64) -> f64 {
    ms / 1e3
}

/// A histogram with given bucket counts (not cumulative), sum and count.
#[derive(Debug)]
struct Hist {
    buckets: Vec<(f64, u64)>,
    sum: f64,
    count: u64,
}

impl Hist {
    /// From per-bucket counts against `bounds_us` (the last count is the
    /// open bucket) and a sum in µs.
    fn new(bounds_us: &[u64], counts: &[u64], sum_us: f64, count: u64) -> Hist {
        let buckets = counts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let le = bounds_us
                    .get(i)
                    .map_or(f64::INFINITY, |&b| secs_us(b as f64));
                (le, *c)
            })
            .collect();
        Hist {
            buckets,
            sum: secs_us(sum_us),
            count,
        }
    }

    fn token(h: &TokenHist) -> Hist {
        Hist::new(&TOKEN_BUCKETS_US, &h.buckets, h.sum_us, h.count)
    }
}

/// One point of one series.
#[derive(Debug)]
enum Value {
    Counter(u64),
    Gauge(f64),
    Hist(Hist),
}

impl Value {
    /// Lines the text encoders write for it (a histogram: sum, count and
    /// its buckets).
    fn lines(&self) -> usize {
        match self {
            Value::Hist(h) => 2 + h.buckets.len(),
            _ => 1,
        }
    }
}

impl EncodeMetric for Value {
    fn encode(&self, mut encoder: MetricEncoder) -> fmt::Result {
        match self {
            Value::Counter(v) => ConstCounter::new(*v).encode(encoder),
            Value::Gauge(v) => ConstGauge::new(*v).encode(encoder),
            Value::Hist(h) => {
                encoder.encode_histogram::<NoLabelSet>(h.sum, h.count, &h.buckets, None)
            }
        }
    }
    fn metric_type(&self) -> MetricType {
        match self {
            Value::Counter(_) => MetricType::Counter,
            Value::Gauge(_) => MetricType::Gauge,
            Value::Hist(_) => MetricType::Histogram,
        }
    }
}

type Labels = Vec<(&'static str, String)>;

fn counter(v: u64) -> Value {
    Value::Counter(v)
}

fn gauge(v: f64) -> Value {
    Value::Gauge(v)
}

/// What the families are written from.
struct Cx<'a> {
    points: &'a [Sample],
    source: Option<SourceCounters>,
    stamps: Option<&'a Mutex<VecDeque<(i64, usize)>>>,
}

/// One family: its descriptor once, then each series (the keys any point
/// has, in order) with its points in time order.
#[allow(clippy::too_many_arguments)]
fn family<K: Ord>(
    enc: &mut DescriptorEncoder,
    cx: &Cx,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    ty: MetricType,
    keys: impl Fn(&Sample) -> Vec<K>,
    row: impl Fn(&Sample, &K) -> Option<(Labels, Value)>,
) -> fmt::Result {
    let mut all: Vec<K> = cx.points.iter().flat_map(&keys).collect();
    all.sort();
    all.dedup();
    let mut m = enc.encode_descriptor(name, help, unit, ty)?;
    for k in &all {
        for s in cx.points {
            let Some((labels, v)) = row(s, k) else {
                continue;
            };
            if let Some(q) = cx.stamps {
                // Noted before encoding: the encoder may hand the lines on
                // while it writes them.
                q.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_back((s.ts, v.lines()));
            }
            v.encode(m.encode_family(&labels)?)?;
        }
    }
    Ok(())
}

type LinkKey = (End, End, u8);

fn link_key(l: &LinkSample) -> LinkKey {
    (l.src, l.dst, l.link)
}

fn link_of<'s>(s: &'s Sample, k: &LinkKey) -> Option<&'s LinkSample> {
    s.links
        .binary_search_by_key(k, link_key)
        .ok()
        .and_then(|i| s.links.get(i))
}

fn dir(l: &LinkSample) -> Labels {
    vec![
        ("src_node", l.src.to_string()),
        ("dst_node", l.dst.to_string()),
        ("link", l.link.to_string()),
    ]
}

/// A per-direction family.
fn per_link(
    enc: &mut DescriptorEncoder,
    cx: &Cx,
    (name, help, unit, ty): (&str, &str, Option<&Unit>, MetricType),
    f: impl Fn(&Sample, &LinkSample) -> Option<Value>,
) -> fmt::Result {
    family(
        enc,
        cx,
        name,
        help,
        unit,
        ty,
        |s| s.links.iter().map(link_key).collect(),
        |s, k| {
            let l = link_of(s, k)?;
            f(s, l).map(|v| (dir(l), v))
        },
    )
}

/// A family of one series.
fn scalar(
    enc: &mut DescriptorEncoder,
    cx: &Cx,
    (name, help, unit, ty): (&str, &str, Option<&Unit>, MetricType),
    f: impl Fn(&Sample) -> Option<Value>,
) -> fmt::Result {
    family(
        enc,
        cx,
        name,
        help,
        unit,
        ty,
        |_| vec![()],
        |s, _| f(s).map(|v| (Labels::new(), v)),
    )
}

/// A family with a series per node.
fn per_node<T>(
    enc: &mut DescriptorEncoder,
    cx: &Cx,
    (name, help, unit, ty): (&str, &str, Option<&Unit>, MetricType),
    list: impl Fn(&Sample) -> &[(u32, T)],
    f: impl Fn(&T) -> Value,
) -> fmt::Result {
    family(
        enc,
        cx,
        name,
        help,
        unit,
        ty,
        |s| list(s).iter().map(|(n, _)| *n).collect(),
        |s, k| {
            let (n, t) = list(s).iter().find(|(n, _)| n == k)?;
            Some((vec![("node", n.to_string())], f(t)))
        },
    )
}

/// Every family of the exposition, in a fixed order.
fn families(cx: &Cx, enc: &mut DescriptorEncoder) -> fmt::Result {
    use MetricType::{Counter as C, Gauge as G, Histogram as H};
    let sec = Unit::Seconds;
    let bytes = Unit::Bytes;
    let ratio = Unit::Other("ratio".into());
    let (sec, bytes, ratio) = (Some(&sec), Some(&bytes), Some(&ratio));
    per_link(
        enc,
        cx,
        (
            "corowire_link_rtt",
            "Ping to pong time of src's pings to dst (the round trip; the responder's delay on a capture taken on dst)",
            sec,
            H,
        ),
        |_, l| {
            Some(Value::Hist(Hist::new(
                &RTT_BUCKETS_US,
                &l.rtt_hist,
                l.rtt_sum_us,
                l.rtt_count,
            )))
        },
    )?;
    per_link(
        enc,
        cx,
        (
            "corowire_link_pings_sent",
            "knet pings src sent to dst",
            None,
            C,
        ),
        |_, l| Some(counter(l.pings_sent)),
    )?;
    per_link(
        enc,
        cx,
        (
            "corowire_link_pongs_received",
            "knet pongs src received from dst",
            None,
            C,
        ),
        |_, l| Some(counter(l.pongs_received)),
    )?;
    per_link(
        enc,
        cx,
        (
            "corowire_link_pings_lost",
            "src's pings lost: missing from its cadence, or unanswered within the ping timeout (an estimate the engine revises as it learns the cadence, so it can go down)",
            None,
            G,
        ),
        |_, l| Some(gauge(l.pings_lost as f64)),
    )?;
    per_link(
        enc,
        cx,
        (
            "corowire_link_pongs_late",
            "Pongs that came after the ping timeout (knet discards them)",
            None,
            C,
        ),
        |_, l| Some(counter(l.pongs_late)),
    )?;
    per_link(
        enc,
        cx,
        (
            "corowire_link_loss",
            "Estimated fraction of packets from src that did not reach dst",
            ratio,
            G,
        ),
        |_, l| Some(gauge(l.loss_pct / 100.0)),
    )?;
    per_link(
        enc,
        cx,
        (
            "corowire_link_up",
            "1 while knet's rule at src holds the link to dst up, 0 while down (absent before the first pong)",
            None,
            G,
        ),
        |_, l| l.up.map(|u| gauge(if u { 1.0 } else { 0.0 })),
    )?;
    per_link(
        enc,
        cx,
        (
            "corowire_link_downs",
            "Times knet's rule took the link down",
            None,
            C,
        ),
        |_, l| Some(counter(l.downs)),
    )?;
    per_link(
        enc,
        cx,
        (
            "corowire_link_path_mtu",
            "Largest PMTUD size (IP length) dst acknowledged in the latest run",
            bytes,
            G,
        ),
        |_, l| l.pmtu.map(|p| gauge(f64::from(p))),
    )?;
    per_link(
        enc,
        cx,
        (
            "corowire_link_max_silence",
            "Longest time src went without a pong from dst",
            sec,
            G,
        ),
        |_, l| Some(gauge(secs_ms(l.max_silence_ms))),
    )?;
    per_link(
        enc,
        cx,
        (
            "corowire_link_max_silence_to_ping_timeout",
            "Longest silence as a fraction of the ping timeout (1 = knet's down at backoff 1)",
            ratio,
            G,
        ),
        |s, l| {
            (s.ping_timeout_ms > 0).then(|| gauge(l.max_silence_ms / f64::from(s.ping_timeout_ms)))
        },
    )?;
    per_link(
        enc,
        cx,
        (
            "corowire_link_pong_age",
            "Time since src's last pong from dst",
            sec,
            G,
        ),
        |_, l| Some(gauge(secs_ms(l.pong_age_ms))),
    )?;
    per_link(
        enc,
        cx,
        ("corowire_link_packets", "Packets src sent to dst", None, C),
        |_, l| Some(counter(l.packets)),
    )?;
    per_link(
        enc,
        cx,
        (
            "corowire_link_sent",
            "Bytes (UDP payload) src sent to dst",
            bytes,
            C,
        ),
        |_, l| Some(counter(l.bytes)),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_token_rotation",
            "Time between two new tokens arriving at the same node",
            sec,
            H,
        ),
        |s| s.rotation.as_ref().map(|h| Value::Hist(Hist::token(h))),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_token_rotation_max",
            "Longest token rotation so far",
            sec,
            G,
        ),
        |s| s.rotation_max_us.map(|us| gauge(secs_us(us as f64))),
    )?;
    per_node(
        enc,
        cx,
        (
            "corowire_token_hold",
            "From a new token on its way to the node to the node sending the next one",
            sec,
            H,
        ),
        |s| &s.hold,
        |h| Value::Hist(Hist::token(h)),
    )?;
    per_node(
        enc,
        cx,
        (
            "corowire_token_age",
            "Time since a new token was last seen on its way to the node",
            sec,
            G,
        ),
        |s| &s.token_age_ms,
        |ms| gauge(secs_ms(*ms)),
    )?;
    scalar(
        enc,
        cx,
        ("corowire_tokens", "Totem ORF tokens seen", None, C),
        |s| Some(counter(s.tokens)),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_token_retransmits",
            "Tokens sent again by the same node after 10 ms or more",
            None,
            C,
        ),
        |s| Some(counter(s.token_retransmits)),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_mcast_retransmits",
            "Totem multicasts sent by a node other than their originator",
            None,
            C,
        ),
        |s| Some(counter(s.mcast_retransmits)),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_ring_seq",
            "Sequence number of the latest ring id",
            None,
            G,
        ),
        |s| s.ring.map(|r| gauge(r.seq as f64)),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_ring_representative",
            "Node id of the latest ring's representative",
            None,
            G,
        ),
        |s| s.ring.map(|r| gauge(f64::from(r.rep))),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_ring_members",
            "Members of the latest ring",
            None,
            G,
        ),
        |s| s.ring.map(|r| gauge(r.members as f64)),
    )?;
    scalar(
        enc,
        cx,
        ("corowire_rings", "Rings (memberships) seen", None, C),
        |s| Some(counter(s.rings)),
    )?;
    family(
        enc,
        cx,
        "corowire_findings",
        "Findings the report lists now, by kind and severity (the engine revises open findings, so this can go down)",
        None,
        G,
        |s| {
            s.findings
                .iter()
                .map(|f| (f.kind.name(), f.severity))
                .collect()
        },
        |s, (kind, sev)| {
            let f = s
                .findings
                .iter()
                .find(|f| f.kind.name() == *kind && f.severity == *sev)?;
            Some((
                vec![
                    ("kind", kind.to_string()),
                    ("severity", sev.name().to_string()),
                ],
                gauge(f.count as f64),
            ))
        },
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_token_timeout",
            "Effective totem token timeout the findings judge against",
            sec,
            G,
        ),
        |s| Some(gauge(secs_ms(f64::from(s.token_ms)))),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_token_warning",
            "Token gap from which corosync warns (token_warning)",
            sec,
            G,
        ),
        |s| Some(gauge(secs_ms(f64::from(s.token_warning_ms)))),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_consensus_timeout",
            "Totem consensus timeout",
            sec,
            G,
        ),
        |s| Some(gauge(secs_ms(f64::from(s.consensus_ms)))),
    )?;
    scalar(
        enc,
        cx,
        ("corowire_ping_timeout", "knet ping timeout", sec, G),
        |s| Some(gauge(secs_ms(f64::from(s.ping_timeout_ms)))),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_capture_packets",
            "Corosync packets analysed",
            None,
            C,
        ),
        |s| Some(counter(s.packets)),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_capture_packets_undecoded",
            "Corosync packets that could not be decoded (encrypted without key, malformed)",
            None,
            C,
        ),
        |s| Some(counter(s.opaque_packets)),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_capture",
            "Bytes (UDP payload) of the corosync packets analysed",
            bytes,
            C,
        ),
        |s| Some(counter(s.bytes)),
    )?;
    let src = cx.source;
    let kernel = src.and_then(|c| c.kernel);
    scalar(
        enc,
        cx,
        (
            "corowire_capture_frames",
            "Frames read from the source",
            None,
            C,
        ),
        |_| src.map(|c| counter(c.frames)),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_capture_kernel_received",
            "Frames libpcap received (passed the kernel filter); live capture only",
            None,
            C,
        ),
        |_| kernel.map(|k| counter(k.0)),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_capture_kernel_dropped",
            "Frames libpcap dropped (capture buffer full); live capture only",
            None,
            C,
        ),
        |_| kernel.map(|k| counter(k.1)),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_capture_interface_dropped",
            "Frames the interface dropped; live capture only",
            None,
            C,
        ),
        |_| kernel.map(|k| counter(k.2)),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_capture_time",
            "Capture time of this sample (the latest packet's timestamp), seconds since the epoch",
            sec,
            G,
        ),
        |s| Some(gauge(s.ts as f64 / 1e9)),
    )?;
    scalar(
        enc,
        cx,
        (
            "corowire_capture_finished",
            "Whether the input ended (a replay is complete): 0 or 1",
            None,
            G,
        ),
        |s| Some(gauge(if s.finished { 1.0 } else { 0.0 })),
    )?;
    family(
        enc,
        cx,
        "corowire_untracked",
        "State not tracked because an engine cap was reached, by table",
        None,
        C,
        |s| s.untracked.iter().map(|(t, _)| *t).collect(),
        |s, k| {
            let (t, n) = s.untracked.iter().find(|(t, _)| t == k)?;
            Some((vec![("table", (*t).to_string())], counter(*n)))
        },
    )?;
    Ok(())
}

/// Writes the timeline as one OpenMetrics text with a timestamp on every
/// sample line, for `promtool tsdb create-blocks-from openmetrics`: each
/// family once, its series one after the other, each series' points in
/// time order, `# EOF` last. Streams: only the timeline is held.
pub fn write_backfill(t: Timeline, cluster: Option<&str>, w: &mut impl Write) -> io::Result<()> {
    let stamps: Stamps = Arc::new(Mutex::new(VecDeque::new()));
    let reg = registry_of(
        SampleCollector {
            points: Arc::new(t.samples),
            source: None,
            stamps: Some(stamps.clone()),
        },
        cluster,
    );
    let mut sink = Stamper {
        out: w,
        stamps: stamps.clone(),
        line: String::with_capacity(256),
        err: None,
        misaligned: false,
    };
    let encoded = prometheus_client::encoding::text::encode(&mut sink, &reg);
    if let Some(e) = sink.err.take() {
        return Err(e);
    }
    let left = stamps.lock().map_or(1, |q| q.len());
    if encoded.is_err() || sink.misaligned || left > 0 || !sink.line.is_empty() {
        return Err(io::Error::other(
            "openmetrics: the encoder's lines and the points' timestamps are out of step",
        ));
    }
    Ok(())
}

/// The writer the encoder streams into: each sample line gets the time of
/// the point it belongs to, in the order the collector noted them.
struct Stamper<'a, W: Write> {
    out: &'a mut W,
    stamps: Stamps,
    /// The line being written.
    line: String,
    err: Option<io::Error>,
    misaligned: bool,
}

impl<W: Write> Stamper<'_, W> {
    fn end_line(&mut self) -> fmt::Result {
        let body = self.line.trim_end_matches('\n');
        let r = if body.starts_with('#') {
            writeln!(self.out, "{body}")
        } else {
            let ts = {
                let mut q = self.stamps.lock().unwrap_or_else(|p| p.into_inner());
                let ts = q.front_mut().map(|(ts, left)| {
                    *left = left.saturating_sub(1);
                    *ts
                });
                if q.front().is_some_and(|(_, left)| *left == 0) {
                    q.pop_front();
                }
                ts
            };
            match ts {
                Some(ts) => writeln!(self.out, "{body} {}", om_ts(ts)),
                None => {
                    self.misaligned = true;
                    return Err(fmt::Error);
                }
            }
        };
        self.line.clear();
        r.map_err(|e| {
            self.err = Some(e);
            fmt::Error
        })
    }
}

impl<W: Write> fmt::Write for Stamper<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for piece in s.split_inclusive('\n') {
            self.line.push_str(piece);
            if piece.ends_with('\n') {
                self.end_line()?;
            }
        }
        Ok(())
    }
}

/// OpenMetrics timestamp: seconds with up to 9 decimals.
fn om_ts(ns: i64) -> String {
    let (s, f) = (ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000));
    if f == 0 {
        format!("{s}")
    } else {
        let frac = format!("{f:09}");
        format!("{s}.{}", frac.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openmetrics_timestamps() {
        assert_eq!(om_ts(1_795_318_679_000_000_000), "1795318679");
        assert_eq!(om_ts(1_795_318_679_250_000_000), "1795318679.25");
        assert_eq!(om_ts(1), "0.000000001");
    }
}
