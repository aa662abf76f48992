//! PostgreSQL's COPY text format, as `COPY (SELECT row_to_json(r) …) TO STDOUT` writes it: one
//! column per line, with backslash, newline, carriage return, tab, backspace, form feed and
//! vertical tab written as `\\`, `\n`, `\r`, `\t`, `\b`, `\f` and `\v`.

/// What a line's backslashes allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escapes {
    /// No backslash: the line reads the same in both formats.
    None,
    /// Every backslash starts an escape COPY writes: the line may be COPY text.
    CopyLike,
    /// Some backslash starts an escape COPY never writes (`\"`, `\u`, `\/`, a final `\`):
    /// the line is plain JSON.
    NotCopy,
}

/// Sorts a line by its backslashes.
pub(crate) fn escapes(line: &[u8]) -> Escapes {
    let mut rest = line;
    let mut seen = false;
    while let Some(at) = memchr::memchr(b'\\', rest) {
        seen = true;
        match rest.get(at + 1) {
            Some(b'\\' | b'n' | b'r' | b't' | b'b' | b'f' | b'v') => rest = rest.get(at + 2..).unwrap_or_default(),
            _ => return Escapes::NotCopy,
        }
    }
    if seen {
        Escapes::CopyLike
    } else {
        Escapes::None
    }
}

/// Undoes COPY's escapes in a line whose [`escapes`] are `CopyLike`.
pub(crate) fn unescape(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut bytes = line.iter();
    while let Some(&b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b't') => out.push(b'\t'),
            Some(b'b') => out.push(0x08),
            Some(b'f') => out.push(0x0c),
            Some(b'v') => out.push(0x0b),
            Some(&other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_lines_by_their_backslashes() {
        assert_eq!(escapes(br#"{"a":"b"}"#), Escapes::None);
        assert_eq!(escapes(br#"{"a":"say \\"hi\\""}"#), Escapes::CopyLike);
        assert_eq!(escapes(br#"{"a":"x\\ny\\\\z"}"#), Escapes::CopyLike);
        assert_eq!(escapes(br#"{"a":"say \"hi\""}"#), Escapes::NotCopy);
        assert_eq!(escapes(br#"{"a":"\u00e9"}"#), Escapes::NotCopy);
        assert_eq!(escapes(br#"{"a":"\\\"}"#), Escapes::NotCopy);
        assert_eq!(escapes(b"ends in \\"), Escapes::NotCopy);
    }

    #[test]
    fn undoes_every_escape_copy_writes() {
        assert_eq!(unescape(br"a\\b\nc\rd\te\bf\fg\vh"), b"a\\b\nc\rd\te\x08f\x0cg\x0bh");
        assert_eq!(
            unescape(br#"{"a":"say \\"hi\\"","b":"\\ud800"}"#),
            br#"{"a":"say \"hi\"","b":"\ud800"}"#
        );
    }
}
