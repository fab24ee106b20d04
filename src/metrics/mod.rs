//! Prometheus / OpenMetrics exposition of a run, written from a
//! [`Sample`] of the snapshot (`analysis::timeline`): the live endpoint
//! (`live --metrics-listen`, [`http`]) and the backfill of a capture
//! (`report --format openmetrics`, [`write_backfill`]).
//!
//! The exposition is encoded by the `prometheus-client` crate (names,
//! units, `_total` suffixes, label escaping, histogram buckets). That crate
//! writes no sample timestamps, which a backfill needs: [`write_backfill`]
//! encodes each second's sample with it, then groups the lines by metric
//! family and series and appends each line's timestamp.
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
use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

use crate::analysis::timeline::{LinkSample, Sample, Timeline, TokenHist};
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

#[derive(Debug)]
struct SampleCollector(Arc<Exposition>);

impl Collector for SampleCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> fmt::Result {
        families(&self.0, &mut enc)
    }
}

/// A registry exposing `e`, every series labelled with `cluster` if given.
pub fn registry(e: Arc<Exposition>, cluster: Option<&str>) -> Registry {
    let mut r = match cluster.filter(|c| !c.is_empty()) {
        Some(c) => Registry::with_labels(std::iter::once((
            Cow::Borrowed("cluster"),
            Cow::Owned(c.to_string()),
        ))),
        None => Registry::default(),
    };
    r.register_collector(Box::new(SampleCollector(e)));
    r
}

/// The OpenMetrics text of `e` (ends with `# EOF`).
pub fn openmetrics(e: Arc<Exposition>, cluster: Option<&str>) -> String {
    let mut s = String::with_capacity(16 * 1024);
    // Writing into a String cannot fail; the encoder's errors are fmt's.
    let _ = prometheus_client::encoding::text::encode(&mut s, &registry(e, cluster));
    s
}

/// The Prometheus text format (0.0.4) of `e`.
pub fn prometheus_text(e: Arc<Exposition>, cluster: Option<&str>) -> String {
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

/// One family: its descriptor, then one series per row.
fn family<L, M, I>(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    ty: MetricType,
    rows: I,
) -> fmt::Result
where
    L: prometheus_client::encoding::EncodeLabelSet,
    M: EncodeMetric,
    I: IntoIterator<Item = (L, M)>,
{
    let mut m = enc.encode_descriptor(name, help, unit, ty)?;
    for (labels, metric) in rows {
        metric.encode(m.encode_family(&labels)?)?;
    }
    Ok(())
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

impl EncodeMetric for Hist {
    fn encode(&self, mut encoder: prometheus_client::encoding::MetricEncoder) -> fmt::Result {
        encoder.encode_histogram::<NoLabelSet>(self.sum, self.count, &self.buckets, None)
    }
    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

type Labels = Vec<(&'static str, String)>;

fn counter(v: u64) -> ConstCounter<u64> {
    ConstCounter::new(v)
}

fn gauge(v: f64) -> ConstGauge<f64> {
    ConstGauge::new(v)
}

/// Every family of the exposition, in a fixed order.
fn families(e: &Exposition, enc: &mut DescriptorEncoder) -> fmt::Result {
    use MetricType::{Counter as C, Gauge as G, Histogram as H};
    let s = &e.sample;
    let sec = Unit::Seconds;
    let bytes = Unit::Bytes;
    let ratio = Unit::Other("ratio".into());
    let dir = |l: &LinkSample| -> Labels {
        vec![
            ("src_node", l.src.to_string()),
            ("dst_node", l.dst.to_string()),
            ("link", l.link.to_string()),
        ]
    };
    let links = &s.links;
    macro_rules! per_link {
        ($name:expr, $help:expr, $unit:expr, $ty:expr, $f:expr) => {
            family(
                enc,
                $name,
                $help,
                $unit,
                $ty,
                links.iter().filter_map(|l| $f(l).map(|m| (dir(l), m))),
            )?
        };
    }
    per_link!(
        "corowire_link_rtt",
        "Ping to pong time of src's pings to dst (the round trip; the responder's delay on a capture taken on dst)",
        Some(&sec),
        H,
        |l: &LinkSample| Some(Hist::new(
            &RTT_BUCKETS_US,
            &l.rtt_hist,
            l.rtt_sum_us,
            l.rtt_count
        ))
    );
    per_link!(
        "corowire_link_pings_sent",
        "knet pings src sent to dst",
        None,
        C,
        |l: &LinkSample| Some(counter(l.pings_sent))
    );
    per_link!(
        "corowire_link_pongs_received",
        "knet pongs src received from dst",
        None,
        C,
        |l: &LinkSample| Some(counter(l.pongs_received))
    );
    per_link!(
        "corowire_link_pings_lost",
        "src's pings lost: missing from its cadence, or unanswered within the ping timeout",
        None,
        C,
        |l: &LinkSample| Some(counter(l.pings_lost))
    );
    per_link!(
        "corowire_link_pongs_late",
        "Pongs that came after the ping timeout (knet discards them)",
        None,
        C,
        |l: &LinkSample| Some(counter(l.pongs_late))
    );
    per_link!(
        "corowire_link_loss",
        "Estimated fraction of packets from src that did not reach dst",
        Some(&ratio),
        G,
        |l: &LinkSample| Some(gauge(l.loss_pct / 100.0))
    );
    per_link!(
        "corowire_link_up",
        "1 while knet's rule at src holds the link to dst up, 0 while down (absent before the first pong)",
        None,
        G,
        |l: &LinkSample| l.up.map(|u| gauge(if u { 1.0 } else { 0.0 }))
    );
    per_link!(
        "corowire_link_downs",
        "Times knet's rule took the link down",
        None,
        C,
        |l: &LinkSample| Some(counter(l.downs))
    );
    per_link!(
        "corowire_link_path_mtu",
        "Largest PMTUD size (IP length) dst acknowledged in the latest run",
        Some(&bytes),
        G,
        |l: &LinkSample| l.pmtu.map(|p| gauge(f64::from(p)))
    );
    per_link!(
        "corowire_link_max_silence",
        "Longest time src went without a pong from dst",
        Some(&sec),
        G,
        |l: &LinkSample| Some(gauge(secs_ms(l.max_silence_ms)))
    );
    per_link!(
        "corowire_link_max_silence_to_ping_timeout",
        "Longest silence as a fraction of the ping timeout (1 = knet's down at backoff 1)",
        Some(&ratio),
        G,
        |l: &LinkSample| (s.ping_timeout_ms > 0)
            .then(|| gauge(l.max_silence_ms / f64::from(s.ping_timeout_ms)))
    );
    per_link!(
        "corowire_link_pong_age",
        "Time since src's last pong from dst",
        Some(&sec),
        G,
        |l: &LinkSample| Some(gauge(secs_ms(l.pong_age_ms)))
    );
    per_link!(
        "corowire_link_packets",
        "Packets src sent to dst",
        None,
        C,
        |l: &LinkSample| Some(counter(l.packets))
    );
    per_link!(
        "corowire_link_sent",
        "Bytes (UDP payload) src sent to dst",
        Some(&bytes),
        C,
        |l: &LinkSample| Some(counter(l.bytes))
    );

    let one_c = |v: u64| [(Labels::new(), counter(v))];
    let one_g = |v: f64| [(Labels::new(), gauge(v))];
    family(
        enc,
        "corowire_token_rotation",
        "Time between two new tokens arriving at the same node",
        Some(&sec),
        H,
        s.rotation.iter().map(|h| (Labels::new(), Hist::token(h))),
    )?;
    family(
        enc,
        "corowire_token_rotation_max",
        "Longest token rotation so far",
        Some(&sec),
        G,
        s.rotation_max_us
            .map(|us| (Labels::new(), gauge(secs_us(us as f64)))),
    )?;
    family(
        enc,
        "corowire_token_hold",
        "From a new token on its way to the node to the node sending the next one",
        Some(&sec),
        H,
        s.hold
            .iter()
            .map(|(n, h)| (vec![("node", n.to_string())], Hist::token(h))),
    )?;
    family(
        enc,
        "corowire_token_age",
        "Time since a new token was last seen on its way to the node",
        Some(&sec),
        G,
        s.token_age_ms
            .iter()
            .map(|(n, ms)| (vec![("node", n.to_string())], gauge(secs_ms(*ms)))),
    )?;
    family(
        enc,
        "corowire_tokens",
        "Totem ORF tokens seen",
        None,
        C,
        one_c(s.tokens),
    )?;
    family(
        enc,
        "corowire_token_retransmits",
        "Tokens sent again by the same node after 10 ms or more",
        None,
        C,
        one_c(s.token_retransmits),
    )?;
    family(
        enc,
        "corowire_mcast_retransmits",
        "Totem multicasts sent by a node other than their originator",
        None,
        C,
        one_c(s.mcast_retransmits),
    )?;
    family(
        enc,
        "corowire_ring_seq",
        "Sequence number of the latest ring id",
        None,
        G,
        s.ring.map(|r| (Labels::new(), gauge(r.seq as f64))),
    )?;
    family(
        enc,
        "corowire_ring_representative",
        "Node id of the latest ring's representative",
        None,
        G,
        s.ring.map(|r| (Labels::new(), gauge(f64::from(r.rep)))),
    )?;
    family(
        enc,
        "corowire_ring_members",
        "Members of the latest ring",
        None,
        G,
        s.ring.map(|r| (Labels::new(), gauge(r.members as f64))),
    )?;
    family(
        enc,
        "corowire_rings",
        "Rings (memberships) seen",
        None,
        C,
        one_c(s.rings),
    )?;
    family(
        enc,
        "corowire_findings",
        "Findings the report lists now, by kind and severity (the engine revises open findings, so this can go down)",
        None,
        G,
        s.findings.iter().map(|f| {
            (
                vec![
                    ("kind", f.kind.name().to_string()),
                    ("severity", f.severity.name().to_string()),
                ],
                gauge(f.count as f64),
            )
        }),
    )?;
    family(
        enc,
        "corowire_token_timeout",
        "Effective totem token timeout the findings judge against",
        Some(&sec),
        G,
        one_g(secs_ms(f64::from(s.token_ms))),
    )?;
    family(
        enc,
        "corowire_token_warning",
        "Token gap from which corosync warns (token_warning)",
        Some(&sec),
        G,
        one_g(secs_ms(f64::from(s.token_warning_ms))),
    )?;
    family(
        enc,
        "corowire_consensus_timeout",
        "Totem consensus timeout",
        Some(&sec),
        G,
        one_g(secs_ms(f64::from(s.consensus_ms))),
    )?;
    family(
        enc,
        "corowire_ping_timeout",
        "knet ping timeout",
        Some(&sec),
        G,
        one_g(secs_ms(f64::from(s.ping_timeout_ms))),
    )?;
    family(
        enc,
        "corowire_capture_packets",
        "Corosync packets analysed",
        None,
        C,
        one_c(s.packets),
    )?;
    family(
        enc,
        "corowire_capture_packets_undecoded",
        "Corosync packets that could not be decoded (encrypted without key, malformed)",
        None,
        C,
        one_c(s.opaque_packets),
    )?;
    family(
        enc,
        "corowire_capture",
        "Bytes (UDP payload) of the corosync packets analysed",
        Some(&bytes),
        C,
        one_c(s.bytes),
    )?;
    let src = e.source.unwrap_or_default();
    family(
        enc,
        "corowire_capture_frames",
        "Frames read from the source",
        None,
        C,
        e.source.map(|c| (Labels::new(), counter(c.frames))),
    )?;
    family(
        enc,
        "corowire_capture_kernel_received",
        "Frames libpcap received (passed the kernel filter); live capture only",
        None,
        C,
        src.kernel.map(|k| (Labels::new(), counter(k.0))),
    )?;
    family(
        enc,
        "corowire_capture_kernel_dropped",
        "Frames libpcap dropped (capture buffer full); live capture only",
        None,
        C,
        src.kernel.map(|k| (Labels::new(), counter(k.1))),
    )?;
    family(
        enc,
        "corowire_capture_interface_dropped",
        "Frames the interface dropped; live capture only",
        None,
        C,
        src.kernel.map(|k| (Labels::new(), counter(k.2))),
    )?;
    family(
        enc,
        "corowire_capture_time",
        "Capture time of this sample (the latest packet's timestamp), seconds since the epoch",
        Some(&sec),
        G,
        one_g(s.ts as f64 / 1e9),
    )?;
    family(
        enc,
        "corowire_capture_finished",
        "Whether the input ended (a replay is complete): 0 or 1",
        None,
        G,
        one_g(if s.finished { 1.0 } else { 0.0 }),
    )?;
    family(
        enc,
        "corowire_untracked",
        "State not tracked because an engine cap was reached, by table",
        None,
        C,
        s.untracked
            .iter()
            .map(|(t, n)| (vec![("table", (*t).to_string())], counter(*n))),
    )?;
    Ok(())
}

/// Writes the timeline as one OpenMetrics text with a timestamp on every
/// line, for `promtool tsdb create-blocks-from openmetrics`: each family
/// once, its series one after the other, each series' points in time order.
pub fn write_backfill(t: &Timeline, cluster: Option<&str>, w: &mut impl Write) -> io::Result<()> {
    let mut fams: Vec<Fam> = Vec::new();
    for s in &t.samples {
        let e = Arc::new(Exposition {
            sample: s.clone(),
            source: None,
        });
        let text = openmetrics(e, cluster);
        add_sample(&mut fams, &text, s.ts);
    }
    for f in &fams {
        for h in &f.header {
            writeln!(w, "{h}")?;
        }
        for series in &f.series {
            for line in &series.lines {
                w.write_all(line.as_bytes())?;
                w.write_all(b"\n")?;
            }
        }
    }
    w.write_all(b"# EOF\n")
}

#[derive(Debug, Default)]
struct Fam {
    name: String,
    header: Vec<String>,
    series: Vec<Series>,
}

#[derive(Debug)]
struct Series {
    key: String,
    lines: Vec<String>,
}

/// The labels of a sample line without `le`, so that a histogram's
/// buckets, sum and count stay one series: `a="1",b="2"` for
/// `name_bucket{le="0.5",a="1",b="2"}` and `name_sum{a="1",b="2"}`. Label
/// values are quoted with `\\` and `\"` escaped, so the pairs are split at
/// the commas outside quotes.
fn series_key(name_labels: &str) -> String {
    let Some(open) = name_labels.find('{') else {
        return String::new();
    };
    let inner = name_labels[open + 1..]
        .strip_suffix('}')
        .unwrap_or(&name_labels[open + 1..]);
    let mut key = String::with_capacity(inner.len());
    let (mut quoted, mut escaped, mut from) = (false, false, 0);
    let pair = |p: &str, key: &mut String| {
        if !p.is_empty() && !p.starts_with("le=") {
            if !key.is_empty() {
                key.push(',');
            }
            key.push_str(p);
        }
    };
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                pair(&inner[from..i], &mut key);
                from = i + 1;
            }
            _ => {}
        }
    }
    pair(&inner[from..], &mut key);
    key
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

fn add_sample(fams: &mut Vec<Fam>, text: &str, ts: i64) {
    let stamp = om_ts(ts);
    let mut cur: Option<usize> = None;
    for line in text.lines() {
        if line == "# EOF" {
            break;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            // # HELP name …, # TYPE name …, # UNIT name …
            let name = rest.split(' ').nth(1).unwrap_or("");
            let i = match fams.iter().position(|f| f.name == name) {
                Some(i) => i,
                None => {
                    fams.push(Fam {
                        name: name.to_string(),
                        ..Fam::default()
                    });
                    fams.len() - 1
                }
            };
            let f = &mut fams[i];
            if !f.header.iter().any(|h| h == line) {
                f.header.push(line.to_string());
            }
            cur = Some(i);
            continue;
        }
        let (Some(i), Some((name_labels, _value))) = (cur, line.rsplit_once(' ')) else {
            continue;
        };
        let key = series_key(name_labels);
        let f = &mut fams[i];
        let stamped = format!("{line} {stamp}");
        match f.series.iter_mut().find(|s| s.key == key) {
            Some(s) => s.lines.push(stamped),
            None => f.series.push(Series {
                key,
                lines: vec![stamped],
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_keys_drop_le_only() {
        let key = r#"src_node="1",dst_node="2",link="0""#;
        for line in [
            r#"corowire_link_rtt_seconds_bucket{le="0.0001",src_node="1",dst_node="2",link="0"}"#,
            r#"corowire_link_rtt_seconds_bucket{src_node="1",dst_node="2",link="0",le="+Inf"}"#,
            r#"corowire_link_rtt_seconds_sum{src_node="1",dst_node="2",link="0"}"#,
        ] {
            assert_eq!(series_key(line), key, "{line}");
        }
        assert_eq!(series_key("corowire_tokens_total"), "");
        assert_eq!(series_key(r#"x_bucket{le="+Inf"}"#), "");
        assert_eq!(
            series_key(r#"x{cluster="a,le=\"b",handle="c"}"#),
            r#"cluster="a,le=\"b",handle="c""#
        );
    }

    #[test]
    fn openmetrics_timestamps() {
        assert_eq!(om_ts(1_795_318_679_000_000_000), "1795318679");
        assert_eq!(om_ts(1_795_318_679_250_000_000), "1795318679.25");
        assert_eq!(om_ts(1), "0.000000001");
    }
}
