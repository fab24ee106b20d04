//! The budget numbers the engine judges traffic against.
//!
//! Plain numbers in milliseconds: the cluster's budgets come from
//! [`crate::config::Budgets`] (corosync.conf, flags or corosync's defaults,
//! the only place their formulas live); the judgement thresholds are the
//! engine's own.

use crate::config::budgets::Source;
use crate::config::{BudgetOverrides, Budgets, CorosyncVersion};

/// Caps on tracked state, so that a flood of spoofed senders cannot grow
/// memory. Everything beyond a cap is counted in `Overflow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Directed paths (source address, destination address, link).
    pub max_paths: usize,
    /// Distinct knet / totem node ids.
    pub max_nodes: usize,
    /// Distinct source addresses mapped to node ids.
    pub max_addrs: usize,
    /// Pings waiting for their pong.
    pub max_pending_pings: usize,
    /// Findings kept (the rest are counted).
    pub max_findings: usize,
    /// Membership timeline entries kept.
    pub max_memberships: usize,
    /// Link up/down transitions kept per direction.
    pub max_transitions: usize,
    /// One-second buckets kept per direction (time series for the TUI).
    pub series_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_paths: 256,
            max_nodes: 64,
            max_addrs: 256,
            max_pending_pings: 4096,
            max_findings: 10_000,
            max_memberships: 1024,
            max_transitions: 256,
            series_len: 300,
        }
    }
}

/// Budgets of the cluster (corosync and knet timers) and the engine's own
/// judgement thresholds. All times in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Node count the derived values were computed for.
    pub nodes: u32,
    /// Configured base token timeout (before the coefficient).
    pub token_base_ms: u32,
    pub token_coefficient_ms: u32,
    /// Effective token timeout (token + (N-2) * coefficient for N >= 3).
    pub token_ms: u32,
    /// "Token has not been received in X ms" (75 % of the token by default).
    pub token_warning_ms: u32,
    pub token_retransmit_ms: u32,
    pub hold_ms: u32,
    pub consensus_ms: u32,
    /// knet_ping_interval as configured.
    pub ping_interval_ms: u32,
    /// The real ping spacing: the interval rounded up to knet's 200 ms grid.
    pub ping_spacing_ms: u32,
    pub ping_timeout_ms: u32,
    pub pong_count: u32,
    /// Loss (percent of expected pings over `loss_window_s`) that is a warning.
    pub loss_warning_pct: f64,
    /// Sliding window for loss judgement, seconds.
    pub loss_window_s: u32,
    /// This many link downs of one direction within `flap_window_s` = flapping.
    pub flap_downs: u32,
    pub flap_window_s: u32,
    /// p99 RTT above this percent of the ping timeout is a warning.
    pub latency_warning_pct: f64,
    /// Node ids the configuration lists (empty: unknown, nobody is unexpected).
    pub expected_nodes: Vec<u16>,
    /// Re-derive the corosync 3.1 defaults when more nodes appear in the
    /// traffic (use when no configuration was given).
    pub derive_from_node_count: bool,
    pub limits: Limits,
    /// The cluster's budgets as computed, each value with where it came
    /// from (flag, corosync.conf, corosync's default): what outputs print.
    pub budgets: Budgets,
    /// The flags they were computed with, kept so that a re-derivation for
    /// more nodes changes only the values no flag set.
    pub overrides: BudgetOverrides,
    /// Where the budgets as a whole come from, for people: "corosync.conf",
    /// "flags and corosync 3.1 defaults", "corosync 3.1 defaults".
    pub origin: String,
    /// The configuration file's name when one was given ("corosync.conf").
    pub config_file: Option<String>,
    /// Budgets read from the wire and judged with (source `wire`): set
    /// when no configuration was given and corosync's defaults contradict
    /// the traffic (`Thresholds::with_wire`).
    pub wire: WireBudget,
}

/// Budgets the wire determines (see `src/analysis/mod.rs`, "Budgets
/// checked against the wire"), in ms; `None`: not taken from the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WireBudget {
    /// Effective token, from the ring representative's idle token hold.
    pub token_ms: Option<u32>,
    /// knet ping interval and timeout, from the timed pings' spacing.
    pub ping_interval_ms: Option<u32>,
    pub ping_timeout_ms: Option<u32>,
}

impl WireBudget {
    pub fn is_empty(&self) -> bool {
        *self == WireBudget::default()
    }
}

/// Where each budget the outputs show came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetSources {
    pub token: Source,
    pub consensus: Source,
    pub ping_interval: Source,
    pub ping_timeout: Source,
    pub pong_count: Source,
}

impl Thresholds {
    /// corosync 3.1.x defaults (docs/wire-format.md §7.1) for a cluster of `nodes` nodes.
    pub fn corosync31_defaults(nodes: u32) -> Self {
        Thresholds::from_budgets(&Budgets::defaults(CorosyncVersion::V3_1, nodes as usize))
    }

    /// Derives every budget from corosync's totem settings the way corosync
    /// 3.1 does: `token` and `token_coefficient`, `consensus` if set
    /// explicitly, `knet_pong_count`. The formulas live in one place,
    /// [`crate::config::Budgets`].
    pub fn from_corosync(
        token: u32,
        coefficient: u32,
        consensus: Option<u32>,
        pong_count: u32,
        nodes: u32,
    ) -> Self {
        let flags = BudgetOverrides {
            token: Some(token),
            token_coefficient: Some(coefficient),
            consensus,
            knet_pong_count: Some(pong_count.max(1)),
            ..BudgetOverrides::default()
        };
        let b = Budgets::compute(CorosyncVersion::V3_1, nodes as usize, None, &flags);
        let mut t = Thresholds::from_budgets(&b);
        t.overrides = flags;
        t
    }

    /// The cluster's budgets (from corosync.conf, flags or defaults) with
    /// the engine's own judgement thresholds at their defaults.
    pub fn from_budgets(b: &Budgets) -> Self {
        let token_ms = b.token_ms.value;
        // udp/udpu have no knet pings: keep knet's formula so the numbers exist.
        let pong_count = b.knet.map_or(2, |k| k.pong_count.value).max(1);
        let (interval, timeout) = match b.knet {
            Some(k) => (k.ping_interval_ms.value, k.ping_timeout_ms.value),
            None => (token_ms / (2 * pong_count), token_ms / pong_count),
        };
        Thresholds {
            nodes: b.nodes as u32,
            token_base_ms: b.token_base_ms.value,
            token_coefficient_ms: b.token_coefficient_ms.value,
            token_ms,
            token_warning_ms: b
                .token_warning_ms
                .map_or((u64::from(token_ms) * 75 / 100) as u32, |w| w.value),
            token_retransmit_ms: b.token_retransmit_ms.value,
            hold_ms: b.hold_ms.value,
            consensus_ms: b.consensus_ms.value,
            ping_interval_ms: interval,
            ping_spacing_ms: round_up_to_grid(interval),
            ping_timeout_ms: timeout,
            pong_count,
            loss_warning_pct: 5.0,
            loss_window_s: 20,
            flap_downs: 2,
            flap_window_s: 120,
            latency_warning_pct: 25.0,
            expected_nodes: Vec::new(),
            derive_from_node_count: false,
            limits: Limits::default(),
            budgets: b.clone(),
            overrides: BudgetOverrides::default(),
            origin: String::from("corosync 3.1 defaults"),
            config_file: None,
            wire: WireBudget::default(),
        }
    }

    /// Where each shown budget came from (knet's values are corosync's
    /// defaults when the transport has no knet).
    pub fn sources(&self) -> BudgetSources {
        let b = &self.budgets;
        let knet = |f: fn(&crate::config::budgets::KnetBudget) -> Source| {
            b.knet.as_ref().map_or(Source::Default, f)
        };
        BudgetSources {
            token: b.token_ms.source,
            consensus: b.consensus_ms.source,
            ping_interval: knet(|k| k.ping_interval_ms.source),
            ping_timeout: knet(|k| k.ping_timeout_ms.source),
            pong_count: knet(|k| k.pong_count.source),
        }
    }

    /// A source as outputs name it: the config file's name, `flag`, `default`.
    pub fn source_name(&self, s: Source) -> &str {
        match s {
            Source::Config => self.config_file.as_deref().unwrap_or("corosync.conf"),
            Source::Flag => "flag",
            Source::Default => "default",
            Source::Wire => "wire",
        }
    }

    /// Sets explicit knet ping interval / timeout (as `knet_ping_interval` /
    /// `knet_ping_timeout` do in corosync.conf).
    pub fn with_knet_ping(mut self, interval_ms: u32, timeout_ms: u32) -> Self {
        self.ping_interval_ms = interval_ms;
        self.ping_spacing_ms = round_up_to_grid(interval_ms);
        self.ping_timeout_ms = timeout_ms;
        self
    }

    /// Re-derives the timers for another node count, keeping the engine's
    /// own thresholds and limits and what was read from the wire.
    pub(crate) fn rederive(&self, nodes: u32) -> Thresholds {
        let b = Budgets::compute(CorosyncVersion::V3_1, nodes as usize, None, &self.overrides);
        let t = self.keep_own(Thresholds::from_budgets(&b));
        if self.wire.is_empty() {
            t
        } else {
            t.with_wire(self.wire)
        }
    }

    /// `t` with this one's flags, origin and judgement thresholds.
    fn keep_own(&self, mut t: Thresholds) -> Thresholds {
        t.overrides = self.overrides;
        t.origin = self.origin.clone();
        t.config_file = self.config_file.clone();
        t.loss_warning_pct = self.loss_warning_pct;
        t.loss_window_s = self.loss_window_s;
        t.flap_downs = self.flap_downs;
        t.flap_window_s = self.flap_window_s;
        t.latency_warning_pct = self.latency_warning_pct;
        t.expected_nodes = self.expected_nodes.clone();
        t.derive_from_node_count = self.derive_from_node_count;
        t.limits = self.limits;
        t
    }

    /// These budgets with what the wire determines in place of corosync's
    /// defaults: a flag still wins. The wire gives the effective token (the
    /// base is what the coefficient leaves of it) and knet's ping interval
    /// and timeout; a token from the wire also gives knet's ping values by
    /// corosync's formulas. Every value so obtained has the source `wire`.
    /// Only without a configuration (a config knows its budgets).
    pub fn with_wire(&self, wire: WireBudget) -> Thresholds {
        if self.config_file.is_some() {
            return self.clone();
        }
        let own = self.overrides;
        let mut flags = own;
        let token = wire.token_ms.filter(|_| own.token.is_none());
        if let Some(eff) = token {
            let n = u64::from(self.nodes);
            let extra = if n >= 3 {
                (n - 2).saturating_mul(u64::from(self.token_coefficient_ms))
            } else {
                0
            };
            let base = u64::from(eff).saturating_sub(extra).max(1);
            flags.token = Some(u32::try_from(base).unwrap_or(u32::MAX));
        }
        let interval = wire
            .ping_interval_ms
            .filter(|_| own.knet_ping_interval.is_none());
        let timeout = wire
            .ping_timeout_ms
            .filter(|_| own.knet_ping_timeout.is_none());
        flags.knet_ping_interval = own.knet_ping_interval.or(interval);
        flags.knet_ping_timeout = own.knet_ping_timeout.or(timeout);
        let mut b = Budgets::compute(CorosyncVersion::V3_1, self.nodes as usize, None, &flags);
        let wire_src = |v: &mut crate::config::Budget<u32>| v.source = Source::Wire;
        if token.is_some() {
            wire_src(&mut b.token_base_ms);
            wire_src(&mut b.token_ms);
            for v in [
                &mut b.token_retransmit_ms,
                &mut b.hold_ms,
                &mut b.consensus_ms,
            ] {
                if v.source == Source::Default {
                    wire_src(v);
                }
            }
            if let Some(w) = b.token_warning_ms.as_mut()
                && w.source == Source::Default
            {
                wire_src(w);
            }
        }
        if let Some(k) = b.knet.as_mut() {
            let derived = |s: Source| s == Source::Default && token.is_some();
            if interval.is_some() || derived(k.ping_interval_ms.source) {
                wire_src(&mut k.ping_interval_ms);
                wire_src(&mut k.ping_spacing_ms);
            }
            if timeout.is_some() || derived(k.ping_timeout_ms.source) {
                wire_src(&mut k.ping_timeout_ms);
            }
        }
        let mut t = self.keep_own(Thresholds::from_budgets(&b));
        t.wire = WireBudget {
            token_ms: token,
            ping_interval_ms: interval,
            ping_timeout_ms: timeout,
        };
        const FROM_WIRE: &str = "; read from the wire where they contradict it";
        if !t.origin.ends_with(FROM_WIRE) {
            t.origin.push_str(FROM_WIRE);
        }
        t
    }

    /// The RTT (µs) that is a latency warning: `latency_warning_pct` of
    /// the ping timeout.
    pub(crate) fn latency_warning_us(&self) -> u64 {
        (u64::from(self.ping_timeout_ms) as f64 * 1000.0 * self.latency_warning_pct / 100.0) as u64
    }

    pub(crate) fn ping_timeout_ns(&self) -> i64 {
        i64::from(self.ping_timeout_ms) * 1_000_000
    }
    pub(crate) fn ping_spacing_ns(&self) -> i64 {
        i64::from(self.ping_spacing_ms.max(1)) * 1_000_000
    }
    /// token_retransmit in ns (at least 1 ms): totem's resend interval.
    pub(crate) fn token_retransmit_ns(&self) -> i64 {
        i64::from(self.token_retransmit_ms.max(1)) * 1_000_000
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        let mut t = Thresholds::corosync31_defaults(2);
        t.derive_from_node_count = true;
        t
    }
}

/// knet's heartbeat thread ticks every 200 ms: a ping leaves on the first
/// tick at or after the interval.
pub fn round_up_to_grid(ms: u32) -> u32 {
    crate::config::budgets::ping_spacing(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_spec_table() {
        // docs/wire-format.md §7.2: base 3000, N = 2, 3, 5, 8
        let t = Thresholds::corosync31_defaults(2);
        assert_eq!(
            (
                t.token_ms,
                t.token_retransmit_ms,
                t.hold_ms,
                t.consensus_ms,
                t.token_warning_ms,
                t.ping_interval_ms,
                t.ping_timeout_ms
            ),
            (3000, 714, 561, 3600, 2250, 750, 1500)
        );
        assert_eq!(t.ping_spacing_ms, 800);
        let t = Thresholds::corosync31_defaults(3);
        assert_eq!(
            (
                t.token_ms,
                t.token_retransmit_ms,
                t.hold_ms,
                t.consensus_ms,
                t.token_warning_ms,
                t.ping_interval_ms,
                t.ping_timeout_ms
            ),
            (3650, 869, 685, 4380, 2737, 912, 1825)
        );
        assert_eq!(t.ping_spacing_ms, 1000);
        let t = Thresholds::corosync31_defaults(5);
        assert_eq!(
            (
                t.token_ms,
                t.token_retransmit_ms,
                t.hold_ms,
                t.consensus_ms,
                t.token_warning_ms
            ),
            (4950, 1178, 932, 5940, 3712)
        );
        assert_eq!(
            (t.ping_interval_ms, t.ping_spacing_ms, t.ping_timeout_ms),
            (1237, 1400, 2475)
        );
        let t = Thresholds::corosync31_defaults(8);
        assert_eq!(
            (t.token_ms, t.token_retransmit_ms, t.hold_ms, t.consensus_ms),
            (6900, 1642, 1303, 8280)
        );
        // corosync 2.x / 3.0 base 1000, 3 nodes
        let t = Thresholds::from_corosync(1000, 650, None, 2, 3);
        assert_eq!(
            (
                t.token_ms,
                t.token_retransmit_ms,
                t.hold_ms,
                t.consensus_ms,
                t.ping_timeout_ms
            ),
            (1650, 392, 303, 1980, 825)
        );
    }

    #[test]
    fn grid() {
        assert_eq!(round_up_to_grid(750), 800);
        assert_eq!(round_up_to_grid(800), 800);
        assert_eq!(round_up_to_grid(912), 1000);
        assert_eq!(round_up_to_grid(0), 200);
    }
}
