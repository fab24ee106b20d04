//! The per-packet decode pipeline.
