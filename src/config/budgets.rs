//! The cluster's timing budgets (docs/wire-format.md §7): effective token and what
//! corosync derives from it, and knet's ping cadence, for a node count.
//!
//! Precedence per value: a flag, else the config, else corosync's default
//! or formula. Formulas follow corosync's integer/double arithmetic:
//!
//! * token_eff = token + (N − 2)·token_coefficient when N ≥ 3, else token
//! * token_retransmit = ⌊token_eff / (retransmits_before_loss + 0.2)⌋
//! * hold = ⌊token_retransmit·0.8 − 10⌋
//! * consensus = ⌊1.2·token_eff⌋
//! * token_warning at ⌊token_eff·percent / 100⌋ (3.x only)
//! * knet ping_timeout = token_eff / pong_count, ping_interval =
//!   token_eff / (2·pong_count); pings actually leave on knet's 200 ms
//!   heartbeat grid, so the effective spacing is the interval rounded up
//!   to a multiple of 200 ms.

use super::corosync_conf::{ClusterConfig, TransportKind};

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// corosync.conf.
    Config,
    /// A command-line flag.
    Flag,
    /// corosync's default, or its formula over the other values.
    Default,
    /// Read from the traffic (knet's ping cadence, the ring
    /// representative's token hold) because no configuration was given
    /// and corosync's defaults contradict what the wire shows.
    Wire,
}

/// A value with its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Budget<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Budget<T> {
    fn new(value: T, source: Source) -> Self {
        Budget { value, source }
    }
}

/// Which corosync's defaults apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CorosyncVersion {
    /// Corosync 2.x: base token 1000 ms, no knet, no token_warning.
    V2,
    /// Corosync 3.0.x: base token 1000 ms.
    V3_0,
    /// Corosync 3.1.x and later: base token 3000 ms.
    #[default]
    V3_1,
}

impl CorosyncVersion {
    /// Default base `token` in ms.
    pub fn default_token(self) -> u32 {
        match self {
            CorosyncVersion::V2 | CorosyncVersion::V3_0 => 1000,
            CorosyncVersion::V3_1 => 3000,
        }
    }
}

/// Values given on the command line; each beats the config.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BudgetOverrides {
    pub token: Option<u32>,
    pub token_coefficient: Option<u32>,
    pub token_retransmit: Option<u32>,
    pub hold: Option<u32>,
    pub consensus: Option<u32>,
    /// Percent.
    pub token_warning: Option<u32>,
    pub join: Option<u32>,
    pub knet_ping_interval: Option<u32>,
    pub knet_ping_timeout: Option<u32>,
    pub knet_pong_count: Option<u32>,
    /// Seconds.
    pub knet_pmtud_interval: Option<u32>,
}

/// knet link budgets (one link, or the defaults for all links).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct KnetBudget {
    pub ping_interval_ms: Budget<u32>,
    pub ping_timeout_ms: Budget<u32>,
    pub pong_count: Budget<u32>,
    /// Real ping spacing on the wire: the interval rounded up to knet's
    /// 200 ms heartbeat grid (source = that of the interval).
    pub ping_spacing_ms: Budget<u32>,
    pub pmtud_interval_s: Budget<u32>,
}

/// The budgets for one cluster.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Budgets {
    /// Node count used for `token_coefficient`.
    pub nodes: usize,
    /// Base `token`, before the coefficient.
    pub token_base_ms: Budget<u32>,
    pub token_coefficient_ms: Budget<u32>,
    /// Effective token timeout.
    pub token_ms: Budget<u32>,
    pub token_retransmit_ms: Budget<u32>,
    pub hold_ms: Budget<u32>,
    pub consensus_ms: Budget<u32>,
    /// `token_warning` percent; `None` on corosync 2.
    pub token_warning_percent: Option<Budget<u32>>,
    /// When "Token has not been received in X ms" is logged; `None` on corosync 2.
    pub token_warning_ms: Option<Budget<u32>>,
    pub join_ms: Budget<u32>,
    /// knet defaults for every link; `None` when the transport is not knet.
    pub knet: Option<KnetBudget>,
    /// Links whose interface section overrides the ping settings.
    pub knet_links: Vec<(u8, KnetBudget)>,
}

/// knet's heartbeat thread period.
pub const KNET_HEARTBEAT_GRID_MS: u32 = 200;
const DEFAULT_COEFFICIENT: u32 = 650;
const DEFAULT_RETRANSMITS_BEFORE_LOSS: u32 = 4;
const DEFAULT_WARNING_PERCENT: u32 = 75;
const DEFAULT_JOIN: u32 = 50;
const DEFAULT_PONG_COUNT: u32 = 2;
const DEFAULT_PMTUD_INTERVAL_S: u32 = 30;
/// 1000 / HZ as corosync subtracts it from hold.
const HOLD_TICK_MS: f64 = 10.0;

/// Interval rounded up to the 200 ms heartbeat grid (at least one tick).
pub fn ping_spacing(interval_ms: u32) -> u32 {
    interval_ms
        .div_ceil(KNET_HEARTBEAT_GRID_MS)
        .max(1)
        .saturating_mul(KNET_HEARTBEAT_GRID_MS)
}

/// The effective token whose default `hold` is `hold_ms`: corosync's hold
/// formula (hold = token_retransmit·0.8 − 10, token_retransmit =
/// token_eff / (retransmits_before_loss + 0.2)) read backwards, with
/// `token_retransmits_before_loss_const` at its default of 4. The ring's
/// representative holds an idle token for `hold` ms, so a token hold seen
/// on the wire says which token the cluster runs with (±1 % for the
/// truncations and the hold measured to the packet).
pub fn token_from_hold(hold_ms: f64) -> u32 {
    let rbl = f64::from(DEFAULT_RETRANSMITS_BEFORE_LOSS) + 0.2;
    trunc(((hold_ms + HOLD_TICK_MS) / 0.8 * rbl).round())
}

fn pick(flag: Option<u32>, conf: Option<u32>) -> Option<Budget<u32>> {
    flag.map(|v| Budget::new(v, Source::Flag))
        .or_else(|| conf.map(|v| Budget::new(v, Source::Config)))
}

fn or_default(b: Option<Budget<u32>>, v: impl FnOnce() -> u32) -> Budget<u32> {
    b.unwrap_or_else(|| Budget::new(v(), Source::Default))
}

impl Budgets {
    /// corosync's defaults for `nodes` nodes (knet for 3.x).
    pub fn defaults(version: CorosyncVersion, nodes: usize) -> Budgets {
        Budgets::compute(version, nodes, None, &BudgetOverrides::default())
    }

    /// From a config; the node count is its nodelist's, or `nodes_seen`
    /// (e.g. counted in the capture) when the nodelist is empty.
    pub fn from_config(
        version: CorosyncVersion,
        cfg: &ClusterConfig,
        nodes_seen: usize,
    ) -> Budgets {
        let nodes = if cfg.nodelist.is_empty() {
            nodes_seen
        } else {
            cfg.node_count()
        };
        Budgets::compute(version, nodes, Some(cfg), &BudgetOverrides::default())
    }

    /// The general form: flags beat the config, which beats the defaults.
    pub fn compute(
        version: CorosyncVersion,
        nodes: usize,
        cfg: Option<&ClusterConfig>,
        flags: &BudgetOverrides,
    ) -> Budgets {
        let c = |f: fn(&ClusterConfig) -> Option<u32>| cfg.and_then(f);
        let token_base = or_default(pick(flags.token, c(|c| c.token)), || {
            version.default_token()
        });
        let coefficient = or_default(
            pick(flags.token_coefficient, c(|c| c.token_coefficient)),
            || DEFAULT_COEFFICIENT,
        );
        let extra = if nodes >= 3 {
            (nodes as u64 - 2).saturating_mul(u64::from(coefficient.value))
        } else {
            0
        };
        let token_eff =
            u32::try_from(u64::from(token_base.value).saturating_add(extra)).unwrap_or(u32::MAX);
        let token_source = if extra > 0 && coefficient.source != Source::Default {
            coefficient.source
        } else {
            token_base.source
        };
        let token = Budget::new(token_eff, token_source);
        let teff = f64::from(token_eff);

        let rbl =
            c(|c| c.token_retransmits_before_loss_const).unwrap_or(DEFAULT_RETRANSMITS_BEFORE_LOSS);
        let token_retransmit = or_default(
            pick(flags.token_retransmit, c(|c| c.token_retransmit)),
            || trunc(teff / (f64::from(rbl) + 0.2)),
        );
        let hold = or_default(pick(flags.hold, c(|c| c.hold)), || {
            trunc(f64::from(token_retransmit.value) * 0.8 - HOLD_TICK_MS)
        });
        let consensus = or_default(pick(flags.consensus, c(|c| c.consensus)), || {
            trunc(1.2 * teff)
        });
        let (warn_pct, warn_ms) = if version == CorosyncVersion::V2 {
            (None, None)
        } else {
            let pct = or_default(pick(flags.token_warning, c(|c| c.token_warning)), || {
                DEFAULT_WARNING_PERCENT
            });
            let ms = u64::from(token_eff) * u64::from(pct.value) / 100;
            let ms_source = if pct.source == Source::Default {
                token.source
            } else {
                pct.source
            };
            (
                Some(pct),
                Some(Budget::new(
                    u32::try_from(ms).unwrap_or(u32::MAX),
                    ms_source,
                )),
            )
        };
        let join = or_default(pick(flags.join, c(|c| c.join)), || DEFAULT_JOIN);

        let is_knet = version != CorosyncVersion::V2
            && cfg.is_none_or(|c| c.transport_or_default() == TransportKind::Knet);
        let pmtud = or_default(
            pick(flags.knet_pmtud_interval, c(|c| c.knet_pmtud_interval)),
            || DEFAULT_PMTUD_INTERVAL_S,
        );
        let knet_for = |interval: Option<u32>, timeout: Option<u32>, pong: Option<u32>| {
            let pong_count = or_default(pick(flags.knet_pong_count, pong), || DEFAULT_PONG_COUNT);
            let pc = pong_count.value.max(1);
            // Values from corosync's formula count as defaults.
            let derived = |v: u32| Budget::new(v, Source::Default);
            let ping_timeout =
                pick(flags.knet_ping_timeout, timeout).unwrap_or_else(|| derived(token_eff / pc));
            let ping_interval = pick(flags.knet_ping_interval, interval)
                .unwrap_or_else(|| derived(token_eff / pc.saturating_mul(2)));
            KnetBudget {
                ping_interval_ms: ping_interval,
                ping_timeout_ms: ping_timeout,
                pong_count,
                ping_spacing_ms: Budget::new(
                    ping_spacing(ping_interval.value),
                    ping_interval.source,
                ),
                pmtud_interval_s: pmtud,
            }
        };
        let knet = is_knet.then(|| {
            knet_for(
                c(|c| c.knet_ping_interval),
                c(|c| c.knet_ping_timeout),
                c(|c| c.knet_pong_count),
            )
        });
        let mut knet_links = Vec::new();
        if let (true, Some(cfg)) = (is_knet, cfg) {
            for i in &cfg.interfaces {
                if i.knet_ping_interval.is_some()
                    || i.knet_ping_timeout.is_some()
                    || i.knet_pong_count.is_some()
                {
                    let b = knet_for(
                        i.knet_ping_interval.or(cfg.knet_ping_interval),
                        i.knet_ping_timeout.or(cfg.knet_ping_timeout),
                        i.knet_pong_count.or(cfg.knet_pong_count),
                    );
                    knet_links.push((i.linknumber, b));
                }
            }
        }

        Budgets {
            nodes,
            token_base_ms: token_base,
            token_coefficient_ms: coefficient,
            token_ms: token,
            token_retransmit_ms: token_retransmit,
            hold_ms: hold,
            consensus_ms: consensus,
            token_warning_percent: warn_pct,
            token_warning_ms: warn_ms,
            join_ms: join,
            knet,
            knet_links,
        }
    }

    /// knet budgets for `link` (its interface override, else the defaults).
    pub fn knet_link(&self, link: u8) -> Option<&KnetBudget> {
        self.knet_links
            .iter()
            .find(|(l, _)| *l == link)
            .map(|(_, b)| b)
            .or(self.knet.as_ref())
    }

    /// Token timeout plus consensus: from the last token to a new membership.
    pub fn membership_loss_ms(&self) -> u32 {
        self.token_ms.value.saturating_add(self.consensus_ms.value)
    }
}

/// `(int)x` in C for the non-negative doubles here.
fn trunc(x: f64) -> u32 {
    if x.is_nan() || x <= 0.0 {
        0
    } else if x >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        x as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::corosync_conf::parse_corosync_conf;

    /// docs/wire-format.md §7.2: (version, nodes, token_eff, retransmit, hold,
    /// consensus, warning, ping interval, ping timeout, token+consensus).
    #[allow(clippy::type_complexity)]
    const TABLE_7_2: &[(
        CorosyncVersion,
        usize,
        u32,
        u32,
        u32,
        u32,
        u32,
        u32,
        u32,
        u32,
    )] = &[
        (
            CorosyncVersion::V3_1,
            2,
            3000,
            714,
            561,
            3600,
            2250,
            750,
            1500,
            6600,
        ),
        (
            CorosyncVersion::V3_1,
            3,
            3650,
            869,
            685,
            4380,
            2737,
            912,
            1825,
            8030,
        ),
        (
            CorosyncVersion::V3_1,
            4,
            4300,
            1023,
            808,
            5160,
            3225,
            1075,
            2150,
            9460,
        ),
        (
            CorosyncVersion::V3_1,
            5,
            4950,
            1178,
            932,
            5940,
            3712,
            1237,
            2475,
            10890,
        ),
        (
            CorosyncVersion::V3_1,
            8,
            6900,
            1642,
            1303,
            8280,
            5175,
            1725,
            3450,
            15180,
        ),
        (
            CorosyncVersion::V3_0,
            2,
            1000,
            238,
            180,
            1200,
            750,
            250,
            500,
            2200,
        ),
        (
            CorosyncVersion::V3_0,
            3,
            1650,
            392,
            303,
            1980,
            1237,
            412,
            825,
            3630,
        ),
    ];

    #[test]
    fn every_row_of_table_7_2() {
        for &(v, n, tok, rt, hold, cons, warn, pi, pt, sum) in TABLE_7_2 {
            let b = Budgets::defaults(v, n);
            let k = b.knet.unwrap();
            let got = (
                b.token_ms.value,
                b.token_retransmit_ms.value,
                b.hold_ms.value,
                b.consensus_ms.value,
                b.token_warning_ms.unwrap().value,
                k.ping_interval_ms.value,
                k.ping_timeout_ms.value,
                b.membership_loss_ms(),
            );
            assert_eq!(
                got,
                (tok, rt, hold, cons, warn, pi, pt, sum),
                "{v:?} {n} nodes"
            );
            assert_eq!(b.token_ms.source, Source::Default);
            assert_eq!(k.pmtud_interval_s.value, 30);
            assert_eq!(b.join_ms.value, 50);
        }
        // 2.x rows: same token maths, no warning, no knet.
        for (n, tok, rt, hold, cons) in [(2, 1000, 238, 180, 1200), (3, 1650, 392, 303, 1980)] {
            let b = Budgets::defaults(CorosyncVersion::V2, n);
            assert_eq!(
                (
                    b.token_ms.value,
                    b.token_retransmit_ms.value,
                    b.hold_ms.value,
                    b.consensus_ms.value
                ),
                (tok, rt, hold, cons)
            );
            assert!(b.knet.is_none() && b.token_warning_ms.is_none());
        }
    }

    #[test]
    fn ping_spacing_on_the_200ms_grid() {
        // LAB: 750 → 800; lab notes: 3 nodes 912 → 1000, 5 nodes 1237 → 1400.
        let spacing = |n| {
            Budgets::defaults(CorosyncVersion::V3_1, n)
                .knet
                .unwrap()
                .ping_spacing_ms
                .value
        };
        assert_eq!((spacing(2), spacing(3), spacing(5)), (800, 1000, 1400));
        assert_eq!(
            (
                ping_spacing(1000),
                ping_spacing(1),
                ping_spacing(0),
                ping_spacing(250)
            ),
            (1000, 200, 200, 400)
        );
    }

    #[test]
    fn lab_two_node_log_values() {
        // docs/wire-format.md §7.1, lab log: token 3000, retransmit 714, warning 2250,
        // hold 561, join 50, consensus 3600; knet interval 750 000 µs,
        // timeout 1 500 000 µs, pong count 2, PMTUd 30 s.
        let (_, cfg) = parse_corosync_conf(
            "totem {\n cluster_name: lab\n crypto_cipher: aes256\n crypto_hash: sha256\n}\n\
             nodelist {\n node {\n nodeid: 1\n ring0_addr: 10.99.0.1\n }\n node {\n nodeid: 2\n ring0_addr: 10.99.0.2\n }\n}\n",
        )
        .unwrap();
        let b = Budgets::from_config(CorosyncVersion::V3_1, &cfg, 0);
        let k = b.knet.unwrap();
        assert_eq!(b.nodes, 2);
        assert_eq!(
            (
                b.token_ms.value,
                b.token_retransmit_ms.value,
                b.token_warning_ms.unwrap().value,
                b.hold_ms.value
            ),
            (3000, 714, 2250, 561)
        );
        assert_eq!((b.join_ms.value, b.consensus_ms.value), (50, 3600));
        assert_eq!(
            (
                k.ping_interval_ms.value,
                k.ping_timeout_ms.value,
                k.pong_count.value
            ),
            (750, 1500, 2)
        );
        assert_eq!(
            (k.pmtud_interval_s.value, k.ping_spacing_ms.value),
            (30, 800)
        );
    }

    #[test]
    fn config_and_flags_override_defaults_with_sources() {
        let (_, cfg) = parse_corosync_conf(
            "totem {\n token: 5000\n consensus: 9000\n knet_pong_count: 4\n knet_pmtud_interval: 60\n\
             interface {\n linknumber: 1\n knet_ping_interval: 300\n }\n}\n\
             nodelist {\n node {\n nodeid: 1\n }\n node {\n nodeid: 2\n }\n node {\n nodeid: 3\n }\n}\n",
        )
        .unwrap();
        let b = Budgets::from_config(CorosyncVersion::V3_1, &cfg, 7);
        assert_eq!(b.nodes, 3);
        assert_eq!(
            b.token_base_ms,
            Budget {
                value: 5000,
                source: Source::Config
            }
        );
        assert_eq!(
            b.token_ms,
            Budget {
                value: 5650,
                source: Source::Config
            }
        );
        assert_eq!(
            b.consensus_ms,
            Budget {
                value: 9000,
                source: Source::Config
            }
        );
        assert_eq!(
            b.token_retransmit_ms,
            Budget {
                value: 1345,
                source: Source::Default
            }
        );
        let k = b.knet.unwrap();
        assert_eq!(
            k.pong_count,
            Budget {
                value: 4,
                source: Source::Config
            }
        );
        assert_eq!(
            (k.ping_timeout_ms.value, k.ping_interval_ms.value),
            (1412, 706)
        );
        assert_eq!(
            k.pmtud_interval_s,
            Budget {
                value: 60,
                source: Source::Config
            }
        );
        let l1 = b.knet_link(1).unwrap();
        assert_eq!(
            l1.ping_interval_ms,
            Budget {
                value: 300,
                source: Source::Config
            }
        );
        assert_eq!(l1.ping_spacing_ms.value, 400);
        assert_eq!(b.knet_link(0).unwrap().ping_interval_ms.value, 706);

        let flags = BudgetOverrides {
            token: Some(1000),
            knet_ping_interval: Some(1000),
            ..Default::default()
        };
        let b = Budgets::compute(CorosyncVersion::V3_1, 3, Some(&cfg), &flags);
        assert_eq!(
            b.token_base_ms,
            Budget {
                value: 1000,
                source: Source::Flag
            }
        );
        assert_eq!(b.token_ms.value, 1650);
        assert_eq!(
            b.knet.unwrap().ping_interval_ms,
            Budget {
                value: 1000,
                source: Source::Flag
            }
        );
        assert_eq!(
            b.knet_link(1).unwrap().ping_interval_ms.source,
            Source::Flag
        );

        // Non-knet transport: no knet budgets.
        let (_, udpu) = parse_corosync_conf("totem {\n transport: udpu\n}\n").unwrap();
        assert!(
            Budgets::from_config(CorosyncVersion::V3_1, &udpu, 2)
                .knet
                .is_none()
        );
    }

    #[test]
    fn token_from_its_hold() {
        // Every default of table 7.2 and the matrix's tokens (1000, 10000):
        // the hold read back gives the token within 1 %.
        for (v, n) in [
            (CorosyncVersion::V3_1, 2),
            (CorosyncVersion::V3_1, 3),
            (CorosyncVersion::V3_1, 5),
            (CorosyncVersion::V3_0, 2),
            (CorosyncVersion::V3_0, 3),
        ] {
            let b = Budgets::defaults(v, n);
            let t = token_from_hold(f64::from(b.hold_ms.value));
            assert!(
                t.abs_diff(b.token_ms.value) * 100 <= b.token_ms.value,
                "{v:?} {n}: {t}"
            );
        }
        let flags = BudgetOverrides {
            token: Some(10_000),
            ..Default::default()
        };
        let b = Budgets::compute(CorosyncVersion::V3_1, 3, None, &flags);
        assert_eq!((b.token_ms.value, b.hold_ms.value), (10_650, 2018));
        assert_eq!(token_from_hold(2018.0), 10_647);
        assert_eq!(token_from_hold(0.0), 53);
    }

    #[test]
    fn extreme_values_do_not_panic() {
        let flags = BudgetOverrides {
            token: Some(u32::MAX),
            token_coefficient: Some(u32::MAX),
            knet_pong_count: Some(0),
            ..Default::default()
        };
        let b = Budgets::compute(CorosyncVersion::V3_1, usize::MAX, None, &flags);
        assert_eq!(b.token_ms.value, u32::MAX);
        let _ = b.membership_loss_ms();
        let b = Budgets::defaults(CorosyncVersion::V3_1, 0);
        assert_eq!(b.token_ms.value, 3000);
    }
}
