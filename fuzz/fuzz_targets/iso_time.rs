//! `Date.parse` of the ECMAScript date-time format: never panics on any input; whatever the
//! core accepts is differential against chrono's calendar arithmetic, with JavaScript's rules
//! (days past a month's end carry over, 24:00 is the next midnight).
#![no_main]
use chrono::{Duration, NaiveDate};
use libfuzzer_sys::fuzz_target;
use paperclip_session_compaction::core::js_semantics::parse_iso_date_time;

fn num(s: &str) -> Option<i64> {
    s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse().ok()).flatten()
}

fn oracle(s: &str) -> Option<f64> {
    if !s.is_ascii() {
        return None;
    }
    let (date, time) = match s.find(['T', 't']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    // An expanded year: a sign and six digits; minus zero is NaN.
    let (sign, year_width, date) = match date.as_bytes().first() {
        Some(b'+') => (1, 6, &date[1..]),
        Some(b'-') => (-1, 6, &date[1..]),
        _ => (1, 4, date),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let (y, m, d) = match parts.as_slice() {
        [y] if y.len() == year_width => (num(y)?, 1, 1),
        [y, m] if y.len() == year_width && m.len() == 2 => (num(y)?, num(m)?, 1),
        [y, m, d] if y.len() == year_width && m.len() == 2 && d.len() == 2 => (num(y)?, num(m)?, num(d)?),
        _ => return None,
    };
    if sign < 0 && y == 0 {
        return Some(f64::NAN);
    }
    let y = sign * y;
    let first = NaiveDate::from_ymd_opt(y as i32, m as u32, 1)?;
    if !(1..=31).contains(&d) {
        return None;
    }
    let day = first + Duration::days(d - 1);
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    let mut ms = (day - epoch).num_days() as f64 * 86_400_000.0;
    if let Some(time) = time {
        let (clock, offset_minutes) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
            (c, 0)
        } else {
            let i = time.rfind(['+', '-'])?;
            let (oh, om) = time[i + 1..].split_once(':')?;
            if oh.len() != 2 || om.len() != 2 || num(oh)? > 23 || num(om)? > 59 {
                return None;
            }
            let sign = if time.as_bytes()[i] == b'+' { 1 } else { -1 };
            (&time[..i], sign * (num(oh)? * 60 + num(om)?))
        };
        let (hms, frac) = clock.split_once('.').map_or((clock, None), |(a, b)| (a, Some(b)));
        let f: Vec<&str> = hms.split(':').collect();
        let (h, mi, se) = match f.as_slice() {
            [h, mi] if h.len() == 2 && mi.len() == 2 && frac.is_none() => (num(h)?, num(mi)?, 0),
            [h, mi, se] if h.len() == 2 && mi.len() == 2 && se.len() == 2 => (num(h)?, num(mi)?, num(se)?),
            _ => return None,
        };
        let millis = match frac {
            Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => num(&format!("{:0<3}", &f[..f.len().min(3)]))?,
            Some(_) => return None,
            None => 0,
        };
        if mi > 59 || se > 59 || h > 24 || (h == 24 && (mi, se, millis) != (0, 0, 0)) {
            return None;
        }
        ms += (((h * 60 + mi - offset_minutes) * 60 + se) * 1000 + millis) as f64;
    }
    // TimeClip: NaN past ±8.64e15 ms.
    Some(if ms.abs() > 8.64e15 { f64::NAN } else { ms })
}

fn oracle_years_out_of_reach(text: &str) -> bool {
    matches!(text.as_bytes().first(), Some(b'+' | b'-')) && text.get(1..7).and_then(num).is_some_and(|y| y > 262_000)
}

fuzz_target!(|data: &[u8]| {
    let units: Vec<u16> = data.iter().map(|&b| u16::from(b)).collect();
    let got = parse_iso_date_time(&units);
    if let Some(t) = got {
        let text = String::from_utf16_lossy(&units);
        // chrono's calendar ends near ±262,000 years; JavaScript's goes to ±275,760 (and the
        // core answers NaN past that): there the core's answer cannot be checked, only made.
        if oracle_years_out_of_reach(&text) {
            return;
        }
        let expected = oracle(&text).unwrap_or_else(|| panic!("accepted {text:?} as {t}, the oracle does not"));
        assert!(t == expected || (t.is_nan() && expected.is_nan()), "{text:?}: {t} against {expected}");
    }
});
