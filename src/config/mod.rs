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
    /// Not a regular file.
    NotAFile,
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
            ConfigErrorKind::NotAFile => f.write_str("not a regular file"),
        }
    }
}

impl std::error::Error for ConfigError {}
