import { pino, type Logger } from 'pino';

export type { Logger };

/** Field names that hold a Temporal activity task token (ours, the SDK's activity attributes, core's fields). */
const TASK_TOKEN_FIELDS = ['taskToken', 'task_token', 'base64TaskToken'];
const SECRET_FIELDS = ['authorization', 'token', 'ticket', ...TASK_TOKEN_FIELDS];

/** One root logger per process; modules take `logger.child({ module })` and add `correlation_id` where they have one. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'nexus' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`), 'req.headers.authorization', 'req.query.ticket'],
        remove: true,
      },
      // Field names cannot catch a secret inside a message or an error text (core writes `TaskToken(…)` into its
      // own lines): every finished line is scrubbed on its way out, so no path can forget.
      hooks: { streamWrite: redactSecrets },
    },
    destination,
  );
}

/** `TaskToken(<base64>)`, as Temporal core prints one. */
const CORE_TASK_TOKEN = /TaskToken\([^)]*\)/g;
/** A run of base64 (either alphabet) that may begin a task token: see `isTaskToken`. */
const BASE64_FROM_TOKEN_START = /Ci[QR][A-Za-z0-9+/_-]{45,}={0,2}/g;
/** A task token printed as bytes (`[10, 36, …]`), as a protobuf message's Debug output shows them. */
const TASK_TOKEN_BYTES = /\[\s*10,\s*36(?:,\s*\d{1,3}){36,}\s*\]/g;
/** NEXUS API tokens and stream tickets. */
const NEXUS_SECRET = /\bnx[st]_[A-Za-z0-9_-]{16,}/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A task token is a protobuf message whose first field is the namespace id: bytes `0x0a 0x24` and a 36-character
 * UUID, so its base64 starts with `CiQ` or `CiR` and decodes to that shape. Decoding keeps other base64 (payload
 * digests, ids) readable.
 */
function isTaskToken(base64: string): boolean {
  const bytes = Buffer.from(base64, 'base64');
  return bytes.length >= 40 && bytes[0] === 0x0a && bytes[1] === 0x24 && UUID.test(bytes.subarray(2, 38).toString('latin1'));
}

/** Removes task tokens and NEXUS tokens from one serialized log line. Exported for its unit test. */
export function redactSecrets(line: string): string {
  return line
    .replace(CORE_TASK_TOKEN, 'TaskToken([redacted])')
    .replace(BASE64_FROM_TOKEN_START, (run) => redactTokenIn(run))
    .replace(TASK_TOKEN_BYTES, '[redacted task token]')
    .replace(NEXUS_SECRET, (secret) => `${secret.slice(0, 4)}[redacted]`);
}

/** The run may start with other base64 characters that happen to read `Ci[QR]`: look at every later start too. */
function redactTokenIn(run: string): string {
  for (let at = 0; at !== -1; at = nextStart(run, at + 1)) {
    if (isTaskToken(run.slice(at))) return `${run.slice(0, at)}[redacted task token]`;
  }
  return run;
}

function nextStart(run: string, from: number): number {
  const rest = run.slice(from).search(/Ci[QR]/);
  return rest === -1 || run.length - (from + rest) < 48 ? -1 : from + rest;
}
