import { ConfigLines } from '../gitops/config-lines.js';
import { loadValidatedGitops } from '../gitops/validate-gitops.js';
import { licenceNeeds } from '../gitops/validate-rendered.js';
import { parseCommandArgs } from './args.js';
import { COMMON_OPTIONS, commonSettings, emit } from './common.js';

export const VALIDATE_HELP = `coder-gitops validate [--gitops-dir gitops] [--json]
  Load and check gitops/ (schema, cross-checks, Flux variables, pinned charts, template sizes).`;

/** `coder-gitops validate`: exit 0 when gitops/ is valid, 1 with every problem otherwise. */
export async function validateCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('validate', argv, COMMON_OPTIONS);
  if (values.help) return (process.stdout.write(`${VALIDATE_HELP}\n`), 0);
  const settings = commonSettings(values);
  const config = await loadValidatedGitops(settings.gitopsDir);
  const licence = config.platform.coder?.license ?? 'none';
  const needs = licenceNeeds(config, new ConfigLines(config));
  const summary = {
    valid: true,
    coderLicense: licence,
    licensedFeatures: needs,
    regions: config.regions.map((r) => ({
      name: r.name,
      role: r.role,
      enabled: r.enabled,
      wave: r.wave,
      stacks: r.stacks.length,
    })),
    templates: [...config.templates.keys()],
  };
  emit(
    settings,
    summary,
    `gitops is valid: ${config.regions.length} regions (${config.regions
      .map((r) => `${r.name} ${r.role}${r.enabled ? '' : ' disabled'}, wave ${r.wave}`)
      .join('; ')}), ${config.templates.size} templates` +
      (needs.length
        ? `\nneeds a Coder licence (coder.license: ${licence}): ${needs.map((n) => `${n.feature}: ${n.why}`).join('; ')}`
        : ''),
  );
  return 0;
}
