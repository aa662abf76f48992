//! JavaScript's number rules: `Math.floor`/`Math.max` as the contract combines them,
//! `Number(s)` of a string, `String(n)` and `n.toLocaleString("en-US")`.

use super::strings::trim;

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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::core::model::fixtures::u;

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
}
