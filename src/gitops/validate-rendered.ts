import type { ConfigurationError } from '../util/errors.js';
import type { ConfigLines } from './config-lines.js';
import type { GitopsConfig } from './types.js';
import { licensedFeatures, validateCoder } from './validate-coder.js';
import { validateCoderTopology } from './validate-coder-topology.js';
import { validateCrdRules } from './validate-crd-rules.js';
import { validateDisruption } from './validate-disruption.js';
import { validateLoadBalancer } from './validate-load-balancer.js';
import { renderGitops } from './validate-region-objects.js';
import { validateSchemas } from './validate-schemas.js';
import { validateSecretProducers } from './validate-secret-producers.js';

/**
 * Every check of gitops/ as Flux applies it, region by region after substitution: the kinds'
 * schemas, the CRDs' own rules, Coder's startup rules and the rollout order. One rendering shared
 * by all of them; a problem shared by several regions (a base file) is reported once.
 */
export function validateRendered(config: GitopsConfig, lines: ConfigLines): ConfigurationError[] {
  const rendered = renderGitops(config, lines);
  const all = [
    ...rendered.errors,
    ...validateSchemas(rendered),
    ...validateCrdRules(rendered),
    ...validateDisruption(rendered),
    ...validateLoadBalancer(rendered),
    ...validateCoder(rendered),
    ...validateCoderTopology(rendered),
    ...validateSecretProducers(rendered),
  ];
  const seen = new Set<string>();
  return all.filter((e) => !seen.has(e.message) && (seen.add(e.message), true));
}

/** The features gitops/ declares that need a Coder licence, and why (validate's summary says them). */
export function licenceNeeds(config: GitopsConfig, lines: ConfigLines): { feature: string; why: string }[] {
  return licensedFeatures(renderGitops(config, lines));
}
