import path from 'node:path';
import { ConfigurationError } from '../util/errors.js';
import { CFN_SCHEMA } from './cfn-yaml.js';
import { readRegularFileSync, shownPath, walkTree } from './regular-files.js';
import { childPath, parseYamlDocument, type YamlDocument } from './yaml-file.js';

/*
 * A transform (the template's `Transform`, `Fn::Transform`, and AWS::Include among them) runs at
 * CreateChangeSet: a macro is a Lambda function in the account, and AWS::Include reads a snippet from S3.
 * What CloudFormation then applies is the macro's output, not the reviewed template. CloudFormation
 * processes transforms at CreateChangeSet whatever the capabilities, so refusing them here is the guard; the
 * plan also never passes CAPABILITY_AUTO_EXPAND.
 */

const WHY =
  'a transform runs code in the account (a macro, AWS::Include from S3) when the change set is created, so what is applied is not the reviewed template; write the resources out in the template';

function lineOf(doc: YamlDocument, fieldPath: string): number {
  let p = fieldPath;
  for (;;) {
    const line = doc.lines.get(p);
    if (line !== undefined) return line;
    if (!p) return doc.line;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
  }
}

function transformNames(value: unknown): string {
  const one = (v: unknown) =>
    typeof v === 'string' ? v : v && typeof v === 'object' && 'Name' in v ? String((v as { Name: unknown }).Name) : '?';
  return Array.isArray(value) ? value.map(one).join(', ') : one(value);
}

/** Transform, Fn::Transform and AWS::Include in one parsed template. */
export function templateTransforms(template: unknown, doc: YamlDocument, file: string): ConfigurationError[] {
  const errors: ConfigurationError[] = [];
  const err = (at: string, message: string) =>
    errors.push(new ConfigurationError(message, { file, line: lineOf(doc, at), path: at }));
  const walk = (v: unknown, at: string) => {
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, childPath(at, i)));
      return;
    }
    if (typeof v === 'string') {
      if (v.trim() === 'AWS::Include') err(at, `AWS::Include is not allowed: ${WHY}`);
      return;
    }
    if (!v || typeof v !== 'object') return;
    for (const [key, child] of Object.entries(v as Record<string, unknown>)) {
      const here = childPath(at, key);
      if ((key === 'Transform' && at === '') || key === 'Fn::Transform') {
        err(here, `${key} (${transformNames(child)}) is not allowed: ${WHY}`);
        continue; // one error per transform, not one more for its AWS::Include name
      }
      walk(child, here);
    }
  };
  walk(template, '');
  return errors;
}

/** Every template in gitops/stacks/: transforms are errors. */
export function validateTemplateSafety(gitopsDir: string): ConfigurationError[] {
  const root = path.resolve(gitopsDir);
  const stacks = path.join(root, 'stacks');
  const errors: ConfigurationError[] = [];
  try {
    walkTree(stacks, (abs, kind) => {
      if (kind !== 'file' || !/\.ya?ml$/.test(abs) || path.dirname(abs) !== stacks) return;
      const file = shownPath(root, abs);
      try {
        const doc = parseYamlDocument(readRegularFileSync(abs, file), file, CFN_SCHEMA);
        errors.push(...templateTransforms(doc.value, doc, file));
      } catch (e) {
        if (!(e instanceof ConfigurationError)) throw e; // the loader reports malformed templates
      }
    });
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e; // the loader reports a missing stacks/
  }
  return errors;
}
