//! `Number(s.trim())`: never panics; radix literals are differential against exact integer
//! arithmetic (u128, then Rust's correctly rounded `as f64`), decimal literals against an
//! independent reading of the StringNumericLiteral grammar and Rust's correctly rounded parse.
#![no_main]
use libfuzzer_sys::fuzz_target;
use paperclip_session_compaction::core::js_semantics::{string_to_number, trim};

fn decimal_oracle(s: &str) -> Option<f64> {
    let (sign, body) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    if body == "Infinity" {
        return Some(sign * f64::INFINITY);
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || int.len() + frac.len() == 0 {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !digits(e) {
            return None;
        }
    }
    body.parse::<f64>().ok().map(|v| sign * v)
}

fuzz_target!(|units: Vec<u16>| {
    let got = string_to_number(&units);
    let t = trim(&units);
    let Ok(text) = String::from_utf16(t) else {
        return;
    };
    let expected = if t.is_empty() {
        Some(0.0)
    } else if let Some(rest) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        radix_oracle(rest, 16)
    } else if let Some(rest) = text.strip_prefix("0o").or_else(|| text.strip_prefix("0O")) {
        radix_oracle(rest, 8)
    } else if let Some(rest) = text.strip_prefix("0b").or_else(|| text.strip_prefix("0B")) {
        radix_oracle(rest, 2)
    } else {
        Some(decimal_oracle(&text).unwrap_or(f64::NAN))
    };
    if let Some(expected) = expected {
        assert!(got == expected || (got.is_nan() && expected.is_nan()), "Number({text:?}) = {got}, expected {expected}");
    }
});

/// Exact for literals that fit in u128; `None` (no verdict) for longer ones.
fn radix_oracle(digits: &str, radix: u32) -> Option<f64> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Some(f64::NAN);
    }
    u128::from_str_radix(digits, radix).ok().map(|v| v as f64)
}
