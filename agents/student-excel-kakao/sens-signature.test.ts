import { describe, expect, it } from 'vitest';
import { formatKst, sensAuthHeaders, sensSignature } from './sens-signature.js';

// Expected values computed independently with:
//   printf 'POST /alimtalk/...\n1700000000000\nAKIDEXAMPLE' | openssl dgst -sha256 -hmac SECRETEXAMPLE -binary | base64
const keys = { timestamp: '1700000000000', accessKey: 'AKIDEXAMPLE', secretKey: 'SECRETEXAMPLE' };

describe('sensSignature', () => {
  it('signs method, path, timestamp and access key as the API Gateway documents', () => {
    expect(sensSignature({ ...keys, method: 'POST', pathWithQuery: '/alimtalk/v2/services/ncp:kkobizmsg:kr:2712345:school/messages' }))
      .toBe('+RbWKYUQCqvs5dwoo/34ITEMHOrYKjPJuycSrKuT4sE=');
  });
  it('includes the query string exactly as sent', () => {
    const pathWithQuery = '/alimtalk/v2/services/svc/messages?plusFriendId=%40school&requestStartTime=2026-03-01%2009%3A00%3A00';
    expect(sensSignature({ ...keys, method: 'GET', pathWithQuery })).toBe('j9b7yCwPTHwHGB+j0TqixDB1RUsVCGhX8jRAuynpwSo=');
  });
  it('puts it in the three gateway headers', () => {
    expect(sensAuthHeaders({ ...keys, method: 'POST', pathWithQuery: '/x' })).toEqual({
      'x-ncp-apigw-timestamp': '1700000000000',
      'x-ncp-iam-access-key': 'AKIDEXAMPLE',
      'x-ncp-apigw-signature-v2': expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
    });
  });
});

describe('formatKst', () => {
  it('formats in Korea time', () => {
    expect(formatKst(Date.parse('2026-03-01T00:00:05Z'))).toBe('2026-03-01 09:00:05');
  });
});
