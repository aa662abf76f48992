//! Byte search in a line's strings: where a string ends, and where the next quote, backslash
//! or control character is, a block of bytes at a time (SSE2/NEON through `wide`'s safe
//! vectors, then words, then memchr).

use wide::u8x16;

/// Where the string whose text starts at `from` ends (just past its closing quote), in a line
/// with no control character, found 64 bytes at a time: the quotes and backslashes of a block
/// as bit masks, each backslash that is not itself escaped escaping the byte after it, and the
/// first quote left unescaped closing the string. `None` when the string holds an escape other
/// than `\" \\ \/ \b \f \n \r \t` (`\u`, or one serde_json refuses) or runs past the line: the
/// escape-by-escape path then decides.
pub(crate) fn string_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut base = from;
    // The last block ended with a backslash, which escapes this block's first byte.
    let mut carried = 0u64;
    loop {
        let block = bytes.get(base..).filter(|b| !b.is_empty())?;
        let BlockMasks { quotes, backslashes } = block_masks(block);
        let mut escaped = carried;
        carried = 0;
        let mut escapes = backslashes & !escaped;
        while escapes != 0 {
            let at = escapes.trailing_zeros();
            // Backslashes past the closing quote belong to what follows the string.
            if quotes & !escaped & ((1u64 << at) - 1) != 0 {
                break;
            }
            if !SIMPLE_ESCAPES.contains(bytes.get(base + at as usize + 1)?) {
                return None;
            }
            escapes &= !(1u64 << at);
            match at {
                63 => carried = 1,
                _ => {
                    escaped |= 1u64 << (at + 1);
                    escapes &= !(1u64 << (at + 1));
                }
            }
        }
        let closing = quotes & !escaped;
        if closing != 0 {
            return Some(base + closing.trailing_zeros() as usize + 1);
        }
        base += 64;
    }
}

/// What may follow a backslash in a string the fast path skips.
const SIMPLE_ESCAPES: &[u8] = b"\"\\/bfnrt";

/// Bit `i` set for each quote, and each backslash, among a block's first 64 bytes.
struct BlockMasks {
    quotes: u64,
    backslashes: u64,
}

fn block_masks(block: &[u8]) -> BlockMasks {
    let mut padded = [0u8; 64];
    let full: &[u8; 64] = match block.get(..64).and_then(|b| b.try_into().ok()) {
        Some(full) => full,
        None => {
            // The line's last bytes: zeros after them, which are neither.
            let tail = padded.get_mut(..block.len()).unwrap_or_default();
            tail.copy_from_slice(block.get(..tail.len()).unwrap_or_default());
            &padded
        }
    };
    let quote = u8x16::from(b'"');
    let backslash = u8x16::from(b'\\');
    let mut masks = BlockMasks {
        quotes: 0,
        backslashes: 0,
    };
    // 16 bytes at a time, compared at once (SSE2, NEON), then one bit a byte.
    for (k, sixteen) in full.chunks_exact(16).enumerate() {
        let v = u8x16::from(<[u8; 16]>::try_from(sixteen).unwrap_or_default());
        masks.quotes |= u64::from(v.simd_eq(quote).to_bitmask()) << (16 * k);
        masks.backslashes |= u64::from(v.simd_eq(backslash).to_bitmask()) << (16 * k);
    }
    masks
}

/// Where the next quote, backslash or control character in `bytes` is, if anywhere. Escapes
/// come a few bytes apart in real text (`\"C:\\work\\repo\"`), so the first word is looked at
/// in place and the first 64 bytes 16 at a time, before paying for a memchr call; a line known
/// to hold no control character (`controls` false) then needs only memchr's search for the
/// other two.
#[inline(always)]
pub(crate) fn next_special(bytes: &[u8], controls: bool) -> Option<usize> {
    // Most often the next escape is within a word (`\\work\\repo`): looked at in place.
    if let Some(word) = bytes.get(..8) {
        let special = special_bytes(word);
        if special != 0 {
            return Some(special.trailing_zeros() as usize / 8);
        }
    }
    next_special_further(bytes, controls)
}

fn next_special_further(bytes: &[u8], controls: bool) -> Option<usize> {
    let mut at = 0;
    let mut blocks = bytes.chunks_exact(16);
    for block in blocks.by_ref() {
        let specials = special_mask(block);
        if specials != 0 {
            return Some(at + specials.trailing_zeros() as usize);
        }
        at += 16;
        if at == 64 && !controls {
            let rest = bytes.get(at..)?;
            return memchr::memchr2(b'"', b'\\', rest).map(|i| at + i);
        }
    }
    first_special(blocks.remainder()).map(|i| at + i)
}

/// Bit `i` set for each quote, backslash or byte below 0x20 among 16 bytes, compared at once.
fn special_mask(sixteen: &[u8]) -> u32 {
    let v = u8x16::from(<[u8; 16]>::try_from(sixteen).unwrap_or_default());
    // A byte below 0x20 is one that 0x1f does not lower.
    let control = v.min(u8x16::from(0x1f)).simd_eq(v);
    (v.simd_eq(u8x16::from(b'"')) | v.simd_eq(u8x16::from(b'\\')) | control).to_bitmask()
}

/// The first quote, backslash or byte below 0x20 in `bytes`, a word at a time.
fn first_special(bytes: &[u8]) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in words.by_ref() {
        let special = special_bytes(word);
        if special != 0 {
            return Some(at + special.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = words
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
    tail.map(|i| at + i)
}

#[inline(always)]
/// The high bit of each byte of an 8-byte `word` that is a quote, a backslash or below 0x20 is
/// set, and may be set in the bytes above the first such: its lowest set bit is exact.
fn special_bytes(word: &[u8]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_in = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut eight = [0u8; 8];
    eight.copy_from_slice(word);
    let x = u64::from_le_bytes(eight);
    zero_in(x ^ (ONES * u64::from(b'"')))
        | zero_in(x ^ (ONES * u64::from(b'\\')))
        | (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
}
