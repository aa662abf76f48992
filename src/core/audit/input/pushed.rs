//! Bytes pushed to a streaming audit, piece by piece, as a file's would be read: the first two
//! bytes decide whether the history is gzip (then its members are decompressed as they come) or
//! text, so the same bytes give the same report whether they are a file, a Buffer or pushed.

use std::io::{self, Write};

use flate2::write::MultiGzDecoder;

use super::gzip::GZIP_MAGIC;
use crate::core::audit::{AuditReport, Auditor};

/// A streaming audit's input: undecided until two bytes have come, then text or gzip.
pub struct PushedInput {
    state: State,
}

enum State {
    /// Fewer than two bytes so far (held, not yet audited).
    Undecided {
        auditor: Auditor,
        head: Vec<u8>,
    },
    Text(Auditor),
    Gzip(MultiGzDecoder<Decompressed>),
    /// The gzip stream broke: what came before was audited, the rest is not readable.
    Broken(Auditor),
    /// Only while a state is being replaced.
    Moving,
}

/// Where decompressed bytes go: into the auditor, which can be taken back out.
struct Decompressed(Option<Auditor>);

impl Write for Decompressed {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if let Some(auditor) = self.0.as_mut() {
            auditor.push(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl PushedInput {
    pub fn new(auditor: Auditor) -> Self {
        PushedInput {
            state: State::Undecided {
                auditor,
                head: Vec::new(),
            },
        }
    }

    /// Feeds bytes of the history, split anywhere.
    pub fn push(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.state = match std::mem::replace(&mut self.state, State::Moving) {
            State::Undecided { auditor, mut head } => {
                head.extend_from_slice(bytes);
                if head.len() < GZIP_MAGIC.len() && head.iter().zip(GZIP_MAGIC).all(|(a, b)| *a == b) {
                    State::Undecided { auditor, head }
                } else if head.starts_with(&GZIP_MAGIC) {
                    write_gzip(MultiGzDecoder::new(Decompressed(Some(auditor))), &head)
                } else {
                    let mut auditor = auditor;
                    auditor.push(&head);
                    State::Text(auditor)
                }
            }
            State::Text(mut auditor) => {
                auditor.push(bytes);
                State::Text(auditor)
            }
            State::Gzip(decoder) => write_gzip(decoder, bytes),
            broken => broken,
        };
    }

    /// The auditor, for what is fed to it directly (whole rows): held bytes that are no gzip
    /// start are text, and go first.
    pub fn auditor(&mut self) -> Option<&mut Auditor> {
        if matches!(&self.state, State::Undecided { head, .. } if !head.is_empty()) {
            self.state = match std::mem::replace(&mut self.state, State::Moving) {
                State::Undecided { mut auditor, head } => {
                    auditor.push(&head);
                    State::Text(auditor)
                }
                other => other,
            };
        }
        match &mut self.state {
            State::Undecided { auditor, .. } | State::Text(auditor) | State::Broken(auditor) => Some(auditor),
            State::Gzip(decoder) => decoder.get_mut().0.as_mut(),
            State::Moving => None,
        }
    }

    /// Ends the input: a gzip stream that stops inside a member is said to have ended early.
    pub fn finish(self) -> Option<AuditReport> {
        let auditor = match self.state {
            State::Undecided { mut auditor, head } => {
                auditor.push(&head);
                Some(auditor)
            }
            State::Text(auditor) | State::Broken(auditor) => Some(auditor),
            State::Gzip(mut decoder) => {
                let ended = decoder.try_finish().err();
                let mut auditor = decoder.get_mut().0.take();
                if let (Some(error), Some(auditor)) = (ended, auditor.as_mut()) {
                    auditor.ended_early(format!("gzip: {error}"));
                }
                auditor
            }
            State::Moving => None,
        };
        auditor.map(Auditor::finish)
    }
}

/// Writes compressed bytes on; a broken stream ends the gzip input, said as ended early.
fn write_gzip(mut decoder: MultiGzDecoder<Decompressed>, bytes: &[u8]) -> State {
    match decoder.write_all(bytes) {
        Ok(()) => State::Gzip(decoder),
        Err(error) => match decoder.get_mut().0.take() {
            Some(mut auditor) => {
                auditor.ended_early(format!("gzip: {error}"));
                State::Broken(auditor)
            }
            None => State::Moving,
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::core::audit::AuditOptions;

    const ROWS: &str = concat!(
        r#"{"company_id":"c","agent_id":"a","session_id_after":"s","created_at":1,"liveness_state":"failed","usage_json":{"sessionReused":true,"persistedSessionId":"s"}}"#,
        "\n",
        r#"{"company_id":"c","agent_id":"a","session_id_after":"s","created_at":2,"liveness_state":"failed","usage_json":{"sessionReused":true,"persistedSessionId":"s"}}"#,
        "\n"
    );

    fn gzip(text: &str) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(text.as_bytes()).unwrap();
        encoder.finish().unwrap()
    }

    fn pushed(bytes: &[u8], piece: usize) -> AuditReport {
        let mut input = PushedInput::new(Auditor::new(AuditOptions::default()));
        for chunk in bytes.chunks(piece) {
            input.push(chunk);
        }
        input.finish().unwrap()
    }

    #[test]
    fn gzip_pushed_in_any_pieces_reads_as_its_text() {
        let plain = pushed(ROWS.as_bytes(), 1 << 20);
        assert_eq!(plain.rows_used, 2);
        let compressed = gzip(ROWS);
        for piece in [1, 2, 3, 7, 1 << 20] {
            let report = pushed(&compressed, piece);
            assert_eq!((report.rows_used, report.rows_skipped), (2, 0), "pieces of {piece}");
        }
        // Two members, one after the other.
        let mut two = gzip(&ROWS[..ROWS.len() / 2]);
        two.extend(gzip(&ROWS[ROWS.len() / 2..]));
        assert_eq!(pushed(&two, 5).rows_used, 2);
    }

    #[test]
    fn a_gzip_stream_cut_short_ended_early() {
        let compressed = gzip(ROWS);
        let report = pushed(&compressed[..compressed.len() - 6], 4);
        assert!(report.rows_skipped >= 1);
    }

    #[test]
    fn one_byte_that_could_start_gzip_is_text_when_the_next_is_not() {
        let mut text = vec![0x1f];
        text.extend_from_slice(b"\n");
        text.extend_from_slice(ROWS.as_bytes());
        let report = pushed(&text, 1);
        assert_eq!(report.rows_used, 2);
    }
}
