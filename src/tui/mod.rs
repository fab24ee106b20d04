//! The terminal UI (issue 6): `corowire tui FILE...` replays captures,
//! `corowire live` watches an interface or a pcap stream on stdin.
//!
//! Shape: a producer thread runs capture → decode → view building
//! ([`driver`], [`producer`]) and publishes [`model::View`] copies on a
//! `tokio::sync::watch` channel; the UI thread ([`run`]) selects over
//! terminal events, a tick, those views and termination signals, keeps its
//! own view state ([`app`]) and draws ([`render`]) only when something
//! changed. Tests drive the same [`app::handle_key`] and [`render::draw`]
//! on ratatui's `TestBackend`.

pub mod adapter;
pub mod app;
pub mod cmd;
pub mod driver;
pub mod model;
pub mod producer;
pub mod render;
pub mod run;
pub mod term;
