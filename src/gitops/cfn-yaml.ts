import {
  CORE_SCHEMA,
  NOT_RESOLVED,
  defineMappingTag,
  defineScalarTag,
  defineSequenceTag,
  type TagDefinition,
} from 'js-yaml';
import { ConfigurationError } from '../util/errors.js';
import { parseYamlDocument } from './yaml-file.js';

/** Short-form intrinsic functions (`!Sub` → `Fn::Sub`); `!Ref` and `!Condition` keep their own keys. */
const FUNCTIONS = [
  'And',
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Length',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
  'ToJsonString',
  'Transform',
] as const;

function keyOf(name: string): string {
  return name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
}

function tagsFor(name: string): TagDefinition[] {
  const key = keyOf(name);
  const tag = `!${name}`;
  const wrap = (value: unknown) => ({ [key]: value });
  return [
    defineScalarTag(tag, {
      resolve: (source) =>
        // `!GetAtt Res.Attr.Sub` is the short form of ['Res', 'Attr.Sub'].
        name === 'GetAtt'
          ? source.includes('.')
            ? wrap([source.slice(0, source.indexOf('.')), source.slice(source.indexOf('.') + 1)])
            : NOT_RESOLVED
          : wrap(source),
      identify: () => false,
    }),
    defineSequenceTag<unknown[], unknown>(tag, {
      create: () => [],
      addItem: (items, item) => {
        items.push(item);
      },
      finalize: (items) => wrap(items),
      identify: () => false,
    }),
    defineMappingTag<Record<string, unknown>, unknown>(tag, {
      create: () => ({}),
      addPair: (map, k, v) => {
        map[String(k)] = v;
        return '';
      },
      has: (map, k) => Object.hasOwn(map, String(k)),
      keys: (result) => Object.keys((result as Record<string, Record<string, unknown>>)[key] ?? {}),
      get: (result, k) => (result as Record<string, Record<string, unknown>>)[key]?.[String(k)],
      finalize: (map) => wrap(map),
      identify: () => false,
    }),
  ];
}

/** js-yaml schema that reads CloudFormation's short-form tags into their JSON form. */
export const CFN_SCHEMA = CORE_SCHEMA.withTags(
  ...['Ref', 'Condition', ...FUNCTIONS].flatMap((name) => tagsFor(name)),
);

/** A CloudFormation template in its JSON form (`!Ref X` → `{ Ref: 'X' }`); throws a ConfigurationError when malformed. */
export function parseTemplate(text: string, file: string): Record<string, unknown> {
  const doc = parseYamlDocument(text, file, CFN_SCHEMA);
  if (!doc.value || typeof doc.value !== 'object' || Array.isArray(doc.value)) {
    throw new ConfigurationError(
      'a CloudFormation template must be a mapping (AWSTemplateFormatVersion, Parameters, Resources, …)',
      { file, line: 1 },
    );
  }
  return doc.value as Record<string, unknown>;
}

