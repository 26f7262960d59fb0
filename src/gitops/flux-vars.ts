import { EVENT_ID, getScalarValue, parseEvents } from 'js-yaml';
import { FluxFileCache, readFluxTree, type FluxFile, type FluxTree } from './flux-files.js';
import { lineFinder } from './yaml-file.js';

/** Where a `${var}` is used. */
export interface VariableUse {
  file: string;
  line: number;
  /** The Flux Kustomization that builds the file. */
  kustomization: string;
  /** Whether that Kustomization reads the `cluster-vars` ConfigMap. */
  clusterVars: boolean;
}

/**
 * `${name}`, `${name:=default}`, `${name:-default}`, `${name=default}`, `${name-default}`; `$${…}` is
 * Flux's escape for a literal `${…}`. `$name` without braces is never substituted by Flux.
 */
const VARIABLE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(:?[-=][^}]*)?\}/g;

/** Each `${var}` without a default in a YAML file's values and keys (comments are dropped by kustomize before substitution). */
export function variablesInYaml(f: FluxFile): { name: string; line: number; hasDefault: boolean }[] {
  if (f.error) return [];
  const lineOf = lineFinder(f.text);
  const out: { name: string; line: number; hasDefault: boolean }[] = [];
  for (const ev of parseEvents(f.text, {})) {
    if (ev.type !== EVENT_ID.SCALAR) continue;
    const value = getScalarValue(f.text, ev);
    if (!value.includes('${')) continue;
    const first = lineOf(ev.valueStart);
    for (const m of value.matchAll(VARIABLE)) {
      if (m[1]) continue;
      // Block scalars keep their line breaks, so the match's line is the start plus the breaks before it.
      const line = first + (value.slice(0, m.index).match(/\n/g)?.length ?? 0);
      out.push({ name: m[2]!, line, hasDefault: m[3] !== undefined });
    }
  }
  return out;
}

/** Every use of a variable in the files of a Flux tree, split by whether Flux substitutes there. */
export function variableUses(tree: FluxTree, cache: FluxFileCache) {
  const substituted = new Map<string, VariableUse[]>();
  const literal = new Map<string, VariableUse[]>();
  const seen = new Set<string>();
  for (const k of tree.kustomizations) {
    for (const abs of k.files) {
      const f = cache.get(abs);
      for (const v of variablesInYaml(f)) {
        if (v.hasDefault) continue;
        if (k.inlineVars.includes(v.name)) continue;
        const key = `${k.substituted}|${f.file}:${v.line}|${v.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const target = k.substituted ? substituted : literal;
        const uses = target.get(v.name) ?? [];
        uses.push({ file: f.file, line: v.line, kustomization: k.name, clusterVars: k.clusterVars });
        target.set(v.name, uses);
      }
    }
  }
  return { substituted, literal };
}

/**
 * Every `${var}` (without a default) Flux substitutes in what it applies for a region, with where it is used.
 * Only files built by a Kustomization with `postBuild` are substituted; elsewhere `${…}` reaches the
 * cluster as written (e.g. a shell script), so those uses need no source and are not listed here.
 */
export function fluxVariables(dir: string, region: string): Map<string, VariableUse[]> {
  const cache = new FluxFileCache(dir);
  return variableUses(readFluxTree(dir, region, cache), cache).substituted;
}
