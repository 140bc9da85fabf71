import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup } from './address-guard.js';

export interface PostResult {
  status: number;
}

/**
 * POSTs a body with node:http(s) rather than fetch, because only there can the DNS lookup be replaced: the guard
 * sees the address the socket will really connect to. Redirects are not followed.
 */
export function postJson(url: URL, body: string, headers: Record<string, string>, options: { allowedIp: (ip: string) => boolean; timeoutMs: number; signal: AbortSignal }): Promise<PostResult> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(options.allowedIp) as never,
      timeout: options.timeoutMs,
      signal: options.signal,
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
