//! The Azure trace's timestamps, `YYYY-MM-DD hh:mm:ss[.f…]`, as integer ns.

/// Days from 1970-01-01 to the civil date `y-m-d` of the proleptic
/// Gregorian calendar (H. Hinnant, "chrono-Compatible Low-Level Date
/// Algorithms", `days_from_civil`, <https://howardhinnant.github.io/date_algorithms.html>).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = (m + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + d - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

fn leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn digits(s: &str, what: &str) -> Result<i64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what} `{s}` is not a number"));
    }
    s.parse()
        .map_err(|_| format!("{what} `{s}` is out of range"))
}

/// `YYYY-MM-DD hh:mm:ss[.f…]` (1–9 fractional digits; a `T` may stand for
/// the space; no time zone: the trace states none) → ns since
/// 1970-01-01 00:00:00, exactly.
///
/// # Errors
/// A message saying which part is wrong.
pub fn parse_timestamp_ns(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not a time `YYYY-MM-DD hh:mm:ss[.fffffff]`");
    let (date, time) = text.trim().split_once([' ', 'T']).ok_or_else(bad)?;
    let mut d = date.splitn(3, '-');
    let (Some(y), Some(mo), Some(da)) = (d.next(), d.next(), d.next()) else {
        return Err(bad());
    };
    let (y, mo, da) = (digits(y, "year")?, digits(mo, "month")?, digits(da, "day")?);
    if y > 9999 {
        return Err(format!("year {y} is out of range (0–9999)"));
    }
    let month_days = [
        31,
        if leap(y) { 29 } else { 28 },
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
    if !(1..=12).contains(&mo) || da < 1 || da > month_days[mo as usize - 1] {
        return Err(format!("`{date}` is not a date"));
    }
    let (hms, frac) = match time.split_once('.') {
        Some((hms, f)) => (hms, Some(f)),
        None => (time, None),
    };
    let mut t = hms.splitn(3, ':');
    let (Some(h), Some(mi), Some(s)) = (t.next(), t.next(), t.next()) else {
        return Err(bad());
    };
    let (h, mi, s) = (
        digits(h, "hour")?,
        digits(mi, "minute")?,
        digits(s, "second")?,
    );
    if h > 23 || mi > 59 || s > 60 {
        return Err(format!("`{hms}` is not a time of day"));
    }
    let frac_ns = match frac {
        None => 0,
        Some(f) if f.len() <= 9 => {
            digits(f, "fraction of a second")? * 10i64.pow(9 - f.len() as u32)
        }
        Some(f) => return Err(format!("`.{f}`: at most 9 fractional digits (ns)")),
    };
    let secs = days_from_civil(y, mo, da) * 86_400 + h * 3600 + mi * 60 + s;
    Ok(secs * 1_000_000_000 + frac_ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_timestamps() {
        // 2023-11-16 is day 19 677 after 1970-01-01 (date -u -d 2023-11-16 +%s = 1700092800 = 19677·86400).
        assert_eq!(days_from_civil(2023, 11, 16), 19_677);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017); // date -u -d 2000-03-01 +%s = 951868800
                                                         // 18:15:46.6805900 → 1700092800 + 65746 s, 680 590 000 ns.
        assert_eq!(
            parse_timestamp_ns("2023-11-16 18:15:46.6805900").unwrap(),
            1_700_158_546_680_590_000
        );
        assert_eq!(
            parse_timestamp_ns("2023-11-16T18:15:46").unwrap(),
            1_700_158_546_000_000_000
        );
        assert_eq!(
            parse_timestamp_ns("2024-02-29 00:00:00.5").unwrap() % 1_000_000_000,
            500_000_000
        );
        for bad in [
            "2023-11-16",
            "2023-13-01 00:00:00",
            "2023-02-29 00:00:00",
            "2023-11-16 24:00:00",
            "2023-11-16 18:15:46.1234567890",
            "2023-11-16 18:15:4x",
            "",
        ] {
            assert!(parse_timestamp_ns(bad).is_err(), "{bad}");
        }
    }
}
