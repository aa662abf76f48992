//! Lone surrogates in a history's strings. `JSON.parse` reads `"\ud800"` (a surrogate escape
//! with no partner) as a string of one UTF-16 code unit, which no Rust `str` can hold. The audit
//! keeps such a string in a marked form instead: each lone surrogate becomes [`MARK`] followed by
//! a character that names it, and a `MARK` in the data is written twice. The mapping is
//! one-to-one, so marked strings compare, hash and sort as the JavaScript strings they stand
//! for compare for equality, and [`unmarked_units`] gives those strings back, unit for unit.
//!
//! Only lines that need it are marked: those holding a lone surrogate escape or a `MARK` of
//! their own (a noncharacter, U+10FFFF), which the fast scanner leaves to this path.

/// Starts the mark of a lone surrogate, or (doubled) stands for itself.
pub const MARK: char = '\u{10FFFF}';
/// [`MARK`] in UTF-8.
pub(crate) const MARK_UTF8: [u8; 4] = [0xF4, 0x8F, 0xBF, 0xBF];
/// Lone surrogate `0xD800 + k` is marked `MARK, char::from(NAMES + k)` (plane 16).
const NAMES: u32 = 0x10_0000;
const SURROGATES: std::ops::Range<u32> = 0xD800..0xE000;

/// `line` with each lone surrogate escape (`\ud800`, a `\udc00` with no high surrogate before
/// it) written as its mark, and each `MARK` (raw, or escaped as a surrogate pair) doubled; `None`
/// when there is nothing to mark. Escapes are followed as JSON reads them (`\\ud800` is a
/// backslash, then text), and nothing else changes: a line that was not JSON is still not.
pub(crate) fn mark_line(line: &[u8]) -> Option<Vec<u8>> {
    let mut out = Rewrite {
        line,
        out: None,
        copied: 0,
    };
    let mut at = 0;
    while let Some(offset) = memchr::memchr2(b'\\', MARK_UTF8[0], line.get(at..).unwrap_or_default()) {
        at += offset;
        if line.get(at..at + 4) == Some(&MARK_UTF8[..]) {
            out.replace(at..at + 4, &[MARK_UTF8, MARK_UTF8].concat());
            at += 4;
            continue;
        }
        if line.get(at) != Some(&b'\\') {
            at += 1;
            continue;
        }
        let Some(code) = escaped_unit(line, at) else {
            at += 2; // another escape (or none): two bytes, whatever they are
            continue;
        };
        if !SURROGATES.contains(&u32::from(code)) {
            at += 6;
            continue;
        }
        let low = escaped_unit(line, at + 6).filter(|low| (0xDC00..0xE000).contains(low));
        match low {
            Some(low) if code < 0xDC00 => {
                let pair = 0x1_0000 + ((u32::from(code) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                if pair == u32::from(MARK) {
                    out.replace(at..at + 12, &[MARK_UTF8, MARK_UTF8].concat());
                }
                at += 12;
            }
            _ => {
                let mut marked = [0u8; 8];
                let text = marked_lone(code, &mut marked);
                out.replace(at..at + 6, text);
                at += 6;
            }
        }
    }
    out.finish()
}

/// A line being rewritten: copied up to `copied`, in `out` once the first change begins it.
struct Rewrite<'l> {
    line: &'l [u8],
    out: Option<Vec<u8>>,
    copied: usize,
}

impl Rewrite<'_> {
    fn replace(&mut self, span: std::ops::Range<usize>, with: &[u8]) {
        let line = self.line;
        let out = self.out.get_or_insert_with(|| Vec::with_capacity(line.len() + 16));
        out.extend_from_slice(line.get(self.copied..span.start).unwrap_or_default());
        out.extend_from_slice(with);
        self.copied = span.end;
    }

    fn finish(self) -> Option<Vec<u8>> {
        let mut out = self.out?;
        out.extend_from_slice(self.line.get(self.copied..).unwrap_or_default());
        Some(out)
    }
}

/// The code unit of a `\uXXXX` escape at `at`, if one is there.
fn escaped_unit(line: &[u8], at: usize) -> Option<u16> {
    let escape = line.get(at..at + 6)?;
    if escape.get(..2)? != b"\\u" {
        return None;
    }
    let hex = std::str::from_utf8(escape.get(2..)?).ok()?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(hex, 16).ok()
}

/// [`mark_line`], for the fuzz target.
#[cfg(feature = "model")]
pub fn mark_line_for_fuzzing(line: &[u8]) -> Option<Vec<u8>> {
    mark_line(line)
}

/// The UTF-8 of a lone surrogate's mark, written into `buffer`.
fn marked_lone(unit: u16, buffer: &mut [u8; 8]) -> &[u8] {
    let name = char::from_u32(NAMES + (u32::from(unit) - 0xD800)).unwrap_or(char::REPLACEMENT_CHARACTER);
    let (mark, rest) = buffer.split_at_mut(4);
    MARK.encode_utf8(mark);
    let written = name.encode_utf8(rest).len();
    buffer.get(..4 + written).unwrap_or_default()
}

/// A JavaScript string (UTF-16, lone surrogates and all) in the marked form.
pub fn mark_units(units: &[u16]) -> String {
    let mut text = String::with_capacity(units.len());
    for decoded in char::decode_utf16(units.iter().copied()) {
        match decoded {
            Ok(MARK) => {
                text.push(MARK);
                text.push(MARK);
            }
            Ok(c) => text.push(c),
            Err(lone) => {
                text.push(MARK);
                text.push(char::from_u32(NAMES + (u32::from(lone.unpaired_surrogate()) - 0xD800)).unwrap_or(MARK));
            }
        }
    }
    text
}

/// Whether a string holds a mark: only then do its UTF-16 units differ from its own.
pub fn is_marked(text: &str) -> bool {
    text.contains(MARK)
}

/// The UTF-16 code units of the JavaScript string a marked string stands for.
pub fn unmarked_units(text: &str) -> impl Iterator<Item = u16> + '_ {
    let mut chars = text.chars().peekable();
    std::iter::from_fn(move || {
        let c = chars.next()?;
        if c != MARK {
            return Some(Unit::Char(c));
        }
        let lone = chars
            .peek()
            .and_then(|&name| u32::from(name).checked_sub(NAMES))
            .filter(|k| *k < 0x800);
        Some(match lone {
            Some(k) => {
                chars.next();
                Unit::Lone(0xD800 + k as u16)
            }
            // `MARK MARK`, or (never written here) a `MARK` on its own: the character itself.
            None => {
                chars.next_if_eq(&MARK);
                Unit::Char(MARK)
            }
        })
    })
    .flat_map(Unit::units)
}

/// What one marked piece stands for.
enum Unit {
    Char(char),
    Lone(u16),
}

impl Unit {
    fn units(self) -> impl Iterator<Item = u16> {
        let mut buffer = [0u16; 2];
        let length = match self {
            Unit::Char(c) => c.encode_utf16(&mut buffer).len(),
            Unit::Lone(unit) => {
                buffer = [unit, 0];
                1
            }
        };
        buffer.into_iter().take(length)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// What JSON.parse reads from a JSON string literal, as UTF-16 (written out by hand).
    fn units(text: &str) -> Vec<u16> {
        text.encode_utf16().collect()
    }

    fn read(line: &str) -> Vec<u16> {
        let marked = mark_line(line.as_bytes()).unwrap_or_else(|| line.as_bytes().to_vec());
        let value: String = serde_json::from_slice(&marked).unwrap();
        unmarked_units(&value).collect()
    }

    #[test]
    fn lone_surrogates_read_as_json_parse_reads_them() {
        assert_eq!(read(r#""a\ud800b""#), vec![0x61, 0xD800, 0x62]);
        assert_eq!(read(r#""\udfff""#), vec![0xDFFF]);
        // A reversed pair is two lone surrogates.
        assert_eq!(read(r#""\udc00\ud800""#), vec![0xDC00, 0xD800]);
        // A proper pair stays one character; a high surrogate before a non-surrogate is lone.
        assert_eq!(read(r#""\ud83d\ude00""#), units("😀"));
        assert_eq!(read(r#""\ud83d\u0041""#), vec![0xD83D, 0x41]);
        // An escaped backslash, then text: nothing to mark.
        assert_eq!(mark_line(br#""\\ud800""#), None);
        assert_eq!(read(r#""\\ud800""#), units("\\ud800"));
        assert_eq!(mark_line(br#"{"a":"plain"}"#), None);
    }

    #[test]
    fn a_mark_in_the_data_stands_for_itself() {
        let raw = format!("\"x{MARK}\\ud800\"");
        assert_eq!(read(&raw), vec![0x78, 0xDBFF, 0xDFFF, 0xD800]);
        assert_eq!(read(r#""\udbff\udfff""#), vec![0xDBFF, 0xDFFF]);
        // Marked, the strings "\u{10FFFF}" + X and a lone surrogate never meet.
        let lone: String = serde_json::from_slice(&mark_line(br#""\ud800""#).unwrap()).unwrap();
        let pair: String =
            serde_json::from_slice(&mark_line(format!("\"{MARK}\u{100000}\"").as_bytes()).unwrap()).unwrap();
        assert_ne!(lone, pair);
    }

    #[test]
    fn marking_units_agrees_with_marking_a_line() {
        for text in [r#""a\ud800b""#, r#""\udc00\ud800""#, r#""\udbff\udfff""#, r#""plain""#] {
            let from_line: String =
                serde_json::from_slice(&mark_line(text.as_bytes()).unwrap_or_else(|| text.as_bytes().to_vec()))
                    .unwrap();
            let units: Vec<u16> = unmarked_units(&from_line).collect();
            assert_eq!(mark_units(&units), from_line, "{text}");
        }
    }
}
