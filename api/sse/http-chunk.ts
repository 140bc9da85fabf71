const CRLF = Buffer.from('\r\n');

/**
 * `bytes` as one chunk of an HTTP/1.1 chunked body (size in hex, CRLF, the bytes, CRLF): what Node's response would
 * add around each write, built here so that a batch's framing is built once for all its clients.
 */
export function chunkOf(bytes: Buffer | string): Buffer {
  const body = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, CRLF]);
}
