//! JavaScript's own rules for the few conversions the contract uses, on UTF-16 code units.
//! Each function names the JavaScript expression it mirrors.

/// ECMAScript `WhiteSpace` and `LineTerminator`: what `String.prototype.trim` removes.
/// Not Rust's `char::is_whitespace`, which also trims U+0085 and keeps U+FEFF.
pub fn is_js_whitespace(unit: u16) -> bool {
    matches!(
        unit,
        0x0009..=0x000D
            | 0x0020
            | 0x00A0
            | 0x1680
            | 0x2000..=0x200A
            | 0x2028
            | 0x2029
            | 0x202F
            | 0x205F
            | 0x3000
            | 0xFEFF
    )
}

/// `s.trim()`
pub fn trim(units: &[u16]) -> &[u16] {
    let start = units.iter().position(|&u| !is_js_whitespace(u)).unwrap_or(units.len());
    let end = units
        .iter()
        .rposition(|&u| !is_js_whitespace(u))
        .map_or(start, |last| last + 1);
    units.get(start..end).unwrap_or(&[])
}

/// `s.trim() !== ""`
pub fn is_non_blank(units: &[u16]) -> bool {
    units.iter().any(|&u| !is_js_whitespace(u))
}

/// Appends `text`'s UTF-16 code units; ASCII (all our labels and numbers) one unit a byte,
/// in a loop the compiler can vectorise.
pub fn push_utf16(units: &mut Vec<u16>, text: &str) {
    if text.is_ascii() {
        units.extend(text.bytes().map(u16::from));
    } else {
        units.extend(text.encode_utf16());
    }
}

/// True when `units` spell exactly the ASCII text `ascii`.
pub fn units_eq_ascii(units: &[u16], ascii: &str) -> bool {
    units.len() == ascii.len() && units.iter().zip(ascii.bytes()).all(|(&u, b)| u == u16::from(b))
}

/// `s.trim().toLowerCase() === ascii` for a lower-case ASCII word. Only ASCII letters can
/// lower-case into ASCII here (U+212A KELVIN SIGN, the one exception, maps to `k`, which
/// none of our words contain), so ASCII case folding is exact.
pub fn trimmed_lower_eq(units: &[u16], ascii_lower: &str) -> bool {
    let t = trim(units);
    t.len() == ascii_lower.len()
        && t.iter().zip(ascii_lower.bytes()).all(|(&u, b)| {
            let folded = if (u16::from(b'A')..=u16::from(b'Z')).contains(&u) {
                u + 32
            } else {
                u
            };
            folded == u16::from(b)
        })
}

/// `Math.floor(x)`, then `Math.max(0, ·)`; `Math.max(0, -0)` is `+0`.
pub fn floor_non_negative(x: f64) -> f64 {
    let f = x.floor();
    if f > 0.0 || f.is_nan() {
        f
    } else {
        0.0
    }
}

/// `Math.max(0, x)`: NaN stays NaN, -0 becomes +0.
pub fn max_zero(x: f64) -> f64 {
    if x.is_nan() || x > 0.0 {
        x
    } else {
        0.0
    }
}

/// `Math.max(a, b)` for numbers: NaN wins, and +0 is greater than -0.
pub fn js_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        if a.is_sign_negative() {
            b
        } else {
            a
        }
    } else if a > b {
        a
    } else {
        b
    }
}

/// `Number(s)` for a string: `StringToNumber`, which trims like `trim()` first.
pub fn string_to_number(units: &[u16]) -> f64 {
    let t = trim(units);
    if t.is_empty() {
        return 0.0;
    }
    // Every valid numeric literal is ASCII.
    let mut ascii = String::with_capacity(t.len());
    for &u in t {
        match u8::try_from(u) {
            Ok(b) if b.is_ascii() => ascii.push(char::from(b)),
            _ => return f64::NAN,
        }
    }
    let bytes = ascii.as_bytes();
    if let [b'0', marker, digits @ ..] = bytes {
        let radix = match marker {
            b'x' | b'X' => Some(16),
            b'o' | b'O' => Some(8),
            b'b' | b'B' => Some(2),
            _ => None,
        };
        if let Some(radix) = radix {
            return parse_radix_integer(digits, radix);
        }
    }
    let (negative, unsigned) = match bytes {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, bytes),
    };
    let magnitude = if unsigned == b"Infinity" {
        f64::INFINITY
    } else if is_decimal_literal(unsigned) {
        // Rust's decimal parsing is correctly rounded, as ECMAScript requires.
        std::str::from_utf8(unsigned)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    } else {
        f64::NAN
    };
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// `StrUnsignedDecimalLiteral` without `Infinity`: digits with an optional point and exponent.
fn is_decimal_literal(s: &[u8]) -> bool {
    let mut i = 0;
    let int_digits = count_digits(s, i);
    i += int_digits;
    let mut frac_digits = 0;
    if s.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = count_digits(s, i);
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return false;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = count_digits(s, i);
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == s.len()
}

fn count_digits(s: &[u8], from: usize) -> usize {
    s.get(from..)
        .map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_digit()).count())
}

/// A `0x`/`0o`/`0b` literal's digits, rounded to the nearest double (ties to even) as V8 does.
fn parse_radix_integer(digits: &[u8], radix: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    let bits_per_digit = radix.trailing_zeros();
    // Value = mantissa * 2^exponent, with `sticky` recording any 1 bits dropped below it.
    let mut mantissa: u128 = 0;
    let mut exponent: i64 = 0;
    let mut sticky = false;
    for &b in digits {
        let Some(d) = char::from(b).to_digit(radix) else {
            return f64::NAN;
        };
        if mantissa >> 120 == 0 {
            mantissa = (mantissa << bits_per_digit) | u128::from(d);
        } else {
            exponent += i64::from(bits_per_digit);
            sticky |= d != 0;
        }
    }
    round_to_f64(mantissa, exponent, sticky)
}

/// Rounds `mantissa * 2^exponent` (plus a sticky fraction below it) to the nearest double.
fn round_to_f64(mantissa: u128, exponent: i64, sticky: bool) -> f64 {
    if mantissa == 0 {
        return 0.0;
    }
    let width = 128 - i64::from(mantissa.leading_zeros());
    let shift = width - 53;
    if shift <= 0 {
        // Exact in 53 bits; the extra exponent only scales it.
        return scale_by_power_of_two(mantissa as f64, exponent);
    }
    let shift_u = shift as u32;
    let kept = mantissa >> shift_u;
    let dropped = mantissa & ((1u128 << shift_u) - 1);
    let half = 1u128 << (shift_u - 1);
    let round_up = dropped > half || (dropped == half && (sticky || kept & 1 == 1));
    let rounded = kept + u128::from(round_up);
    scale_by_power_of_two(rounded as f64, exponent + shift)
}

fn scale_by_power_of_two(value: f64, exponent: i64) -> f64 {
    let mut result = value;
    let mut remaining = exponent;
    while remaining > 0 && result.is_finite() {
        let step = remaining.min(1000);
        result *= 2f64.powi(step as i32);
        remaining -= step;
    }
    result
}

/// `String(n)` / `${n}`.
pub fn number_to_string(n: f64) -> String {
    let mut buffer = ryu_js::Buffer::new();
    buffer.format(n).to_owned()
}

/// `n.toLocaleString("en-US")`: the shortest round-trip digits, rounded half away from zero
/// to at most 3 fraction digits, the integer part grouped by thousands.
pub fn number_to_en_us(n: f64) -> String {
    if n.is_nan() {
        return "NaN".to_owned();
    }
    if n.is_infinite() {
        return if n > 0.0 { "∞".to_owned() } else { "-∞".to_owned() };
    }
    let (digits, point) = shortest_decimal(n.abs());
    let (int_digits, frac_digits) = round_to_three_fraction_digits(digits, point);
    let mut out = String::new();
    if n.is_sign_negative() {
        out.push('-');
    }
    for (i, d) in int_digits.iter().enumerate() {
        if i > 0 && (int_digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(char::from(b'0' + d));
    }
    if !frac_digits.is_empty() {
        out.push('.');
        out.extend(frac_digits.iter().map(|d| char::from(b'0' + d)));
    }
    out
}

/// The shortest round-trip digits of a finite non-negative `x`, and where the decimal point
/// falls: x = 0.d1d2d3… × 10^point.
fn shortest_decimal(x: f64) -> (Vec<u8>, i32) {
    let text = number_to_string(x);
    let (mantissa, exp) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text.as_str(), 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).map(|b| b - b'0').collect();
    let mut point = int_part.len() as i32 + exp;
    while digits.first() == Some(&0) && digits.len() > 1 {
        digits.remove(0);
        point -= 1;
    }
    while digits.last() == Some(&0) && digits.len() > 1 {
        digits.pop();
    }
    if digits == [0] {
        point = 1;
    }
    (digits, point)
}

/// Splits 0.digits × 10^point into integer and fraction digits, the fraction rounded
/// half-up to at most 3 digits with trailing zeros removed (ICU's default for en-US).
fn round_to_three_fraction_digits(digits: Vec<u8>, point: i32) -> (Vec<u8>, Vec<u8>) {
    // Fixed-point digits: enough leading zeros so the point is at index `int_len`.
    let mut fixed: Vec<u8> = Vec::new();
    let int_len = if point <= 0 {
        fixed.push(0);
        fixed.extend(std::iter::repeat_n(0, point.unsigned_abs() as usize));
        fixed.extend(&digits);
        1
    } else {
        let p = point as usize;
        fixed.extend(&digits);
        if fixed.len() < p {
            fixed.resize(p, 0);
        }
        p
    };
    let keep = int_len + 3;
    if fixed.len() > keep {
        let round_up = fixed.get(keep).is_some_and(|&d| d >= 5);
        fixed.truncate(keep);
        if round_up {
            let mut i = keep;
            loop {
                if i == 0 {
                    fixed.insert(0, 1);
                    return split_fixed(fixed, int_len + 1);
                }
                i -= 1;
                if let Some(d) = fixed.get_mut(i) {
                    if *d == 9 {
                        *d = 0;
                    } else {
                        *d += 1;
                        break;
                    }
                }
            }
        }
    }
    split_fixed(fixed, int_len)
}

fn split_fixed(mut fixed: Vec<u8>, int_len: usize) -> (Vec<u8>, Vec<u8>) {
    let mut frac = fixed.split_off(int_len.min(fixed.len()));
    while frac.last() == Some(&0) {
        frac.pop();
    }
    (fixed, frac)
}

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
        return valid(time_clip(date * MS_PER_DAY));
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

const MS_PER_DAY: f64 = 86_400_000.0;

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
        time_clip(date * MS_PER_DAY + time)
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
    let (year, month, day) = civil_from_days((ms as i64).div_euclid(86_400_000));
    Some(format!("{}-{month:02}-{day:02}", iso_year(year)))
}

/// `new Date(ms).toISOString()`; `None` for an invalid time.
pub fn iso_date_time(ms: f64) -> Option<String> {
    let date = iso_date(ms)?;
    let in_day = (time_clip(ms) as i64).rem_euclid(86_400_000);
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
    fn trim_is_ecmascript_trim_not_rusts() {
        assert_eq!(trim(&u("\u{FEFF} a \u{3000}")), u("a").as_slice());
        // U+0085 (NEL) is not JavaScript whitespace; U+180E is not either.
        assert_eq!(trim(&u("\u{85}")), u("\u{85}").as_slice());
        assert!(is_non_blank(&u("\u{180E}")));
        assert!(!is_non_blank(&u(
            "\u{2028}\u{2029}\u{202F}\u{205F}\u{A0}\u{1680}\t\n\u{B}\u{C}\r "
        )));
        assert!(!is_non_blank(&[]));
    }

    #[test]
    fn string_to_number_matches_number_of_trimmed() {
        let cases: &[(&str, f64)] = &[
            ("0x10", 16.0),
            ("0X1f", 31.0),
            ("0b11", 3.0),
            ("0o17", 15.0),
            ("", 0.0),
            ("   ", 0.0),
            ("1e3", 1000.0),
            (" 12.9 ", 12.9),
            (".5", 0.5),
            ("5.", 5.0),
            ("+4", 4.0),
            ("-2", -2.0),
            ("1e400", f64::INFINITY),
            ("Infinity", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("0x1fffffffffffff", 9007199254740991.0),
            // 2^53 + 1 rounds to even (2^53), 2^53 + 3 rounds up to 2^53 + 4.
            ("0x20000000000001", 9007199254740992.0),
            ("0x20000000000003", 9007199254740996.0),
        ];
        for (input, expected) in cases {
            assert_eq!(string_to_number(&u(input)), *expected, "Number({input:?})");
        }
        for rejected in [
            "1_0",
            "-0x10",
            "0x",
            "0b2",
            ".",
            "e5",
            "1e",
            "inf",
            "nan",
            "Infinityx",
            "1 2",
            "١",
        ] {
            assert!(
                string_to_number(&u(rejected)).is_nan(),
                "Number({rejected:?}) should be NaN"
            );
        }
        // Huge hex literals round like V8: 0x + 1 followed by 300 zero digits is 2^1200 = Infinity.
        let huge = format!("0x1{}", "0".repeat(300));
        assert_eq!(string_to_number(&u(&huge)), f64::INFINITY);
        let big = format!("0x1{}", "0".repeat(20));
        assert_eq!(string_to_number(&u(&big)), 2f64.powi(80));
    }

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        assert_eq!(number_to_string(3.0), "3");
        assert_eq!(number_to_string(-0.0), "0");
        assert_eq!(number_to_string(1e21), "1e+21");
        assert_eq!(number_to_string(2.5), "2.5");
        assert_eq!(number_to_string(123456789012345680000.0), "123456789012345680000");
    }

    #[test]
    fn en_us_grouping_matches_to_locale_string() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (2_000_000.0, "2,000,000"),
            (2_345_678.0, "2,345,678"),
            (999.0, "999"),
            (1000.0, "1,000"),
            (2f64.powi(70), "1,180,591,620,717,411,300,000"),
            (1e21, "1,000,000,000,000,000,000,000"),
            (1234.5678, "1,234.568"),
            (0.0005, "0.001"),
            (1.0005, "1.001"),
            (0.00145, "0.001"),
            (999.9995, "1,000"),
            (999.9994999, "999.999"),
            (1e-7, "0"),
            (4.35, "4.35"),
            (9007199254740992.0, "9,007,199,254,740,992"),
            (-0.0, "-0"),
            (-0.0001, "-0"),
            (-1.5, "-1.5"),
        ];
        for (n, expected) in cases {
            assert_eq!(number_to_en_us(*n), *expected, "({n}).toLocaleString(\"en-US\")");
        }
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
