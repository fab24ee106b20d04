//! Cluster configuration: corosync.conf (nodelist, links, totem timeouts,
//! crypto), the budgets derived from it, and authkey loading.
//!
//! OWNER: crypto/config helper.
//!
//! * [`load_authkey`] reads a key file (read-only, wiped buffer, a warning
//!   value when group or others may read it).
//! * [`parse_corosync_conf`] / [`load_corosync_conf`] read corosync.conf
//!   into a [`ConfTree`] and a typed [`ClusterConfig`].
//! * [`Budgets`] are the timeouts that matter for analysis, from a config,
//!   flags, or corosync's defaults for a node count.

pub mod authkey;
pub mod budgets;
pub mod corosync_conf;

use std::fmt;
use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};

pub use authkey::{KeyWarning, LoadedKey, load_authkey};
pub use budgets::{Budget, BudgetOverrides, Budgets, CorosyncVersion, KnetBudget, Source};
pub use corosync_conf::{
    ClusterConfig, ConfTree, Entry, Interface, LinkMode, Node, NodeAddr, Section, TransportKind,
    load_corosync_conf, parse_corosync_conf,
};

use crate::wire::crypto::{KeyError, SuiteError};

/// A configuration or key-file error, with the file and (when it concerns
/// a line) the 1-based line number. Never carries key bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    pub kind: ConfigErrorKind,
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// Opening or reading failed.
    Io {
        kind: std::io::ErrorKind,
        message: String,
    },
    /// A line that is neither `name {`, `}`, `key: value` nor a comment.
    Syntax(String),
    /// A `}` without an open section.
    UnexpectedClose,
    /// End of file inside a section (the line is where it was opened).
    UnclosedSection { name: String },
    /// A value of the wrong form. `value` is empty for secret keys.
    BadValue {
        key: String,
        value: String,
        expected: &'static str,
    },
    /// The key file has an unacceptable length.
    Key(KeyError),
    /// crypto_cipher / crypto_hash not accepted.
    Suite(SuiteError),
    /// Not a regular file (a FIFO, device, directory or socket); `what`
    /// names the file type found.
    NotAFile { what: &'static str },
    /// The file is larger than corowire reads.
    TooLarge { size: u64, limit: u64 },
}

impl ConfigError {
    pub(crate) fn new(kind: ConfigErrorKind) -> Self {
        ConfigError {
            file: None,
            line: None,
            kind,
        }
    }

    pub(crate) fn at_line(kind: ConfigErrorKind, line: usize) -> Self {
        ConfigError {
            file: None,
            line: Some(line),
            kind,
        }
    }

    pub(crate) fn io(path: &Path, e: &std::io::Error) -> Self {
        ConfigError {
            file: Some(path.to_path_buf()),
            line: None,
            kind: ConfigErrorKind::Io {
                kind: e.kind(),
                message: e.to_string(),
            },
        }
    }

    /// The same error naming `file`.
    pub fn in_file(mut self, file: &Path) -> Self {
        self.file = Some(file.to_path_buf());
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(p), Some(l)) => write!(f, "{}:{l}: ", p.display())?,
            (Some(p), None) => write!(f, "{}: ", p.display())?,
            (None, Some(l)) => write!(f, "line {l}: ")?,
            (None, None) => {}
        }
        match &self.kind {
            ConfigErrorKind::Io { message, .. } => f.write_str(message),
            ConfigErrorKind::Syntax(s) => {
                write!(f, "expected `name {{`, `}}` or `key: value`, found {s:?}")
            }
            ConfigErrorKind::UnexpectedClose => f.write_str("`}` without an open section"),
            ConfigErrorKind::UnclosedSection { name } => {
                write!(f, "section `{name}` opened here is never closed")
            }
            ConfigErrorKind::BadValue {
                key,
                value,
                expected,
            } if value.is_empty() => {
                write!(f, "{key}: expected {expected}")
            }
            ConfigErrorKind::BadValue {
                key,
                value,
                expected,
            } => {
                write!(f, "{key}: {value:?} is not {expected}")
            }
            ConfigErrorKind::Key(e) => write!(f, "{e}"),
            ConfigErrorKind::Suite(e) => write!(f, "{e}"),
            ConfigErrorKind::NotAFile { what } => {
                write!(f, "not a regular file ({what}); refusing to read it")
            }
            ConfigErrorKind::TooLarge { size, limit } => write!(
                f,
                "file is {size} bytes, more than the {limit} bytes corowire reads; refusing it rather than reading part of it"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The kind of a non-regular file, for messages.
fn file_type_name(meta: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Opens a file the user named as configuration (corosync.conf, an
/// authkey) without ever blocking: its type is checked with stat(2) first
/// and anything but a regular file is refused (open(2) on a FIFO waits for
/// a writer, forever); the open itself is non-blocking and the type is
/// checked again on the open descriptor, so a file swapped in between is
/// refused too. Returns the file and its metadata.
pub(crate) fn open_regular(path: &Path) -> Result<(File, Metadata), ConfigError> {
    let not_a_file = |m: &Metadata| {
        ConfigError::new(ConfigErrorKind::NotAFile {
            what: file_type_name(m),
        })
    };
    let meta = std::fs::metadata(path).map_err(|e| ConfigError::io(path, &e))?;
    if !meta.is_file() {
        return Err(not_a_file(&meta).in_file(path));
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let file = opts.open(path).map_err(|e| ConfigError::io(path, &e))?;
    let meta = file.metadata().map_err(|e| ConfigError::io(path, &e))?;
    if !meta.is_file() {
        return Err(not_a_file(&meta).in_file(path));
    }
    Ok((file, meta))
}
