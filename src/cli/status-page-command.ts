import { resolve } from 'node:path';
import { renderStatusPageFromDir } from '../status/render-status-page.js';
import { InputError } from '../util/errors.js';
import { parseCommandArgs, str } from './args.js';

export const STATUS_PAGE_HELP = `coder-gitops status-page --history DIR --out DIR [--repository owner/name] [--title TEXT]
  Render the status page (one self-contained index.html: no server, no CDN; opens from file:// and
  on GitHub Pages) from DIR/runs.jsonl, the history the synthetics workflow keeps on its
  status-history branch. --repository (default $GITHUB_REPOSITORY) links incidents to their issues.`;

/** `coder-gitops status-page`: exit 0 with the page written. */
export async function statusPageCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('status-page', argv, {
    history: { type: 'string' },
    out: { type: 'string' },
    repository: { type: 'string' },
    title: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return (process.stdout.write(`${STATUS_PAGE_HELP}\n`), 0);
  const history = str(values, 'history');
  const out = str(values, 'out');
  if (!history)
    throw new InputError('history', 'the history directory is required (--history DIR, holding runs.jsonl)');
  if (!out) throw new InputError('out', 'the output directory is required (--out DIR)');
  const repository = str(values, 'repository') || process.env.GITHUB_REPOSITORY || undefined;
  if (repository && !/^[\w.-]+\/[\w.-]+$/.test(repository))
    throw new InputError('repository', `'${repository}' is not owner/name`);
  const page = renderStatusPageFromDir(resolve(history), resolve(out), {
    repository,
    serverUrl: process.env.GITHUB_SERVER_URL || undefined,
    title: str(values, 'title') || undefined,
    renderedAt: new Date(),
  });
  process.stdout.write(
    `status page: ${page.file} (${page.runs} runs, ${(page.bytes / 1024).toFixed(0)} KiB, overall ${page.model.overall})\n`,
  );
  return 0;
}
