//! UTC date-times as staff type them ("2026-12-01T09:30"), parsed strictly.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses "YYYY-MM-DDTHH:MM[:SS][Z]" (a space may replace the T) as UTC, in
/// milliseconds since the epoch.
pub fn parse_utc_datetime(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z').unwrap_or(s);
    let (date, time) = s.split_once(['T', ' '])?;
    let mut d = date.split('-');
    let (y, mo, da) = (d.next()?, d.next()?, d.next()?);
    if d.next().is_some() || y.len() != 4 || mo.len() != 2 || da.len() != 2 {
        return None;
    }
    let num = |p: &str| -> Option<i64> {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            p.parse().ok()
        }
    };
    let (y, mo, da) = (num(y)?, num(mo)?, num(da)?);
    let mut t = time.split(':');
    let (h, mi) = (t.next()?, t.next()?);
    let sec = t.next().unwrap_or("00");
    if t.next().is_some() || h.len() != 2 || mi.len() != 2 || sec.len() != 2 {
        return None;
    }
    let (h, mi, sec) = (num(h)?, num(mi)?, num(sec)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo) || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    if da < 1 || da > month_days[usize::try_from(mo - 1).ok()?] {
        return None;
    }
    Some(((days_from_civil(y, mo, da) * 24 + h) * 60 + mi) * 60_000 + sec * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_datetimes_parse_strictly() {
        assert_eq!(parse_utc_datetime("1970-01-01T00:00"), Some(0));
        assert_eq!(
            parse_utc_datetime("2026-11-22T18:30:15Z"),
            Some(1_795_372_215_000)
        );
        assert_eq!(
            parse_utc_datetime("2024-02-29 00:00"),
            Some(1_709_164_800_000)
        );
        for bad in [
            "2023-02-29T00:00",
            "2026-13-01T00:00",
            "2026-1-01T00:00",
            "2026-01-01",
            "2026-01-01T24:00",
            "2026-01-01T10:00:00+02:00",
            "tomorrow",
            "",
        ] {
            assert_eq!(parse_utc_datetime(bad), None, "{bad}");
        }
    }
}
