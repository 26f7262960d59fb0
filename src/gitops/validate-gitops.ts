import { ConfigurationError, ConfigurationErrors } from '../util/errors.js';
import { cidrsOverlap, parseCidr } from './cidr.js';
import { ConfigLines } from './config-lines.js';
import { validateFluxSources } from './flux-sources.js';
import { checkGitopsSafety } from './gitops-tree-safety.js';
import { loadGitops } from './load-gitops.js';
import type { GitopsConfig } from './types.js';
import { validateFlux } from './validate-flux.js';
import { validateStacks } from './validate-stacks.js';

function validateRegions(config: GitopsConfig, lines: ConfigLines): ConfigurationError[] {
  const errors: ConfigurationError[] = [];
  const { platform, regions } = config;
  const names = regions.map((r) => r.name);

  for (let i = 0; i < regions.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = regions[j]!;
      const b = regions[i]!;
      const ca = parseCidr(a.vpcCidr);
      const cb = parseCidr(b.vpcCidr);
      if (ca && cb && cidrsOverlap(ca, cb)) {
        errors.push(
          lines.error(
            b.file,
            'vpcCidr',
            `${b.vpcCidr} overlaps ${a.name}'s ${a.vpcCidr} (${a.file}); every region needs its own VPC range so peering and the database security group work`,
          ),
        );
      }
    }
  }

  const hubs = regions.filter((r) => r.role === 'hub');
  const hub = regions.find((r) => r.name === platform.hubRegion);
  if (!hub) {
    errors.push(
      lines.error(platform.file, 'hubRegion', `hub region ${platform.hubRegion} has no regions/${platform.hubRegion}.yaml; declared regions: ${names.join(', ') || 'none'}`),
    );
  } else if (hub.role !== 'hub') {
    errors.push(lines.error(hub.file, 'role', `expected hub: platform.yaml names ${hub.name} as hubRegion`));
  }
  for (const other of hubs.filter((r) => r.name !== platform.hubRegion)) {
    errors.push(lines.error(other.file, 'role', `expected spoke: only ${platform.hubRegion} (platform.yaml hubRegion) is the hub`));
  }
  if (hub) {
    if (!hub.stacks.some((s) => s.template === 'aurora')) {
      errors.push(lines.error(hub.file, 'stacks', 'the hub runs the shared database: add a stack with template aurora'));
    }
    if (hub.wave !== 1) errors.push(lines.error(hub.file, 'wave', `expected 1 (the hub goes first), got ${hub.wave}`));
    if (!hub.enabled && regions.some((r) => r.enabled)) {
      errors.push(lines.error(hub.file, 'enabled', 'expected true: enabled spokes need the hub (database, peering)'));
    }
  }
  for (const spoke of regions.filter((r) => r.role === 'spoke')) {
    if (spoke.wave < 2) {
      errors.push(lines.error(spoke.file, 'wave', `expected 2 or later (spokes follow the hub's wave 1), got ${spoke.wave}`));
    }
    if (spoke.stacks.some((s) => s.template === 'aurora')) {
      errors.push(lines.error(spoke.file, 'stacks', 'only the hub runs the aurora template (one shared database)'));
    }
  }

  platform.vantagePoints.forEach((vp, i) => {
    vp.expectedRegions.forEach((region, j) => {
      if (!names.includes(region)) {
        errors.push(
          lines.error(
            platform.file,
            `vantagePoints[${i}].expectedRegions[${j}]`,
            `region "${region}" has no regions/${region}.yaml; expected one of ${names.join(', ')}`,
          ),
        );
      }
    });
  });
  return errors;
}

/** Cross-checks a loaded configuration (regions, stacks and templates, Flux manifests); returns every problem found. */
export function validateGitops(config: GitopsConfig): ConfigurationError[] {
  const lines = new ConfigLines(config);
  return [
    ...validateRegions(config, lines),
    ...validateStacks(config, lines),
    ...validateFlux(config),
    ...validateFluxSources(config),
  ];
}

/** Loads and validates `gitops/`; throws ConfigurationErrors listing every problem. */
export async function loadValidatedGitops(dir: string): Promise<GitopsConfig> {
  // Before anything reads the tree: links, remote kustomize paths and transforms stop here (nothing fetched).
  const unsafe = checkGitopsSafety(dir);
  if (unsafe.length > 0) throw new ConfigurationErrors(unsafe);
  const config = await loadGitops(dir);
  const errors = validateGitops(config);
  if (errors.length > 0) throw new ConfigurationErrors(errors);
  return config;
}
