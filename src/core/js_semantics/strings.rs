//! JavaScript's string rules on UTF-16 code units: ECMAScript whitespace and `trim()`, and
//! comparisons with ASCII words.

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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::core::model::fixtures::u;

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
}
