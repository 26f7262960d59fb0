import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { NODE24 } from '../test/helpers/run-action.js';

function version(cmd: string, args: string[]): string {
  // Some tools (aws CLI v1) print their version on stderr.
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'missing';
  return `${r.stdout}${r.stderr}`.split('\n')[0]!.trim();
}

/** One paragraph describing the machine the numbers were taken on. */
export function describeMachine(): string {
  const cpu = cpus();
  return [
    `cores: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown'}`,
    `memory: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `bench runner node: ${process.version}`,
    `actions node: ${version(NODE24, ['--version'])}`,
    `moto: ${version('python3', ['-c', 'import moto; print(moto.__version__)'])}`,
    `aws cli: ${version('aws', ['--version'])}`,
    `curl: ${version('curl', ['--version'])}`,
  ].join('; ');
}
