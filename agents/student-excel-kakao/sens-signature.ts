import { createHmac } from 'node:crypto';

export interface SignatureInput {
  method: 'GET' | 'POST';
  /** Path and query exactly as sent, e.g. `/alimtalk/v2/services/{serviceId}/messages`. */
  pathWithQuery: string;
  timestamp: string;
  accessKey: string;
  secretKey: string;
}

/**
 * NAVER Cloud API Gateway signature v2: base64(HMAC-SHA256(secretKey, "METHOD path?query\ntimestamp\naccessKey")).
 * The body is not signed; the gateway rejects timestamps more than 5 minutes off.
 */
export function sensSignature({ method, pathWithQuery, timestamp, accessKey, secretKey }: SignatureInput): string {
  return createHmac('sha256', secretKey).update(`${method} ${pathWithQuery}\n${timestamp}\n${accessKey}`).digest('base64');
}

/** The three headers every SENS call carries. */
export function sensAuthHeaders(input: SignatureInput): Record<string, string> {
  return {
    'x-ncp-apigw-timestamp': input.timestamp,
    'x-ncp-iam-access-key': input.accessKey,
    'x-ncp-apigw-signature-v2': sensSignature(input),
  };
}

/** `YYYY-MM-DD HH:mm:ss` in Korea time, the format SENS's list API takes and returns. */
export function formatKst(ms: number): string {
  return new Date(ms + 9 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}
