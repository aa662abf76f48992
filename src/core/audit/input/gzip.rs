//! A gzip file as `gzip -d` reads it: one member after another, and after the last one either
//! the end of the input or zero bytes up to it (the padding tape drives and block devices
//! leave), which end the stream as cleanly as the end itself.

use std::io::{self, BufRead, Read};

use flate2::bufread::GzDecoder;

/// The first two bytes of a gzip stream.
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The members of a gzip stream, decompressed one after another.
pub(crate) struct GzipMembers<R: BufRead> {
    state: State<R>,
}

enum State<R: BufRead> {
    /// Inside a member.
    Member(GzDecoder<R>),
    /// After the last member.
    Done,
}

impl<R: BufRead> GzipMembers<R> {
    pub(crate) fn new(input: R) -> Self {
        GzipMembers {
            state: State::Member(GzDecoder::new(input)),
        }
    }
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        loop {
            let State::Member(decoder) = &mut self.state else {
                return Ok(0);
            };
            let read = decoder.read(buffer)?;
            if read > 0 || buffer.is_empty() {
                return Ok(read);
            }
            // The member ended: what follows is another member, zero padding, or the end.
            let State::Member(decoder) = std::mem::replace(&mut self.state, State::Done) else {
                return Ok(0);
            };
            let mut input = decoder.into_inner();
            match input.fill_buf()?.first() {
                None => return Ok(0),
                Some(0) => {
                    skip_zero_padding(&mut input)?;
                    return Ok(0);
                }
                Some(_) => self.state = State::Member(GzDecoder::new(input)),
            }
        }
    }
}

/// Reads zero bytes to the end of the input; anything else there is not gzip data.
fn skip_zero_padding(input: &mut impl BufRead) -> io::Result<()> {
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(());
        }
        if available.iter().any(|&b| b != 0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "trailing garbage after gzip data",
            ));
        }
        let length = available.len();
        input.consume(length);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(text: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(text).unwrap();
        encoder.finish().unwrap()
    }

    fn read_all(bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        // Small reads from the input, as a pipe gives them.
        GzipMembers::new(io::BufReader::with_capacity(7, bytes)).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn reads_every_member_and_ends_at_zero_padding() {
        let mut bytes = gzip(b"one\n");
        bytes.extend(gzip(b"two\n"));
        assert_eq!(read_all(&bytes).unwrap(), b"one\ntwo\n");
        bytes.extend(std::iter::repeat_n(0u8, 1000));
        assert_eq!(read_all(&bytes).unwrap(), b"one\ntwo\n");
    }

    #[test]
    fn anything_but_zeros_after_a_member_is_an_error_and_so_is_a_cut_member() {
        let mut padded = gzip(b"one\n");
        padded.extend([0, 0, 7, 0]);
        assert_eq!(read_all(&padded).unwrap_err().kind(), io::ErrorKind::InvalidData);
        let mut garbage = gzip(b"one\n");
        garbage.extend(b"garbage");
        assert!(read_all(&garbage).is_err());
        let whole = gzip(b"one\ntwo\n");
        let cut = whole.get(..whole.len() - 4).unwrap();
        assert!(read_all(cut).is_err());
    }
}
