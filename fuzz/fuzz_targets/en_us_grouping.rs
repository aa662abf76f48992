//! `n.toLocaleString("en-US")`: never panics; integers below 2^53 are differential against
//! plain integer formatting with thousands separators; every finite result reads back as
//! the value rounded to 3 fraction digits.
#![no_main]
use libfuzzer_sys::fuzz_target;
use paperclip_session_compaction::core::js_semantics::number_to_en_us;

fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fuzz_target!(|bits: u64| {
    let x = f64::from_bits(bits);
    let text = number_to_en_us(x);
    if !x.is_finite() {
        return;
    }
    // (-0 prints as "-0" in JavaScript, as it does here.)
    if x.is_sign_positive() && x.fract() == 0.0 && x < 9007199254740992.0 {
        assert_eq!(text, grouped(x as u64));
    }
    let plain: String = text.chars().filter(|&c| c != ',').collect();
    let back: f64 = plain.parse().expect("a decimal number");
    let tolerance = 0.0005 + x.abs() * 1e-15;
    assert!((back - x).abs() <= tolerance, "{x} printed as {text}");
});
