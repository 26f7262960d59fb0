import { startMotoServer, type MotoServer } from '../src/sandbox/moto-server.js';
import { startFaultProxy, type FaultProxy } from '../test/helpers/fault-proxy.js';

export interface BenchAws {
  moto: MotoServer;
  /** No faults: it only counts the calls each side makes. */
  proxy: FaultProxy;
  /** Environment for a child process (AWS CLI) that talks to moto through the proxy. */
  env: NodeJS.ProcessEnv;
  /** Empty moto and zero the counters. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** moto (with the sandbox launcher) behind a counting proxy; this process's SDK points at the proxy. */
export async function startBenchAws(accountId: string): Promise<BenchAws> {
  const moto = await startMotoServer({ accountId });
  const proxy = await startFaultProxy({ upstream: moto.endpoint });
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = 'us-east-2';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  return {
    moto,
    proxy,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_DEFAULT_REGION: 'us-east-2',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
    async reset() {
      await moto.reset();
      proxy.resetCounts();
    },
    async stop() {
      await proxy.close();
      await moto.stop();
    },
  };
}
