//! Compressed captures: gzip, zstd, xz and lz4 (frame format), recognised
//! by their magic bytes (not the file name) and decompressed as a stream,
//! as Wireshark reads them. Each decoder is a maintained pure-Rust crate
//! behind the `compression` feature; nothing is read ahead beyond what the
//! decoder needs, so a compressed pipe stays live.

use std::io::{self, Read};

/// What a stream's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Xz,
    Lz4,
}

impl Compression {
    /// The longest magic number.
    pub const MAGIC_LEN: usize = 6;

    /// Recognises a stream by its first bytes.
    pub fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if head.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
            Compression::Lz4
        } else {
            Compression::None
        }
    }

    /// The name in messages (`gzip`), None when not compressed.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Compression::None => None,
            Compression::Gzip => Some("gzip"),
            Compression::Zstd => Some("zstd"),
            Compression::Xz => Some("xz"),
            Compression::Lz4 => Some("lz4"),
        }
    }
}

/// Reads up to [`Compression::MAGIC_LEN`] bytes (fewer only at the end of
/// the input) and returns them with the rest of the stream behind them.
fn peek(
    mut r: Box<dyn Read + Send>,
) -> io::Result<([u8; Compression::MAGIC_LEN], usize, Box<dyn Read + Send>)> {
    let mut head = [0u8; Compression::MAGIC_LEN];
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((head, n, r))
}

/// The stream decompressed when its magic bytes name a compression, else
/// unchanged (the peeked bytes are put back in front either way).
pub fn open(r: Box<dyn Read + Send>) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let (head, n, rest) = peek(r)?;
    let kind = Compression::detect(&head[..n]);
    let whole: Box<dyn Read + Send> = Box::new(io::Cursor::new(head).take(n as u64).chain(rest));
    Ok((decoder(whole, kind)?, kind))
}

#[cfg(feature = "compression")]
fn decoder(r: Box<dyn Read + Send>, kind: Compression) -> io::Result<Box<dyn Read + Send>> {
    Ok(match kind {
        Compression::None => r,
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
        Compression::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new(r)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}")))?,
        ),
        Compression::Xz => Box::new(lzma_rust2::XzReader::new(r, true)),
        Compression::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(r)),
    })
}

#[cfg(not(feature = "compression"))]
fn decoder(r: Box<dyn Read + Send>, kind: Compression) -> io::Result<Box<dyn Read + Send>> {
    match kind.name() {
        None => Ok(r),
        Some(name) => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "a {name}-compressed capture: this corowire was built without the `compression` feature"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes() {
        assert_eq!(Compression::detect(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(
            Compression::detect(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Compression::Zstd
        );
        assert_eq!(
            Compression::detect(&[0xfd, b'7', b'z', b'X', b'Z', 0]),
            Compression::Xz
        );
        assert_eq!(
            Compression::detect(&[0x04, 0x22, 0x4d, 0x18]),
            Compression::Lz4
        );
        // pcap (both byte orders) and pcapng are not compressed.
        assert_eq!(
            Compression::detect(&[0xd4, 0xc3, 0xb2, 0xa1]),
            Compression::None
        );
        assert_eq!(
            Compression::detect(&[0xa1, 0xb2, 0xc3, 0xd4]),
            Compression::None
        );
        assert_eq!(
            Compression::detect(&[0x0a, 0x0d, 0x0d, 0x0a]),
            Compression::None
        );
        assert_eq!(Compression::detect(&[0x1f]), Compression::None);
        assert_eq!(Compression::detect(&[]), Compression::None);
    }

    #[test]
    fn short_and_plain_streams_come_back_whole() {
        for input in [
            &b""[..],
            b"\x1f",
            b"abc",
            b"plain pcap bytes, longer than six",
        ] {
            let (mut r, kind) = open(Box::new(io::Cursor::new(input.to_vec()))).unwrap();
            assert_eq!(kind, Compression::None);
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            assert_eq!(out, input);
        }
    }
}
