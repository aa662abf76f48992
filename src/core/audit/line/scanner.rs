//! A fast reader of a row's line that looks only at the fields the audit needs and skips every
//! other value, checking what it skips as strictly as serde_json would. It answers only when it
//! is sure serde_json would give the same fields; anything else (an escape in a field it reads,
//! a `\u` surrogate escape, deep nesting, invalid UTF-8, any syntax error) is left to
//! serde_json, which then gives the verdict and its message.

use std::borrow::Cow;

use super::fields::{Context, ContextField, RowField, RowFields, Scalar, Usage, UsageField};
use super::search::{next_special, string_end};

/// Nesting past this is left to serde_json (its own limit is 128).
const MAX_DEPTH: usize = 100;

/// The fields of `line`, or `None` when serde_json must decide.
pub(crate) fn scan(line: &[u8]) -> Option<RowFields<'_>> {
    // Most lines hold no raw control character at all (JSON escapes them): their strings then
    // need only a search for the quote and the backslash.
    let controls = line.iter().fold(false, |seen, &b| seen | (b < 0x20));
    let mut s = Scanner {
        bytes: line,
        at: 0,
        controls,
    };
    s.whitespace();
    let fields = s.row()?;
    s.whitespace();
    (s.at == line.len()).then_some(fields)
}

/// How an object's keys are taken: read (the audit's own objects: plain strings, borrowed),
/// checked (serde_json reads them as strings: any escape, valid UTF-8), or skipped (serde_json
/// ignores them: any bytes but control characters).
#[derive(Clone, Copy)]
enum Keys {
    Read,
    Checked,
    Skipped,
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    /// The line holds a byte below 0x20 somewhere (whitespace, or a string's error).
    controls: bool,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    /// The top-level object, its members read or skipped.
    fn row(&mut self) -> Option<RowFields<'a>> {
        let mut row = RowFields {
            object: true,
            ..RowFields::default()
        };
        self.members(Keys::Read, |s, key| {
            match RowField::of_key(key) {
                Some(RowField::UsageJson) => row.usage = s.usage()?,
                Some(RowField::ContextSnapshot) => row.context = s.context()?,
                Some(RowField::Scalar(field)) => *row.scalar_mut(field) = s.scalar()?,
                None => s.skip(0)?,
            }
            Some(())
        })?;
        Some(row)
    }

    /// `{ "key": value, … }`, each value handed to `member` (later duplicates overwrite), its
    /// keys taken as `keys` says.
    fn members(&mut self, keys: Keys, mut member: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.list(b'{', b'}', |s| {
            let key = match keys {
                Keys::Read => s.key()?,
                Keys::Checked => s.checked_string().map(|()| &b""[..])?,
                Keys::Skipped => s.skip_string().map(|()| &b""[..])?,
            };
            s.whitespace();
            s.eat(b':')?;
            s.whitespace();
            member(s, key)
        })
    }

    /// `open item, item, … close`, with JSON's whitespace between the parts.
    fn list(&mut self, open: u8, close: u8, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(open)?;
        self.whitespace();
        if self.eat(close).is_some() {
            return Some(());
        }
        loop {
            self.whitespace();
            item(self)?;
            self.whitespace();
            match self.peek()? {
                b',' => self.at += 1,
                b if b == close => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A usage record: an object's fields the breaker reads, or what else the value is.
    fn usage(&mut self) -> Option<Usage<'a>> {
        match self.peek()? {
            b'{' => {
                let mut usage = Usage {
                    record: true,
                    given: true,
                    ..Usage::default()
                };
                self.members(Keys::Read, |s, key| {
                    match UsageField::of_key(key).and_then(|field| usage.scalar_mut(field)) {
                        Some(slot) => *slot = s.scalar()?,
                        None => s.skip(1)?,
                    }
                    Some(())
                })?;
                Some(usage)
            }
            b'n' => self.literal("null").map(|()| Usage::default()),
            b'"' => {
                // serde_json reads this string (to find it is not a record): its UTF-8 counts.
                self.checked_string()?;
                Some(Usage {
                    given: true,
                    ..Usage::default()
                })
            }
            _ => {
                self.skip(0)?;
                Some(Usage {
                    given: true,
                    ..Usage::default()
                })
            }
        }
    }

    /// A context snapshot: an object's rotation keys, or nothing from any other value.
    fn context(&mut self) -> Option<Context<'a>> {
        let mut context = Context::default();
        if self.peek()? != b'{' {
            self.skip(0)?;
            return Some(context);
        }
        self.members(Keys::Read, |s, key| {
            match ContextField::of_key(key) {
                Some(field) => *context.scalar_mut(field) = s.scalar()?,
                None => s.skip(1)?,
            }
            Some(())
        })?;
        Some(context)
    }

    /// A value where the audit reads one.
    fn scalar(&mut self) -> Option<Scalar<'a>> {
        match self.peek()? {
            b'"' => self.plain_string().map(|s| Scalar::Str(Cow::Borrowed(s))),
            b't' => self.literal("true").map(|()| Scalar::Bool(true)),
            b'f' => self.literal("false").map(|()| Scalar::Bool(false)),
            b'n' => self.literal("null").map(|()| Scalar::Null),
            // serde_json reads an object's keys here (as strings: UTF-8 checked), not its values.
            b'{' => self.members(Keys::Checked, |s, _| s.skip(1)).map(|()| Scalar::Other),
            b'[' => self.skip(0).map(|()| Scalar::Other),
            _ => {
                let text = self.number()?;
                // serde_json's own conversion, so the value is exactly its value; past f64's
                // range it refuses, and serde_json's path reads the line again as JS does.
                serde_json::from_slice::<f64>(text).ok().map(Scalar::Number)
            }
        }
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word.as_bytes()).then(|| self.at = end)
    }

    /// A key the audit reads, as its bytes: a plain string (see [`Scanner::plain_bytes`]) whose
    /// UTF-8 is checked only when it holds a byte past ASCII, as keys are many and short.
    fn key(&mut self) -> Option<&'a [u8]> {
        let key = self.plain_bytes()?;
        (key.is_ascii() || std::str::from_utf8(key).is_ok()).then_some(key)
    }

    /// A string with no backslash, borrowed; one with escapes is left to serde_json, and one
    /// holding a byte that may begin a `MARK` of its own to the marking path (`surrogates`).
    fn plain_string(&mut self) -> Option<&'a str> {
        let bytes = self.plain_bytes()?;
        if bytes.is_ascii() {
            // ASCII (nearly every id) is UTF-8 and holds no `MARK`.
            return std::str::from_utf8(bytes).ok();
        }
        if bytes.contains(&super::surrogates::MARK_UTF8[0]) {
            return None;
        }
        std::str::from_utf8(bytes).ok()
    }

    /// The bytes of a string with no backslash and no control character, unchecked as UTF-8.
    fn plain_bytes(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.at;
        let rest = self.bytes.get(start..)?;
        let end = start + next_special(rest, self.controls)?;
        if self.bytes.get(end) != Some(&b'"') {
            return None;
        }
        let content = self.bytes.get(start..end)?;
        self.at = end + 1;
        Some(content)
    }

    /// A string serde_json reads but the audit does not need: skipped, its UTF-8 checked.
    fn checked_string(&mut self) -> Option<()> {
        let start = self.at;
        self.skip_string()?;
        std::str::from_utf8(self.bytes.get(start..self.at)?).ok().map(|_| ())
    }

    /// Skips a string, checking its escapes and characters as serde_json does.
    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        if !self.controls {
            if let Some(end) = string_end(self.bytes, self.at) {
                self.at = end;
                return Some(());
            }
        }
        self.skip_string_by_escapes()
    }

    /// The rest of a string, one escape at a time.
    fn skip_string_by_escapes(&mut self) -> Option<()> {
        loop {
            let rest = self.bytes.get(self.at..)?;
            self.at += next_special(rest, self.controls)?;
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => self.at += 1,
                _ => return None, // a control character
            }
            match self.peek()? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                b'u' => {
                    let hex = self.bytes.get(self.at + 1..self.at + 5)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    let code = u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                    // Surrogate escapes (paired or lone) are serde_json's to judge.
                    if (0xD800..0xE000).contains(&code) {
                        return None;
                    }
                    self.at += 5;
                }
                _ => return None,
            }
        }
    }

    /// A JSON number's text, by the grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<&'a [u8]> {
        let start = self.at;
        self.eat(b'-');
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat(b'.').is_some() {
            self.some_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.some_digits()?;
        }
        self.bytes.get(start..self.at)
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }

    fn some_digits(&mut self) -> Option<()> {
        let start = self.at;
        self.digits();
        (self.at > start).then_some(())
    }

    /// Skips any value, checked; `depth` is how deep it sits.
    fn skip(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' => self.members(Keys::Skipped, |s, _| s.skip(depth + 1)),
            b'[' => self.list(b'[', b']', |s| s.skip(depth + 1)),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => self.number().map(|_| ()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::super::copy_text;
    use super::super::cross_check::check_against_serde;
    use super::super::serde_path::serde_fields;
    use super::*;
    use crate::core::audit::test_support::{Lines, XorShift};

    /// `line` as PostgreSQL's COPY text writes a column: backslashes doubled, and line feed,
    /// carriage return, tab, backspace, form feed and vertical tab as escapes.
    fn copy_text_of(line: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(line.len() + 16);
        for &b in line {
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                0x0b => out.extend_from_slice(b"\\v"),
                other => out.push(other),
            }
        }
        out
    }

    #[test]
    fn the_scanner_answers_only_as_serde_json_would_on_generated_lines_plain_and_copy_text() {
        let mut lines = Lines::new(0x5eed);
        let mut answered = 0;
        let mut copy_readings = 0;
        // Under valgrind (npm test's second run of these tests) a smaller sample does.
        let count = if std::env::var_os("PCSC_UNDER_VALGRIND").is_some() {
            2_000
        } else {
            40_000
        };
        for _ in 0..count {
            let line = lines.line();
            // The line, and the same line as COPY text writes it (both its readings).
            check_against_serde(&line).unwrap();
            answered += usize::from(scan(&line).is_some());
            let copy = copy_text_of(&line);
            check_against_serde(&copy).unwrap();
            if copy_text::escapes(&copy) == copy_text::Escapes::CopyLike {
                copy_readings += usize::from(scan(&copy_text::unescape(&copy)).is_some());
            }
        }
        // It must not leave everything to serde_json: most generated rows are plain enough, and
        // the COPY readings are reached too.
        assert!(answered > count / 8, "the scanner answered {answered} of {count}");
        assert!(
            copy_readings > count / 100,
            "the scanner answered {copy_readings} COPY readings of {count}"
        );
    }

    #[test]
    fn finds_the_first_quote_backslash_or_control_at_every_position() {
        // Bytes next to the special ones in value, and past ASCII, around which a word-at-a-time
        // test could be fooled.
        let fillers = [b'a', 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff];
        let mut random = XorShift::new(7);
        let mut next = || random.next() as usize;
        // Past 64 bytes the search changes hands (to memchr, or on in blocks).
        for len in 0..160 {
            let mut bytes: Vec<u8> = (0..len).map(|_| fillers[next() % fillers.len()]).collect();
            assert_eq!(next_special(&bytes, true), None, "{bytes:?}");
            assert_eq!(next_special(&bytes, false), None, "{bytes:?}");
            for at in 0..len {
                for special in [b'"', b'\\', 0x00, 0x01, 0x09, 0x0a, 0x1f] {
                    let kept = bytes[at];
                    bytes[at] = special;
                    // A second special later must not be the one found.
                    let later = at + 1 + next() % (len - at);
                    let kept_later = bytes.get(later).copied();
                    if later < len {
                        bytes[later] = [b'"', b'\\', 0x00][next() % 3];
                    }
                    assert_eq!(next_special(&bytes, true), Some(at), "{bytes:?}");
                    if special >= 0x20 {
                        // A line with no control character in it at all is searched for the rest.
                        let no_controls: Vec<u8> = bytes.iter().map(|&b| if b < 0x20 { b'"' } else { b }).collect();
                        assert_eq!(next_special(&no_controls, false), Some(at), "{no_controls:?}");
                    }
                    bytes[at] = kept;
                    if let Some(b) = kept_later {
                        bytes[later] = b;
                    }
                }
            }
        }
    }

    #[test]
    fn strings_found_in_blocks_end_where_escape_by_escape_they_do() {
        let pieces = [
            "a", "é", "✓", " ", "\\\"", "\\\\", "\\n", "\\t", "\\/", "\\u0041", "\\x", "\\", "\"", "\\\\\\",
        ];
        let mut random = XorShift::new(11);
        let mut next = |n: usize| random.below(n as u64);
        let mut answered = 0;
        for _ in 0..20_000 {
            let mut line = String::from("\"");
            let plain_run = "b".repeat(next(70));
            for _ in 0..next(60) {
                line.push_str(if next(4) == 0 {
                    &plain_run
                } else {
                    pieces[next(pieces.len())]
                });
            }
            line.push_str(["\"", "\",\"k\":\"x\\\\y\"}", "\"\\q", ""][next(4)]);
            let bytes = line.as_bytes();
            let mut by_escapes = Scanner {
                bytes,
                at: 1,
                controls: false,
            };
            let slow = by_escapes.skip_string_by_escapes().map(|()| by_escapes.at);
            if let Some(end) = string_end(bytes, 1) {
                answered += 1;
                assert_eq!(Some(end), slow, "{line:?}");
            }
        }
        // The blocks answer for most strings; the rest (`\u`, bad escapes) go escape by escape.
        assert!(answered > 5_000, "{answered}");
    }

    #[test]
    fn reads_a_full_row_without_serde_json() {
        let line = br#"{"id":"r","company_id":"c","agent_id":"a","session_id_before":"s","session_id_after":"s","created_at":"2026-06-01T00:00:00.123456+00:00","liveness_state":"failed","usage_json":{"sessionReused":true,"persistedSessionId":"s","inputTokens":0,"model":"m"},"stdout_excerpt":"say \"hi\"\n\\ok \u00e9","context_snapshot":{"a":[1,2.5e3,{"b":null}],"c":true}}"#;
        let fields = scan(line).unwrap();
        assert_eq!(Some(fields), serde_fields(line).ok());
    }
}
