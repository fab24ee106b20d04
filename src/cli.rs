//! Command-line interface (clap derive). The commands themselves live in
//! [`crate::cmd`], the run they set up in [`crate::session`]; `main` only
//! parses and maps the result to an exit code.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;

/// The version and the features built in: `live` (capture from an
/// interface, libpcap) and `compression` (gzip, zstd, xz, lz4 captures).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (features:",
    feature_live!(),
    feature_compression!(),
    ")"
);

#[cfg(feature = "live")]
macro_rules! feature_live {
    () => {
        " live"
    };
}
#[cfg(not(feature = "live"))]
macro_rules! feature_live {
    () => {
        " no-live"
    };
}
#[cfg(feature = "compression")]
macro_rules! feature_compression {
    () => {
        " compression"
    };
}
#[cfg(not(feature = "compression"))]
macro_rules! feature_compression {
    () => {
        " no-compression"
    };
}
use {feature_compression, feature_live};

#[derive(Debug, Parser)]
#[command(
    name = "corowire",
    version = VERSION,
    about = "Reads Corosync / kronosnet interconnect traffic and tells what threatened membership",
    long_about = None,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode corosync traffic packet by packet, like tcpdump.
    #[command(after_help = "Examples:
  corowire decode captures/healthy-3n-clear.pcap
  corowire decode --authkey /etc/corosync/authkey -c 20 incident.pcap
  corowire decode -Y 'knet.type == ping && knet.node == 3' captures/healthy-3n-clear.pcap
  ssh node1 tcpdump -U -s 0 -w - udp portrange 5404-5412 | corowire decode -l -")]
    Decode(DecodeArgs),
    /// Replay captures in the terminal UI (paced by capture time).
    #[command(after_help = "Examples:
  corowire tui captures/membership-3n-node3-cut-rejoin.pcap
  corowire tui --speed max --corosync-conf /etc/corosync/corosync.conf node1.pcap node2.pcap")]
    Tui(TuiArgs),
    /// Watch an interface (-i) or a pcap stream on stdin (-r -) in the terminal UI,
    /// or headless with --report-every.
    #[command(after_help = "Examples:
  sudo corowire live -i eth1 --corosync-conf /etc/corosync/corosync.conf
  ssh node1 tcpdump -U -s 0 -w - udp portrange 5404-5412 | corowire live -r -
  corowire live -r incident.pcap --report-every 10s --format text")]
    Live(LiveArgs),
    /// Measure every link against the cluster's budgets and report what
    /// threatened membership (exit 0 fine, 3 warnings, 4 critical).
    #[command(after_help = "Examples:
  corowire report captures/membership-3n-node3-cut-rejoin.pcap
  corowire report --format json --corosync-conf /etc/corosync/corosync.conf incident.pcap
  corowire report node1.pcap node2.pcap node3.pcap     # one capture per node: clocks aligned")]
    Report(ReportArgs),
    /// What-if budgets: what token, consensus and knet ping timeout would
    /// have ridden each incident out, and how far a healthy cluster's
    /// budgets could come down (the report's WHAT IF, on its own).
    #[command(after_help = "Examples:
  corowire tune captures/pause-3n-node2-sigstop8s.pcap
  corowire tune --corosync-conf /etc/corosync/corosync.conf --format json incident.pcap")]
    Tune(TuneArgs),
}

/// Budget values given on the command line (they beat corosync.conf).
#[derive(Debug, Args, Clone, Default)]
pub struct BudgetArgs {
    /// totem.token in ms (base, before token_coefficient; corosync accepts
    /// 30 ms and more).
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u32).range(30..))]
    pub token: Option<u32>,
    /// totem.token_coefficient in ms.
    #[arg(long, value_name = "MS")]
    pub token_coefficient: Option<u32>,
    /// totem.consensus in ms (corosync accepts no less than the join
    /// timeout, 50 ms by default).
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u32).range(50..))]
    pub consensus: Option<u32>,
    /// knet_ping_interval in ms.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u32).range(1..))]
    pub knet_ping_interval: Option<u32>,
    /// knet_ping_timeout in ms.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u32).range(1..))]
    pub knet_ping_timeout: Option<u32>,
    /// knet_pong_count (1 to 255, as knet accepts).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=255))]
    pub knet_pong_count: Option<u32>,
}

impl InputArgs {
    /// `-r FILE`s first, then the files named: every input in order.
    pub fn take_read(&mut self) {
        let named = std::mem::take(&mut self.files);
        self.files = std::mem::take(&mut self.read);
        self.files.extend(named);
    }
}

impl BudgetArgs {
    pub fn any(&self) -> bool {
        self.token.is_some()
            || self.token_coefficient.is_some()
            || self.consensus.is_some()
            || self.knet_ping_interval.is_some()
            || self.knet_ping_timeout.is_some()
            || self.knet_pong_count.is_some()
    }
}

/// `report --format`: a report writer's format, or the metrics' backfill
/// (a timeline of the run, which only `report` writes; `live` serves the
/// metrics with `--metrics-listen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// For people and tickets.
    Text,
    /// For scripts (schema in the README).
    Json,
    /// The capture's metrics, one sample per second with timestamps.
    #[value(name = "openmetrics")]
    OpenMetrics,
    /// One self-contained HTML page: the verdict, the incidents, the
    /// findings and plots on one time axis.
    Html,
}

impl ReportFormat {
    /// The report writer's format; None for the metrics' backfill.
    pub fn report(self) -> Option<Format> {
        match self {
            ReportFormat::Text => Some(Format::Text),
            ReportFormat::Json => Some(Format::Json),
            ReportFormat::OpenMetrics | ReportFormat::Html => None,
        }
    }
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub budgets: BudgetArgs,

    /// text (for people and tickets), json (for scripts; schema in the
    /// README), openmetrics (the capture's metrics per second with
    /// timestamps, for `promtool tsdb create-blocks-from openmetrics`) or
    /// html (one self-contained page with plots).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,

    /// Write the report to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// The verdict, the nodes and the warning and critical findings only.
    #[arg(long)]
    pub brief: bool,

    /// List only findings of at least this severity (the verdict and the
    /// exit status still weigh them all).
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub min_severity: Option<crate::report::Level>,

    /// Add SECONDS (may be negative) to every timestamp of FILE before
    /// anything else: a clock offset known from elsewhere, or a check of the
    /// offset estimate. Repeatable; FILE as given on the command line.
    #[arg(long = "time-shift", value_name = "FILE=SECONDS")]
    pub time_shift: Vec<String>,

    /// Threads for decoding, decryption and analysis; the default is the
    /// cores available (at most 8), and 1 runs everything on one thread.
    /// The report is the same whatever N is.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub threads: Option<u32>,
}

#[derive(Debug, Args)]
pub struct TuneArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub budgets: BudgetArgs,

    /// text (for people) or json (the report's verdict, budgets, incidents
    /// and what_if).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// As `report --time-shift`.
    #[arg(long = "time-shift", value_name = "FILE=SECONDS")]
    pub time_shift: Vec<String>,

    /// Threads for decoding, decryption and analysis; the default is the
    /// cores available (at most 8), and 1 runs everything on one thread.
    /// The report is the same whatever N is.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub threads: Option<u32>,
}

/// How to read corosync traffic, for every command: ports, keys, config.
#[derive(Debug, Args, Clone)]
pub struct SourceArgs {
    /// UDP ports that carry corosync traffic.
    #[arg(long, default_value = "5404-5412", value_name = "LIST")]
    pub ports: String,

    /// The cluster's authkey, to decrypt knet (repeatable: during a key
    /// change two keys are live). Read-only; never printed.
    #[arg(long = "authkey", value_name = "FILE")]
    pub authkeys: Vec<PathBuf>,

    /// The cluster's corosync.conf: node names and addresses, budgets,
    /// crypto_cipher / crypto_hash and keyfile.
    #[arg(long, value_name = "FILE")]
    pub corosync_conf: Option<PathBuf>,

    /// crypto_cipher as in corosync.conf (aes256, aes192, aes128, none);
    /// found by trying when neither this nor a config says it.
    #[arg(long, value_name = "NAME")]
    pub crypto_cipher: Option<String>,

    /// crypto_hash as in corosync.conf (sha256, sha1, md5, sha384, sha512, none).
    #[arg(long, value_name = "NAME")]
    pub crypto_hash: Option<String>,
}

impl Default for SourceArgs {
    fn default() -> Self {
        SourceArgs {
            ports: "5404-5412".into(),
            authkeys: Vec::new(),
            corosync_conf: None,
            crypto_cipher: None,
            crypto_hash: None,
        }
    }
}

/// Options shared by every command that reads capture files.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// pcap or pcapng files; `-` reads a pcap stream from stdin
    /// (`tcpdump -U -w - | corowire decode -`). Several files are merged on time.
    #[arg(value_name = "FILE", required_unless_present = "read")]
    pub files: Vec<PathBuf>,

    /// Read FILE, as tcpdump -r (repeatable; the same as naming it).
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: Vec<PathBuf>,

    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// JSON Lines: one object per corosync packet (schema in the README).
    #[arg(long)]
    pub json: bool,

    /// Print only the closing summary (to stdout).
    #[arg(short = 's', long)]
    pub summary_only: bool,

    /// Stop after this many corosync packets (at least 1).
    #[arg(short = 'c', long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Print absolute times as epoch seconds instead of UTC clock time.
    #[arg(long)]
    pub epoch: bool,

    /// Write each packet's line as soon as it is decoded (as tcpdump -l);
    /// on by itself when stdout is a terminal.
    #[arg(short = 'l', long = "line-buffered")]
    pub line_buffered: bool,

    /// Print only the packets that match a display filter (as tshark -Y),
    /// e.g. `knet.type == ping && knet.node == 3`; -c counts them only.
    /// Grammar and fields in the README.
    #[arg(short = 'Y', long = "display-filter", value_name = "EXPR")]
    pub display_filter: Option<String>,
}

/// `corowire tui FILE...` (the screen and keys are in the README / `?`).
#[derive(Debug, Args)]
pub struct TuiArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Replay speed: 1 = as recorded, N = N times faster, max = as fast as possible.
    #[arg(long, default_value = "1", value_name = "1|N|max")]
    pub speed: String,

    #[command(flatten)]
    pub budgets: BudgetArgs,
}

/// `corowire live -i IFACE | -r -`
#[derive(Debug, Args)]
pub struct LiveArgs {
    /// Interface to capture on (needs root or CAP_NET_RAW; feature `live`).
    #[arg(short = 'i', long, value_name = "IFACE")]
    pub interface: Option<String>,

    /// Read a pcap stream instead: `-` is stdin (`tcpdump -U -w - ... | corowire live -r -`).
    #[arg(short = 'r', long, value_name = "FILE")]
    pub read: Option<PathBuf>,

    #[command(flatten)]
    pub source: SourceArgs,

    /// Do not put the interface in promiscuous mode (it is by default, as
    /// with tcpdump: a SPAN port or a bridge shows other hosts' frames only so).
    #[arg(short = 'p', long, conflicts_with = "promisc")]
    pub no_promisc: bool,

    /// Kernel capture buffer in KiB (as tcpdump -B).
    #[arg(short = 'B', long, value_name = "KIB", default_value_t = 32768)]
    pub buffer_size: u32,

    /// Bytes kept of each frame (default: the interface's MTU plus link headers).
    #[arg(long, value_name = "BYTES")]
    pub snaplen: Option<u32>,

    /// Promiscuous mode (the default; kept so older command lines still work).
    #[arg(long, hide = true)]
    pub promisc: bool,

    /// Headless: write one report per interval to stdout (e.g. 10s, 500ms, 1m).
    #[arg(long, value_name = "DURATION")]
    pub report_every: Option<String>,

    /// Serve Prometheus metrics at http://ADDR:PORT/metrics (OpenMetrics
    /// when the scraper asks for it), headless or beside the TUI; e.g.
    /// 127.0.0.1:9405 or [::]:9405.
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics_listen: Option<String>,

    /// With --metrics-listen, headless: once the input ends (a replay), keep
    /// serving the final figures this long (e.g. 5m), or until a signal.
    #[arg(long, value_name = "DURATION", requires = "metrics_listen")]
    pub metrics_linger: Option<String>,

    /// Keep every frame read in a pcap file (as tcpdump -w), while the TUI
    /// or headless mode runs.
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,

    /// With -w: start a new file once the current one holds this many
    /// million bytes (FILE, FILE1, FILE2, … as tcpdump -C).
    #[arg(short = 'C', value_name = "MB", requires = "write", value_parser = clap::value_parser!(u64).range(1..))]
    pub file_size: Option<u64>,

    /// With -C: keep this many files, FILE0 … FILE{N-1}, overwriting the
    /// oldest (as tcpdump -W).
    #[arg(short = 'W', value_name = "N", requires = "file_size", value_parser = clap::value_parser!(u32).range(1..))]
    pub file_count: Option<u32>,

    /// Stop after this many frames (as tcpdump -c).
    #[arg(short = 'c', long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Stop after this much capture time (e.g. 30s, 5m).
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,

    /// A capture filter in libpcap's syntax (as tcpdump's expression),
    /// applied in the kernel together with corowire's own corosync filter;
    /// -i only.
    #[arg(
        value_name = "EXPRESSION",
        trailing_var_arg = true,
        requires = "interface"
    )]
    pub filter: Vec<String>,

    /// Report format for --report-every: json (one object per line) or text.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,

    #[command(flatten)]
    pub budgets: BudgetArgs,
}

impl LiveArgs {
    /// The shared input options (for the session's plan), reading `-r` or nothing.
    pub fn input(&self) -> InputArgs {
        InputArgs {
            files: self.read.iter().cloned().collect(),
            read: Vec::new(),
            source: self.source.clone(),
        }
    }
}
