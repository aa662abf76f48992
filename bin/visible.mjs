// Text from the data, made safe to print for a person: control characters, bidi controls and
// other invisible format characters shown as escapes (ESC as `\x1b`), a backslash doubled so an
// escape cannot be forged, and long values cut with an ellipsis.

/** Code points shown as `\u{…}`: bidi controls, line and paragraph separators, BOM. */
const FORMAT = new Set([
  0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
  0xfeff,
]);

const hex = (n, width) => n.toString(16).padStart(width, "0");

/** One code point as it is printed. */
function shown(ch) {
  const c = ch.codePointAt(0);
  if (c === 0x5c) return "\\\\";
  if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return `\\x${hex(c, 2)}`;
  if (FORMAT.has(c) || (c >= 0xd800 && c <= 0xdfff)) return `\\u{${hex(c, 4)}}`;
  return ch;
}

/**
 * `value` as a person may see it: escaped, and at most `max` characters (code points) long,
 * the last of them `…` when it was cut.
 */
export function visible(value, max = Infinity) {
  const pieces = [];
  let length = 0;
  // for…of walks code points; a lone surrogate comes as itself and is escaped.
  for (const ch of String(value)) {
    const piece = shown(ch);
    const size = width(piece);
    if (length + size > max) {
      // Room for the ellipsis: drop whole pieces (never half an escape) until it fits.
      while (pieces.length > 0 && length + 1 > max) length -= width(pieces.pop());
      return pieces.join("") + "…";
    }
    pieces.push(piece);
    length += size;
  }
  return pieces.join("");
}

/** How many columns `text` (already visible) takes, by code points. */
export function width(text) {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
