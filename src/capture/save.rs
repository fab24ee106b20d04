//! Keeping what was captured: every frame written to a pcap file (`live -w
//! FILE`), with tcpdump's rotation: `-C` starts a new file once the current
//! one holds that many bytes (FILE, FILE1, FILE2, …), and with `-W N` the
//! files are FILE0 … FILE{N-1}, zero-padded, and the oldest is overwritten.
//!
//! Own code rather than a crate: a pcap file is a 24-byte header and a
//! 16-byte header per record, and the records must be written straight from
//! the borrowed frame with no copy; libpcap's dumper would tie `-w` to the
//! `live` feature, and `-r -` streams are kept too.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use super::RawFrame;

/// pcap with nanosecond timestamps.
const MAGIC_NS: u32 = 0xa1b2_3c4d;
/// Largest frame a record claims (tcpdump's default snaplen).
const SNAPLEN: u32 = 262_144;

/// How to keep frames.
#[derive(Debug, Clone)]
pub struct SaveOptions {
    pub path: PathBuf,
    /// Start a new file past this many bytes (`-C`, in bytes); None: one file.
    pub rotate_bytes: Option<u64>,
    /// Keep at most this many files, overwriting the oldest (`-W`).
    pub files: Option<u32>,
}

/// The pcap writer with rotation.
pub struct Savefile {
    opts: SaveOptions,
    out: Option<BufWriter<File>>,
    linktype: u32,
    written: u64,
    /// Index of the current file (0-based).
    index: u64,
}

impl Savefile {
    /// Checks that the first file can be created; frames come later.
    pub fn create(opts: SaveOptions) -> io::Result<Savefile> {
        let mut s = Savefile {
            opts,
            out: None,
            linktype: 0,
            written: 0,
            index: 0,
        };
        // Create it now so a bad path is an error before the capture starts.
        File::create(s.file_name(0))?;
        s.index = 0;
        Ok(s)
    }

    /// The name of file `i`, as tcpdump names them.
    pub fn file_name(&self, i: u64) -> PathBuf {
        let base = self.opts.path.as_os_str().to_string_lossy();
        match (self.opts.files, self.opts.rotate_bytes) {
            (Some(n), Some(_)) => {
                let width = n.saturating_sub(1).max(1).to_string().len();
                PathBuf::from(format!("{base}{:0width$}", i % u64::from(n.max(1))))
            }
            (_, Some(_)) if i > 0 => PathBuf::from(format!("{base}{i}")),
            _ => self.opts.path.clone(),
        }
    }

    fn open(&mut self, linktype: u32) -> io::Result<()> {
        let mut w = BufWriter::with_capacity(1 << 16, File::create(self.file_name(self.index))?);
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&MAGIC_NS.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        h[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
        h[20..24].copy_from_slice(&linktype.to_le_bytes());
        w.write_all(&h)?;
        self.out = Some(w);
        self.linktype = linktype;
        self.written = h.len() as u64;
        Ok(())
    }

    /// Appends a frame (opening or rotating files as needed). A frame of
    /// another link type than the file's starts a new file.
    pub fn write(&mut self, f: &RawFrame<'_>) -> io::Result<()> {
        let full = self
            .opts
            .rotate_bytes
            .is_some_and(|max| self.written >= max.max(1));
        if self.out.is_some() && (full || f.linktype != self.linktype) {
            self.flush()?;
            self.out = None;
            self.index += 1;
        }
        if self.out.is_none() {
            self.open(f.linktype)?;
        }
        let caplen = u32::try_from(f.data.len()).unwrap_or(u32::MAX).min(SNAPLEN);
        let ts = f.ts;
        let secs = ts.div_euclid(1_000_000_000);
        let ns = ts.rem_euclid(1_000_000_000);
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&(secs as u32).to_le_bytes());
        h[4..8].copy_from_slice(&(ns as u32).to_le_bytes());
        h[8..12].copy_from_slice(&caplen.to_le_bytes());
        h[12..16].copy_from_slice(&f.orig_len.max(caplen).to_le_bytes());
        let w = self.out.as_mut().expect("opened above");
        w.write_all(&h)?;
        w.write_all(&f.data[..caplen as usize])?;
        self.written += 16 + u64::from(caplen);
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        match self.out.as_mut() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for Savefile {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(rotate: Option<u64>, files: Option<u32>) -> SaveOptions {
        SaveOptions {
            path: PathBuf::from("/tmp/x.pcap"),
            rotate_bytes: rotate,
            files,
        }
    }

    #[test]
    fn names_follow_tcpdump() {
        let s = |o| Savefile {
            opts: o,
            out: None,
            linktype: 0,
            written: 0,
            index: 0,
        };
        let one = s(opts(None, None));
        assert_eq!(one.file_name(0), PathBuf::from("/tmp/x.pcap"));
        let c = s(opts(Some(1000), None));
        assert_eq!(c.file_name(0), PathBuf::from("/tmp/x.pcap"));
        assert_eq!(c.file_name(2), PathBuf::from("/tmp/x.pcap2"));
        let w = s(opts(Some(1000), Some(12)));
        assert_eq!(w.file_name(0), PathBuf::from("/tmp/x.pcap00"));
        assert_eq!(w.file_name(13), PathBuf::from("/tmp/x.pcap01"));
    }
}
