//! corowire: reads Corosync / kronosnet interconnect traffic and tells what
//! threatened membership.
//!
//! Flow is one-way: [`capture`] lends raw frames, [`wire`] decodes them
//! (pure, no I/O, no clock), [`decode`] runs the per-packet pipeline,
//! `analysis` turns decoded packets into a snapshot, and `report` / `tui`
//! render snapshots.

pub mod analysis;
pub mod app;
pub mod capture;
pub mod cli;
pub mod config;
pub mod decode;
pub mod feed;
pub mod infer;
pub mod multi;
pub mod output;
pub mod report;
pub mod timefmt;
pub mod tui;
pub mod wire;
