//! The view model: plain data the screen needs, and nothing else.
//!
//! The UI never looks at decoder or analysis state; it draws a [`View`].
//! The producer ([`super::driver`]) fills it off the UI thread from the
//! session's counters and the engine's snapshot ([`super::adapter`]) and
//! sends a copy whenever something changed. Every time in here is capture time (ns
//! since the epoch), so a replayed capture always renders the same frames.

use serde::Serialize;

/// Capture-clock timestamp, ns since the Unix epoch.
pub type Ts = i64;

/// Everything one frame shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct View {
    pub header: Header,
    pub budgets: Budgets,
    pub nodes: Vec<Node>,
    /// One row per directed link (pinger → responder, knet link id).
    pub links: Vec<LinkRow>,
    pub totem: TotemView,
    /// In time order (the UI shows them newest first).
    pub findings: Vec<Finding>,
    /// Findings told as incidents with a cause, in time order.
    pub incidents: Vec<Incident>,
}

/// An incident: findings that overlap and share nodes, with their cause.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Incident {
    pub start: Ts,
    /// None while one of its findings is open.
    pub end: Option<Ts>,
    pub severity: Severity,
    /// "node 3 cut off", "host stall of node 2", …
    pub cause: String,
}

/// Where packets come from.
pub use crate::session::SourceKind;

/// Replay pacing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Speed {
    /// Capture time × factor (1.0 = recorded speed).
    Factor(f64),
    /// As fast as the decoder goes.
    Max,
}

impl Default for Speed {
    fn default() -> Self {
        Speed::Factor(1.0)
    }
}

impl Speed {
    /// Parses `1`, `10`, `0.5`, `max`.
    pub fn parse(s: &str) -> Result<Speed, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        let t = t
            .strip_prefix('x')
            .or_else(|| t.strip_suffix('x'))
            .unwrap_or(t);
        match t.parse::<f64>() {
            Ok(f) if f.is_finite() && f > 0.0 && f <= 1e6 => Ok(Speed::Factor(f)),
            _ => Err(format!(
                "bad speed '{s}': a factor like 1, 10, 0.5, or 'max'"
            )),
        }
    }
    pub fn label(&self) -> String {
        match self {
            Speed::Max => "max".into(),
            Speed::Factor(f) if f.fract() == 0.0 => format!("x{f:.0}"),
            Speed::Factor(f) => format!("x{f}"),
        }
    }
}

/// The header line: source, time, counters, status.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Header {
    pub source: String,
    pub kind: SourceKind,
    /// First and latest packet time seen.
    pub first_ts: Option<Ts>,
    pub now_ts: Option<Ts>,
    pub speed: Speed,
    /// Replay paused by the user.
    pub paused: bool,
    /// The input ended (replay done, stdin closed).
    pub finished: bool,
    pub frames: u64,
    pub corosync_packets: u64,
    pub decrypted: u64,
    /// Encrypted packets no key opened.
    pub encrypted: u64,
    pub malformed: u64,
    pub capture_errors: u64,
    /// libpcap's counters (live capture only, see `kernel_stats`):
    /// received by the kernel filter, dropped for a full buffer, dropped by
    /// the interface.
    pub received_kernel: u64,
    pub dropped_kernel: u64,
    pub dropped_if: u64,
    /// The source has kernel counters; false for files and stdin (n/a).
    pub kernel_stats: bool,
    /// Directed links over the tracking cap (their packets are counted, not analysed).
    pub untracked: u64,
    /// One short line: "cleartext", "decrypting (aes256/sha256)", "encrypted, no key".
    pub decode_status: String,
    /// Last error of the source, if it stopped on one.
    pub error: Option<String>,
}

/// The cluster's timing budgets (ms).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Budgets {
    pub token_ms: u32,
    pub token_warning_ms: u32,
    pub consensus_ms: u32,
    pub ping_interval_ms: u32,
    pub ping_timeout_ms: u32,
    pub pong_count: u32,
    /// Where they come from ("corosync 3.1 defaults, 3 nodes").
    pub origin: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Node {
    pub id: u32,
    /// From the configuration; empty when unknown.
    pub name: String,
}

/// knet's opinion of a link, as judged from the traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    #[default]
    Unknown,
    Up,
    Down,
}

/// RTT statistics in µs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Rtt {
    pub samples: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

/// One bin of the RTT time series.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RttPoint {
    /// Bin start.
    pub ts: Ts,
    /// Largest RTT in the bin (None: no pong matched in it).
    pub max_us: Option<u32>,
    /// Pings of the bin judged lost.
    pub lost: u32,
}

/// Histogram bucket: RTTs `<= upper_us` (and above the previous bucket).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// `u64::MAX` for the last, open bucket.
    pub upper_us: u64,
    pub count: u64,
}

/// A gap in the pong stream longer than the ping interval budget.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Silence {
    pub start: Ts,
    /// None while it lasts.
    pub end: Option<Ts>,
    pub ms: u64,
}

/// One directed link.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LinkRow {
    /// Sender of the pings (the node measuring the RTT).
    pub src: u32,
    /// Responder (0 while its address is not yet mapped to a node).
    pub dst: u32,
    pub link: u8,
    pub rtt: Rtt,
    /// Pings src → dst left unanswered, percent (None before any ping).
    pub loss_pct: Option<f64>,
    /// The same for the reverse row (dst pinging src), copied here for the table.
    pub loss_rev_pct: Option<f64>,
    pub pings: u64,
    pub pongs: u64,
    /// Largest PMTUD size acknowledged in this direction.
    pub pmtu: Option<u32>,
    pub state: LinkState,
    /// Time since the last pong (None before the first).
    pub last_pong_age_ms: Option<u64>,
    pub max_silence_ms: u64,
    #[serde(skip)]
    pub series: Vec<RttPoint>,
    /// Every RTT sample in log-spaced buckets, in ascending order.
    #[serde(skip)]
    pub hist: Vec<Bucket>,
    pub silences: Vec<Silence>,
}

impl LinkRow {
    pub fn key(&self) -> (u32, u32, u8) {
        (self.src, self.dst, self.link)
    }
}

/// A membership change: a new ring installed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub ts: Ts,
    /// As corosync logs it (`1.d`).
    pub ring_id: String,
    pub members: Vec<u32>,
    pub joined: Vec<u32>,
    pub left: Vec<u32>,
    /// Never became operational: a later ring of its members replaced it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub attempt: bool,
}

/// Totem: token rotation, retransmits, membership.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TotemView {
    /// (time, rotation µs) of the latest full token rotations, oldest first.
    #[serde(skip)]
    pub rotation_us: Vec<(Ts, u64)>,
    /// Per node, when the token was last seen on its way to it.
    pub last_token: Vec<(u32, Ts)>,
    pub rotation_p50_us: Option<u64>,
    pub rotation_p99_us: Option<u64>,
    pub rotation_max_us: Option<u64>,
    /// The same token sent again (same token_seq by the same sender).
    pub token_retransmits: u64,
    /// Largest retransmit list carried by a token.
    pub rtr_max: u32,
    /// Messages requested for retransmission, summed over tokens.
    pub rtr_total: u64,
    pub membership: Vec<Membership>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "WARN",
            Severity::Critical => "CRIT",
        }
    }
}

/// Something the network team should look at.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Finding {
    pub start: Ts,
    /// None while it lasts.
    pub end: Option<Ts>,
    pub severity: Severity,
    /// Machine name: `link_down`, `membership_change`, `token_at_risk`, ...
    pub kind: String,
    pub src: Option<u32>,
    pub dst: Option<u32>,
    pub link: Option<u8>,
    /// One line for the list.
    pub text: String,
    /// The numbers behind it, one per line (Enter shows them).
    pub evidence: Vec<String>,
}

impl View {
    /// The node's display name: its configured name, else `n<id>`.
    pub fn node_name(&self, id: u32) -> String {
        if id == 0 {
            return "?".into();
        }
        match self.nodes.iter().find(|n| n.id == id) {
            Some(n) if !n.name.is_empty() => n.name.clone(),
            _ => format!("n{id}"),
        }
    }
    /// Link ids present, ascending.
    pub fn link_ids(&self) -> Vec<u8> {
        let mut v: Vec<u8> = self.links.iter().map(|l| l.link).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}
