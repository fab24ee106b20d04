//! Decoded packets into the analysis engine: the one path `report`, the TUI
//! and `live` share. Encrypted packets without a key go through the keyless
//! inference first; the inferrer is flushed before any other packet so the
//! engine always sees capture time in order.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::analysis::Engine;
use crate::compact::{Kind, Lists, PacketRec, Seen};
use crate::decode::{Outcome, Ports};
use crate::infer::{Inferrer, Record};

/// The knet port of link 0 (5405) when the port list holds it, else the
/// lowest port in it.
pub fn link0_port(ports: &Ports) -> u16 {
    if ports.contains(5405) {
        5405
    } else {
        (0..=u16::MAX).find(|p| ports.contains(*p)).unwrap_or(5405)
    }
}

/// The engine and what feeds it.
#[derive(Debug)]
pub struct Feed {
    pub engine: Engine,
    inf: Inferrer,
    pseudo: Option<PseudoNodes>,
    link0_port: u16,
    /// The lists of the packet [`Feed::outcome`] converts (reused).
    scratch: Lists,
}

impl Feed {
    /// `by_address`: number encrypted nodes by address (no key, no config).
    pub fn new(engine: Engine, by_address: bool, link0_port: u16) -> Feed {
        Feed {
            engine,
            inf: Inferrer::default(),
            pseudo: by_address.then(PseudoNodes::default),
            link0_port,
            scratch: Lists::default(),
        }
    }

    /// Feeds one decode outcome (converted to its compact record, as
    /// [`Feed::seen`] takes it).
    pub fn outcome(&mut self, o: &Outcome<'_>) {
        match o {
            Outcome::Corosync(p) => {
                let mut lists = std::mem::take(&mut self.scratch);
                lists.clear();
                let rec = PacketRec::of(p, &mut lists);
                self.packet(p.source, p.packet_no, &rec, &lists);
                self.scratch = lists;
            }
            o => self.seen(0, 0, Seen::of_other(o)),
        }
    }

    /// Feeds one frame's outcome, of packet `packet_no` of input `source`.
    #[inline]
    pub fn seen(&mut self, source: usize, packet_no: u64, s: Seen<'_>) {
        match s {
            Seen::Packet { rec, lists, .. } => self.packet(source, packet_no, rec, lists),
            Seen::TooBig { ts, notice } => {
                self.flush();
                self.engine.ingest_too_big(ts, notice);
            }
            _ => {}
        }
    }

    /// Feeds one corosync packet's record.
    #[inline]
    fn packet(&mut self, source: usize, packet_no: u64, rec: &PacketRec, lists: &Lists) {
        match rec.kind {
            Kind::Opaque {
                encrypted: true,
                payload_len,
            } => self.opaque(source, packet_no, rec, lists, payload_len),
            _ => {
                self.flush();
                self.engine.ingest_rec(rec, lists);
            }
        }
    }

    /// An encrypted packet without the key: counted now; what it was is
    /// decided after its lookahead. Out of line: cleartext and decrypted
    /// traffic never comes here.
    #[inline(never)]
    fn opaque(
        &mut self,
        source: usize,
        packet_no: u64,
        p: &PacketRec,
        lists: &Lists,
        payload_len: u32,
    ) {
        if let Some(ps) = self.pseudo.as_mut() {
            let new = ps.learn(p, self.link0_port);
            if !new.is_empty() {
                self.engine.set_addresses(&new);
            }
        }
        self.engine.ingest_rec(p, lists);
        self.inf.push(Record {
            ts: p.ts,
            source,
            packet_no,
            src: p.src,
            dst: p.dst,
            sport: p.sport,
            dport: p.dport,
            len: payload_len,
            ip_len: p.ip_len,
            outgoing: p.outgoing,
        });
        self.drain();
    }

    /// Decides every pending inference and feeds it.
    pub fn flush(&mut self) {
        // Cleartext traffic never fills the inferrer: nothing to do.
        if self.inf.pending() == 0 {
            return;
        }
        self.inf.flush();
        self.drain();
    }

    /// The input ended at `last_ts`.
    pub fn finish(&mut self, last_ts: Option<i64>) {
        self.flush();
        if let Some(ts) = last_ts {
            self.engine.finish(ts);
        }
    }

    /// True when nodes were numbered by address (worth a note to the user).
    pub fn numbered_by_address(&self) -> bool {
        self.pseudo.as_ref().is_some_and(|p| !p.ids.is_empty())
    }

    fn drain(&mut self) {
        while let Some((r, i)) = self.inf.pop() {
            self.engine.ingest_inferred(&r, &i);
        }
    }
}

/// Node numbers for encrypted traffic analysed with neither a key nor a
/// config: knet node ids are inside the ciphertext, so nodes are numbered by
/// their link-0 address in order of appearance, and an address on another
/// link joins the node with the same host part (10.0.1.3 ~ 10.0.0.3), as
/// clusters are usually addressed. Bounded like every other table.
#[derive(Debug, Default)]
struct PseudoNodes {
    ids: HashMap<IpAddr, u16>,
    next: u16,
}

impl PseudoNodes {
    const MAX: usize = 256;

    fn host_part(a: IpAddr) -> u16 {
        match a {
            IpAddr::V4(v) => u16::from(v.octets()[3]),
            IpAddr::V6(v) => v.segments()[7],
        }
    }

    /// Numbers the packet's addresses; returns the new (address, id) pairs.
    fn learn(&mut self, p: &PacketRec, first_port: u16) -> Vec<(IpAddr, u16)> {
        let mut new = Vec::new();
        let link0 = p.dport == first_port;
        for a in [p.src, p.dst] {
            if self.ids.contains_key(&a) || self.ids.len() >= Self::MAX {
                continue;
            }
            let same_host = (!link0)
                .then(|| {
                    self.ids
                        .iter()
                        .find(|(b, _)| Self::host_part(**b) == Self::host_part(a))
                        .map(|(_, id)| *id)
                })
                .flatten();
            let id = match same_host {
                Some(id) => id,
                None => {
                    self.next += 1;
                    self.next
                }
            };
            self.ids.insert(a, id);
            new.push((a, id));
        }
        new
    }
}
