//! The one place that turns command-line arguments into a run: ports, keys
//! and crypto suites, corosync.conf, budgets (each value with its source),
//! time shifts. Every command builds its [`Plan`] here.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::analysis::{Engine, Thresholds};
use crate::cli::{BudgetArgs, SourceArgs};
use crate::config::{BudgetOverrides, Budgets, ClusterConfig, CorosyncVersion};
use crate::config::{load_authkey, load_corosync_conf};
use crate::decode::{DecodeOptions, Ports};
use crate::error::AppError;
use crate::wire::crypto::{AuthKey, CryptoSuite};

/// Everything a run needs, read once from the arguments.
#[derive(Debug)]
pub struct Plan {
    /// Capture files (`-` is stdin); empty for a live interface.
    pub files: Vec<PathBuf>,
    /// Per file, ns added to its timestamps before anything else.
    pub shifts: Vec<i64>,
    pub decode: DecodeOptions,
    pub config: Option<ClusterConfig>,
    /// True when the crypto suite is found by trying.
    pub suite_auto: bool,
    /// The `--ports` list as given (for messages).
    pub ports: String,
    /// The budgets to judge against, each value with its source.
    pub thresholds: Thresholds,
}

impl Plan {
    /// Reads the configuration and keys the input options name, and the
    /// budgets from flags, config and corosync's defaults.
    pub fn new(
        source: &SourceArgs,
        files: &[PathBuf],
        budgets: &BudgetArgs,
        time_shift: &[String],
    ) -> Result<Plan, AppError> {
        let ports =
            Ports::parse(&source.ports).map_err(|e| AppError::Usage(format!("--ports: {e}")))?;
        let mut config = match &source.corosync_conf {
            Some(p) => Some(load_corosync_conf(p).map_err(AppError::Config)?),
            None => None,
        };
        let keys = load_keys(source, config.as_mut())?;
        let suites = suites(source, config.as_ref())?;
        let suite_auto = suites.is_empty();
        let thresholds = thresholds(config.as_ref(), budgets);
        Ok(Plan {
            files: files.to_vec(),
            shifts: super::multi::shifts_for(files, time_shift)?,
            decode: DecodeOptions {
                ports,
                keys,
                suites,
                ..DecodeOptions::default()
            },
            config,
            suite_auto,
            ports: source.ports.clone(),
            thresholds,
        })
    }

    /// A copy of the decoder options (one decoder per pass or per file).
    pub fn decode_options(&self) -> DecodeOptions {
        super::multi::clone_options(&self.decode)
    }

    /// Encrypted traffic with neither key nor config: nodes are numbered by
    /// address.
    pub fn by_address(&self) -> bool {
        self.config.is_none() && self.decode.keys.is_empty()
    }

    /// Every address of the config's nodelist with its node id.
    pub fn config_addresses(&self) -> Vec<(IpAddr, u16)> {
        self.config
            .as_ref()
            .map(config_addresses)
            .unwrap_or_default()
    }

    /// A fresh engine with the plan's budgets, node names and addresses.
    pub fn engine(&self) -> Engine {
        let mut engine = Engine::new(self.thresholds.clone());
        if let Some(c) = &self.config {
            let names = c
                .nodelist
                .iter()
                .filter_map(|n| Some((node_id(n)?, n.display_name())))
                .collect();
            engine.set_node_names(names);
            engine.set_addresses(&config_addresses(c));
        }
        engine
    }
}

/// The authkeys: `--authkey` files, else the config's inline key or keyfile.
fn load_keys(
    source: &SourceArgs,
    config: Option<&mut ClusterConfig>,
) -> Result<Vec<AuthKey>, AppError> {
    let mut keys: Vec<AuthKey> = Vec::new();
    for p in &source.authkeys {
        let loaded = load_authkey(p).map_err(AppError::Config)?;
        if let Some(w) = loaded.warning {
            crate::say!("corowire: warning: {w}");
        }
        keys.push(loaded.key);
    }
    if keys.is_empty()
        && let Some(c) = config
    {
        // The config's inline key, else its keyfile when we may read it.
        if let Some(k) = c.key.take() {
            keys.push(k);
        } else if let Some(kf) = c.keyfile.clone() {
            match load_authkey(&kf) {
                Ok(l) => keys.push(l.key),
                Err(e) => crate::say!("corowire: note: keyfile from the config not used: {e}"),
            }
        }
    }
    Ok(keys)
}

/// The crypto suites to try: the flags', else the config's, else all.
fn suites(
    source: &SourceArgs,
    config: Option<&ClusterConfig>,
) -> Result<Vec<CryptoSuite>, AppError> {
    Ok(match (&source.crypto_cipher, &source.crypto_hash) {
        (None, None) => match config {
            Some(c) if c.crypto_cipher.is_some() || c.crypto_hash.is_some() => {
                vec![c.crypto_suite().map_err(AppError::Config)?]
            }
            _ => Vec::new(),
        },
        (c, h) => {
            let suite = CryptoSuite::from_names(
                c.as_deref().unwrap_or("aes256"),
                h.as_deref().unwrap_or("sha256"),
            )
            .map_err(|e| AppError::Usage(format!("--crypto-cipher/--crypto-hash: {e}")))?;
            vec![suite]
        }
    })
}

/// The budget flags as overrides of the config and the defaults.
pub fn overrides(flags: &BudgetArgs) -> BudgetOverrides {
    BudgetOverrides {
        token: flags.token,
        token_coefficient: flags.token_coefficient,
        consensus: flags.consensus,
        knet_ping_interval: flags.knet_ping_interval,
        knet_ping_timeout: flags.knet_ping_timeout,
        knet_pong_count: flags.knet_pong_count,
        ..BudgetOverrides::default()
    }
}

/// The budgets to judge against: each flag overrides its own value only,
/// the config beats corosync 3.1's defaults; without a config the node
/// count is the one seen in the traffic, re-derived as nodes appear (the
/// flags' values stay).
pub fn thresholds(config: Option<&ClusterConfig>, flags: &BudgetArgs) -> Thresholds {
    let overrides = overrides(flags);
    match config {
        Some(c) => {
            let b = Budgets::compute(
                CorosyncVersion::V3_1,
                c.node_count().max(2),
                Some(c),
                &overrides,
            );
            let mut t = Thresholds::from_budgets(&b);
            t.overrides = overrides;
            t.expected_nodes = c
                .nodelist
                .iter()
                .filter_map(|n| n.nodeid)
                .filter_map(|id| u16::try_from(id).ok())
                .collect();
            t.origin = config_name(c.file.as_deref());
            t.config_file = Some(t.origin.clone());
            if flags.any() {
                t.origin.push_str(" and flags");
            }
            t
        }
        None => {
            let b = Budgets::compute(CorosyncVersion::V3_1, 2, None, &overrides);
            let mut t = Thresholds::from_budgets(&b);
            t.overrides = overrides;
            t.derive_from_node_count = true;
            t.origin = if flags.any() {
                "flags and corosync 3.1 defaults for the nodes seen".into()
            } else {
                "corosync 3.1 defaults for the nodes seen".into()
            };
            t
        }
    }
}

/// The config file's name as people know it ("corosync.conf").
fn config_name(file: Option<&Path>) -> String {
    file.and_then(|f| f.file_name()).map_or_else(
        || "corosync.conf".to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// A nodelist entry's id, when it fits knet's 16 bits.
fn node_id(n: &crate::config::corosync_conf::Node) -> Option<u16> {
    n.nodeid.and_then(|id| u16::try_from(id).ok())
}

/// Every address of the config's nodelist with its node id.
fn config_addresses(c: &ClusterConfig) -> Vec<(IpAddr, u16)> {
    let mut addrs = Vec::new();
    for n in &c.nodelist {
        let Some(id) = node_id(n) else { continue };
        addrs.extend(
            n.addrs
                .iter()
                .flatten()
                .filter_map(|a| a.ip())
                .map(|ip| (ip, id)),
        );
    }
    addrs
}
