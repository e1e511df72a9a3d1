// Consistent Overhead Byte Stuffing: removes every 0x00 so 0x00 can delimit frames.
// Overhead: one byte per started 254-byte block. Both functions are allocation-free.

/** Worst-case encoded size of n input bytes (without the 0x00 delimiter). */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.ceil((n + 1) / 254);
}

/**
 * Encode src[0, len) into dst at dstOffset. Returns the number of bytes written (no delimiter).
 * dst must have room for cobsMaxEncodedLength(len) bytes.
 */
export function cobsEncode(src: Uint8Array, len: number, dst: Uint8Array, dstOffset = 0): number {
  let codeIndex = dstOffset;
  let out = dstOffset + 1;
  let code = 1;
  for (let i = 0; i < len; i++) {
    const b = src[i];
    if (b === 0) {
      dst[codeIndex] = code;
      codeIndex = out++;
      code = 1;
    } else {
      dst[out++] = b;
      code++;
      if (code === 0xff) {
        dst[codeIndex] = code;
        codeIndex = out++;
        code = 1;
      }
    }
  }
  dst[codeIndex] = code;
  return out - dstOffset;
}

/**
 * Decode src[0, len) (one frame, delimiter removed) into dst. Returns the decoded length, or
 * -1 when the input is not valid COBS (a zero byte or a block code that runs past the end)
 * or dst is too small. Never throws.
 */
export function cobsDecode(src: Uint8Array, len: number, dst: Uint8Array): number {
  let i = 0;
  let out = 0;
  while (i < len) {
    const code = src[i];
    if (code === 0) return -1;
    const blockEnd = i + code;
    if (blockEnd > len) return -1;
    i++;
    while (i < blockEnd) {
      const b = src[i++];
      if (b === 0 || out >= dst.length) return -1;
      dst[out++] = b;
    }
    // A block shorter than 254 data bytes stands for "data then a zero", except the last one.
    if (code !== 0xff && i < len) {
      if (out >= dst.length) return -1;
      dst[out++] = 0;
    }
  }
  return out;
}
