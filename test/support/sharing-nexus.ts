import { WebhookReceiver } from './webhook-receiver.js';
import { bootNexus, cleanupEnv, testLogger, type RunningNexus } from './nexus-under-test.js';

/** A whole NEXUS whose share allowlist admits a local webhook receiver: the world of every test that shares data. */
export interface SharingNexus {
  nexus: RunningNexus;
  receiver: WebhookReceiver;
  /** The receiver's base URL; a share goes to `<hookUrl>/hook/<correlation id>`. */
  hookUrl: string;
  stop(): Promise<void>;
}

export async function bootSharingNexus(env: Record<string, string>): Promise<SharingNexus> {
  const receiver = new WebhookReceiver();
  const hookUrl = await receiver.start();
  env.NEXUS_SHARE_ALLOWLIST = new URL(hookUrl).origin;
  const stop = async (nexus?: RunningNexus) => {
    await nexus?.stop();
    await receiver.stop();
    await cleanupEnv(env);
  };
  let nexus: RunningNexus;
  try {
    nexus = await bootNexus(env, testLogger(env).logger);
  } catch (err) {
    await stop();
    throw err;
  }
  return { nexus, receiver, hookUrl, stop: () => stop(nexus) };
}
