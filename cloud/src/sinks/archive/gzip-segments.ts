import { constants, crc32, deflateRawSync, gunzipSync } from 'node:zlib'

/**
 * Archive objects are one gzip member (RFC 1952) even though their data is compressed piece by piece as it is
 * spooled: each piece is a raw deflate stream ended with a full flush instead of a final block (so pieces
 * concatenate into one deflate stream, as zlib's gzjoin does), stored with its CRC-32 and length; an object is a
 * gzip header, the pieces, an empty final block, and the CRC-32 of the whole (combined from the pieces' CRCs) with
 * its length. Readers that stop after the first member of a gzip file therefore still read every record.
 */

// Spool rows that hold a segment start with these bytes, which neither JSON lines ('{') nor gzip (1f 8b) start with.
const SEGMENT_MAGIC = Buffer.from('EGZ1', 'latin1')
const SEGMENT_HEADER_BYTES = SEGMENT_MAGIC.length + 8
// Level 1: the archive is written once and read rarely; it is 3-4x cheaper than the default 6 for ~20% more bytes.
const LEVEL = 1

/** A spool row holding `lines` compressed: magic, CRC-32 and length (little-endian), raw deflate, full flush. */
export function toSegment(lines: Buffer): Buffer {
  const deflated = deflateRawSync(lines, { level: LEVEL, finishFlush: constants.Z_FULL_FLUSH })
  const out = Buffer.allocUnsafe(SEGMENT_HEADER_BYTES + deflated.length)
  SEGMENT_MAGIC.copy(out, 0)
  out.writeUInt32LE(crc32(lines), 4)
  out.writeUInt32LE(lines.length, 8)
  deflated.copy(out, SEGMENT_HEADER_BYTES)
  return out
}

const isSegment = (b: Buffer): boolean => b.length >= SEGMENT_HEADER_BYTES && b.compare(SEGMENT_MAGIC, 0, 4, 0, 4) === 0
const isGzip = (b: Buffer): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b

// zlib's crc32_combine (1.2.12 and later): multiply crc1 by x^(8·len2) modulo the CRC-32 polynomial, add crc2.
// Polynomials are reflected, bit 31 holding x^0, as in zlib's crc32.c.
const POLY = 0xedb88320
/** a·b modulo the polynomial. */
function multModP(a: number, b: number): number {
  let m = 0x80000000
  let p = 0
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b
      if ((a & (m - 1)) === 0) break
    }
    m >>>= 1
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1
  }
  return p >>> 0
}
/** x^(2^n) modulo the polynomial, n = 0..31. */
const X2N = new Uint32Array(32)
X2N[0] = 0x40000000 // x^1
for (let n = 1; n < 32; n++) X2N[n] = multModP(X2N[n - 1]!, X2N[n - 1]!)
/** x^(n·2^k) modulo the polynomial. */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000 // x^0
  for (; n > 0; n = Math.floor(n / 2), k++) if (n % 2 === 1) p = multModP(X2N[k & 31]!, p)
  return p
}
/** The CRC-32 of A followed by B, from crc32(A), crc32(B) and B's length in bytes. */
export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  return (multModP(x2nModP(len2, 3), crc1 >>> 0) ^ crc2) >>> 0
}

// RFC 1952: ID1 ID2, CM = 8 (deflate), no flags, no MTIME, XFL 0, OS 255 (unknown).
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff])
// An empty final block with fixed Huffman codes (BFINAL 1, BTYPE 01, end-of-block), as gzjoin ends a join.
const FINAL_BLOCK = Buffer.from([0x03, 0x00])

/**
 * One gzip member from spool rows, in order: segments are copied as they are; other rows (JSON lines spooled as
 * they were, or a gzip member from an older spool) are compressed here, each run of them into one segment.
 */
export function gzipObject(rows: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [GZIP_HEADER]
  let crc = 0
  let length = 0
  let plain: Buffer[] = []
  const add = (segment: Buffer): void => {
    const pieceCrc = segment.readUInt32LE(4)
    const pieceLength = segment.readUInt32LE(8)
    crc = crc32Combine(crc, pieceCrc, pieceLength)
    length += pieceLength
    parts.push(segment.subarray(SEGMENT_HEADER_BYTES))
  }
  const flushPlain = (): void => {
    if (plain.length > 0) add(toSegment(Buffer.concat(plain)))
    plain = []
  }
  for (const row of rows) {
    if (isSegment(row)) {
      flushPlain()
      add(row)
    } else plain.push(isGzip(row) ? gunzipSync(row) : row)
  }
  flushPlain()
  const trailer = Buffer.allocUnsafe(8)
  trailer.writeUInt32LE(crc >>> 0, 0)
  trailer.writeUInt32LE(length % 2 ** 32, 4)
  parts.push(FINAL_BLOCK, trailer)
  return Buffer.concat(parts)
}
