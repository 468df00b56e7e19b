//! Timestamps (unix milliseconds) as "2026-11-22 16:36 UTC", identically on
//! the server and in the browser so hydration never sees two texts.

pub fn format_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// How long ago `then` was at `now` (both ms), coarsely: "45 min",
/// "5 h 10 min", "3 d 4 h".
pub fn format_age(now: i64, then: i64) -> String {
    let mins = (now - then).max(0) / 60_000;
    match mins {
        0..=59 => format!("{mins} min"),
        60..=1439 => format!("{} h {} min", mins / 60, mins % 60),
        _ => format!("{} d {} h", mins / 1440, (mins % 1440) / 60),
    }
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        assert_eq!(super::format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(
            super::format_time(1_795_364_160_000),
            "2026-11-22 16:16 UTC"
        );
        let h = 3_600_000;
        assert_eq!(super::format_age(10 * h, 10 * h - 45 * 60_000), "45 min");
        assert_eq!(super::format_age(10 * h, 4 * h + 50 * 60_000), "5 h 10 min");
        assert_eq!(super::format_age(100 * h, 24 * h), "3 d 4 h");
        assert_eq!(
            super::format_age(0, 60_000),
            "0 min",
            "a clock behind says now"
        );
    }
}
