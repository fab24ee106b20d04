//! corowire: reads Corosync / kronosnet interconnect traffic and tells what
//! threatened membership.
//!
//! Flow is one-way: [`capture`] lends raw frames, [`wire`] decodes them
//! (pure, no I/O, no clock), [`decode`] runs the per-packet pipeline,
//! `analysis` turns decoded packets into a snapshot, and `report` / `tui`
//! render snapshots. [`session`] sets a run up once from the arguments and
//! drives it; [`cmd`] holds the thin commands over it.

pub mod analysis;
pub mod batch;
pub mod capture;
pub mod cli;
pub mod cmd;
pub mod compact;
pub mod config;
pub mod decode;
pub mod error;
pub mod feed;
pub mod filter;
pub mod infer;
pub mod metrics;
pub mod output;
pub mod predecrypt;
pub mod report;
pub mod session;
pub mod timefmt;
pub mod tui;
pub mod wire;
