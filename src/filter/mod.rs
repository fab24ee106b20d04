//! Display filters over decoded fields (`decode -Y EXPR`, as tshark's):
//! `knet.type == ping && knet.node == 3`, `totem.type == orf_token`,
//! `ring == "1.15"`, `ip.src == 10.77.0.0/16`, `knet.type in {ping pong}`.
//!
//! An expression is lexed ([`lex`]) and parsed ([`parse`]) once, its values
//! checked against their field's kind ([`fields`]); [`Filter::matches`]
//! then walks the small tree per packet without allocating ([`eval`]).
//!
//! Semantics, as tshark's: a comparison with a field the packet does not
//! have is false (`!=` included: `knet.node != 3` needs a knet node);
//! `!(knet.node == 3)` is true for a packet without one. A field that holds
//! several values (`ip.addr`, `udp.port`, `totem.members`, `totem.rtr`,
//! `totem.failed`) matches `==`, `<`… and `in` when any value does, and
//! `!=` when none is equal. A field alone tests presence, or truth for a
//! boolean (`encrypted`, `knet.bcast`).

pub mod eval;
pub mod fields;
pub mod lex;
pub mod parse;

use std::fmt;

use crate::decode::Packet;
use crate::infer::{Inference, Record};

pub use eval::Subject;

/// A parsed display filter; the default keeps every packet.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// None: the expression was empty, every packet matches (as tshark -Y "").
    root: Option<parse::Node>,
}

impl Filter {
    /// Parses an expression; errors name the offending token and its column.
    pub fn parse(expr: &str) -> Result<Filter, FilterError> {
        if expr.trim().is_empty() {
            return Ok(Filter { root: None });
        }
        let toks = lex::lex(expr)?;
        Ok(Filter {
            root: Some(parse::parse(expr, &toks)?),
        })
    }

    /// Whether a decoded packet matches.
    pub fn matches(&self, p: &Packet<'_>) -> bool {
        self.eval(Subject::Packet(p))
    }

    /// Whether an encrypted packet without a key, as inferred, matches.
    pub fn matches_inferred(&self, r: &Record, i: &Inference) -> bool {
        self.eval(Subject::Inferred(r, i))
    }

    pub fn eval(&self, s: Subject<'_, '_>) -> bool {
        self.root.as_ref().is_none_or(|n| eval::eval(n, s))
    }
}

/// A filter that does not parse: what, where, and the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub msg: String,
    /// More help, printed in parentheses after the column.
    pub hint: Option<String>,
    /// 1-based column (characters) of the offending token.
    pub col: usize,
    pub width: usize,
    pub expr: String,
}

impl FilterError {
    pub(crate) fn new(expr: &str, msg: String, col: usize, width: usize) -> Self {
        FilterError {
            msg,
            hint: None,
            col,
            width: width.max(1),
            expr: expr.to_string(),
        }
    }
    pub(crate) fn with_hint(mut self, hint: String) -> Self {
        self.hint = Some(hint);
        self
    }
}

impl fmt::Display for FilterError {
    /// `unknown field 'knet.typ' at column 1 (…)`, then the expression and
    /// a caret line under the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at column {}", self.msg, self.col)?;
        if let Some(h) = &self.hint {
            write!(f, " ({h})")?;
        }
        // Tabs shown as spaces keep the caret under its token.
        let shown: String = self
            .expr
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .collect();
        write!(
            f,
            "\n    {shown}\n    {}^{}",
            " ".repeat(self.col - 1),
            "~".repeat(self.width - 1)
        )
    }
}

impl std::error::Error for FilterError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::PacketSource;
    use crate::capture::file::FileSource;
    use crate::decode::{Decoder, Outcome};
    use crate::wire::knet::Knet;
    use crate::wire::totem::Body;

    /// Decodes a committed capture and counts the packets a filter keeps
    /// and those a plain predicate keeps: they must agree.
    type Pred<'a> = &'a dyn Fn(&Packet<'_>) -> bool;

    /// Calls `f` on each corosync packet of a committed capture.
    fn each_packet(file: &str, mut f: impl FnMut(&Packet<'_>)) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let mut src = FileSource::open(&path).unwrap();
        let mut dec = Decoder::default();
        while let Ok(true) = src.advance() {
            if let Outcome::Corosync(p) = dec.decode(&src.frame()) {
                f(&p);
            }
        }
    }

    fn agree(file: &str, cases: &[(&str, Pred<'_>)]) {
        let filters: Vec<Filter> = cases
            .iter()
            .map(|(e, _)| Filter::parse(e).unwrap_or_else(|err| panic!("{e}: {err}")))
            .collect();
        let mut got = vec![0u64; cases.len()];
        let mut want = vec![0u64; cases.len()];
        each_packet(file, |p| {
            for (i, (_, pred)) in cases.iter().enumerate() {
                got[i] += u64::from(filters[i].matches(p));
                want[i] += u64::from(pred(p));
            }
        });
        for (i, (e, _)) in cases.iter().enumerate() {
            assert_eq!(got[i], want[i], "{file}: {e}");
            assert!(want[i] > 0, "{file}: {e} matches nothing: a weak case");
        }
    }

    fn ktype(p: &Packet<'_>) -> &'static str {
        p.knet.map_or("", |k| k.packet_type().name())
    }
    fn ttype(p: &Packet<'_>) -> &'static str {
        p.totem.map_or("", |t| t.header.mtype.name())
    }

    #[test]
    fn knet_fields_on_a_real_capture() {
        agree(
            "tests/data/spec/lab-c3.1.7-knet1.25-cleartext.pcap",
            &[
                ("knet.type == ping", &|p| ktype(p) == "ping"),
                ("knet.type == ping && knet.node == 1", &|p| {
                    ktype(p) == "ping" && p.knet.unwrap().node() == 1
                }),
                ("knet.type in {ping pong}", &|p| {
                    matches!(ktype(p), "ping" | "pong")
                }),
                ("knet.type == ping || knet.type == pong", &|p| {
                    matches!(ktype(p), "ping" | "pong")
                }),
                ("!(knet.type == data)", &|p| ktype(p) != "data"),
                ("not knet.type eq data", &|p| ktype(p) != "data"),
                ("link == 1", &|p| p.knet.and_then(|k| k.link()) == Some(1)),
                ("knet.link != 1", &|p| {
                    p.knet.and_then(|k| k.link()).is_some_and(|l| l != 1)
                }),
                ("knet.seq >= 5", &|p| match p.knet {
                    Some(Knet::Data(d)) => d.seq >= 5,
                    Some(Knet::Ping(g) | Knet::Pong(g)) => g.seq >= 5,
                    _ => false,
                }),
                ("knet.seq < 5", &|p| match p.knet {
                    Some(Knet::Data(d)) => d.seq < 5,
                    Some(Knet::Ping(g) | Knet::Pong(g)) => g.seq < 5,
                    _ => false,
                }),
                (
                    "knet.bcast",
                    &|p| matches!(p.knet, Some(Knet::Data(d)) if d.bcast),
                ),
                ("knet.pmtud_size > 1000", &|p| {
                    p.pmtud_size().is_some_and(|s| s > 1000)
                }),
                ("knet.code == 0x81", &|p| ktype(p) == "ping"),
                ("ip.src == 10.99.0.1", &|p| {
                    p.dgram.src.to_string() == "10.99.0.1"
                }),
                ("ip.addr == 10.99.0.1", &|p| {
                    p.dgram.src.to_string() == "10.99.0.1" || p.dgram.dst.to_string() == "10.99.0.1"
                }),
                ("ip.addr != 10.99.0.1", &|p| {
                    p.dgram.src.to_string() != "10.99.0.1" && p.dgram.dst.to_string() != "10.99.0.1"
                }),
                ("ip.dst == 10.99.0.0/24", &|p| {
                    p.dgram.dst.to_string().starts_with("10.99.0.")
                }),
                ("udp.dstport == 5405", &|p| p.dgram.dport == 5405),
                ("udp.port in {5405 5406}", &|p| {
                    [5405, 5406].contains(&p.dgram.dport) || [5405, 5406].contains(&p.dgram.sport)
                }),
                ("knet.node in {1..2}", &|p| {
                    p.knet.is_some_and(|k| (1..=2).contains(&k.node()))
                }),
                ("class == knet && !encrypted && !decrypted", &|p| {
                    p.class == crate::wire::classify::Class::Knet
                }),
                ("knet", &|p| p.knet.is_some()),
                ("n <= 100", &|p| p.packet_no <= 100),
                ("ts >= 1700000000.5 && ts < 1900000000", &|p| {
                    p.ts >= 1_700_000_000_500_000_000 && p.ts < 1_900_000_000_000_000_000
                }),
                ("len > 100 and ip.version == 4", &|p| {
                    p.dgram.payload_len > 100
                }),
            ],
        );
    }

    #[test]
    fn totem_fields_on_a_real_capture() {
        agree(
            "captures/membership-3n-node3-cut-rejoin.pcap",
            &[
                ("totem.type == orf_token", &|p| ttype(p) == "orf_token"),
                ("totem.type == memb_join", &|p| ttype(p) == "memb_join"),
                ("totem.seq > 10", &|p| match p.totem.map(|t| t.body) {
                    Some(Body::OrfToken(o)) => o.seq > 10,
                    Some(Body::Mcast(m)) => m.seq > 10,
                    _ => false,
                }),
                ("totem.members == 3", &|p| match p.totem.map(|t| t.body) {
                    Some(Body::CommitToken(c)) => c.members.iter().any(|m| m == 3),
                    Some(Body::Join(j)) => j.proc_list.iter().any(|m| m == 3),
                    _ => false,
                }),
                (
                    "totem.type == memb_commit_token && totem.members != 3",
                    &|p| match p.totem.map(|t| t.body) {
                        Some(Body::CommitToken(c)) => c.members.iter().all(|m| m != 3),
                        _ => false,
                    },
                ),
                ("ring == \"1.15\"", &|p| {
                    p.totem
                        .and_then(|t| t.ring_id())
                        .is_some_and(|r| r.to_string() == "1.15")
                }),
                ("ring >= \"1.15\"", &|p| {
                    p.totem
                        .and_then(|t| t.ring_id())
                        .is_some_and(|r| r.seq >= 0x15)
                }),
                ("totem && !totem.type in {orf_token mcast}", &|p| {
                    p.totem.is_some() && !matches!(ttype(p), "orf_token" | "mcast")
                }),
                ("totem.nodeid == 3 && totem.target_nodeid == 1", &|p| {
                    p.totem
                        .is_some_and(|t| t.header.nodeid == 3 && t.header.target_nodeid == Some(1))
                }),
                ("node == 2", &|p| p.knet.is_some_and(|k| k.node() == 2)),
                ("totem.version == 3", &|p| p.totem.is_some()),
                ("totem.token_seq > 10", &|p| match p.totem.map(|t| t.body) {
                    Some(Body::OrfToken(o)) => o.token_seq > 10,
                    Some(Body::CommitToken(c)) => c.token_seq > 10,
                    _ => false,
                }),
                (
                    "totem.type == mcast && totem.len > 0 && !totem.encapsulated",
                    &|p| match p.totem {
                        Some(t) => match t.body {
                            Body::Mcast(m) => !m.payload.is_empty() && t.header.encapsulated != 1,
                            _ => false,
                        },
                        None => false,
                    },
                ),
            ],
        );
    }

    #[test]
    fn totem_fields_without_knet() {
        agree(
            "captures/udpu-3n-clear.pcap",
            &[
                ("class == totem-udp", &|p| {
                    p.class == crate::wire::classify::Class::TotemUdp
                }),
                ("!knet && node == 1", &|p| {
                    p.knet.is_none() && p.totem.is_some_and(|t| t.header.nodeid == 1)
                }),
                (
                    "totem.rtr_list_entries == 0",
                    &|p| matches!(p.totem.map(|t| t.body), Some(Body::OrfToken(o)) if o.rtr.is_empty()),
                ),
            ],
        );
    }

    /// Expressions made of random pieces (a small deterministic fuzzer):
    /// parsing never panics, an error points inside the expression or just
    /// past its end, and what parses evaluates on real packets.
    #[test]
    fn random_expressions_parse_or_fail_cleanly() {
        const PIECES: &[&str] = &[
            "knet.type",
            "totem.members",
            "ring",
            "ip.addr",
            "ts",
            "link",
            "encrypted",
            "knet",
            "==",
            "!=",
            "<",
            ">=",
            "in",
            "{",
            "}",
            ",",
            "(",
            ")",
            "!",
            "&&",
            "||",
            "and",
            "not",
            "ping",
            "orf_token",
            "3",
            "0x1f",
            "1..3",
            "\"1.15\"",
            "10.0.0.0/8",
            "fe80::1",
            "1795318679.5",
            "\"",
            "=",
            "&",
            "é",
            " ",
            "true",
            "",
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut parsed = Vec::new();
        let mut bad = 0;
        for _ in 0..3000 {
            let n = 1 + next() % 9;
            let expr: Vec<&str> = (0..n)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let expr = expr.join(" ");
            match Filter::parse(&expr) {
                Ok(f) => parsed.push(f),
                Err(e) => {
                    bad += 1;
                    assert!(
                        e.col >= 1 && e.col <= expr.chars().count() + 1,
                        "{expr}: {e}"
                    );
                    let _ = e.to_string();
                }
            }
        }
        each_packet("captures/membership-3n-node3-cut-rejoin.pcap", |p| {
            for f in &parsed {
                f.matches(p);
            }
        });
        let ok = parsed.len();
        assert!(ok > 50 && bad > 50, "{ok} parsed, {bad} rejected");
    }

    #[test]
    fn an_empty_filter_keeps_everything() {
        let f = Filter::parse("  ").unwrap();
        assert!(f.root.is_none());
    }

    #[test]
    fn inferred_packets_match_their_inferred_type() {
        use crate::infer::Kind;
        let r = Record {
            ts: 0,
            source: 0,
            packet_no: 7,
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            sport: 5405,
            dport: 5405,
            len: 80,
            ip_len: 108,
            outgoing: None,
        };
        let inf = |kind| Inference {
            kind,
            confidence: 0.9,
            partner: None,
            delay_ns: None,
        };
        let yes = |e: &str, k| Filter::parse(e).unwrap().matches_inferred(&r, &inf(k));
        assert!(yes("knet.type == ping", Kind::Ping));
        assert!(!yes("knet.type == ping", Kind::Pong));
        assert!(yes(
            "knet.type == data && totem.type == orf_token",
            Kind::Token
        ));
        assert!(yes("inferred.type == token", Kind::Token));
        assert!(yes("knet.type == data && !totem", Kind::Fragment));
        assert!(!yes("knet", Kind::Unknown));
        // What is inside the ciphertext is unknown: never equal, never unequal.
        assert!(!yes("knet.node == 3", Kind::Ping));
        assert!(!yes("knet.node != 3", Kind::Ping));
        assert!(yes(
            "encrypted && inferred && !decrypted && class == encrypted",
            Kind::Ping
        ));
        assert!(yes(
            "ip.src == 10.0.0.1 && udp.dstport == 5405 && len == 80 && ip.len == 108 && n == 7",
            Kind::Ping
        ));
    }

    #[test]
    fn errors_show_the_expression_and_a_caret() {
        let e = Filter::parse("knet.type == ping && knet.nod == 3").unwrap_err();
        let text = e.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("unknown field 'knet.nod' at column 22 (did you mean 'knet.node'? fields: ts (frame.time_epoch), file, n (frame.number), len,"),
            "{text}"
        );
        assert_eq!(lines[1], "    knet.type == ping && knet.nod == 3");
        assert_eq!(
            lines[2],
            format!("{}^{}", " ".repeat(4 + 21), "~".repeat(7))
        );
        let e = Filter::parse("knet.type\t== pingg")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("'pingg' is not a knet.type (values: data, ping, pong"),
            "{e}"
        );
        let caret = format!("{}^{}", " ".repeat(4 + 13), "~".repeat(4));
        assert!(
            e.ends_with(&format!("    knet.type == pingg\n{caret}")),
            "{e}"
        );
    }
}
