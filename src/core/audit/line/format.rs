//! A line to a row: plain JSON, or PostgreSQL's COPY text around it, told apart line by line
//! (the format decision lives here alone); the scanner first, serde_json when it is not sure,
//! lone surrogates marked; lines over the cap skipped unread.

use super::copy_text::{self, Escapes};
use super::row::{is_non_blank, Row, RowRule};
use super::scanner;
use super::serde_path::serde_fields;
use super::skip::{Skip, SkipReason};
use super::surrogates;

pub(crate) type Parsed<'a> = Result<Option<Row<'a>>, Skip>;

/// The text formats a history's lines come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Format {
    /// One JSON value per line (`row_to_json(r)::text`, `psql -At`).
    #[default]
    Json,
    /// PostgreSQL's COPY text format around the JSON (`COPY (SELECT row_to_json(r) …) TO`).
    CopyText,
}

/// One line, read.
pub(crate) struct Line<'a> {
    /// The row: as plain JSON, or as COPY text when only that reading parses.
    pub(crate) parsed: Parsed<'a>,
    /// A second reading, when the line is valid both ways and the rows differ: COPY text's.
    pub(crate) as_copy_text: Option<Row<'static>>,
    /// The format the line shows the input is in, when it reads one way only.
    pub(crate) shown_format: Option<Format>,
    /// Read as COPY text only, because the input was in COPY text when its chunk was parsed:
    /// were the format to change before the line is applied, it is read again, both ways.
    pub(crate) assumed_copy_text: bool,
    /// The line itself, to read again.
    pub(crate) raw: &'a [u8],
}

impl<'a> Line<'a> {
    /// A line skipped unread, for `reason` and its detail.
    pub(crate) fn skipped(reason: Skip) -> Line<'a> {
        Line {
            parsed: Err(reason),
            as_copy_text: None,
            shown_format: None,
            assumed_copy_text: false,
            raw: &[],
        }
    }

    /// The line's row, for an input in `format`.
    pub(crate) fn row(self, format: Format) -> Parsed<'a> {
        match (format, self.as_copy_text) {
            (Format::CopyText, Some(row)) => Ok(Some(row)),
            _ => self.parsed,
        }
    }
}

/// Why a line over the length cap (`max_bytes`) is skipped, and the detail.
pub(crate) fn too_long(max_bytes: usize) -> Skip {
    Skip::new(SkipReason::LineTooLong, format!("over {max_bytes} bytes"))
}

/// The lines of `text`, split at each `\n` (the last one may be empty), found with memchr.
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len()));
    std::iter::from_fn(move || {
        let end = ends.next()?;
        let line = text.get(start..end).unwrap_or_default();
        start = end + 1;
        Some(line)
    })
}

/// Reads whole lines; one longer than `max_bytes` is skipped unread.
pub(crate) fn parse_lines<'a>(text: &'a [u8], max_bytes: usize, format: Format, rule: &RowRule) -> Vec<Line<'a>> {
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    if body.is_empty() && text.is_empty() {
        return Vec::new();
    }
    lines(body)
        .map(|line| {
            if line.len() > max_bytes {
                Line::skipped(too_long(max_bytes))
            } else {
                read_line(line, format, rule)
            }
        })
        .collect()
}

/// Reads a line as plain JSON and, when its backslashes allow, as COPY text.
pub(crate) fn read_line<'a>(line: &'a [u8], format: Format, rule: &RowRule) -> Line<'a> {
    let raw = line;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let plain = |parsed| Line {
        parsed,
        as_copy_text: None,
        shown_format: None,
        assumed_copy_text: false,
        raw,
    };
    match copy_text::escapes(line) {
        Escapes::None => plain(parse_line(line, rule)),
        Escapes::NotCopy => Line {
            shown_format: Some(Format::Json),
            ..plain(parse_line(line, rule))
        },
        Escapes::CopyLike => {
            let unescaped = copy_text::unescape(line);
            let as_copy_text = parse_line(&unescaped, rule).map(|row| row.map(Row::into_owned));
            // In a COPY text input a valid COPY reading is the row whatever the plain one says
            // (it could only confirm the format): the plain reading is skipped.
            if format == Format::CopyText && as_copy_text.is_ok() {
                return Line {
                    assumed_copy_text: true,
                    ..plain(as_copy_text)
                };
            }
            match (parse_line(line, rule), as_copy_text) {
                (Ok(row), Ok(copy_row)) if row == copy_row => plain(Ok(row)),
                (Ok(row), Ok(copy_row)) => Line {
                    parsed: Ok(row),
                    // Both readings are rows here, or both are blank, which compare equal.
                    as_copy_text: copy_row,
                    ..plain(Ok(None))
                },
                (Ok(row), Err(_)) => Line {
                    shown_format: Some(Format::Json),
                    ..plain(Ok(row))
                },
                (Err(_), Ok(copy_row)) => Line {
                    shown_format: Some(Format::CopyText),
                    ..plain(Ok(copy_row))
                },
                // Neither reading is a row. When only one is JSON at all, the line shows the
                // format, and that reading says why it is skipped.
                (Err(plain_error), Err(copy_error)) => match (plain_error.is_malformed(), copy_error.is_malformed()) {
                    (true, false) => Line {
                        shown_format: Some(Format::CopyText),
                        ..plain(Err(copy_error))
                    },
                    (false, true) => Line {
                        shown_format: Some(Format::Json),
                        ..plain(Err(plain_error))
                    },
                    _ if format == Format::CopyText => plain(Err(copy_error)),
                    _ => plain(Err(plain_error)),
                },
            }
        }
    }
}

fn parse_line<'a>(line: &'a [u8], rule: &RowRule) -> Parsed<'a> {
    // Blank as `line.trim() === ""` is: ASCII whitespace, or (rarely) Unicode spaces.
    match line.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Ok(None),
        Some(&b) if b >= 0x80 && std::str::from_utf8(line).is_ok_and(|s| !is_non_blank(s)) => return Ok(None),
        Some(_) => {}
    }
    if let Some(fields) = scanner::scan(line) {
        return fields.into_row(rule).map(Some);
    }
    // A lone surrogate, which JSON.parse reads and a `str` cannot hold, is read marked.
    if let Some(marked) = surrogates::mark_line(line) {
        return serde_fields(&marked)?.into_row(rule).map(|row| Some(row.into_owned()));
    }
    serde_fields(line)?.into_row(rule).map(Some)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_skipped_copy_text_line_says_why_its_copy_reading_is_skipped() {
        // COPY text of a JSON row without a time: only the COPY reading is JSON at all.
        let line = br#"{"copy":"\\"","company_id":"c","agent_id":"a","created_at":null}"#;
        for format in [Format::Json, Format::CopyText] {
            let read = read_line(line, format, &RowRule::default());
            assert_eq!(read.shown_format, Some(Format::CopyText));
            assert_eq!(
                read.parsed.map(|_| ()).unwrap_err().reason,
                SkipReason::CreatedAtMissing
            );
        }
        // Plain JSON without a time whose COPY reading is not JSON: the plain reason.
        let plain = br#"{"note":"a\"b","company_id":"c","agent_id":"a"}"#;
        let read = read_line(plain, Format::CopyText, &RowRule::default());
        assert_eq!(read.shown_format, Some(Format::Json));
        assert_eq!(
            read.parsed.map(|_| ()).unwrap_err().reason,
            SkipReason::CreatedAtMissing
        );
    }

    fn row(fields: &str) -> Parsed<'_> {
        parse_line(fields.as_bytes(), &RowRule::default())
    }

    fn created_at(text: &str) -> Option<f64> {
        let line = format!(r#"{{"company_id":"c","agent_id":"a","created_at":"{text}"}}"#);
        parse_line(line.as_bytes(), &RowRule::default())
            .ok()
            .flatten()
            .map(|r| r.created_at)
    }

    #[test]
    fn reads_times_as_postgres_prints_them() {
        let midnight = 1_780_272_000_000.0;
        assert_eq!(created_at("2026-06-01 00:00:00+00"), Some(midnight));
        assert_eq!(created_at("2026-06-01 05:31:00+0530"), Some(midnight + 60_000.0));
        assert_eq!(
            created_at("2026-06-01 05:31:00.123456+05:30"),
            Some(midnight + 60_123.0)
        );
        assert_eq!(created_at("2026-05-31 16:00:00-08"), Some(midnight));
        assert_eq!(created_at("2026-06-01T05:30:00.123456+05:30"), Some(midnight + 123.0));
        // Forms Date.parse reads as NaN, or in the process's own time zone: not a time here.
        assert_eq!(created_at("2026-06-01 00:00:00+05:30:15"), None);
        assert_eq!(created_at("2026-06-01 00:00:00"), None);
        assert_eq!(created_at("2026-06-01 12:00:00+00 BC"), None);
    }

    #[test]
    fn reads_numbers_past_f64s_range_as_json_parse_does() {
        let dead = |tokens: &str| {
            let line = format!(
                r#"{{"company_id":"c","agent_id":"a","session_id_after":"s","created_at":0,"liveness_state":"failed","usage_json":{{"sessionReused":true,"persistedSessionId":"s","inputTokens":{tokens}}}}}"#
            );
            parse_line(line.as_bytes(), &RowRule::default()).map(|r| r.map(|r| r.dead))
        };
        assert_eq!(dead("0"), Ok(Some(true)));
        assert_eq!(dead("1e-400"), Ok(Some(true)));
        // JSON.parse reads Infinity, which the breaker counts as no tokens at all.
        assert_eq!(dead("1e400"), Ok(Some(true)));
        assert_eq!(dead("-1e400"), Ok(Some(true)));
        assert_eq!(dead("12").unwrap(), Some(false));
        let infinite = row(r#"{"company_id":"c","agent_id":"a","created_at":1e400}"#).unwrap_err();
        // The detail is in JavaScript's words, never Rust's debug text.
        assert_eq!(infinite.detail, "Infinity");
        assert_eq!(
            row(r#"{"company_id":"c","agent_id":"a","created_at":"yesterday"}"#)
                .unwrap_err()
                .detail,
            r#""yesterday""#
        );
        assert_eq!(row(r#"{"company_id":42,"agent_id":"a"}"#).unwrap_err().detail, "42");
        assert_eq!(
            row(r#"{"company_id":"c","agent_id":"a","created_at":1e400}"#)
                .unwrap_err()
                .reason,
            SkipReason::CreatedAtMissing
        );
        assert_eq!(
            row(r#"{"company_id":"c","agent_id":"a","created_at":1e400"#)
                .unwrap_err()
                .reason,
            SkipReason::MalformedJson
        );
    }
}
