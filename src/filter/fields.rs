//! The fields a display filter can name: the keys `decode --json` prints,
//! with a `knet.` / `totem.` / `ip.` / `udp.` prefix, and a few short forms
//! (`link`, `ring`, `node`). One table, so the parser, the error messages
//! and the README list the same names.

/// What values a field holds, and so which values and operators it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An unsigned integer (decimal or 0x hex; `a..b` ranges in sets).
    Int,
    /// true / false; alone, the field tests true.
    Bool,
    /// A capture time, epoch seconds with a fraction (`1795318678.5`).
    Time,
    /// An IPv4 or IPv6 address (`10.0.0.0/8` matches a network).
    Addr,
    /// A ring id, `"REP.SEQ"` in hex (corosync 3) or `"IP:SEQ"` (corosync 2).
    Ring,
    /// One of a fixed set of names.
    Enum(&'static [&'static str]),
    /// A protocol or a presence-only field: tested alone, never compared.
    Presence,
}

impl Kind {
    /// How an error message names the kind.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Int => "an integer",
            Kind::Bool => "a boolean",
            Kind::Time => "a time",
            Kind::Addr => "an address",
            Kind::Ring => "a ring id",
            Kind::Enum(_) => "a name",
            Kind::Presence => "tested alone",
        }
    }
    /// True when `<`, `<=`, `>`, `>=` apply.
    pub fn ordered(self) -> bool {
        matches!(self, Kind::Int | Kind::Time | Kind::Ring)
    }
}

/// Which field (the evaluator's switch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Id {
    Ts,
    File,
    N,
    Len,
    Class,
    Decrypted,
    Encrypted,
    Error,
    Inferred,
    InferredType,
    Node,
    IpSrc,
    IpDst,
    IpAddr,
    IpLen,
    IpVersion,
    UdpSrcport,
    UdpDstport,
    UdpPort,
    Knet,
    KnetType,
    KnetCode,
    KnetNode,
    KnetLink,
    KnetSeq,
    KnetBcast,
    KnetFragNum,
    KnetFragSeq,
    KnetReassembled,
    KnetTimed,
    KnetPmtudSize,
    Totem,
    TotemType,
    TotemVersion,
    TotemNodeid,
    TotemTargetNodeid,
    TotemRingId,
    TotemTokenSeq,
    TotemSeq,
    TotemAru,
    TotemRtrListEntries,
    TotemRtr,
    TotemMembers,
    TotemFailed,
    TotemEncapsulated,
    TotemLen,
}

/// One field of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub id: Id,
    pub name: &'static str,
    /// Other names for the same field.
    pub aliases: &'static [&'static str],
    pub kind: Kind,
    /// One line for the README and `--help`.
    pub doc: &'static str,
}

/// `class` values, as `decode` prints them.
pub const CLASSES: &[&str] = &["knet", "totem-udp", "corosync2", "encrypted", "malformed"];
/// `knet.type` values.
pub const KNET_TYPES: &[&str] = &[
    "data",
    "ping",
    "pong",
    "pmtud",
    "pmtud_reply",
    "host_info",
    "unknown",
];
/// `totem.type` values.
pub const TOTEM_TYPES: &[&str] = &[
    "orf_token",
    "mcast",
    "memb_merge_detect",
    "memb_join",
    "memb_commit_token",
    "token_hold_cancel",
    "ring_test_active",
    "ring_test_activate",
    "unknown",
];
/// `inferred.type` values (`crate::infer::Kind`).
pub const INFERRED_TYPES: &[&str] = &[
    "ping",
    "pong",
    "pmtud",
    "pmtud_reply",
    "token",
    "mcast",
    "fragment",
    "unknown",
];

const fn f(
    id: Id,
    name: &'static str,
    aliases: &'static [&'static str],
    kind: Kind,
    doc: &'static str,
) -> Field {
    Field {
        id,
        name,
        aliases,
        kind,
        doc,
    }
}

/// Every field, in the order the README lists them.
pub const FIELDS: &[Field] = &[
    f(
        Id::Ts,
        "ts",
        &["frame.time_epoch"],
        Kind::Time,
        "capture time, epoch seconds (`ts >= 1795318679.5`)",
    ),
    f(
        Id::File,
        "file",
        &[],
        Kind::Int,
        "index of the input file (0-based)",
    ),
    f(
        Id::N,
        "n",
        &["frame.number"],
        Kind::Int,
        "frame number in its file (1-based)",
    ),
    f(Id::Len, "len", &[], Kind::Int, "UDP payload length"),
    f(
        Id::Class,
        "class",
        &[],
        Kind::Enum(CLASSES),
        "knet, totem-udp, corosync2, encrypted, malformed",
    ),
    f(
        Id::Decrypted,
        "decrypted",
        &[],
        Kind::Bool,
        "decrypted with a configured key",
    ),
    f(
        Id::Encrypted,
        "encrypted",
        &[],
        Kind::Bool,
        "ciphertext on the wire: decrypted with a key, or not (class encrypted)",
    ),
    f(
        Id::Error,
        "error",
        &[],
        Kind::Presence,
        "the packet has an error or a note (malformed, cut by snaplen)",
    ),
    f(
        Id::Inferred,
        "inferred",
        &[],
        Kind::Bool,
        "encrypted without a key: the type was inferred from sizes and timing",
    ),
    f(
        Id::InferredType,
        "inferred.type",
        &[],
        Kind::Enum(INFERRED_TYPES),
        "ping, pong, pmtud, pmtud_reply, token, mcast, fragment, unknown",
    ),
    f(
        Id::Node,
        "node",
        &[],
        Kind::Int,
        "sending node: knet.node, else totem.nodeid (udp/udpu, corosync 2)",
    ),
    f(Id::IpSrc, "ip.src", &[], Kind::Addr, "source address"),
    f(Id::IpDst, "ip.dst", &[], Kind::Addr, "destination address"),
    f(
        Id::IpAddr,
        "ip.addr",
        &[],
        Kind::Addr,
        "source or destination address",
    ),
    f(Id::IpLen, "ip.len", &[], Kind::Int, "IP total length"),
    f(Id::IpVersion, "ip.version", &[], Kind::Int, "4 or 6"),
    f(
        Id::UdpSrcport,
        "udp.srcport",
        &["udp.sport", "sport"],
        Kind::Int,
        "UDP source port",
    ),
    f(
        Id::UdpDstport,
        "udp.dstport",
        &["udp.dport", "dport"],
        Kind::Int,
        "UDP destination port",
    ),
    f(
        Id::UdpPort,
        "udp.port",
        &[],
        Kind::Int,
        "UDP source or destination port",
    ),
    f(
        Id::Knet,
        "knet",
        &[],
        Kind::Presence,
        "a knet packet (cleartext, decrypted, or inferred)",
    ),
    f(
        Id::KnetType,
        "knet.type",
        &[],
        Kind::Enum(KNET_TYPES),
        "data, ping, pong, pmtud, pmtud_reply, host_info, unknown",
    ),
    f(Id::KnetCode, "knet.code", &[], Kind::Int, "knet type code"),
    f(
        Id::KnetNode,
        "knet.node",
        &[],
        Kind::Int,
        "sender of the datagram (the responder for pong and pmtud_reply)",
    ),
    f(
        Id::KnetLink,
        "knet.link",
        &["link"],
        Kind::Int,
        "link id (ping, pong, pmtud, pmtud_reply)",
    ),
    f(
        Id::KnetSeq,
        "knet.seq",
        &[],
        Kind::Int,
        "DATA seq, or the pinger's DATA seq in a ping / pong",
    ),
    f(
        Id::KnetBcast,
        "knet.bcast",
        &[],
        Kind::Bool,
        "DATA broadcast",
    ),
    f(
        Id::KnetFragNum,
        "knet.frag_num",
        &[],
        Kind::Int,
        "DATA fragments in the message",
    ),
    f(
        Id::KnetFragSeq,
        "knet.frag_seq",
        &[],
        Kind::Int,
        "DATA fragment number",
    ),
    f(
        Id::KnetReassembled,
        "knet.reassembled",
        &[],
        Kind::Bool,
        "fragments: this one completed the message",
    ),
    f(
        Id::KnetTimed,
        "knet.timed",
        &[],
        Kind::Bool,
        "ping / pong: periodic (false: a forced resync ping)",
    ),
    f(
        Id::KnetPmtudSize,
        "knet.pmtud_size",
        &[],
        Kind::Int,
        "PMTUD probe size",
    ),
    f(
        Id::Totem,
        "totem",
        &[],
        Kind::Presence,
        "a totem message (decoded, or an inferred token / mcast)",
    ),
    f(
        Id::TotemType,
        "totem.type",
        &[],
        Kind::Enum(TOTEM_TYPES),
        "orf_token, mcast, memb_merge_detect, memb_join, memb_commit_token, \
         token_hold_cancel, ring_test_active, ring_test_activate, unknown",
    ),
    f(Id::TotemVersion, "totem.version", &[], Kind::Int, "3 or 2"),
    f(
        Id::TotemNodeid,
        "totem.nodeid",
        &[],
        Kind::Int,
        "originating node",
    ),
    f(
        Id::TotemTargetNodeid,
        "totem.target_nodeid",
        &[],
        Kind::Int,
        "corosync 3: destination of a unicast (0 for multicasts)",
    ),
    f(
        Id::TotemRingId,
        "totem.ring_id",
        &["ring", "totem.ring"],
        Kind::Ring,
        "ring id, \"1.15\" (hex, as corosync 3 logs it) or \"10.0.0.1:12\"; \
         < <= > >= compare the ring seq",
    ),
    f(
        Id::TotemTokenSeq,
        "totem.token_seq",
        &[],
        Kind::Int,
        "token hop counter (orf_token, memb_commit_token)",
    ),
    f(
        Id::TotemSeq,
        "totem.seq",
        &[],
        Kind::Int,
        "orf_token: highest seq issued; mcast: its seq",
    ),
    f(Id::TotemAru, "totem.aru", &[], Kind::Int, "orf_token aru"),
    f(
        Id::TotemRtrListEntries,
        "totem.rtr_list_entries",
        &[],
        Kind::Int,
        "orf_token retransmit requests",
    ),
    f(
        Id::TotemRtr,
        "totem.rtr",
        &[],
        Kind::Int,
        "a seq the token asks to retransmit (any of them)",
    ),
    f(
        Id::TotemMembers,
        "totem.members",
        &[],
        Kind::Int,
        "a commit token member or a join's proc list entry (any of them)",
    ),
    f(
        Id::TotemFailed,
        "totem.failed",
        &[],
        Kind::Int,
        "a join's failed list entry (any of them)",
    ),
    f(
        Id::TotemEncapsulated,
        "totem.encapsulated",
        &[],
        Kind::Bool,
        "mcast: encapsulated",
    ),
    f(
        Id::TotemLen,
        "totem.len",
        &[],
        Kind::Int,
        "mcast payload length",
    ),
];

/// The field a name (or an alias) stands for.
pub fn lookup(name: &str) -> Option<&'static Field> {
    FIELDS
        .iter()
        .find(|f| f.name == name || f.aliases.contains(&name))
}

/// Every field name, comma-separated, its aliases in parentheses (for
/// error messages).
pub fn names() -> String {
    FIELDS
        .iter()
        .map(|f| match f.aliases {
            [] => f.name.to_string(),
            a => format!("{} ({})", f.name, a.join(", ")),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The known name closest to a misspelt one, when it is close.
pub fn suggest(name: &str) -> Option<&'static str> {
    let all = FIELDS
        .iter()
        .flat_map(|f| std::iter::once(&f.name).chain(f.aliases.iter()));
    all.map(|n| (distance(name, n), *n))
        .filter(|(d, n)| *d <= 2.max(n.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Levenshtein distance over bytes (names are ASCII).
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique() {
        let mut all: Vec<&str> = FIELDS
            .iter()
            .flat_map(|f| std::iter::once(f.name).chain(f.aliases.iter().copied()))
            .collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn aliases_find_their_field() {
        assert_eq!(lookup("link").map(|f| f.id), Some(Id::KnetLink));
        assert_eq!(lookup("ring").map(|f| f.id), Some(Id::TotemRingId));
        assert_eq!(lookup("udp.dport").map(|f| f.id), Some(Id::UdpDstport));
        assert!(lookup("knet.typ").is_none());
    }

    #[test]
    fn a_misspelt_name_gets_the_closest() {
        assert_eq!(suggest("knet.typ"), Some("knet.type"));
        assert_eq!(suggest("totem.tpye"), Some("totem.type"));
        assert_eq!(suggest("udp.dstprt"), Some("udp.dstport"));
        assert_eq!(suggest("bogus.field.name"), None);
    }

    #[test]
    fn enum_lists_match_the_decoders_names() {
        use crate::wire::knet::PacketType;
        use crate::wire::totem::MessageType;
        for c in [0u8, 1, 0x81, 0x82, 0x83, 0x84, 0x99] {
            assert!(KNET_TYPES.contains(&PacketType::from_u8(c).name()));
        }
        for c in 0..=8u8 {
            assert!(TOTEM_TYPES.contains(&MessageType::from_u8(c).name()));
        }
        for c in crate::wire::classify::Class::ALL {
            assert!(CLASSES.contains(&c.name()));
        }
        for k in crate::infer::Kind::ALL {
            assert!(INFERRED_TYPES.contains(&k.name()));
        }
    }
}
