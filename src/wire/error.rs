//! Wire errors: which layer, which length or value, at which byte offset of
//! the frame (or of the layer's own bytes when no frame is involved).

use std::fmt;

/// The protocol layer an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Link,
    Vlan,
    Ipv4,
    Ipv6,
    IpFragment,
    Icmp,
    Udp,
    Knet,
    KnetData,
    KnetPing,
    KnetPmtud,
    KnetFragment,
    Crypto,
    Totem,
    Totemnet,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Layer::Link => "link",
            Layer::Vlan => "vlan",
            Layer::Ipv4 => "ipv4",
            Layer::Ipv6 => "ipv6",
            Layer::IpFragment => "ip-fragment",
            Layer::Icmp => "icmp",
            Layer::Udp => "udp",
            Layer::Knet => "knet",
            Layer::KnetData => "knet-data",
            Layer::KnetPing => "knet-ping",
            Layer::KnetPmtud => "knet-pmtud",
            Layer::KnetFragment => "knet-fragment",
            Layer::Crypto => "crypto",
            Layer::Totem => "totem",
            Layer::Totemnet => "totemnet",
        };
        f.write_str(s)
    }
}

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireErrorKind {
    /// Fewer bytes than the layer needs.
    Short { need: usize, have: usize },
    /// A length field disagrees with the bytes present or with its limits.
    BadLength {
        field: &'static str,
        value: u64,
        have: usize,
    },
    /// A field holds a value this layer cannot accept.
    BadValue { field: &'static str, value: u64 },
    /// The layer is valid but not something corowire decodes further.
    Unsupported(&'static str),
    /// Bounded state (reassembly tables) is full; the packet was dropped.
    Overflow(&'static str),
    /// The payload's HMAC verified with a configured key, but it still
    /// cannot be decrypted (bad padding, a cleartext that is no packet).
    Undecryptable(&'static str),
}

/// An error with its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireError {
    pub layer: Layer,
    /// Byte offset where the layer starts (or the bad field sits).
    pub offset: usize,
    pub kind: WireErrorKind,
    /// The offset counts from the start of a decrypted cleartext (there is
    /// no such byte in the frame), not from the start of the frame.
    pub cleartext: bool,
}

impl WireError {
    pub fn short(layer: Layer, offset: usize, need: usize, have: usize) -> Self {
        WireError {
            layer,
            offset,
            kind: WireErrorKind::Short { need, have },
            cleartext: false,
        }
    }
    pub fn bad_value(layer: Layer, offset: usize, field: &'static str, value: u64) -> Self {
        WireError {
            layer,
            offset,
            kind: WireErrorKind::BadValue { field, value },
            cleartext: false,
        }
    }
    pub fn bad_length(
        layer: Layer,
        offset: usize,
        field: &'static str,
        value: u64,
        have: usize,
    ) -> Self {
        WireError {
            layer,
            offset,
            kind: WireErrorKind::BadLength { field, value, have },
            cleartext: false,
        }
    }
    /// The same error with its offset moved by `base` (when a layer's bytes
    /// start `base` bytes into the frame).
    pub fn at(mut self, base: usize) -> Self {
        self.offset += base;
        self
    }
    /// A short machine-friendly reason, used as a counter key.
    pub fn reason(&self) -> String {
        match &self.kind {
            WireErrorKind::Short { .. } => format!("{}: too short", self.layer),
            WireErrorKind::BadLength { field, .. } => format!("{}: bad {field}", self.layer),
            WireErrorKind::BadValue { field, .. } => format!("{}: bad {field}", self.layer),
            WireErrorKind::Unsupported(what) => format!("{}: unsupported {what}", self.layer),
            WireErrorKind::Overflow(what) => format!("{}: {what} full", self.layer),
            WireErrorKind::Undecryptable(why) => {
                format!("{}: authenticated but undecryptable ({why})", self.layer)
            }
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.layer, self.offset)?;
        if self.cleartext {
            f.write_str(" of the decrypted payload")?;
        }
        f.write_str(": ")?;
        match &self.kind {
            WireErrorKind::Short { need, have } => write!(f, "needs {need} bytes, {have} present"),
            WireErrorKind::BadLength { field, value, have } => {
                write!(f, "{field} = {value} does not fit the {have} bytes present")
            }
            WireErrorKind::BadValue { field, value } => {
                write!(f, "{field} = {value} (0x{value:x}) is not valid here")
            }
            WireErrorKind::Unsupported(what) => write!(f, "{what} is not decoded"),
            WireErrorKind::Overflow(what) => write!(f, "{what} is full; packet dropped"),
            WireErrorKind::Undecryptable(why) => write!(
                f,
                "authenticated by the key (HMAC verified) but not decryptable: {why}"
            ),
        }
    }
}

impl std::error::Error for WireError {}
