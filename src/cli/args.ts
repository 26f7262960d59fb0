import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../util/errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Parse `argv` for one command; unknown options become an InputError naming the option. */
export function parseCommandArgs(
  command: string,
  argv: string[],
  options: OptionSpec,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    throw new InputError(command, `${msg} (see 'coder-gitops ${command} --help')`);
  }
}

/** String option value or ''. */
export function str(values: Record<string, string | boolean | undefined>, name: string): string {
  const v = values[name];
  return typeof v === 'string' ? v : '';
}
