//! UDP header.

use super::link::be16;
use crate::wire::{Layer, WireError};

pub const UDP_HDR: usize = 8;

/// The UDP header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Udp {
    pub sport: u16,
    pub dport: u16,
    /// The UDP length field (header included).
    pub len: usize,
}

impl Udp {
    /// Parses the header at the start of `b`; `ip_payload` is the payload
    /// length the IP layer declares (the bytes present may be fewer).
    #[inline]
    pub fn parse(b: &[u8], ip_payload: usize) -> Result<Udp, WireError> {
        if b.len() < UDP_HDR {
            return Err(WireError::short(Layer::Udp, 0, UDP_HDR, b.len()));
        }
        let len = usize::from(be16(b, 4));
        if len < UDP_HDR || len > ip_payload {
            return Err(WireError::bad_length(
                Layer::Udp,
                4,
                "length",
                len as u64,
                ip_payload,
            ));
        }
        Ok(Udp {
            sport: be16(b, 0),
            dport: be16(b, 2),
            len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WireErrorKind;

    const H: [u8; 12] = [0x15, 0x1d, 0x15, 0x1e, 0x00, 0x0c, 0xab, 0xcd, 1, 2, 3, 4];

    #[test]
    fn parse_ok() {
        assert_eq!(
            Udp::parse(&H, 12).unwrap(),
            Udp {
                sport: 5405,
                dport: 5406,
                len: 12
            }
        );
        // padding after the datagram is allowed
        assert_eq!(Udp::parse(&H, 40).unwrap().len, 12);
    }

    #[test]
    fn truncated_every_length() {
        for n in 0..8 {
            assert_eq!(
                Udp::parse(&H[..n], 12).unwrap_err(),
                WireError::short(Layer::Udp, 0, 8, n)
            );
        }
        // cut after the header: fine, the length is checked against IP's
        assert!(Udp::parse(&H[..8], 12).is_ok());
    }

    #[test]
    fn bad_lengths() {
        let e = Udp::parse(&H, 11).unwrap_err();
        assert_eq!((e.layer, e.offset), (Layer::Udp, 4));
        assert_eq!(
            e.kind,
            WireErrorKind::BadLength {
                field: "length",
                value: 12,
                have: 11
            }
        );
        let mut b = H;
        b[5] = 7;
        assert!(Udp::parse(&b, 12).is_err());
    }
}
