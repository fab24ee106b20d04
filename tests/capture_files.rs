//! The capture readers over the real sample captures and over files derived
//! from them with editcap / mergecap (tests/data/), plus hand-built pcapng
//! blocks for what the tools do not write (SPB, obsolete PB, if_tsoffset,
//! big-endian sections, corrupt blocks).

use std::io::Read;
use std::path::{Path, PathBuf};

use corowire::capture::file::FileSource;
use corowire::capture::merge::Merge;
use corowire::capture::{CaptureError, CaptureErrorKind, PacketSource, SkippedSpan, linktype};

fn spec(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/spec")
        .join(name)
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

const CLEARTEXT: &str = "lab-c3.1.7-knet1.25-cleartext.pcap";
const AES: &str = "lab-c3.1.7-knet1.25-aes256-sha256-nss.pcap";
const NSS_OPENSSL: &str = "lab-c3.1.7-knet1.25-aes256-sha256-nss-vs-openssl.pcap";
const KNET_TYPES: &str = "synthetic-knet-types.pcap";
const TOTEM_VARIANTS: &str = "synthetic-totem-variants.pcap";

/// One frame's facts, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
struct F {
    ts: i64,
    linktype: u32,
    orig_len: u32,
    data: Vec<u8>,
    packet_no: u64,
    offset: u64,
    source: usize,
}

/// Reads a source to its end; errors are collected, reading goes on while
/// they are recoverable.
fn drain(src: &mut dyn PacketSource) -> (Vec<F>, Vec<CaptureError>) {
    let (mut frames, mut errors) = (Vec::new(), Vec::new());
    loop {
        match src.advance() {
            Ok(true) => {
                let f = src.frame();
                frames.push(F {
                    ts: f.ts,
                    linktype: f.linktype,
                    orig_len: f.orig_len,
                    data: f.data.to_vec(),
                    packet_no: f.packet_no,
                    offset: f.offset,
                    source: f.source,
                });
            }
            Ok(false) => break,
            Err(e) => {
                let stop = !e.recoverable;
                errors.push(e);
                if stop {
                    break;
                }
            }
        }
        assert!(errors.len() < 10_000, "error loop");
    }
    (frames, errors)
}

fn read_path(p: &Path) -> (Vec<F>, Vec<CaptureError>) {
    let mut s = FileSource::open(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    drain(&mut s)
}

fn read_bytes(b: Vec<u8>) -> Result<(Vec<F>, Vec<CaptureError>), CaptureError> {
    let mut s = FileSource::from_reader("mem".into(), Box::new(std::io::Cursor::new(b)))?;
    Ok(drain(&mut s))
}

fn ns(secs: i64, frac_ns: i64) -> i64 {
    secs * 1_000_000_000 + frac_ns
}

#[test]
fn sample_counts_first_timestamps_and_linktypes() {
    // Counts and first times as capinfos / tshark report them.
    let cases = [
        (
            CLEARTEXT,
            956,
            ns(1_795_311_487, 627_389_000),
            linktype::LINUX_SLL2,
        ),
        (
            AES,
            773,
            ns(1_795_311_578, 862_433_000),
            linktype::LINUX_SLL2,
        ),
        (
            NSS_OPENSSL,
            321,
            ns(1_795_311_637, 240_296_000),
            linktype::LINUX_SLL2,
        ),
        (KNET_TYPES, 5, ns(1_700_000_000, 0), linktype::ETHERNET),
        (TOTEM_VARIANTS, 5, ns(1_700_000_000, 0), linktype::ETHERNET),
    ];
    for (name, count, first_ts, lt) in cases {
        let p = spec(name);
        let mut s = FileSource::open(&p).unwrap();
        assert_eq!(s.format_name(), "pcap");
        assert_eq!(s.linktype(), Some(lt));
        let (frames, errors) = drain(&mut s);
        assert!(errors.is_empty(), "{name}: {errors:?}");
        assert_eq!(frames.len(), count, "{name}");
        assert_eq!(frames[0].ts, first_ts, "{name}");
        assert!(frames.iter().all(|f| f.linktype == lt));
        // Numbering and offsets: 1-based, first record after the 24-byte header.
        assert_eq!((frames[0].packet_no, frames[0].offset), (1, 24));
        assert!(
            frames
                .iter()
                .enumerate()
                .all(|(i, f)| f.packet_no == i as u64 + 1)
        );
        let st = s.stats();
        assert_eq!(st.frames, count as u64);
        assert_eq!(
            st.bytes,
            frames.iter().map(|f| f.data.len() as u64).sum::<u64>()
        );
        assert_eq!((st.snaplen_cut, st.skipped), (0, 0));
        // Record offsets chain: each record is 16 bytes of header plus data.
        for w in frames.windows(2) {
            assert_eq!(w[1].offset, w[0].offset + 16 + w[0].data.len() as u64);
        }
        let last = frames.last().unwrap();
        assert_eq!(
            last.offset + 16 + last.data.len() as u64,
            std::fs::metadata(&p).unwrap().len()
        );
    }
    // Last frame of the cleartext capture: time and length as tshark shows them.
    let (frames, _) = read_path(&spec(CLEARTEXT));
    let last = frames.last().unwrap();
    assert_eq!(
        (last.ts, last.orig_len),
        (ns(1_795_311_542, 928_518_000), 91)
    );
}

#[test]
fn sll2_frames_carry_corosync_ports() {
    let (frames, _) = read_path(&spec(CLEARTEXT));
    // SLL2: protocol 0x0800 first, then IPv4 at 20 with UDP ports 5405/5406.
    let mut p5405 = 0;
    let mut p5406 = 0;
    for f in &frames {
        assert_eq!(&f.data[0..2], &[0x08, 0x00]);
        let ihl = usize::from(f.data[20] & 0xf) * 4;
        let sport = u16::from_be_bytes([f.data[20 + ihl], f.data[21 + ihl]]);
        match sport {
            5405 => p5405 += 1,
            5406 => p5406 += 1,
            p => panic!("port {p}"),
        }
    }
    // tshark: 382 + 289 datagrams on 5405, 143 + 142 on 5406.
    assert_eq!((p5405, p5406), (671, 285));
}

#[test]
fn nanosecond_pcap_and_pcapng_agree_with_microsecond_pcap() {
    let (base, _) = read_path(&spec(CLEARTEXT));
    let base = &base[..20];
    for name in [
        "cleartext-20-ns.pcap",
        "cleartext-20.pcapng",
        "cleartext-20-ns.pcapng",
    ] {
        let mut s = FileSource::open(&data(name)).unwrap();
        let want_format = if name.ends_with("pcapng") {
            "pcapng"
        } else {
            "pcap"
        };
        assert_eq!(s.format_name(), want_format);
        let (frames, errors) = drain(&mut s);
        assert!(errors.is_empty(), "{name}: {errors:?}");
        assert_eq!(frames.len(), 20, "{name}");
        for (a, b) in frames.iter().zip(base) {
            assert_eq!(
                (a.ts, a.linktype, a.orig_len, &a.data, a.packet_no),
                (b.ts, b.linktype, b.orig_len, &b.data, b.packet_no),
                "{name}"
            );
        }
    }
}

#[test]
fn pcapng_several_interfaces_with_their_own_link_types() {
    // mergecap of synthetic-knet-types (Ethernet, interface 0) and the first
    // 20 cleartext frames (SLL2, interface 1).
    let (frames, errors) = read_path(&data("two-interfaces.pcapng"));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(frames.len(), 25);
    assert!(frames[..5].iter().all(|f| f.linktype == linktype::ETHERNET));
    assert!(
        frames[5..]
            .iter()
            .all(|f| f.linktype == linktype::LINUX_SLL2)
    );
    assert_eq!(frames[0].ts, ns(1_700_000_000, 0));
    assert_eq!(frames[4].ts, ns(1_700_000_004, 0));
    assert_eq!(frames[5].ts, ns(1_795_311_487, 627_389_000));
    assert_eq!(frames[24].ts, ns(1_795_311_489, 725_812_000));
}

#[test]
fn snaplen_cut_frames_are_delivered_and_counted() {
    let mut s = FileSource::open(&data("cleartext-20-snap60.pcap")).unwrap();
    let (frames, errors) = drain(&mut s);
    assert!(errors.is_empty());
    assert_eq!(frames.len(), 20);
    // tshark: every frame is longer than 60 bytes, the first three 74.
    assert!(frames.iter().all(|f| f.data.len() == 60 && f.orig_len > 60));
    assert_eq!(frames[0].orig_len, 74);
    assert_eq!(s.stats().snaplen_cut, 20);
}

/// Rewrites a little-endian pcap as a big-endian one.
fn pcap_to_big_endian(le: &[u8]) -> Vec<u8> {
    let mut out = le.to_vec();
    let swap4 = |b: &mut [u8], at: usize| b[at..at + 4].reverse();
    let swap2 = |b: &mut [u8], at: usize| b[at..at + 2].reverse();
    swap4(&mut out, 0);
    swap2(&mut out, 4);
    swap2(&mut out, 6);
    for at in [8, 12, 16, 20] {
        swap4(&mut out, at);
    }
    let mut p = 24;
    while p + 16 <= out.len() {
        let caplen = u32::from_le_bytes(le[p + 8..p + 12].try_into().unwrap()) as usize;
        for k in 0..4 {
            swap4(&mut out, p + 4 * k);
        }
        p += 16 + caplen;
    }
    out
}

#[test]
fn big_endian_pcap_reads_the_same() {
    for name in [CLEARTEXT, KNET_TYPES] {
        let le = std::fs::read(spec(name)).unwrap();
        let be = pcap_to_big_endian(&le);
        assert_eq!(&be[..4], &[0xa1, 0xb2, 0xc3, 0xd4]);
        let (a, _) = read_bytes(le).unwrap();
        let (b, errors) = read_bytes(be).unwrap();
        assert!(errors.is_empty());
        assert_eq!(a, b, "{name}");
    }
    // and a big-endian nanosecond file
    let le = std::fs::read(data("cleartext-20-ns.pcap")).unwrap();
    let be = pcap_to_big_endian(&le);
    assert_eq!(&be[..4], &[0xa1, 0xb2, 0x3c, 0x4d]);
    assert_eq!(read_bytes(le).unwrap().0, read_bytes(be).unwrap().0);
}

#[test]
fn truncated_last_record_is_reported_with_its_offset() {
    let full = std::fs::read(spec(CLEARTEXT)).unwrap();
    let (frames, _) = read_bytes(full.clone()).unwrap();
    let last = frames.last().unwrap().clone();
    // like `head -c N`: cut 10 bytes into the last record's data
    let cut = full[..last.offset as usize + 26].to_vec();
    let (got, errors) = read_bytes(cut).unwrap();
    assert_eq!(got.len(), 955);
    assert_eq!(errors.len(), 1);
    let e = &errors[0];
    assert_eq!(
        (e.packet_no, e.offset, e.file.as_str()),
        (956, last.offset, "mem")
    );
    assert_eq!(
        e.kind,
        CaptureErrorKind::TruncatedRecord {
            need: 16 + 91,
            have: 26
        }
    );
    assert!(e.to_string().contains("packet 956 at byte"), "{e}");
}

/// The span a `Skipped` error reports.
fn skipped_span(e: &CaptureError) -> SkippedSpan {
    match &e.kind {
        CaptureErrorKind::Skipped { span, .. } => *span,
        k => panic!("not a skip: {k:?}"),
    }
}

#[test]
fn corrupt_pcap_length_resynchronises_on_the_next_record() {
    let clean = std::fs::read(spec(KNET_TYPES)).unwrap();
    let (all, _) = read_bytes(clean.clone()).unwrap();
    let third = all[2].offset as usize;
    let fourth = all[3].offset;
    for bad_len in [0x7fff_0000u32, u32::MAX] {
        let mut b = clean.clone();
        b[third + 8..third + 12].copy_from_slice(&bad_len.to_le_bytes());
        let (got, errors) = read_bytes(b.clone()).unwrap();
        // Every record but the corrupt one, with its own number and offset.
        let want: Vec<F> = all
            .iter()
            .filter(|f| f.offset as usize != third)
            .cloned()
            .collect();
        assert_eq!(got, want);
        assert_eq!(errors.len(), 1);
        let e = &errors[0];
        assert_eq!(
            (e.packet_no, e.offset, e.recoverable),
            (3, third as u64, true)
        );
        let span = skipped_span(e);
        assert_eq!(
            span,
            SkippedSpan {
                start: third as u64,
                end: fourth,
                to_end: false
            }
        );
        let shown = e.to_string();
        assert!(
            shown.contains(&format!("packet 3 at byte {third}"))
                && shown.contains(&format!("not read: bytes {third}-{}", fourth - 1)),
            "{shown}"
        );
        let mut s = FileSource::from_reader("m".into(), Box::new(std::io::Cursor::new(b))).unwrap();
        let _ = drain(&mut s);
        let st = s.stats();
        assert_eq!((st.skipped, st.skipped_bytes), (1, fourth - third as u64));
        assert_eq!(s.skipped_spans(), vec![("m".to_string(), span)]);
    }

    // A length within the limit that runs past the end of the input is a
    // corrupt one too when a real record follows it.
    let mut b = clean.clone();
    b[third + 8..third + 12].copy_from_slice(&0x0003_0000u32.to_le_bytes());
    let (got, errors) = read_bytes(b).unwrap();
    assert_eq!(got.len(), all.len() - 1);
    assert_eq!(errors.len(), 1);
    assert!(
        matches!(&errors[0].kind, CaptureErrorKind::Skipped { why, .. } if why.contains("runs past the end")),
        "{}",
        errors[0]
    );
    assert_eq!(
        skipped_span(&errors[0]),
        SkippedSpan {
            start: third as u64,
            end: fourth,
            to_end: false
        }
    );

    // Garbage between two records (a torn write): found again after it.
    let mut b = clean.clone();
    let garbage: Vec<u8> = (0..37u8).map(|i| i.wrapping_mul(97) | 0x80).collect();
    b.splice(third..third, garbage.iter().copied());
    let (got, errors) = read_bytes(b).unwrap();
    assert_eq!(got.len(), all.len());
    assert_eq!(errors.len(), 1);
    assert_eq!(skipped_span(&errors[0]).len(), 37);

    // The last record corrupt: everything after it is not read, to the end.
    let mut b = clean.clone();
    let last = all.last().unwrap().offset as usize;
    b[last + 8..last + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let (got, errors) = read_bytes(b.clone()).unwrap();
    assert_eq!(got.len(), all.len() - 1);
    assert_eq!(
        skipped_span(&errors[0]),
        SkippedSpan {
            start: last as u64,
            end: b.len() as u64,
            to_end: true
        }
    );
}

#[test]
fn not_a_capture_and_empty_input() {
    let e = read_bytes(b"GET / HTTP/1.1\r\n\r\n".to_vec()).unwrap_err();
    assert_eq!(
        (e.kind, e.offset, e.recoverable),
        (CaptureErrorKind::NotACapture, 0, false)
    );
    assert_eq!(
        read_bytes(Vec::new()).unwrap_err().kind,
        CaptureErrorKind::NotACapture
    );
    let e = read_bytes(vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0]).unwrap_err();
    assert_eq!(
        e.kind,
        CaptureErrorKind::TruncatedRecord { need: 24, have: 6 }
    );
    let e = FileSource::open(&data("does-not-exist.pcap")).unwrap_err();
    assert!(matches!(e.kind, CaptureErrorKind::Io(_)));
}

/// xorshift64*: a deterministic PRNG for the truncation test.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn every_sample_cut_at_100_random_offsets() {
    let mut rng = Rng(0x00c0_05e5_eed5_1234);
    for name in [CLEARTEXT, AES, NSS_OPENSSL, KNET_TYPES, TOTEM_VARIANTS] {
        let full = std::fs::read(spec(name)).unwrap();
        let (frames, _) = read_bytes(full.clone()).unwrap();
        let ends: Vec<u64> = frames
            .iter()
            .map(|f| f.offset + 16 + f.data.len() as u64)
            .collect();
        for _ in 0..100 {
            let cut = (rng.next() % full.len() as u64) as usize;
            let r = read_bytes(full[..cut].to_vec());
            if cut < 24 {
                let e = r.unwrap_err();
                assert_eq!(e.offset, 0);
                continue;
            }
            let (got, errors) = r.unwrap();
            let complete = ends.iter().filter(|&&e| e <= cut as u64).count();
            assert_eq!(got.len(), complete, "{name} cut at {cut}");
            assert_eq!(got[..], frames[..complete], "{name} cut at {cut}");
            let at_boundary = cut == 24 || ends.contains(&(cut as u64));
            if at_boundary {
                assert!(errors.is_empty(), "{name} cut at {cut}: {errors:?}");
            } else {
                assert_eq!(errors.len(), 1, "{name} cut at {cut}");
                let e = &errors[0];
                let rec_off = if complete == 0 {
                    24
                } else {
                    ends[complete - 1]
                };
                assert_eq!(
                    (e.offset, e.packet_no),
                    (rec_off, complete as u64 + 1),
                    "{name} cut at {cut}"
                );
                assert!(matches!(e.kind, CaptureErrorKind::TruncatedRecord { .. }));
            }
        }
    }
    // pcapng: no panic, an error with an offset at or before the cut.
    let full = std::fs::read(data("two-interfaces.pcapng")).unwrap();
    for _ in 0..100 {
        let cut = (rng.next() % full.len() as u64) as usize;
        match read_bytes(full[..cut].to_vec()) {
            Ok((got, errors)) => {
                assert!(got.len() <= 25);
                for e in errors {
                    assert!(e.offset <= cut as u64);
                }
            }
            Err(e) => assert!(e.offset <= cut as u64),
        }
    }
}

/// A reader that hands out a few bytes per call, like a pipe fed by
/// `tcpdump -U -w -`.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    n: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.n = self.n % 7 + 1;
        let k = self.n.min(buf.len()).min(self.data.len() - self.pos);
        buf[..k].copy_from_slice(&self.data[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

#[test]
fn records_arriving_in_pieces_read_the_same() {
    for p in [spec(CLEARTEXT), data("two-interfaces.pcapng")] {
        let bytes = std::fs::read(&p).unwrap();
        let (want, _) = read_bytes(bytes.clone()).unwrap();
        let mut s = FileSource::from_reader(
            "pipe".into(),
            Box::new(Trickle {
                data: bytes,
                pos: 0,
                n: 0,
            }),
        )
        .unwrap();
        let (got, errors) = drain(&mut s);
        assert!(errors.is_empty());
        assert_eq!(got, want);
    }
}

#[test]
fn reads_a_real_pipe() {
    let Ok(mut child) = std::process::Command::new("cat")
        .arg(spec(AES))
        .stdout(std::process::Stdio::piped())
        .spawn()
    else {
        return;
    };
    let out = child.stdout.take().unwrap();
    let mut s = FileSource::from_reader("-".into(), Box::new(out)).unwrap();
    let (frames, errors) = drain(&mut s);
    child.wait().unwrap();
    assert!(errors.is_empty());
    assert_eq!(frames.len(), 773);
}

#[test]
fn reads_tcpdump_streaming_to_stdout_when_root() {
    // `tcpdump -U -w - | corowire decode -`: tcpdump flushes each packet as
    // it comes, so records arrive in separate writes on a blocking pipe.
    let child = std::process::Command::new("tcpdump")
        .args(["-U", "-w", "-", "-i", "lo", "-n", "udp port 5409"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("skipped: no tcpdump");
        return;
    };
    // Wait for "listening on" (or failure) on stderr.
    let mut err = child.stderr.take().unwrap();
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while err.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    if !String::from_utf8_lossy(&line).contains("listening") {
        let _ = child.kill();
        let _ = child.wait();
        eprintln!("skipped: {}", String::from_utf8_lossy(&line));
        return;
    }
    // A watchdog ends tcpdump if the test hangs; it stands down once the
    // test is done, before the child is reaped, so it never signals a pid
    // that could have been reused.
    let pid = child.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done_w = done.clone();
    std::thread::spawn(move || {
        for _ in 0..200 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            if done_w.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
        }
        let _ = std::process::Command::new("kill")
            .arg(pid.to_string())
            .status();
    });
    let out = child.stdout.take().unwrap();
    let mut s = FileSource::from_reader("-".into(), Box::new(out)).unwrap();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..5u8 {
        sock.send_to(&[i; 100], "127.0.0.1:5409").unwrap();
    }
    let mut seen = 0;
    while seen < 5 {
        assert!(s.advance().unwrap(), "tcpdump ended early");
        let f = s.frame();
        assert_eq!(f.orig_len as usize, f.data.len());
        assert_eq!(f.data[f.data.len() - 100..], [seen as u8; 100]);
        seen += 1;
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn merge_orders_by_time_and_keeps_ties_stable() {
    let open = |p: PathBuf| Box::new(FileSource::open(&p).unwrap()) as Box<dyn PacketSource + Send>;
    let mut m = Merge::new(vec![
        open(spec(CLEARTEXT)),
        open(spec(AES)),
        open(spec(NSS_OPENSSL)),
    ]);
    let (frames, errors) = drain(&mut m);
    assert!(errors.is_empty());
    assert_eq!(frames.len(), 956 + 773 + 321);
    assert!(frames.windows(2).all(|w| w[0].ts <= w[1].ts));
    assert_eq!(frames.iter().filter(|f| f.source == 1).count(), 773);
    assert_eq!(m.stats().frames, 2050);
    // the three captures follow one another in time
    assert_eq!(frames[0].source, 0);
    assert_eq!(frames[956].source, 1);
    assert_eq!(frames[956 + 773].source, 2);

    // A capture merged with itself: every timestamp ties; the first input wins
    // each tie and each input keeps its own order.
    let mut m = Merge::new(vec![open(spec(KNET_TYPES)), open(spec(KNET_TYPES))]);
    let (frames, _) = drain(&mut m);
    let order: Vec<(usize, u64)> = frames.iter().map(|f| (f.source, f.packet_no)).collect();
    assert_eq!(
        order,
        vec![
            (0, 1),
            (1, 1),
            (0, 2),
            (1, 2),
            (0, 3),
            (1, 3),
            (0, 4),
            (1, 4),
            (0, 5),
            (1, 5)
        ]
    );
}

#[test]
fn sources_are_send() {
    fn send<T: Send>() {}
    send::<FileSource>();
    send::<Merge>();
}

#[test]
fn merge_errors_name_their_member() {
    let full = std::fs::read(spec(KNET_TYPES)).unwrap();
    let cut = full[..full.len() - 5].to_vec();
    let a =
        FileSource::from_reader("node1.pcap".into(), Box::new(std::io::Cursor::new(cut))).unwrap();
    let b = FileSource::open(&spec(TOTEM_VARIANTS)).unwrap();
    let mut m = Merge::new(vec![Box::new(a), Box::new(b)]);
    let (frames, errors) = drain(&mut m);
    assert_eq!(frames.len(), 4 + 5);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].file.as_str(), errors[0].packet_no),
        ("node1.pcap", 5)
    );
}

// ---- hand-built pcapng -------------------------------------------------

/// Writes pcapng blocks in either byte order.
struct Ng {
    be: bool,
    out: Vec<u8>,
}

impl Ng {
    fn new(be: bool) -> Ng {
        Ng {
            be,
            out: Vec::new(),
        }
    }
    fn u16(&self, v: u16) -> [u8; 2] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(&self, v: u32) -> [u8; 4] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn block(&mut self, t: u32, body: &[u8]) -> &mut Ng {
        let len = 12 + body.len().div_ceil(4) * 4;
        let (tb, lb) = (self.u32(t), self.u32(len as u32));
        self.out.extend_from_slice(&tb);
        self.out.extend_from_slice(&lb);
        self.out.extend_from_slice(body);
        self.out.resize(self.out.len() + (len - 12 - body.len()), 0);
        self.out.extend_from_slice(&lb);
        self
    }
    fn shb(&mut self) -> &mut Ng {
        let mut b = self.u32(0x1a2b_3c4d).to_vec();
        b.extend_from_slice(&self.u16(1));
        b.extend_from_slice(&self.u16(0));
        b.extend_from_slice(&[0xff; 8]);
        self.block(0x0a0d_0d0a, &b)
    }
    fn idb(
        &mut self,
        lt: u16,
        snaplen: u32,
        tsresol: Option<u8>,
        tsoffset: Option<i64>,
    ) -> &mut Ng {
        let mut b = self.u16(lt).to_vec();
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&self.u32(snaplen));
        if let Some(r) = tsresol {
            b.extend_from_slice(&self.u16(9));
            b.extend_from_slice(&self.u16(1));
            b.extend_from_slice(&[r, 0, 0, 0]);
        }
        if let Some(o) = tsoffset {
            b.extend_from_slice(&self.u16(14));
            b.extend_from_slice(&self.u16(8));
            b.extend_from_slice(&if self.be {
                o.to_be_bytes()
            } else {
                o.to_le_bytes()
            });
        }
        b.extend_from_slice(&[0; 4]); // opt_endofopt
        self.block(1, &b)
    }
    fn epb(&mut self, iface: u32, ts: u64, data: &[u8], orig: u32) -> &mut Ng {
        let mut b = self.u32(iface).to_vec();
        b.extend_from_slice(&self.u32((ts >> 32) as u32));
        b.extend_from_slice(&self.u32(ts as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(&self.u32(orig));
        b.extend_from_slice(data);
        b.resize(20 + data.len().div_ceil(4) * 4, 0);
        self.block(6, &b)
    }
    fn spb(&mut self, data: &[u8], orig: u32) -> &mut Ng {
        let mut b = self.u32(orig).to_vec();
        b.extend_from_slice(data);
        self.block(3, &b)
    }
    fn pb(&mut self, iface: u16, ts: u64, data: &[u8]) -> &mut Ng {
        let mut b = self.u16(iface).to_vec();
        b.extend_from_slice(&self.u16(0));
        b.extend_from_slice(&self.u32((ts >> 32) as u32));
        b.extend_from_slice(&self.u32(ts as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(data);
        self.block(2, &b)
    }
}

#[test]
fn pcapng_block_kinds_resolutions_offsets_and_sections() {
    for be in [false, true] {
        let mut ng = Ng::new(be);
        ng.shb()
            .idb(1, 65535, None, None) // µs (default)
            .idb(101, 65535, Some(9), Some(100)) // ns, +100 s
            .idb(276, 64, Some(0x80 | 20), None) // 2^-20 s, snaplen 64
            .block(0x0bad_cafe, &[1, 2, 3, 4, 5, 6, 7, 8]) // unknown block: skipped
            .epb(0, 1_700_000_000_123_456, b"frame-a", 7)
            .epb(1, 1_700_000_000_000_000_001, b"frame-bb", 100)
            .epb(2, 3 << 20 | 1 << 19, b"frame-c", 7) // 3.5 s
            .pb(1, 5, b"obsolete")
            .block(5, &[0; 16]); // interface statistics: skipped
        let first = ng.out.len();
        // A second section: interfaces start again, SPB uses interface 0's snaplen.
        ng.shb().idb(1, 16, Some(3), None).spb(&[9u8; 40], 40);
        let (frames, errors) = read_bytes(ng.out.clone()).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        let got: Vec<(i64, u32, u32, &[u8], u64)> = frames
            .iter()
            .map(|f| (f.ts, f.linktype, f.orig_len, &f.data[..], f.packet_no))
            .collect();
        assert_eq!(
            got,
            vec![
                (1_700_000_000_123_456_000, 1, 7, &b"frame-a"[..], 1),
                (1_700_000_100_000_000_001, 101, 100, &b"frame-bb"[..], 2),
                (3_500_000_000, 276, 7, &b"frame-c"[..], 3),
                (100_000_000_005, 101, 8, &b"obsolete"[..], 4),
                (0, 1, 40, &[9u8; 16][..], 5),
            ],
            "big endian: {be}"
        );
        assert!(frames[4].offset > first as u64);
        // frame-bb (8 of 100 bytes) and the SPB (16 of 40, snaplen 16) are cut
        let mut s =
            FileSource::from_reader("m".into(), Box::new(std::io::Cursor::new(ng.out))).unwrap();
        let _ = drain(&mut s);
        assert_eq!(s.stats().snaplen_cut, 2);
    }
}

#[test]
fn pcapng_bad_blocks() {
    // A block whose trailing length disagrees: skipped by its leading length.
    let mut ng = Ng::new(false);
    ng.shb().idb(1, 0, None, None).epb(0, 1, b"one", 3);
    let bad_at = ng.out.len();
    ng.epb(0, 2, b"two", 3).epb(0, 3, b"three", 5);
    let mut b = ng.out.clone();
    let blen = u32::from_le_bytes(b[bad_at + 4..bad_at + 8].try_into().unwrap()) as usize;
    b[bad_at + blen - 4] ^= 0x40;
    let (frames, errors) = read_bytes(b).unwrap();
    assert_eq!(
        frames.iter().map(|f| f.data.clone()).collect::<Vec<_>>(),
        vec![b"one".to_vec(), b"three".to_vec()]
    );
    assert_eq!(frames[1].packet_no, 3);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].offset, errors[0].packet_no, errors[0].recoverable),
        (bad_at as u64, 2, true)
    );

    // An impossible leading length (and one far beyond the file): the next
    // block whose two lengths agree is found, and the bytes between named.
    for bad in [7u32, u32::MAX] {
        let mut b = ng.out.clone();
        b[bad_at + 4..bad_at + 8].copy_from_slice(&bad.to_le_bytes());
        let (frames, errors) = read_bytes(b).unwrap();
        assert_eq!(
            frames.iter().map(|f| f.data.clone()).collect::<Vec<_>>(),
            vec![b"one".to_vec(), b"three".to_vec()]
        );
        assert_eq!(frames[1].packet_no, 3);
        assert_eq!(
            (
                errors.len(),
                errors[0].offset,
                errors[0].packet_no,
                errors[0].recoverable
            ),
            (1, bad_at as u64, 2, true)
        );
        assert_eq!(
            skipped_span(&errors[0]),
            SkippedSpan {
                start: bad_at as u64,
                end: (bad_at + blen) as u64,
                to_end: false
            }
        );
    }

    // A plausible length that runs past the end: the next block is found.
    let mut b = ng.out.clone();
    b[bad_at + 4..bad_at + 8].copy_from_slice(&(1u32 << 20).to_le_bytes());
    let (frames, errors) = read_bytes(b).unwrap();
    assert_eq!(frames.len(), 2);
    assert_eq!(skipped_span(&errors[0]).len(), blen as u64);

    // A packet on an interface that was never described: skipped.
    let mut ng = Ng::new(false);
    ng.shb()
        .idb(1, 0, None, None)
        .epb(3, 1, b"x", 1)
        .epb(0, 2, b"y", 1);
    let (frames, errors) = read_bytes(ng.out).unwrap();
    assert_eq!(frames.len(), 1);
    assert!(
        matches!(&errors[0].kind, CaptureErrorKind::CorruptRecord(m) if m.contains("interface 3"))
    );

    // Captured length beyond the block.
    let mut ng = Ng::new(false);
    ng.shb().idb(1, 0, None, None).epb(0, 1, b"abcd", 4);
    let at = ng.out.len() - 36;
    let mut b = ng.out;
    b[at + 20..at + 24].copy_from_slice(&400u32.to_le_bytes());
    let (frames, errors) = read_bytes(b).unwrap();
    assert!(frames.is_empty());
    assert_eq!(errors[0].offset, at as u64);
}

#[test]
fn pcapng_with_a_bad_section_header_fails_at_open() {
    let mut ng = Ng::new(false);
    ng.shb().idb(1, 0, None, None).epb(0, 1, b"x", 1);
    let mut b = ng.out.clone();
    b[8] = 0x99; // byte-order magic
    let e = read_bytes(b).unwrap_err();
    assert_eq!((e.offset, e.recoverable), (0, false));
    assert!(matches!(e.kind, CaptureErrorKind::CorruptRecord(_)));
    let e = read_bytes(ng.out[..10].to_vec()).unwrap_err();
    assert_eq!(
        e.kind,
        CaptureErrorKind::TruncatedRecord { need: 16, have: 10 }
    );
}

#[test]
fn pcapng_larger_than_the_buffer_matches_pcap() {
    // Every cleartext frame rewritten as pcapng EPBs (plus an IDB and an
    // unknown block every 100 frames): ~150 KiB, so blocks straddle buffer
    // refills and the buffer is compacted under them.
    let (want, _) = read_path(&spec(CLEARTEXT));
    for be in [false, true] {
        let mut ng = Ng::new(be);
        ng.shb().idb(276, 262_144, Some(9), None);
        for (i, f) in want.iter().enumerate() {
            if i % 100 == 50 {
                ng.block(0x0bad_cafe, &[7; 300]);
            }
            ng.epb(0, f.ts as u64, &f.data, f.orig_len);
        }
        assert!(ng.out.len() > 128 << 10);
        let (got, errors) = read_bytes(ng.out.clone()).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(got.len(), want.len());
        for (a, b) in got.iter().zip(&want) {
            assert_eq!(
                (a.ts, a.linktype, a.orig_len, &a.data, a.packet_no),
                (b.ts, b.linktype, b.orig_len, &b.data, b.packet_no)
            );
        }
        // and arriving in small pieces
        let mut s = FileSource::from_reader(
            "pipe".into(),
            Box::new(Trickle {
                data: ng.out,
                pos: 0,
                n: 0,
            }),
        )
        .unwrap();
        assert_eq!(drain(&mut s).0, got);
    }
}

#[test]
fn tiny_buffers_read_the_same() {
    // Refills every few records: blocks straddle the buffer end and the
    // buffer is compacted under partly read records.
    for p in [
        spec(CLEARTEXT),
        spec(KNET_TYPES),
        data("two-interfaces.pcapng"),
        data("cleartext-20-ns.pcapng"),
    ] {
        let bytes = std::fs::read(&p).unwrap();
        let (want, _) = read_bytes(bytes.clone()).unwrap();
        for (first, max) in [(1, 1), (13, 64), (100, 100), (512, 4096)] {
            let r = Box::new(std::io::Cursor::new(bytes.clone()));
            let mut s = FileSource::from_reader_with_read_size("m".into(), r, first, max).unwrap();
            let (got, errors) = drain(&mut s);
            assert!(errors.is_empty(), "{}: {errors:?}", p.display());
            assert_eq!(got, want, "{} with {first}/{max}", p.display());
        }
    }
}

#[test]
fn merge_goes_on_when_one_member_fails_for_good() {
    let mut bad = std::fs::read(spec(KNET_TYPES)).unwrap();
    let second = 24 + 16 + u32::from_le_bytes(bad[32..36].try_into().unwrap()) as usize;
    bad[second + 8..second + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let a =
        FileSource::from_reader("node1.pcap".into(), Box::new(std::io::Cursor::new(bad))).unwrap();
    let b = FileSource::open(&spec(TOTEM_VARIANTS)).unwrap();
    let mut m = Merge::new(vec![Box::new(a), Box::new(b)]);
    let (frames, errors) = drain(&mut m);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (
            errors[0].file.as_str(),
            errors[0].packet_no,
            errors[0].offset
        ),
        ("node1.pcap", 2, second as u64)
    );
    assert!(errors[0].recoverable, "the merge goes on");
    // The corrupt second record is passed over; the rest of node1 is read.
    let (node1, _) = read_path(&spec(KNET_TYPES));
    assert_eq!(
        frames.iter().filter(|f| f.source == 0).count(),
        node1.len() - 1
    );
    assert_eq!(frames.iter().filter(|f| f.source == 1).count(), 5);

    // A lone member failing for good (a read error) ends the merge.
    struct FailsAfterHeader(Vec<u8>);
    impl Read for FailsAfterHeader {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("disk on fire"));
            }
            let n = out.len().min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0.drain(..n);
            Ok(n)
        }
    }
    let head = std::fs::read(spec(KNET_TYPES)).unwrap()[..24].to_vec();
    let a = FileSource::from_reader("node1.pcap".into(), Box::new(FailsAfterHeader(head))).unwrap();
    let mut m = Merge::new(vec![Box::new(a)]);
    let (frames, errors) = drain(&mut m);
    assert!(frames.is_empty());
    assert!(!errors[0].recoverable);
}

/// `read_ahead` (the threaded pipeline's reading thread) gives the frames
/// and errors of the plain reader: on real captures (pcap, pcapng, corrupt
/// and cut ones) and on a file whose large records straddle the reading
/// thread's chunks, with more bytes left of them than the headroom holds.
#[test]
fn read_ahead_gives_the_same_frames_and_errors() {
    use corowire::capture::readahead::{CHUNK, HEADROOM};
    let captures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut paths = vec![
        captures.join("healthy-3n-aes256-sha256-nss.pcap"),
        captures.join("healthy-3n-clear.pcap"),
        data("cleartext-20.pcapng"),
        data("two-interfaces.pcapng"),
        data("hostile/pcap-bad-length.pcap"),
        data("hostile/pcapng-200-bad-blocks.pcapng"),
        data("hostile/pcapng-bad-length.pcapng"),
        data("compressed/cleartext-20.pcapng.gz"),
        data("compressed/lab-cleartext.pcap.zst"),
    ];
    paths.retain(|p| p.exists());
    assert_eq!(paths.len(), 9, "{paths:?}");
    let show = |(f, e): (Vec<F>, Vec<CaptureError>)| {
        (f, e.iter().map(ToString::to_string).collect::<Vec<_>>())
    };
    for p in &paths {
        let plain = show(read_path(p));
        let mut s = FileSource::open(p).expect("capture");
        s.read_ahead();
        let ahead = show(drain(&mut s));
        assert!(!plain.0.is_empty(), "{}", p.display());
        assert!(plain == ahead, "{}", p.display());
    }

    // Records of 1 byte to 300 KB (the snaplen allows 400 KB), so chunk
    // boundaries fall inside records, some with over HEADROOM bytes of
    // them before the boundary; then a record cut by the end.
    let mut b = Vec::new();
    // magic, version 2.4, thiszone, sigfigs, snaplen, Ethernet
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 400_000, 1] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    let mut sizes = Vec::new();
    let mut n = 0u32;
    while b.len() < 4 * CHUNK {
        n += 1;
        let len = match n % 5 {
            0 => 300_000,
            1 => 1 + n % 97,
            2 => HEADROOM as u32 + 1 + n,
            3 => 1514,
            _ => 60,
        };
        sizes.push(len);
        for v in [1_700_000_000 + n, n % 1_000_000, len, len] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend((0..len).map(|i| (i ^ n) as u8));
    }
    for v in [1_800_000_000u32, 0, 500, 500] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&[7; 100]);
    let plain = show(read_bytes(b.clone()).expect("pcap"));
    let mut s = FileSource::from_reader("mem".into(), Box::new(std::io::Cursor::new(b))).unwrap();
    s.read_ahead();
    let ahead = show(drain(&mut s));
    assert_eq!(
        plain
            .0
            .iter()
            .map(|f| f.data.len() as u32)
            .collect::<Vec<_>>(),
        sizes
    );
    assert_eq!(plain.1.len(), 1, "{:?}", plain.1);
    assert!(plain == ahead);
}
