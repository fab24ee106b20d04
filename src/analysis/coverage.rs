//! What the input let corowire see. The engine judges the packets it is
//! given; this says what it was not given: records the capture reader could
//! not read, packets the kernel dropped, frames cut by the snaplen, traffic
//! on other ports, encrypted traffic without the key. The report's verdict
//! reads it to say "could not see" instead of a confident OK.

/// Counters of the whole run, from the session (source, decoder, reader).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Frames read from the input.
    pub frames: u64,
    /// Corosync packets among them (any class).
    pub corosync_packets: u64,
    /// Capture records that could not be read (corrupt, cut), and errors.
    pub capture_errors: u64,
    pub skipped_records: u64,
    /// Bytes of the input passed over to find the next valid record.
    pub skipped_bytes: u64,
    /// The last capture error's message (says where).
    pub last_error: Option<String>,
    /// Kernel counters of a live capture: (received, dropped by the kernel
    /// or the interface).
    pub kernel: Option<(u64, u64)>,
    /// Frames the capture kept fewer bytes of than the wire carried.
    pub snaplen_cut: u64,
    /// Encrypted packets no key opened, and whether a key was given.
    pub encrypted_unopened: u64,
    pub key_given: bool,
    /// The `--ports` list, and the UDP destination ports outside it that
    /// carried the most datagrams (port, datagrams), most first.
    pub ports: String,
    pub other_udp_ports: Vec<(u16, u64)>,
}

/// Above this share of frames lost to the capture itself (kernel drops,
/// snaplen cuts), the verdict cannot vouch for the rest.
pub const MAX_LOST_PERMILLE: u64 = 10;

impl Coverage {
    /// Why nothing, or not all, of the input could be judged: each a
    /// sentence. Empty when the whole input was read and judged.
    pub fn gaps(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.corosync_packets == 0 {
            let mut s = format!(
                "no corosync packets on UDP ports {} in {} frames",
                self.ports, self.frames
            );
            if !self.other_udp_ports.is_empty() {
                let top: Vec<String> = self
                    .other_udp_ports
                    .iter()
                    .take(3)
                    .map(|(p, n)| format!("{p} ({n})"))
                    .collect();
                s.push_str(&format!(
                    "; the busiest other UDP ports: {} (is --ports right?)",
                    top.join(", ")
                ));
            }
            v.push(s);
        }
        if self.capture_errors > 0 || self.skipped_records > 0 || self.skipped_bytes > 0 {
            let mut s = format!(
                "part of the capture could not be read ({} errors, {} records skipped, {} bytes \
                 not read)",
                self.capture_errors, self.skipped_records, self.skipped_bytes
            );
            if let Some(e) = &self.last_error {
                s.push_str(&format!("; last: {e}"));
            }
            v.push(s);
        }
        if let Some((received, dropped)) = self.kernel
            && received > 0
            && dropped * 1000 > received * MAX_LOST_PERMILLE
        {
            v.push(format!(
                "the capture dropped {dropped} of {received} packets ({:.1} %): \
                     raise -B or capture less",
                super::pct(dropped, received)
            ));
        }
        if self.frames > 0 && self.snaplen_cut * 1000 > self.frames * MAX_LOST_PERMILLE {
            v.push(format!(
                "{} of {} frames were cut by the capture's snaplen: capture with tcpdump -s 0",
                self.snaplen_cut, self.frames
            ));
        }
        v
    }

    /// What could not be judged without the whole input being in doubt.
    pub fn blind_spots(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.encrypted_unopened > 0 {
            v.push(if self.key_given {
                format!(
                    "{} encrypted packets were not opened by the key: their content is not judged",
                    self.encrypted_unopened
                )
            } else {
                format!(
                    "{} encrypted packets without the key: message types inferred from sizes and \
                     timing; ring ids, members and retransmit lists need --authkey",
                    self.encrypted_unopened
                )
            });
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_say_what_was_not_seen() {
        let full = Coverage {
            frames: 1000,
            corosync_packets: 900,
            ports: "5404-5412".into(),
            ..Coverage::default()
        };
        assert!(full.gaps().is_empty());
        let none = Coverage {
            corosync_packets: 0,
            other_udp_ports: vec![(5420, 800), (53, 3)],
            ..full.clone()
        };
        let g = none.gaps();
        assert_eq!(g.len(), 1);
        assert!(g[0].contains("5420 (800)"), "{g:?}");
        let dropped = Coverage {
            kernel: Some((55_512, 53_041)),
            ..full.clone()
        };
        assert!(dropped.gaps()[0].contains("95.5 %"), "{:?}", dropped.gaps());
        let cut = Coverage {
            snaplen_cut: 900,
            ..full.clone()
        };
        assert!(cut.gaps()[0].contains("snaplen"));
        let unread = Coverage {
            capture_errors: 1,
            last_error: Some("x.pcap: packet 3 at byte 400: bad record".into()),
            ..full
        };
        assert!(unread.gaps()[0].contains("packet 3"));
    }
}
