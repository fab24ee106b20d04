//! What a UDP payload on a corosync port is (docs/wire-format.md §3), by content
//! alone. The decode pipeline uses the verdict to pick a decoder; a payload
//! that matches no cleartext format is "encrypted" — a normal outcome on a
//! cluster with crypto on, not an error.

use std::net::IpAddr;

use super::{knet, totem};

/// The traffic class of a corosync-port UDP payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Cleartext knet (corosync 3, crypto off), or knet decrypted with a key.
    Knet,
    /// A raw corosync 3 totem message (udp / udpu transport).
    TotemUdp,
    /// Corosync 2 totemnet (`FE FE 00 00` / `FF FF 00 00` framing, or the
    /// raw 8-byte-header messages of 1.x / 2.0 / 2.1).
    Corosync2,
    /// Ciphertext: not decodable without the key.
    Encrypted,
    /// Looks like a corosync format but breaks its rules.
    Malformed,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Knet => "knet",
            Class::TotemUdp => "totem-udp",
            Class::Corosync2 => "corosync2",
            Class::Encrypted => "encrypted",
            Class::Malformed => "malformed",
        }
    }
    pub const ALL: [Class; 5] = [
        Class::Knet,
        Class::TotemUdp,
        Class::Corosync2,
        Class::Encrypted,
        Class::Malformed,
    ];
}

/// The framing found in front of the payload's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Cleartext knet packet.
    Knet,
    /// Cleartext knet packet followed by an unverified HMAC of `hash_len`
    /// bytes (crypto_cipher none with a crypto_hash).
    KnetHashOnly { hash_len: usize },
    /// Raw corosync 3 totem message.
    TotemV3,
    /// Corosync 2.2-2.4 totemnet header (4 bytes) in front of the rest.
    Totemnet,
    /// Corosync 2.0/2.1 header `00 00 00 00` in front of a totem message.
    Totemnet20,
    /// A raw corosync 2 / 1.x style totem message.
    TotemV2,
    /// None of the above.
    Opaque,
}

/// Smallest payload any encrypted corosync format can have: a 9-byte knet
/// PMTUD reply with a 16-byte MD5 HMAC (hash-only), shorter than any
/// AES-CBC packet (16 salt + 16 block + 16 HMAC).
pub const MIN_OPAQUE_LEN: usize = 25;

/// HMAC lengths corosync can configure: md5, sha1, sha256, sha384, sha512.
pub const HASH_LENS: [usize; 5] = [16, 20, 32, 48, 64];

/// Decides the framing of a payload by its content.
pub fn framing(p: &[u8]) -> Framing {
    if totem::looks_like_v3(p) {
        return Framing::TotemV3;
    }
    if knet::looks_like_knet(p) {
        // Bytes 2-3 of a knet header are the sender's node id, and node
        // 8959 (0x22FF) or 65314 (0xFF22) puts corosync 2's byte-order
        // marker there. The rest of the header still decides: it passed
        // knet's version, padding and per-type length rules, and its byte 1
        // (the knet type: 0 for DATA, 0x81-0x84) can never be a corosync 2
        // header's byte 1, which is `encapsulated` (1 or 2 in an mcast, the
        // only type knet's version byte 1 reads as; 0 in every other type).
        return Framing::Knet;
    }
    if let Some(h) = knet_hash_only(p) {
        return Framing::KnetHashOnly { hash_len: h };
    }
    if p.len() >= 4 && (p[0..2] == [0xFE, 0xFE] || p[0..2] == [0xFF, 0xFF]) && p[2..4] == [0, 0] {
        return Framing::Totemnet;
    }
    if p.len() >= 4 && p[0..4] == [0, 0, 0, 0] && totem::looks_like_v2(&p[4..]) {
        return Framing::Totemnet20;
    }
    if totem::looks_like_v2(p) {
        return Framing::TotemV2;
    }
    Framing::Opaque
}

/// True when `p` reads both as a knet DATA header and as a corosync 2
/// header: knet DATA from node 8959 (0x22FF) or 65314 (0xFF22) is
/// `01 00 22 FF` / `01 00 FF 22`, a corosync 2 mcast with `encapsulated` 0.
/// Corosync 2 never sends that (its mcasts carry 1 or 2), so [`framing`]
/// reads it as knet; [`FlowHistory`] lets a flow that carried corosync 2
/// keep such a packet as corosync 2 (a hand-built or odd sender).
pub fn knet_or_corosync2(p: &[u8]) -> bool {
    p.len() >= 2 && p[0] == knet::VERSION && p[1] == 0 && totem::looks_like_v2(p)
}

/// Flows (address and port pairs, either direction) that recently carried
/// corosync 2: the tiebreak for [`knet_or_corosync2`] headers. A fixed
/// table of the last [`FlowHistory::LEN`] flows; nothing is allocated.
#[derive(Debug, Clone, Default)]
pub struct FlowHistory {
    /// Flow hashes, 0 = empty.
    flows: [u64; FlowHistory::LEN],
    next: usize,
}

impl FlowHistory {
    pub const LEN: usize = 16;

    /// The flow of a datagram, the same in both directions.
    pub fn key(src: IpAddr, dst: IpAddr, sport: u16, dport: u16) -> u64 {
        let (a, b) = ((src, sport), (dst, dport));
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        // FNV-1a over both endpoints; never 0 (the empty slot).
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &x in bytes {
                h = (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3);
            }
        };
        for (ip, port) in [lo, hi] {
            match ip {
                IpAddr::V4(v) => eat(&v.octets()),
                IpAddr::V6(v) => eat(&v.octets()),
            }
            eat(&port.to_be_bytes());
        }
        h | 1
    }

    /// Notes that `flow` carried corosync 2.
    pub fn note_corosync2(&mut self, flow: u64) {
        if !self.carried_corosync2(flow) {
            self.flows[self.next] = flow;
            self.next = (self.next + 1) % Self::LEN;
        }
    }

    /// True when `flow` is among the recent corosync 2 flows.
    pub fn carried_corosync2(&self, flow: u64) -> bool {
        self.flows.contains(&flow)
    }
}

/// A knet header whose length only fits once a trailing HMAC is removed.
fn knet_hash_only(p: &[u8]) -> Option<usize> {
    if p.len() < knet::HEADER_LEN || p[0] != knet::VERSION || p[4] > 1 || p[5] != 0 {
        return None;
    }
    let fixed = match knet::PacketType::from_u8(p[1]) {
        knet::PacketType::Ping | knet::PacketType::Pong => knet::PING_LEN,
        knet::PacketType::PmtudReply => knet::PMTUD_HEADER_LEN,
        _ => return None,
    };
    HASH_LENS.into_iter().find(|&h| p.len() == fixed + h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framings() {
        let mut ping = vec![1, 0x81, 0, 1, 0, 0, 0];
        ping.resize(26, 0);
        assert_eq!(framing(&ping), Framing::Knet);
        let mut hashed = ping.clone();
        hashed.extend([0u8; 32]);
        assert_eq!(framing(&hashed), Framing::KnetHashOnly { hash_len: 32 });
        let mut t3 = vec![0x70, 0xc0, 3, 0, 0];
        t3.resize(57, 0);
        assert_eq!(framing(&t3), Framing::TotemV3);
        assert_eq!(framing(&[0xfe, 0xfe, 0, 0, 9]), Framing::Totemnet);
        let mut t2 = vec![0, 0, 0x22, 0xff, 1, 0, 0, 0];
        assert_eq!(framing(&t2), Framing::TotemV2);
        t2.splice(0..0, [0, 0, 0, 0]);
        assert_eq!(framing(&t2), Framing::Totemnet20);
        assert_eq!(framing(&[0x52, 0x27, 0x04, 0x52, 0x83]), Framing::Opaque);
        // A raw corosync 2 mcast (encapsulated 2 or 1) is corosync 2 ...
        for enc in [1, 2] {
            let mut c2_mcast = vec![1, enc, 0x22, 0xff, 1, 0, 0, 0];
            c2_mcast.resize(99, 0);
            assert_eq!(framing(&c2_mcast), Framing::TotemV2);
        }
        // ... while knet from node 8959 (0x22ff) or 65314 (0xff22) is knet,
        // whatever its DATA carries (a whole totem message, the middle of
        // a fragmented one, nothing), and so are its pings and PMTUD.
        for node in [[0x22, 0xff], [0xff, 0x22]] {
            let mut data = vec![1, 0, node[0], node[1], 0, 0, 0, 1, 0, 0, 0, 1, 0, 0];
            assert_eq!(framing(&data), Framing::Knet);
            data.extend([0x70, 0xc0, 3, 5, 0]);
            data.resize(14 + 25, 0);
            assert_eq!(framing(&data), Framing::Knet);
            data[14] = 0x55;
            assert_eq!(framing(&data), Framing::Knet);
            let mut ping = vec![1, 0x81, node[0], node[1], 0, 0, 0];
            ping.resize(knet::PING_LEN, 0);
            assert_eq!(framing(&ping), Framing::Knet);
            let reply = [1, 0x84, node[0], node[1], 0, 0, 0, 0x05, 0xdc];
            assert_eq!(framing(&reply), Framing::Knet);
        }
        assert_eq!(framing(&[]), Framing::Opaque);
    }

    #[test]
    fn flow_history_breaks_the_one_shared_header() {
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let mut h = FlowHistory::default();
        let ab = FlowHistory::key(a, b, 5405, 5405);
        assert_eq!(ab, FlowHistory::key(b, a, 5405, 5405), "either direction");
        assert_ne!(ab, FlowHistory::key(a, b, 5404, 5405));
        assert!(!h.carried_corosync2(ab));
        h.note_corosync2(ab);
        h.note_corosync2(ab);
        assert!(h.carried_corosync2(ab));
        // The table keeps the last LEN flows.
        for port in 0..FlowHistory::LEN as u16 {
            h.note_corosync2(FlowHistory::key(a, b, 6000 + port, 5405));
        }
        assert!(!h.carried_corosync2(ab));
        // The shared header: knet DATA from 0x22ff / corosync 2 mcast with encapsulated 0.
        let mut shared = vec![1, 0, 0x22, 0xff, 1, 0, 0, 0];
        shared.resize(40, 0);
        assert!(knet_or_corosync2(&shared));
        shared[1] = 2;
        assert!(!knet_or_corosync2(&shared), "a real mcast");
        assert!(
            !knet_or_corosync2(&[1, 0, 0, 1, 0, 0, 0, 0]),
            "knet DATA from node 1"
        );
    }
}
