//! Reading ahead on a thread of its own: the `read` calls of a capture (for
//! a file, the kernel's copy of every byte from the page cache; for a
//! compressed capture, the decompression too) move off the thread that
//! decodes, which is the longest of the threaded pipeline
//! (`session::threaded`). On corosync-only traffic the copy was about a
//! fifth of the decoding thread's time (`benches/README.md`, issue 20).
//!
//! The reading thread fills [`BUFFERS`] buffers in turn, each with up to
//! [`CHUNK`] bytes after [`HEADROOM`] free bytes, and hands each over
//! whole: the capture reader takes the buffer as its own (putting the few
//! unread bytes of the one before in the headroom, so a record that
//! straddles two reads is whole again) and gives the old one back. Nothing
//! is copied on the decoding thread. Memory is those buffers, whatever the
//! input's length; nothing is allocated after the first round. The bytes,
//! their order, the end and any error come out exactly as the inner reader
//! gave them.

use std::io::{self, Read};
use std::ops::Range;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

/// Bytes asked of the inner reader at once (a file's `read` returns that
/// much until its end; a pipe's returns what it has).
pub const CHUNK: usize = 1 << 20;
/// Free bytes before each chunk's data, for the unread end of the buffer
/// before (a record cut by the chunk boundary).
pub const HEADROOM: usize = 64 << 10;
/// Buffers in circulation: one being read into, the others ready or being
/// read from.
pub const BUFFERS: usize = 4;

/// What the reading thread hands over.
enum Chunk {
    /// A buffer and where the bytes read are in it.
    Data(Vec<u8>, Range<usize>),
    Failed(io::Error),
    End,
}

/// The reader side: chunks of the input, read by a thread of its own.
pub struct ReadAhead {
    full: Receiver<Chunk>,
    empty: Sender<Vec<u8>>,
    /// The inner reader ended or failed (its error was returned once).
    done: bool,
}

impl ReadAhead {
    /// Moves `inner` to a new thread that reads ahead; gives `inner` back
    /// when the thread cannot be started.
    pub fn spawn(inner: Box<dyn Read + Send>) -> Result<ReadAhead, Box<dyn Read + Send>> {
        // Bounded by the buffer count, so the reading thread never blocks
        // on a send: it waits only for an empty buffer.
        let (full_tx, full_rx) = sync_channel::<Chunk>(BUFFERS);
        let (empty_tx, empty_rx) = channel::<Vec<u8>>();
        let (start_tx, start_rx) = channel::<Box<dyn Read + Send>>();
        let spawned = std::thread::Builder::new()
            .name("corowire-read".into())
            .spawn(move || {
                if let Ok(mut inner) = start_rx.recv() {
                    read_loop(inner.as_mut(), &full_tx, &empty_rx);
                }
            });
        if spawned.is_err() {
            return Err(inner);
        }
        for _ in 0..BUFFERS - 1 {
            let _ = empty_tx.send(Vec::new());
        }
        if let Err(e) = start_tx.send(inner) {
            return Err(e.0);
        }
        Ok(ReadAhead {
            full: full_rx,
            empty: empty_tx,
            done: false,
        })
    }

    /// The next buffer read and where its bytes are (at least one, after
    /// at least [`HEADROOM`] bytes); None at the end of the input (and
    /// after an error, which comes once).
    pub fn next_chunk(&mut self) -> io::Result<Option<(Vec<u8>, Range<usize>)>> {
        if self.done {
            return Ok(None);
        }
        match self.full.recv() {
            Ok(Chunk::Data(buf, r)) => Ok(Some((buf, r))),
            Ok(Chunk::Failed(e)) => {
                self.done = true;
                Err(e)
            }
            Ok(Chunk::End) | Err(_) => {
                self.done = true;
                Ok(None)
            }
        }
    }

    /// Gives a buffer (one from [`ReadAhead::next_chunk`], or any other) to be
    /// read into again.
    pub fn give_back(&mut self, buf: Vec<u8>) {
        let _ = self.empty.send(buf);
    }
}

/// The reading thread: fills empty buffers until the input ends or fails,
/// or the reader side is gone.
fn read_loop(inner: &mut dyn Read, full: &SyncSender<Chunk>, empty: &Receiver<Vec<u8>>) {
    for mut buf in empty {
        // A buffer grown for a large record is not kept at that size.
        if buf.capacity() > 2 * (HEADROOM + CHUNK) {
            buf = Vec::new();
        }
        buf.resize(HEADROOM + CHUNK, 0);
        let chunk = loop {
            match inner.read(&mut buf[HEADROOM..]) {
                Ok(0) => break Chunk::End,
                Ok(n) => break Chunk::Data(buf, HEADROOM..HEADROOM + n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Chunk::Failed(e),
            }
        };
        let last = !matches!(chunk, Chunk::Data(..));
        if full.send(chunk).is_err() || last {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns its bytes in pieces of varying size, then an
    /// error or the end.
    struct Pieces {
        data: Vec<u8>,
        at: usize,
        step: usize,
        fail: bool,
    }

    impl Read for Pieces {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.at == self.data.len() {
                return if self.fail {
                    Err(io::Error::other("disk on fire"))
                } else {
                    Ok(0)
                };
            }
            self.step = self.step % 7919 + 1;
            let n = out.len().min(self.step).min(self.data.len() - self.at);
            out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn pieces(len: usize, fail: bool) -> (Vec<u8>, Box<dyn Read + Send>) {
        let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        let r = Pieces {
            data: data.clone(),
            at: 0,
            step: 0,
            fail,
        };
        (data, Box::new(r))
    }

    /// Everything `r` gives, buffers given back as they are read.
    fn drain(r: &mut ReadAhead) -> (Vec<u8>, Option<io::Error>) {
        let mut got = Vec::new();
        loop {
            match r.next_chunk() {
                Ok(Some((buf, at))) => {
                    assert!(at.start >= HEADROOM && !at.is_empty());
                    got.extend_from_slice(&buf[at]);
                    r.give_back(buf);
                }
                Ok(None) => return (got, None),
                Err(e) => return (got, Some(e)),
            }
        }
    }

    #[test]
    fn gives_the_same_bytes_then_the_end() {
        let (want, inner) = pieces(3 * CHUNK + 12_345, false);
        let mut r = ReadAhead::spawn(inner).ok().expect("thread");
        let (got, err) = drain(&mut r);
        assert!(err.is_none());
        assert_eq!(got.len(), want.len());
        assert!(got == want);
        assert!(r.next_chunk().expect("after the end").is_none());
    }

    #[test]
    fn gives_the_error_after_the_bytes_before_it() {
        let (want, inner) = pieces(50_000, true);
        let mut r = ReadAhead::spawn(inner).ok().expect("thread");
        let (got, err) = drain(&mut r);
        assert!(got == want);
        assert_eq!(err.expect("error").to_string(), "disk on fire");
        assert!(r.next_chunk().expect("after the error").is_none());
    }
}
