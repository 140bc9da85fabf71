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
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
  throw new Error('no free port between 20000 and 32000 after 50 tries');
}
