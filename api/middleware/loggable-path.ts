/**
 * The request path as NEXUS records it in spans and logs: an approval link (`/approve/<id>.<signature>`) is a
 * credential, so only its id is kept; the id alone opens nothing.
 */
export function loggablePath(path: string): string {
  return path.startsWith('/approve/') ? path.replace(/^\/approve\/([^./]{0,22})[^/]*/, '/approve/$1…') : path;
}
