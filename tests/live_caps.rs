//! Live capture with CAP_NET_RAW alone (feature `live`): `corowire live -i`
//! runs as the unprivileged user `nobody` holding only that capability (as
//! after `setcap cap_net_raw=eip`), in promiscuous mode (the default), on one
//! end of a veth pair in a network namespace of its own. The other end
//! replays every frame of a committed capture through a packet socket as
//! fast as it can (~130 k frames/s here, all 6863 in about 50 ms); the
//! headless report must count exactly the corosync packets `decode` counts in
//! that file: nothing lost in the kernel ring or in user space. (With the
//! former fixed 256 KiB snaplen, TPACKET_V2's per-packet slots made the ring
//! a few dozen packets deep and this burst lost 22 %.) Without the capability the same command fails with exit 1 and
//! a message naming CAP_NET_RAW.
//!
//! Needs root (to create the namespace and drop to `nobody`), iproute2,
//! setpriv and python3; skips with the reason otherwise.
#![cfg(feature = "live")]

mod common;

use common::{have, is_root};

use std::path::PathBuf;
use std::process::Command;

/// Corosync packets in a capture, as `corowire decode -s --json` counts them.
fn corosync_packets(pcap: &std::path::Path) -> u64 {
    let out = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(["decode", "-s", "--json"])
        .arg(pcap)
        .output()
        .expect("run corowire decode");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("decode JSON");
    v["summary"]["corosync_packets"]
        .as_u64()
        .expect("corosync_packets")
}

const REPLAY: &str = r#"
import socket, struct, sys
path, iface = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
n = 0
with open(path, "rb") as f:
    hdr = f.read(24)
    assert struct.unpack("<I", hdr[:4])[0] == 0xA1B2C3D4 and struct.unpack("<I", hdr[20:24])[0] == 1
    while True:
        rec = f.read(16)
        if len(rec) < 16:
            break
        incl = struct.unpack("<IIII", rec)[2]
        s.send(f.read(incl))
        n += 1
print(n)
"#;

#[test]
fn live_capture_needs_only_cap_net_raw() {
    for c in ["ip", "setpriv", "python3", "timeout"] {
        if !have(c) {
            eprintln!("SKIPPED: {c} is not installed");
            return;
        }
    }
    if !is_root() {
        eprintln!("SKIPPED: needs root to create a network namespace and drop privileges");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let pcap = root.join("captures/healthy-3n-clear.pcap");
    let want = corosync_packets(&pcap);
    assert!(want > 1000, "{want}");
    let bin = env!("CARGO_BIN_EXE_corowire");
    let ns = format!("cwcap{}", std::process::id());
    let dir = std::env::temp_dir().join(format!("corowire-caps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let _cleanup = RemoveOnDrop(dir.clone());
    // The binary must be reachable by `nobody`.
    let exe = dir.join("corowire");
    std::fs::copy(bin, &exe).expect("copy binary");
    let replay = dir.join("replay.py");
    std::fs::write(&replay, REPLAY).expect("write replay script");
    let script = format!(
        r#"
set -u
chmod 755 '{dir}' '{exe}'
ip netns add {ns} || exit 10
trap 'ip netns del {ns}' EXIT
ip -n {ns} link add va type veth peer name vb
ip -n {ns} link set va up
ip -n {ns} link set vb up
sleep 0.5
# Without any capability: must fail, naming the capability.
ip netns exec {ns} setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    '{exe}' live -i va --report-every 1s >'{dir}/nocap.out' 2>'{dir}/nocap.err'
echo $? >'{dir}/nocap.rc'
# With CAP_NET_RAW only (ambient, so it survives the exec of an unprivileged user).
ip netns exec {ns} timeout -s TERM 8 setpriv --reuid=65534 --regid=65534 --clear-groups \
    --inh-caps=-all,+net_raw --ambient-caps=+net_raw \
    '{exe}' live -i va --report-every 1s >'{dir}/cap.jsonl' 2>'{dir}/cap.err' &
w=$!
sleep 2
ip netns exec {ns} python3 '{replay}' '{pcap}' vb >'{dir}/sent' 2>'{dir}/replay.err'
wait $w
echo $? >'{dir}/cap.rc'
"#,
        dir = dir.display(),
        exe = exe.display(),
        replay = replay.display(),
        pcap = pcap.display(),
    );
    let st = Command::new("bash")
        .args(["-c", &script])
        .status()
        .expect("run bash");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    assert!(st.success(), "setup failed: {st:?} {}", read("replay.err"));

    let nocap_rc = read("nocap.rc");
    let nocap_err = read("nocap.err");
    assert_eq!(nocap_rc.trim(), "1", "without CAP_NET_RAW: {nocap_err}");
    assert!(nocap_err.contains("CAP_NET_RAW"), "{nocap_err}");

    let sent: u64 = read("sent").trim().parse().expect("frames sent");
    assert!(sent > want, "{sent} frames sent, {want} corosync");
    let cap_err = read("cap.err");
    let last = read("cap.jsonl")
        .lines()
        .last()
        .map(str::to_string)
        .unwrap_or_default();
    let v: serde_json::Value =
        serde_json::from_str(&last).unwrap_or_else(|e| panic!("{e}: {last:?} {cap_err}"));
    let got = v["capture"]["packets"].as_u64().expect("capture.packets");
    assert_eq!(got, want, "live with CAP_NET_RAW only: {cap_err}");
}

/// Removes the test's folder (a copy of the binary among it) whether the test
/// passes or panics, so failed runs do not fill the disk.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
