import type { Server } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Listens on a free loopback port; the fakes of the outside world all start this way. */
export async function listenLocally(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes the server without waiting for idle keep-alive connections (the SDKs keep them open). */
export async function closeLocally(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port free on 127.0.0.1 right now, for a process the test starts itself (an API, a Temporal server). */
export { freePort } from '../../runtime/devserver/port-check.js';

/**
 * A free port below Linux's ephemeral range (32768–60999), for a server a test stops and starts again on the same
 * port: an ephemeral port may be taken by any outgoing connection while the server is down.
 */
export async function freeRestartablePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canBind(port)) return port;
  }
  throw new Error('no free port between 20000 and 32000 after 50 tries');
}

/**
 * A free port for a Redis Cluster node, whose cluster bus listens on the port + 10000: both free and both below the
 * ephemeral range (a bus port in it was taken by an outgoing connection, and the node exited at start).
 */
export async function freeClusterNodePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * 12_000);
    if ((await canBind(port)) && (await canBind(port + 10_000))) return port;
  }
  throw new Error('no free port pair (p, p + 10000) between 10000 and 32000 after 50 tries');
}

async function canBind(port: number): Promise<boolean> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (bound) await new Promise((resolve) => server.close(resolve));
  return bound;
}
