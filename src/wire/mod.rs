//! Decoders over byte slices. No I/O and no clock: every function here takes
//! bytes (and, where state needs it, a capture timestamp) and returns views
//! or errors that name the layer, the lengths and the byte offset.

pub mod classify;
pub mod crypto;
pub mod error;
pub mod knet;
pub mod linktype;
pub mod net;
pub mod totem;

pub use error::{Layer, WireError, WireErrorKind};

/// Corosync's default UDP port range (5404 = udp mcast send port, 5405 +
/// link number for knet links 0..7).
pub const DEFAULT_PORTS: std::ops::RangeInclusive<u16> = 5404..=5412;
