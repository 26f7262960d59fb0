import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/*
 * helm runs with its own empty homes (cache, config, data, registry config): a runner's or developer's
 * repositories, plugins and registry logins never reach a plan that renders a pull request's charts, and
 * nothing the plan does is left behind. Only PATH and the proxy variables pass through.
 */

export interface HelmResult {
  stdout: string;
  stderr: string;
}

export class HelmError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'HelmError';
  }
}

/** A helm binary with an isolated home, removed by `close()`. */
export class HelmRunner {
  private home?: string;
  constructor(
    readonly helmPath: string,
    private readonly timeoutMs = 120_000,
  ) {}

  async run(args: string[]): Promise<HelmResult> {
    if (!this.home) this.home = await mkdtemp(path.join(tmpdir(), 'helm-home-'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: this.home,
      HELM_CACHE_HOME: path.join(this.home, 'cache'),
      HELM_CONFIG_HOME: path.join(this.home, 'config'),
      HELM_DATA_HOME: path.join(this.home, 'data'),
      HELM_REGISTRY_CONFIG: path.join(this.home, 'registry.json'),
      HELM_REPOSITORY_CONFIG: path.join(this.home, 'repositories.yaml'),
      HELM_REPOSITORY_CACHE: path.join(this.home, 'repository'),
    };
    for (const k of ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'])
      if (process.env[k]) env[k] = process.env[k];
    try {
      return await execFileAsync(this.helmPath, args, {
        env,
        timeout: this.timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
      const first = stderr.split('\n').filter(Boolean).pop() ?? (err as Error).message;
      throw new HelmError(`helm ${args[0]} failed: ${first.replace(/^Error: /, '')}`, stderr);
    }
  }

  async close(): Promise<void> {
    if (this.home) await rm(this.home, { recursive: true, force: true });
    this.home = undefined;
  }
}
