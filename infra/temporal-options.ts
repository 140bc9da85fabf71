import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import type { KeyRing } from './trust/key-ring.js';
import { AesGcmPayloadCodec } from './payload-codec.js';

export interface TemporalTarget {
  address: string;
  apiKey?: string | undefined;
  tls?: { certPath?: string | undefined; keyPath?: string | undefined; caPath?: string | undefined; serverName?: string | undefined } | undefined;
}

/** What every client and worker connection of NEXUS passes: mTLS and/or an API key for a secured cluster or Cloud. */
export function connectionOptions(target: TemporalTarget) {
  const { tls } = target;
  return {
    address: target.address,
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
    ...(tls
      ? {
        tls: {
          ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
          ...(tls.caPath ? { serverRootCACertificate: readFileSync(tls.caPath) } : {}),
          ...(tls.certPath && tls.keyPath ? { clientCertPair: { crt: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) } } : {}),
        },
      }
      : {}),
  };
}

/** The workflow bundle and the clients load the failure converter from this module. */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('../workflows/failure-converter.cjs', import.meta.url));

/**
 * One data converter for the API's client and the worker: payloads encrypted, and failure messages and stack
 * traces moved into an encrypted payload too (they can quote personal data).
 */
export function dataConverter(payloadKeys: KeyRing): DataConverter {
  return {
    payloadCodecs: [new AesGcmPayloadCodec(payloadKeys)],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}
