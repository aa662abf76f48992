//! JavaScript's time rules: `TimeClip`, `Date.parse` of ISO 8601 and of PostgreSQL's printed
//! times (where every process reads them alike), and `toISOString`.

/// `TimeClip` as `new Date(number)` applies it: NaN outside ±8.64e15, else truncated.
pub fn time_clip(t: f64) -> f64 {
    if !t.is_finite() || t.abs() > 8.64e15 {
        f64::NAN
    } else {
        t.trunc() + 0.0
    }
}

/// `Date.parse(s)` for the strings whose answer does not depend on the host: the ECMAScript
/// date-time format with `Z` or a `±HH:mm` offset, and the date-only forms (which are UTC).
/// `None` means "not one of those": a date-time without offset is local time, and anything
/// else goes to the engine's own legacy parser, so the host must answer.
pub fn parse_iso_date_time(units: &[u16]) -> Option<f64> {
    let mut p = Cursor { units, at: 0 };
    // An expanded year: a sign and six digits (`toISOString` writes them past 9999 and before
    // year 0); minus zero is not a year: a string in the format with it is NaN.
    let (year, minus_zero) = match p.sign() {
        Some(sign) => {
            let year = p.digits(6)?;
            (sign * year, sign < 0 && year == 0)
        }
        None => (p.digits(4)?, false),
    };
    let valid = |time: f64| Some(if minus_zero { f64::NAN } else { time });
    let mut month = 1;
    let mut day = 1;
    if p.eat(b'-') {
        month = p.digits(2)?;
        if p.eat(b'-') {
            day = p.digits(2)?;
        }
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let date = make_day(year, month, day);
    if p.done() {
        return valid(time_clip(date * MS_PER_DAY as f64));
    }
    if !(p.eat(b'T') || p.eat(b't')) {
        return None;
    }
    let hour = p.digits(2)?;
    if !p.eat(b':') {
        return None;
    }
    let minute = p.digits(2)?;
    let mut second = 0;
    let mut millis = 0;
    if p.eat(b':') {
        second = p.digits(2)?;
        if p.eat(b'.') {
            millis = p.fraction_millis()?;
        }
    }
    let offset_minutes = if p.eat(b'Z') || p.eat(b'z') {
        0
    } else {
        let sign = p.sign()?;
        let oh = p.digits(2)?;
        if !p.eat(b':') {
            return None;
        }
        let om = p.digits(2)?;
        if oh > 23 || om > 59 {
            return None;
        }
        sign * (oh * 60 + om)
    };
    let clock = Clock {
        hour,
        minute,
        second,
        millis,
    };
    if !p.done() || !clock.is_valid() {
        return None;
    }
    valid(clock.time_on(date, offset_minutes))
}

/// `Date.parse` of a time as PostgreSQL prints a `timestamptz` under `DateStyle = ISO`
/// (`2026-06-01 05:31:00.123456+05:30`, `… 00:00:00+00`, `+0530`), which V8 reads with its
/// legacy parser; `None` for anything outside that form (the caller skips it), never a guess.
/// What V8's legacy parser does there, and so this:
pub fn parse_postgres_time(units: &[u16]) -> Option<f64> {
    let mut p = Cursor { units, at: 0 };
    // Below 100 V8 guesses at the year (a century, or another field order): not read here.
    let year = Some(p.digits(4)?).filter(|&y| y >= 100)?;
    let month = p.eat(b'-').then(|| p.digits(2))??;
    let day = p.eat(b'-').then(|| p.digits(2))??;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !p.eat(b' ') {
        return None;
    }
    let hour = p.digits(2)?;
    let minute = p.eat(b':').then(|| p.digits(2))??;
    let second = p.eat(b':').then(|| p.digits(2))??;
    let millis = if p.eat(b'.') { p.fraction_millis()? } else { 0 };
    let clock = Clock {
        hour,
        minute,
        second,
        millis,
    };
    if !clock.is_valid() {
        return None;
    }
    let offset_minutes = if p.eat(b'Z') {
        0
    } else {
        let sign = p.sign()?;
        let hours = p.digits(2)?;
        // `+HH`, `+HH:MM` (minutes up to 59), or `+HHMM` (read as HH hours and MM minutes,
        // unchecked, as V8 does).
        let minutes = if p.eat(b':') {
            Some(p.digits(2)?).filter(|&m| m <= 59)?
        } else if p.done() {
            0
        } else {
            p.digits(2)?
        };
        sign * (hours * 60 + minutes)
    };
    if !p.done() {
        return None;
    }
    Some(clock.time_on(make_day(year, month, day), offset_minutes))
}

/// Milliseconds in a day, as ECMAScript's `msPerDay`.
pub const MS_PER_DAY: i64 = 86_400_000;

/// A time of day as written, before its zone offset.
struct Clock {
    hour: i64,
    minute: i64,
    second: i64,
    millis: i64,
}

impl Clock {
    /// Minutes and seconds below 60; hours to 24, and 24 only as `24:00:00.000`.
    fn is_valid(&self) -> bool {
        self.minute <= 59
            && self.second <= 59
            && (self.hour < 24 || (self.hour == 24 && (self.minute, self.second, self.millis) == (0, 0, 0)))
    }

    /// The time value of this clock on the day `date` (days since the epoch), written at
    /// `offset_minutes` east of UTC; TimeClip'd.
    fn time_on(&self, date: f64, offset_minutes: i64) -> f64 {
        let time =
            ((self.hour * 60 + self.minute - offset_minutes) * 60 + self.second) as f64 * 1000.0 + self.millis as f64;
        time_clip(date * MS_PER_DAY as f64 + time)
    }
}

struct Cursor<'a> {
    units: &'a [u16],
    at: usize,
}

impl Cursor<'_> {
    fn done(&self) -> bool {
        self.at == self.units.len()
    }
    fn eat(&mut self, ascii: u8) -> bool {
        if self.units.get(self.at) == Some(&u16::from(ascii)) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn digit(&mut self) -> Option<i64> {
        let u = *self.units.get(self.at)?;
        let d = char::from_u32(u32::from(u))?.to_digit(10)?;
        self.at += 1;
        Some(i64::from(d))
    }
    /// `+` as 1, `-` as -1.
    fn sign(&mut self) -> Option<i64> {
        if self.eat(b'+') {
            Some(1)
        } else if self.eat(b'-') {
            Some(-1)
        } else {
            None
        }
    }
    fn digits(&mut self, count: usize) -> Option<i64> {
        (0..count).try_fold(0, |acc, _| Some(acc * 10 + self.digit()?))
    }
    /// One or more fraction digits; the first three are milliseconds, the rest ignored.
    fn fraction_millis(&mut self) -> Option<i64> {
        let mut millis = 0;
        let mut count = 0;
        while let Some(d) = self.digit() {
            if count < 3 {
                millis = millis * 10 + d;
            }
            count += 1;
        }
        match count {
            0 => None,
            1 => Some(millis * 100),
            2 => Some(millis * 10),
            _ => Some(millis),
        }
    }
}

/// ECMAScript `MakeDay(year, month - 1, day)`: days since the epoch (days past the month's
/// end carry into the next month, as `Date.parse("2026-02-31")` does).
fn make_day(year: i64, month: i64, day: i64) -> f64 {
    // Days from civil (proleptic Gregorian), month 1-based.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let first_of_month = era * 146_097 + doe - 719_468;
    (first_of_month + day - 1) as f64
}

/// Days since the epoch as a (year, month, day) civil date, proleptic Gregorian; the inverse
/// of [`make_day`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A year as `toISOString` writes it: four digits, or a sign and six outside 0–9999.
fn iso_year(year: i64) -> String {
    if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else {
        format!("{}{:06}", if year < 0 { '-' } else { '+' }, year.abs())
    }
}

/// `new Date(ms).toISOString().slice(0, 10)`: the UTC day, `YYYY-MM-DD`; `None` for an
/// invalid time (where `toISOString` throws).
pub fn iso_date(ms: f64) -> Option<String> {
    let ms = time_clip(ms);
    if ms.is_nan() {
        return None;
    }
    let (year, month, day) = civil_from_days((ms as i64).div_euclid(MS_PER_DAY));
    Some(format!("{}-{month:02}-{day:02}", iso_year(year)))
}

/// `new Date(ms).toISOString()`; `None` for an invalid time.
pub fn iso_date_time(ms: f64) -> Option<String> {
    let date = iso_date(ms)?;
    let in_day = (time_clip(ms) as i64).rem_euclid(MS_PER_DAY);
    let (hours, minutes) = (in_day / 3_600_000, in_day / 60_000 % 60);
    let (seconds, millis) = (in_day / 1000 % 60, in_day % 1000);
    Some(format!("{date}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::core::model::fixtures::u;

    #[test]
    fn iso_strings_are_to_iso_string() {
        // Read off Node: new Date(x).toISOString().
        assert_eq!(iso_date_time(0.0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_date_time(1_780_272_000_123.0).unwrap(), "2026-06-01T00:00:00.123Z");
        assert_eq!(iso_date_time(-1.0).unwrap(), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso_date_time(8.64e15).unwrap(), "+275760-09-13T00:00:00.000Z");
        assert_eq!(iso_date_time(-8.64e15).unwrap(), "-271821-04-20T00:00:00.000Z");
        assert_eq!(
            iso_date_time(-62_198_755_200_000.0).unwrap(),
            "-000001-01-01T00:00:00.000Z"
        );
        assert_eq!(iso_date(951_782_400_000.0).unwrap(), "2000-02-29");
        assert_eq!(iso_date_time(f64::NAN), None);
        assert_eq!(iso_date_time(8.64e15 + 1.0), None);
    }

    #[test]
    fn iso_times_parse_as_date_parse() {
        let cases: &[(&str, f64)] = &[
            ("2026-06-06T12:00:00.000Z", 1780747200000.0),
            ("2026-06-06t12:00:00z", 1780747200000.0),
            ("2026-06-06T12:00:00.1Z", 1780747200100.0),
            ("2026-06-06T12:00:00.1239Z", 1780747200123.0),
            ("2026-06-06T24:00:00Z", 1780790400000.0),
            ("2026-06-06T12:00Z", 1780747200000.0),
            ("2026-06-06T12:00:00+05:30", 1780727400000.0),
            ("2026-06-06T12:00:00-00:00", 1780747200000.0),
            ("2026", 1767225600000.0),
            ("2026-06", 1780272000000.0),
            ("2026-06-06", 1780704000000.0),
            ("2026-02-31T00:00:00Z", 1772496000000.0),
            ("0000-01-01T00:00:00Z", -62167219200000.0),
            // Expanded years, as toISOString writes them (values read off Node).
            ("+275760-09-13T00:00:00.000Z", 8640000000000000.0),
            ("+012026-06-01T00:00:00Z", 317349792000000.0),
            ("+012026-06-01T12:00:00+05:30", 317349815400000.0),
            ("+002026", 1767225600000.0),
            ("+012026-06", 317349792000000.0),
            ("-000001-01-01T00:00:00Z", -62198755200000.0),
            ("-271821-04-20T00:00:00Z", -8640000000000000.0),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_iso_date_time(&u(input)), Some(*expected), "Date.parse({input:?})");
        }
        // Past TimeClip's range, and minus zero as a year: NaN, as Date.parse answers.
        for nan in [
            "+275760-09-13T00:00:00.001Z",
            "-271821-04-19T23:59:59.999Z",
            "-000000-01-01T00:00:00Z",
            "-000000",
        ] {
            assert!(
                parse_iso_date_time(&u(nan)).is_some_and(f64::is_nan),
                "Date.parse({nan:?}) is NaN"
            );
        }
        // Not ours to answer: local time, legacy formats, and invalid strings go to the engine.
        for declined in [
            "2026-06-06T12:00:00",
            "2026-06-06 12:00:00Z",
            "2026-06-06T24:00:01Z",
            "2026-13-01",
            " 2026",
            // V8 reads these with its legacy parser: the engine answers.
            "+12026-06-01",
            "+0120260-06-01",
        ] {
            assert_eq!(parse_iso_date_time(&u(declined)), None, "{declined:?}");
        }
    }

    #[test]
    fn time_clip_truncates_and_bounds() {
        assert_eq!(time_clip(1.9), 1.0);
        assert_eq!(time_clip(-1.9), -1.0);
        assert!(time_clip(8.64e15 + 1.0).is_nan());
        assert!(time_clip(f64::INFINITY).is_nan());
        assert!(time_clip(-0.0).is_sign_positive());
    }
}
