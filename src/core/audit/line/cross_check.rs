//! The scanner held to serde_json: for the fuzz target and the scanner's property tests.

use super::copy_text;
use super::scanner::scan;
use super::serde_path::serde_fields;

/// For the fuzz target: `Err` when the scanner answers for `line`, or for the line COPY text's
/// escapes make of it, and serde_json's answer differs (its fields, or a verdict where the
/// scanner gave fields).
pub fn check_against_serde(line: &[u8]) -> Result<(), String> {
    let check = |line: &[u8]| match scan(line) {
        None => Ok(()),
        Some(fields) => match serde_fields(line) {
            Ok(theirs) if theirs == fields => Ok(()),
            other => Err(format!(
                "line {:?}\nscanner {fields:?}\nserde {other:?}",
                String::from_utf8_lossy(line)
            )),
        },
    };
    check(line)?;
    if copy_text::escapes(line) == copy_text::Escapes::CopyLike {
        check(&copy_text::unescape(line))?;
    }
    Ok(())
}
