// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF).
// Chosen over CRC-16 because 10 million fuzzed frames against a 16-bit check would let
// ~150 random frames through; CRC-32C also has a larger Hamming distance at these lengths.

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of bytes[start, end). Allocation-free. Check value: crc32c("123456789") = 0xE3069283. */
export function crc32c(bytes: ArrayLike<number>, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32C of a string's UTF-8 bytes (used for the schema hash). */
export function crc32cText(text: string): number {
  return crc32c(new TextEncoder().encode(text));
}
