//! Live capture through libpcap (feature `live`).
//!
//! The interface is opened in immediate mode with nanosecond timestamps and a
//! read timeout, and a BPF filter is compiled into the kernel so only
//! corosync traffic (and what path-MTU analysis needs) crosses into user
//! space. `advance` waits for the next packet but wakes at every timeout to
//! look at the stop flag, so a UI can end a capture promptly.

use std::ops::RangeInclusive;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use std::os::unix::io::AsRawFd;

use pcap::{Active, Capture, Precision};

use super::{CaptureError, CaptureErrorKind, PacketSource, RawFrame, SourceStats};

/// How to open an interface.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Bytes kept of each packet; 0 = the interface's MTU plus room for
    /// link headers (see [`auto_snaplen`]).
    pub snaplen: i32,
    /// Put the interface in promiscuous mode (needed on a SPAN port or a
    /// bridge; CAP_NET_RAW is enough, libpcap asks through the packet socket).
    pub promisc: bool,
    /// Read timeout in ms: how often `advance` looks at the stop flag.
    pub timeout_ms: i32,
    /// Kernel buffer size in bytes (0 = libpcap's default).
    pub buffer_size: i32,
    /// Corosync ports for the default filter.
    pub ports: RangeInclusive<u16>,
    /// A BPF filter replacing the default one (`Some("")` captures all).
    pub filter: Option<String>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            snaplen: 0,
            promisc: true,
            timeout_ms: 100,
            buffer_size: 32 << 20,
            ports: crate::wire::DEFAULT_PORTS,
            filter: None,
        }
    }
}

/// The default kernel filter for a port range.
///
/// - `udp portrange` matches unfragmented datagrams and first fragments.
/// - Later IPv4 fragments carry no UDP header: `ip[6:2] & 0x1fff != 0` (a
///   non-zero fragment offset) with `ip[9] == 17` (protocol UDP) keeps them.
/// - IPv6 fragments: a fragment header right after the fixed header
///   (`ip6[6] == 44`) whose next header is UDP (`ip6[40] == 17`); libpcap's
///   `udp` primitive does not walk IPv6 extension headers.
/// - ICMPv4 destination unreachable / fragmentation needed (type 3 code 4)
///   and ICMPv6 packet too big (type 2), for path MTU analysis.
pub fn default_filter(ports: &RangeInclusive<u16>) -> String {
    format!(
        "udp portrange {}-{} or (ip and ip[6:2] & 0x1fff != 0 and ip[9] == 17) or (ip6 and ip6[6] == 44 and ip6[40] == 17) or (icmp and icmp[0] == 3 and icmp[1] == 4) or (icmp6 and ip6[40] == 2)",
        ports.start(),
        ports.end()
    )
}

/// A live capture on one interface.
pub struct LiveSource {
    name: String,
    /// Non-blocking, so a silent interface cannot hold `poll` (libpcap's own
    /// read timeout does not return on Linux while nothing arrives).
    cap: Capture<Active>,
    timeout_ms: i32,
    linktype: u32,
    /// The current packet, copied out of libpcap's ring (one reused buffer).
    buf: Vec<u8>,
    ts: i64,
    orig_len: u32,
    packet_no: u64,
    stop: Arc<AtomicBool>,
    stats: SourceStats,
}

/// The snaplen used when none is given: the largest frame the interface can
/// carry (its MTU, or the largest MTU of all for "any") plus 128 bytes of
/// link headers (Ethernet, two VLAN tags, SLL2), at least 2048.
///
/// In immediate mode libpcap uses TPACKET_V2, whose ring has one fixed slot
/// per packet sized from the snaplen (clamped by libpcap to what the
/// interface can deliver): with the former 256 KiB snaplen an 8 MiB ring held
/// only tens of packets and bursts of corosync traffic overflowed it
/// (measured on a veth: 349 of 6840 packets lost at 15 k packets/s, 22 % at
/// 130 k/s). Slots sized from the MTU in a 32 MiB ring hold about 20,000. A frame longer than the MTU (GRO) is cut and counted as
/// such by the decoder.
pub fn auto_snaplen(iface: &str) -> i32 {
    let mtu_of = |name: &str| -> Option<u32> {
        std::fs::read_to_string(format!("/sys/class/net/{name}/mtu"))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let mtu = if iface == "any" {
        std::fs::read_dir("/sys/class/net")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| mtu_of(&e.file_name().to_string_lossy()))
            .max()
    } else {
        mtu_of(iface)
    };
    let mtu = mtu.unwrap_or(9000).min(262_144 - 128);
    (mtu as i32 + 128).max(2048)
}

/// Nanoseconds from a timeval whose fraction holds ns (`Precision::Nano`);
/// generic because time_t / suseconds_t are i32 on some targets.
fn timeval_ns<S: Into<i64>, U: Into<i64>>(sec: S, nsec: U) -> i64 {
    sec.into()
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec.into())
}

fn live_err(iface: &str, e: &pcap::Error) -> CaptureError {
    let text = e.to_string();
    let low = text.to_lowercase();
    let msg = if low.contains("permission") || low.contains("not permitted") {
        format!(
            "{text}: capturing on {iface} needs root or CAP_NET_RAW (setcap cap_net_raw=eip /path/to/corowire)"
        )
    } else if low.contains("no such device") {
        format!("{text}: there is no interface named {iface:?} (see `ip link`)")
    } else {
        text
    };
    CaptureError {
        file: iface.to_string(),
        packet_no: 0,
        offset: 0,
        kind: CaptureErrorKind::Io(msg),
        recoverable: false,
    }
}

impl LiveSource {
    /// Opens `iface` ("any" for all interfaces) and installs the filter.
    pub fn open(iface: &str, opts: &LiveOptions) -> Result<LiveSource, CaptureError> {
        let snaplen = if opts.snaplen > 0 {
            opts.snaplen
        } else {
            auto_snaplen(iface)
        };
        let mut inactive = Capture::from_device(iface)
            .map_err(|e| live_err(iface, &e))?
            .snaplen(snaplen)
            .promisc(opts.promisc)
            .immediate_mode(true)
            .timeout(opts.timeout_ms.max(1))
            .precision(Precision::Nano);
        if opts.buffer_size > 0 {
            inactive = inactive.buffer_size(opts.buffer_size);
        }
        let mut cap = inactive.open().map_err(|e| live_err(iface, &e))?;
        let filter = opts
            .filter
            .clone()
            .unwrap_or_else(|| default_filter(&opts.ports));
        if !filter.is_empty() {
            cap.filter(&filter, true).map_err(|e| {
                let mut err = live_err(iface, &e);
                err.kind = CaptureErrorKind::Io(format!("BPF filter {filter:?}: {e}"));
                err
            })?;
        }
        let linktype = cap.get_datalink().0 as u32;
        let cap = cap.setnonblock().map_err(|e| live_err(iface, &e))?;
        Ok(LiveSource {
            name: iface.to_string(),
            cap,
            timeout_ms: opts.timeout_ms.max(1),
            linktype,
            buf: Vec::with_capacity(snaplen.max(0) as usize),
            ts: 0,
            orig_len: 0,
            packet_no: 0,
            stop: Arc::new(AtomicBool::new(false)),
            stats: SourceStats {
                kernel_stats: true,
                ..SourceStats::default()
            },
        })
    }

    /// A flag that, once set, makes `advance` return `Ok(false)` within one
    /// read timeout.
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// The interface's link type.
    pub fn linktype(&self) -> u32 {
        self.linktype
    }

    /// Waits at most one read timeout for a packet: `Ok(true)` when one is
    /// current, `Ok(false)` when the timeout passed without one.
    pub fn poll(&mut self) -> Result<bool, CaptureError> {
        if self.read_one()? {
            return Ok(true);
        }
        // Nothing queued: sleep in poll(2) until the socket is readable or
        // the timeout passes, then try once more.
        let mut pfd = libc::pollfd {
            fd: self.cap.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd on the stack for the duration of the call.
        let _ = unsafe { libc::poll(&mut pfd, 1, self.timeout_ms) };
        if self.read_one()? {
            return Ok(true);
        }
        self.refresh_stats();
        Ok(false)
    }

    /// One non-blocking read: `Ok(true)` when a packet became current.
    fn read_one(&mut self) -> Result<bool, CaptureError> {
        match self.cap.next_packet() {
            Ok(p) => {
                self.packet_no += 1;
                let h = p.header;
                self.ts = timeval_ns(h.ts.tv_sec, h.ts.tv_usec);
                self.orig_len = h.len;
                self.buf.clear();
                self.buf.extend_from_slice(p.data);
                self.stats.frames += 1;
                self.stats.bytes += p.data.len() as u64;
                if (p.data.len() as u64) < u64::from(h.len) {
                    self.stats.snaplen_cut += 1;
                }
                if self.packet_no.is_multiple_of(4096) {
                    self.refresh_stats();
                }
                Ok(true)
            }
            Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => Ok(false),
            Err(e) => {
                let mut err = live_err(&self.name, &e);
                err.packet_no = self.packet_no;
                Err(err)
            }
        }
    }

    /// Reads the kernel's received, dropped and interface-dropped counters
    /// into `stats()` (one getsockopt; cheap enough for every screen update).
    pub fn refresh_stats(&mut self) {
        if let Ok(s) = self.cap.stats() {
            self.stats.received_kernel = u64::from(s.received);
            self.stats.dropped_kernel = u64::from(s.dropped);
            self.stats.dropped_if = u64::from(s.if_dropped);
        }
    }
}

impl PacketSource for LiveSource {
    fn advance(&mut self) -> Result<bool, CaptureError> {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                self.refresh_stats();
                return Ok(false);
            }
            if self.poll()? {
                return Ok(true);
            }
        }
    }

    fn frame(&self) -> RawFrame<'_> {
        RawFrame {
            ts: self.ts,
            linktype: self.linktype,
            orig_len: self.orig_len,
            data: &self.buf,
            packet_no: self.packet_no,
            offset: 0,
            source: 0,
        }
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn stats(&self) -> SourceStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonexistent_interface_is_a_clear_error() {
        let e = LiveSource::open("corowire-no-such-if0", &LiveOptions::default())
            .err()
            .expect("must fail");
        assert_eq!(e.file, "corowire-no-such-if0");
        assert!(!e.recoverable);
        let msg = e.to_string();
        // Unprivileged: the permission hint; privileged: no such device.
        assert!(
            msg.contains("no interface named") || msg.contains("CAP_NET_RAW"),
            "{msg}"
        );
    }

    #[test]
    fn live_source_can_join_a_merge() {
        fn send<T: Send>() {}
        send::<LiveSource>();
    }

    #[test]
    fn default_filter_compiles() {
        // Compiling needs no privilege: a dead capture of each link type
        // (DLT values: 12 is DLT_RAW on Linux).
        for lt in [1, 113, 276, 12] {
            let cap = Capture::dead(pcap::Linktype(lt)).expect("dead capture");
            let f = default_filter(&crate::wire::DEFAULT_PORTS);
            cap.compile(&f, true)
                .unwrap_or_else(|e| panic!("linktype {lt}: {e}"));
        }
    }

    #[test]
    fn a_silent_interface_returns_within_the_timeout() {
        // Regression: libpcap's read timeout alone never returned on Linux
        // while nothing arrived, so the stop flag was never looked at.
        let opts = LiveOptions {
            timeout_ms: 100,
            // A port nothing on this machine uses: the interface is silent.
            filter: Some("udp port 9".into()),
            ..LiveOptions::default()
        };
        let mut src = match LiveSource::open("lo", &opts) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("skipped: {e}");
                return;
            }
        };
        let start = std::time::Instant::now();
        assert!(!src.poll().expect("poll"));
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        let stop = src.stop_handle();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            stop.store(true, Ordering::Relaxed);
        });
        assert!(!src.advance().expect("stopped"));
        t.join().expect("stopper");
        assert!(start.elapsed() < std::time::Duration::from_secs(3));
    }

    #[test]
    fn captures_udp_on_loopback_when_root() {
        // Only meaningful with the privilege to capture.
        let mut src = match LiveSource::open(
            "lo",
            &LiveOptions {
                timeout_ms: 50,
                ..LiveOptions::default()
            },
        ) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("skipped: {e}");
                return;
            }
        };
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let mut got = None;
        for _ in 0..40 {
            sock.send_to(b"corowire-live-test", "127.0.0.1:5405")
                .expect("send");
            if src.poll().expect("poll") {
                got = Some(src.frame().data.to_vec());
                break;
            }
        }
        let data = got.expect("a packet on lo");
        assert!(data.windows(18).any(|w| w == b"corowire-live-test"));
        src.stop_handle().store(true, Ordering::Relaxed);
        assert!(!src.advance().expect("stop"));
    }
}
