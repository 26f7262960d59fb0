import { ConfigurationError } from '../util/errors.js';
import { parseTemplate } from './cfn-yaml.js';
import type { ConfigLines } from './config-lines.js';
import { closest } from './field-reader.js';
import { REGION_PATTERN } from './load-gitops.js';
import { orderStacks } from './stack-order.js';
import type { GitopsConfig, RegionConfig, StackSpec, ValueSource } from './types.js';

/** CloudFormation's limit for a template body passed inline (CreateChangeSet `TemplateBody`). */
export const TEMPLATE_BODY_LIMIT = 51_200;

interface TemplateInfo {
  file: string;
  parameters: Map<string, { hasDefault: boolean }>;
  outputs: Set<string>;
}

function templateInfo(config: GitopsConfig, name: string, cache: Map<string, TemplateInfo | null>): TemplateInfo | null {
  if (cache.has(name)) return cache.get(name)!;
  const text = config.templates.get(name);
  let info: TemplateInfo | null = null;
  if (text !== undefined) {
    const file = `${config.dir.split(/[\\/]/).pop()}/stacks/${name}.yaml`;
    try {
      const t = parseTemplate(text, file);
      const params = (t.Parameters ?? {}) as Record<string, Record<string, unknown> | null>;
      info = {
        file,
        parameters: new Map(Object.entries(params).map(([k, v]) => [k, { hasDefault: v?.Default !== undefined }])),
        outputs: new Set(Object.keys((t.Outputs ?? {}) as object)),
      };
    } catch {
      info = null; // the loader reports malformed templates
    }
  }
  cache.set(name, info);
  return info;
}

function list(names: Iterable<string>): string {
  const all = [...names];
  return all.length ? all.join(', ') : 'none';
}

/** A stack-holding scope: a region file, or the account stacks in platform.yaml. */
interface Scope {
  file: string;
  /** Field path prefix of the stacks list: `stacks` or `account.stacks`. */
  prefix: string;
  region: RegionConfig;
  stacks: StackSpec[];
}

/** Template sizes and existence, parameters, `{ output }` references, dependsOn, deployRegion and stack cycles. */
export function validateStacks(config: GitopsConfig, lines: ConfigLines): ConfigurationError[] {
  const errors: ConfigurationError[] = [];
  const cache = new Map<string, TemplateInfo | null>();
  const gitopsName = config.dir.split(/[\\/]/).pop();
  const regionsByName = new Map(config.regions.map((r) => [r.name, r]));

  for (const [name, text] of config.templates) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > TEMPLATE_BODY_LIMIT) {
      errors.push(
        new ConfigurationError(
          `template body is ${bytes.toLocaleString('en-US')} bytes; CloudFormation accepts at most ${TEMPLATE_BODY_LIMIT.toLocaleString('en-US')} bytes inline (split the stack or trim the template)`,
          { file: `${gitopsName}/stacks/${name}.yaml` },
        ),
      );
    }
  }

  const accountScope: Scope = {
    file: config.platform.file,
    prefix: 'account.stacks',
    region: {
      file: config.platform.file,
      name: config.platform.account.region,
      role: 'spoke',
      coder: 'proxy',
      enabled: true,
      wave: 0,
      vpcCidr: '',
      stacks: config.platform.account.stacks,
      clusterVars: {},
    },
    stacks: config.platform.account.stacks,
  };
  const scopes: Scope[] = [
    accountScope,
    ...config.regions.map((r) => ({ file: r.file, prefix: 'stacks', region: r, stacks: r.stacks })),
  ];

  const checkOutput = (scope: Scope, source: Extract<ValueSource, { kind: 'output' }>, fieldPath: string) => {
    const err = (message: string) => errors.push(lines.error(scope.file, fieldPath, message));
    let target: { file: string; stacks: StackSpec[]; wave: number; name: string } | undefined;
    if (source.region === undefined) {
      target = { file: scope.file, stacks: scope.stacks, wave: scope.region.wave, name: scope.region.name };
    } else {
      const name = source.region === 'hub' ? config.platform.hubRegion : source.region;
      const r = regionsByName.get(name);
      if (!r) {
        err(`region "${name}" has no regions/${name}.yaml; declared regions: ${list(regionsByName.keys())}`);
        return;
      }
      target = { file: r.file, stacks: r.stacks, wave: r.wave, name: r.name };
      if (scope.prefix === 'stacks' && r.name !== scope.region.name && r.wave >= scope.region.wave) {
        err(
          `reads an output of ${r.name} (wave ${r.wave}), which is not applied before ${scope.region.name} (wave ${scope.region.wave}); ` +
            'outputs of other regions must come from an earlier wave',
        );
      }
    }
    const stack = target.stacks.find((s) => s.name === source.stack);
    if (!stack) {
      const hub = regionsByName.get(config.platform.hubRegion);
      if (source.region === undefined && hub && hub !== scope.region && hub.stacks.some((s) => s.name === source.stack)) {
        err(`stack "${source.stack}" is not declared in ${target.file}; the hub runs it: add region: hub to read the hub's output`);
        return;
      }
      const hint = closest(source.stack, target.stacks.map((s) => s.name));
      err(
        `stack "${source.stack}" is not declared in ${target.file}${hint ? ` (did you mean "${hint}"?)` : ''}; its stacks: ${list(target.stacks.map((s) => s.name))}`,
      );
      return;
    }
    const info = templateInfo(config, stack.template, cache);
    if (!info) return; // reported as a missing template
    if (!info.outputs.has(source.outputKey)) {
      const hint = closest(source.outputKey, [...info.outputs]);
      err(
        `output "${source.outputKey}" does not exist in ${info.file}${hint ? ` (did you mean "${hint}"?)` : ''}; its outputs: ${list(info.outputs)}`,
      );
    }
  };

  for (const scope of scopes) {
    const names = scope.stacks.map((s) => s.name);
    scope.stacks.forEach((stack, i) => {
      const sp = `${scope.prefix}[${i}]`;
      const info = templateInfo(config, stack.template, cache);
      if (!config.templates.has(stack.template)) {
        const hint = closest(stack.template, [...config.templates.keys()]);
        errors.push(
          lines.error(
            scope.file,
            stack.template === stack.name ? `${sp}.name` : `${sp}.template`,
            `template "${stack.template}" does not exist: no ${gitopsName}/stacks/${stack.template}.yaml${hint ? ` (did you mean "${hint}"?)` : ''}; templates: ${list(config.templates.keys())}`,
          ),
        );
      }
      if (info) {
        for (const [param, { hasDefault }] of info.parameters) {
          if (!hasDefault && !(param in stack.parameters)) {
            errors.push(
              lines.error(
                scope.file,
                `${sp}.parameters`,
                `parameter "${param}" of ${info.file} has no Default and is not given; add ${param} under parameters (a literal, { field } or { output })`,
              ),
            );
          }
        }
        for (const param of Object.keys(stack.parameters)) {
          if (!info.parameters.has(param)) {
            const hint = closest(param, [...info.parameters.keys()]);
            errors.push(
              lines.error(
                scope.file,
                `${sp}.parameters.${param}`,
                `${info.file} has no parameter "${param}"${hint ? ` (did you mean "${hint}"?)` : ''}; its parameters: ${list(info.parameters.keys())}`,
              ),
            );
          }
        }
      }
      for (const [param, source] of Object.entries(stack.parameters)) {
        if (source.kind === 'output') checkOutput(scope, source, `${sp}.parameters.${param}`);
      }
      stack.dependsOn.forEach((dep, j) => {
        if (!names.includes(dep)) {
          errors.push(
            lines.error(scope.file, `${sp}.dependsOn[${j}]`, `stack "${dep}" is not declared in this file; its stacks: ${list(names)}`),
          );
        }
      });
      const deploy = stack.deployRegion;
      if (deploy && deploy !== 'hub' && REGION_PATTERN.test(deploy) && !regionsByName.has(deploy)) {
        errors.push(
          lines.error(scope.file, `${sp}.deployRegion`, `expected hub or a declared region (${list(regionsByName.keys())}), got "${deploy}"`),
        );
      }
    });
    try {
      orderStacks(scope.region);
    } catch (err) {
      if (err instanceof ConfigurationError && scope.prefix !== 'stacks') {
        const at = err.location?.path ? `account.${err.location.path}` : 'account.stacks';
        errors.push(lines.error(scope.file, at, err.message.slice(err.message.indexOf(': ') + 2)));
      } else if (err instanceof ConfigurationError) errors.push(err);
      else throw err;
    }
    if (scope.prefix === 'stacks') {
      for (const [name, source] of Object.entries(scope.region.clusterVars)) {
        if (source.kind === 'output') checkOutput(scope, source, `clusterVars.${name}`);
      }
    }
  }
  return errors;
}
