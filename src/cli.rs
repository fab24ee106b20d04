//! Command-line interface (clap derive). The commands themselves live in
//! [`crate::app`]; `main` only parses and maps the result to an exit code.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "corowire",
    version,
    about = "Reads Corosync / kronosnet interconnect traffic and tells what threatened membership",
    long_about = None,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode corosync traffic packet by packet, like tcpdump.
    Decode(DecodeArgs),
}

/// Options shared by every command that reads captures.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// pcap or pcapng files; `-` reads a pcap stream from stdin
    /// (`tcpdump -U -w - | corowire decode -`). Several files are merged on time.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// UDP ports that carry corosync traffic.
    #[arg(long, default_value = "5404-5412", value_name = "LIST")]
    pub ports: String,

    /// The cluster's authkey, to decrypt knet (repeatable: during a key
    /// change two keys are live). Read-only; never printed.
    #[arg(long = "authkey", value_name = "FILE")]
    pub authkeys: Vec<PathBuf>,

    /// The cluster's corosync.conf: node names and addresses, budgets,
    /// crypto_cipher / crypto_hash and keyfile.
    #[arg(long, value_name = "FILE")]
    pub corosync_conf: Option<PathBuf>,

    /// crypto_cipher as in corosync.conf (aes256, aes192, aes128, none);
    /// found by trying when neither this nor a config says it.
    #[arg(long, value_name = "NAME")]
    pub crypto_cipher: Option<String>,

    /// crypto_hash as in corosync.conf (sha256, sha1, md5, sha384, sha512, none).
    #[arg(long, value_name = "NAME")]
    pub crypto_hash: Option<String>,
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// JSON Lines: one object per corosync packet (schema in the README).
    #[arg(long)]
    pub json: bool,

    /// Print only the closing summary (to stdout).
    #[arg(short = 's', long)]
    pub summary_only: bool,

    /// Stop after this many corosync packets.
    #[arg(short = 'c', long, value_name = "N")]
    pub count: Option<u64>,

    /// Print absolute times as epoch seconds instead of UTC clock time.
    #[arg(long)]
    pub epoch: bool,
}
