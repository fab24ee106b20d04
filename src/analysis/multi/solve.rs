//! The offset estimate: per pair of captures the min-δ selection of NTP
//! samples (θ, δ) and its causality bound, then every capture's offset from
//! the reference by weighted least squares over all pairs.

use super::{CaptureClock, ClockPoint, Drift, MIN_SELECTED, PairClock, series_step_ns};

pub(super) fn median(v: &[i64]) -> i64 {
    let mut s = v.to_vec();
    s.sort_unstable();
    match s.len() {
        0 => 0,
        l if l % 2 == 1 => s[l / 2],
        l => ((i128::from(s[l / 2 - 1]) + i128::from(s[l / 2])) / 2) as i64,
    }
}

/// The min-δ estimate of samples `(θ, δ, t)`: the median θ of the lowest-δ
/// decile (at least [`MIN_SELECTED`]) and its causality bound. Sorts `s` by δ.
pub(super) fn min_delay(s: &mut [(i64, i64, i64)]) -> (i64, u64, usize) {
    // ties by time, so the selection does not depend on the input order
    s.sort_unstable_by_key(|x| (x.1, x.2));
    let k = (s.len() / 10).max(MIN_SELECTED).min(s.len());
    let sel = &s[..k];
    let thetas: Vec<i64> = sel.iter().map(|x| x.0).collect();
    let theta = median(&thetas);
    let bound = sel
        .iter()
        .map(|(t, d, _)| {
            theta
                .abs_diff(*t)
                .saturating_add(d.unsigned_abs().div_ceil(2))
        })
        .min()
        .unwrap_or(0);
    (theta, bound, k)
}

pub(super) fn pair_estimate(a: usize, b: usize, s: &mut [(i64, i64, i64)]) -> Option<PairClock> {
    if s.is_empty() {
        return None;
    }
    let all_theta: Vec<i64> = s.iter().map(|x| x.0).collect();
    let theta_all = median(&all_theta);
    // Drift check: the first and the second half of the exchanges in time,
    // each estimated on its own.
    s.sort_unstable_by_key(|x| x.2);
    let series = clock_series(s);
    let half = s.len() / 2;
    let drift = if half >= MIN_SELECTED {
        let (early, late) = s.split_at_mut(half);
        let t_early = early.get(early.len() / 2).map_or(0, |x| x.2);
        let t_late = late.get(late.len() / 2).map_or(0, |x| x.2);
        let (te, ue, _) = min_delay(early);
        let (tl, ul, _) = min_delay(late);
        Some(Drift {
            change_ns: tl.saturating_sub(te),
            bound_ns: i64::try_from(ue.saturating_add(ul)).unwrap_or(i64::MAX),
            span_ns: t_late.saturating_sub(t_early),
        })
    } else {
        None
    };
    let (theta, bound, k) = min_delay(s);
    let deltas: Vec<i64> = s.iter().map(|x| x.1).collect();
    Some(PairClock {
        a,
        b,
        samples: s.len() as u64,
        selected: k as u64,
        theta_ns: theta,
        uncertainty_ns: i64::try_from(bound).unwrap_or(i64::MAX),
        theta_all_median_ns: theta_all,
        delay_min_ns: s.first().map_or(0, |x| x.1),
        delay_p50_ns: median(&deltas),
        drift,
        from_packets: false,
        series,
    })
}

/// Per bin of time, the exchange with the smallest δ (ties: the earlier).
/// `s` is sorted by time.
fn clock_series(s: &[(i64, i64, i64)]) -> Vec<ClockPoint> {
    let (Some(first), Some(last)) = (s.first(), s.last()) else {
        return Vec::new();
    };
    let step = series_step_ns(last.2.saturating_sub(first.2));
    let mut out: Vec<ClockPoint> = Vec::new();
    for &(theta, delta, t) in s {
        let bin = t.div_euclid(step).saturating_mul(step);
        match out.last_mut() {
            Some(p) if p.ts == bin => {
                p.samples = p.samples.saturating_add(1);
                if delta < p.delta_ns {
                    p.theta_ns = theta;
                    p.delta_ns = delta;
                }
            }
            _ => out.push(ClockPoint {
                ts: bin,
                theta_ns: theta,
                delta_ns: delta,
                samples: 1,
            }),
        }
    }
    out
}

/// Weighted least squares over the pairs (capture 0 fixed at 0), and the
/// bound of each capture from its best-bounded chain of pairs.
pub(super) fn solve(caps: &mut [CaptureClock], pairs: &[PairClock]) {
    let n = caps.len();
    if n == 0 {
        return;
    }
    // Best chains from the reference (Dijkstra on bounds; n is small).
    let mut best: Vec<Option<(i128, i128)>> = vec![None; n]; // (sum θ, sum bound)
    let mut done = vec![false; n];
    best[0] = Some((0, 0));
    loop {
        let mut pick: Option<usize> = None;
        for i in 0..n {
            if !done[i]
                && best[i].is_some()
                && pick.is_none_or(|p| best[i].map(|x| x.1) < best[p].map(|x| x.1))
            {
                pick = Some(i);
            }
        }
        let Some(u) = pick else { break };
        done[u] = true;
        let Some((tu, bu)) = best[u] else { break };
        for p in pairs {
            // θ of the pair is clock(b) − clock(a).
            let (v, t) = if p.a == u {
                (p.b, i128::from(p.theta_ns))
            } else if p.b == u {
                (p.a, -i128::from(p.theta_ns))
            } else {
                continue;
            };
            let nb = bu + i128::from(p.uncertainty_ns);
            if !done[v] && best[v].is_none_or(|x| nb < x.1) {
                best[v] = Some((tu + t, nb));
            }
        }
    }
    // Least squares on the captures reachable from the reference.
    let idx: Vec<usize> = (1..n).filter(|i| best[*i].is_some()).collect();
    let m = idx.len();
    let pos = |c: usize| idx.iter().position(|x| *x == c);
    let mut mat = vec![vec![0f64; m + 1]; m];
    for p in pairs {
        let w = 1.0 / (p.uncertainty_ns.max(1000) as f64).powi(2);
        let t = p.theta_ns as f64;
        let (pa, pb) = (pos(p.a), pos(p.b));
        if (p.a != 0 && pa.is_none()) || (p.b != 0 && pb.is_none()) {
            continue;
        }
        // residual x_b − x_a − θ
        if let Some(ib) = pb {
            mat[ib][ib] += w;
            mat[ib][m] += w * t;
            if let Some(ia) = pa {
                mat[ib][ia] -= w;
            }
        }
        if let Some(ia) = pa {
            mat[ia][ia] += w;
            mat[ia][m] -= w * t;
            if let Some(ib) = pb {
                mat[ia][ib] -= w;
            }
        }
    }
    let x = gauss(mat);
    caps[0].offset_ns = Some(0);
    caps[0].uncertainty_ns = Some(0);
    for (k, c) in idx.iter().enumerate() {
        let Some((chain, bound)) = best[*c] else {
            continue;
        };
        let fit = x
            .as_ref()
            .and_then(|x| x.get(k))
            .copied()
            .filter(|v| v.is_finite());
        let off = fit.map_or(chain, |f| f.round() as i128);
        let u = (off - chain).abs() + bound;
        caps[*c].offset_ns = i64::try_from(off).ok();
        caps[*c].uncertainty_ns = i64::try_from(u).ok();
    }
    for (i, c) in caps.iter_mut().enumerate() {
        c.samples = pairs
            .iter()
            .filter(|p| p.a == i || p.b == i)
            .map(|p| p.samples)
            .sum();
    }
}

/// Gaussian elimination with partial pivoting; None when singular.
pub(super) fn gauss(mut a: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let m = a.len();
    for col in 0..m {
        let piv = (col..m).max_by(|x, y| a[*x][col].abs().total_cmp(&a[*y][col].abs()))?;
        if a[piv][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, piv);
        let pivot = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r == col {
                continue;
            }
            let f = row[col] / pivot[col];
            if f != 0.0 {
                for (x, p) in row.iter_mut().zip(&pivot).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    Some((0..m).map(|r| a[r][m] / a[r][r]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::multi::*;

    #[test]
    fn pair_min_delay_and_bound() {
        // true offset 1 ms; symmetric 100 µs paths, some queued samples
        let mut s: Vec<(i64, i64, i64)> = (0..50)
            .map(|k| {
                let q = if k % 3 == 0 { 5_000_000 } else { 0 };
                // queueing one way biases θ by q/2 and grows δ by q
                (1_000_000 + q / 2, 200_000 + q, k * 1_000_000_000)
            })
            .collect();
        let p = pair_estimate(0, 1, &mut s).expect("samples");
        assert_eq!(p.theta_ns, 1_000_000);
        assert_eq!(p.uncertainty_ns, 100_000);
        assert_eq!(p.delay_min_ns, 200_000);
        // 50 s of exchanges: a point a second, each its least queued one.
        assert_eq!(p.series.len(), 50);
        assert!(p.series.iter().all(|x| x.samples == 1));
        assert_eq!(p.series[1].theta_ns, 1_000_000);
        assert_eq!(p.series[3].theta_ns, 3_500_000);
        assert_eq!(p.series[3].delta_ns, 5_200_000);
        let d = p.drift.expect("enough samples");
        assert_eq!(d.change_ns, 0);
        assert!(!d.significant());
        // a clock running 100 ppm fast: 5 ms over 50 s
        let mut s: Vec<(i64, i64, i64)> = (0..50)
            .map(|k| (k * 100_000, 200_000, k * 1_000_000_000))
            .collect();
        let d = pair_estimate(0, 1, &mut s)
            .and_then(|p| p.drift)
            .expect("drift");
        assert!(d.significant(), "{d:?}");
        assert!((d.ppm() - 100.0).abs() < 10.0, "{}", d.ppm());
    }

    #[test]
    fn chain_and_least_squares() {
        let mut c = caps(3);
        let pair = |a, b, theta_ns| PairClock {
            a,
            b,
            samples: 10,
            selected: 5,
            theta_ns,
            uncertainty_ns: 50_000,
            theta_all_median_ns: 0,
            delay_min_ns: 0,
            delay_p50_ns: 0,
            drift: None,
            from_packets: false,
            series: Vec::new(),
        };
        let pairs = vec![pair(0, 1, 2_000_000), pair(1, 2, -500_000)];
        solve(&mut c, &pairs);
        assert_eq!(c[1].offset_ns, Some(2_000_000));
        assert_eq!(c[2].offset_ns, Some(1_500_000));
        assert_eq!(c[2].uncertainty_ns, Some(100_000));
        // disconnected capture: unknown
        let mut c = caps(3);
        solve(&mut c, &pairs[..1]);
        assert_eq!(c[2].offset_ns, None);
    }
}
