//! A source whose timestamps are moved by a constant: the clock correction
//! of one capture among several (or a shift the user asks for).

use super::{CaptureError, PacketSource, RawFrame, SourceStats};

/// Adds `shift_ns` to every timestamp of the inner source (saturating).
pub struct Shifted {
    inner: Box<dyn PacketSource + Send>,
    shift_ns: i64,
}

impl Shifted {
    pub fn new(inner: Box<dyn PacketSource + Send>, shift_ns: i64) -> Shifted {
        Shifted { inner, shift_ns }
    }
}

impl PacketSource for Shifted {
    fn advance(&mut self) -> Result<bool, CaptureError> {
        self.inner.advance()
    }

    fn frame(&self) -> RawFrame<'_> {
        let f = self.inner.frame();
        RawFrame {
            ts: f.ts.saturating_add(self.shift_ns),
            ..f
        }
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    fn stats(&self) -> SourceStats {
        self.inner.stats()
    }

    fn skipped_spans(&self) -> Vec<(String, super::SkippedSpan)> {
        self.inner.skipped_spans()
    }

    fn read_ahead(&mut self) {
        self.inner.read_ahead();
    }
}
