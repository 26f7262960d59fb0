import { startMotoServer, type MotoServer } from '../../src/sandbox/moto-server.js';

export type { MotoServer };

/** Start moto for an integration test and point the SDK at it (AWS_ENDPOINT_URL + dummy keys). */
export async function startMoto(accountId = '123456789012'): Promise<MotoServer> {
  const moto = await startMotoServer({ accountId });
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = process.env.AWS_REGION ?? 'us-east-2';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  return moto;
}
