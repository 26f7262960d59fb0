import type { ConfigurationError } from '../util/errors.js';
import type { ConfigLines } from './config-lines.js';
import type { GitopsConfig } from './types.js';
import { renderGitops } from './validate-region-objects.js';
import { validateSchemas } from './validate-schemas.js';

/**
 * Every check of gitops/ as Flux applies it, region by region after substitution: the kinds'
 * schemas, the CRDs' own rules, Coder's startup rules and the rollout order. One rendering shared
 * by all of them; a problem shared by several regions (a base file) is reported once.
 */
export function validateRendered(config: GitopsConfig, lines: ConfigLines): ConfigurationError[] {
  const rendered = renderGitops(config, lines);
  const all = [...rendered.errors, ...validateSchemas(rendered)];
  const seen = new Set<string>();
  return all.filter((e) => !seen.has(e.message) && (seen.add(e.message), true));
}
