//! Capture timestamps (ns since the epoch, UTC) as people read them. One
//! place for the calendar arithmetic, used by every printer.

/// UTC calendar date of a day count since 1970-01-01 (proleptic Gregorian,
/// the days-from-civil inverse).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Digits after the second: 3 (ms) or 6 (µs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Milli,
    Micro,
}

/// `HH:MM:SS.fff` or `HH:MM:SS.ffffff` (UTC); fractions are truncated.
pub fn clock(ts: i64, p: Precision) -> String {
    let sod = ts.div_euclid(1_000_000_000).rem_euclid(86_400);
    let ns = ts.rem_euclid(1_000_000_000);
    let (h, m, s) = (sod / 3600, sod / 60 % 60, sod % 60);
    match p {
        Precision::Milli => format!("{h:02}:{m:02}:{s:02}.{:03}", ns / 1_000_000),
        Precision::Micro => format!("{h:02}:{m:02}:{s:02}.{:06}", ns / 1000),
    }
}

/// `YYYY-MM-DD HH:MM:SS.f…` (UTC).
pub fn datetime(ts: i64, p: Precision) -> String {
    let (y, m, d) = civil_from_days(ts.div_euclid(1_000_000_000).div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02} {}", clock(ts, p))
}

/// Epoch seconds with microseconds, floored to the microsecond like
/// [`clock`]: before 1970 the sign covers the whole number, so -1 ns
/// prints as `-0.000001` (the clock shows 23:59:59.999999 the day before),
/// never `-1.999999`.
pub fn epoch(ts: i64) -> String {
    let us = ts.div_euclid(1000);
    let sign = if us < 0 { "-" } else { "" };
    let mag = us.unsigned_abs();
    format!("{sign}{}.{:06}", mag / 1_000_000, mag % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        // 2023-11-14 22:13:20 UTC
        let ts = 1_700_000_000_123_456_789;
        assert_eq!(clock(ts, Precision::Micro), "22:13:20.123456");
        assert_eq!(clock(ts, Precision::Milli), "22:13:20.123");
        assert_eq!(datetime(ts, Precision::Micro), "2023-11-14 22:13:20.123456");
        assert_eq!(epoch(ts), "1700000000.123456");
        assert_eq!(datetime(0, Precision::Milli), "1970-01-01 00:00:00.000");
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(datetime(-1, Precision::Milli), "1969-12-31 23:59:59.999");
    }

    #[test]
    fn before_1970() {
        assert_eq!(epoch(-1), "-0.000001");
        assert_eq!(epoch(-1_000), "-0.000001");
        assert_eq!(epoch(-999), "-0.000001");
        assert_eq!(epoch(-1_001), "-0.000002");
        assert_eq!(epoch(-1_000_000_000), "-1.000000");
        assert_eq!(epoch(-1_500_000_000), "-1.500000");
        assert_eq!(epoch(0), "0.000000");
        assert_eq!(epoch(999), "0.000000");
        assert_eq!(epoch(i64::MIN), "-9223372036.854776");
        assert_eq!(epoch(i64::MAX), "9223372036.854775");
        assert_eq!(clock(-1, Precision::Micro), "23:59:59.999999");
        assert_eq!(clock(-1_500_000_000, Precision::Milli), "23:59:58.500");
        assert_eq!(
            datetime(-86_400_000_000_001, Precision::Micro),
            "1969-12-30 23:59:59.999999"
        );
    }
}
