import { EVENT_ID, YAMLException, getScalarValue, loadAll, parseEvents, type Schema } from 'js-yaml';
import { ConfigurationError, errorMessage } from '../util/errors.js';

/** One YAML document with the 1-based line of every field path in it (`stacks[1].parameters.VpcCidr`). */
export interface YamlDocument {
  value: unknown;
  /** Line of the document's content. */
  line: number;
  /** Field path → 1-based line of its key (mapping entries) or of the item (sequence entries); '' is the root. */
  lines: Map<string, number>;
}

/** `parent.key`, or `parent["odd key"]` when the key is not a plain identifier. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** 1-based line of an offset, by binary search over line starts. */
export function lineFinder(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

interface Frame {
  kind: 'map' | 'seq';
  path: string;
  index: number;
  /** In a mapping: the key just read, waiting for its value (undefined when the next node is a key). */
  key?: string;
}

/**
 * Where every field path of every document starts. js-yaml 5 has no `listener` option; its event stream
 * carries source offsets, which is exactly what a line index needs.
 */
export function yamlLocations(text: string): Map<string, number>[] {
  const lineOf = lineFinder(text);
  const docs: Map<string, number>[] = [];
  let lines = new Map<string, number>();
  const stack: Frame[] = [];
  // Returns the path of the node about to be read, recording its line, or undefined for a mapping key.
  const place = (offset: number, keyText: () => string): string | undefined => {
    const top = stack[stack.length - 1];
    if (!top) {
      lines.set('', lineOf(offset));
      return '';
    }
    if (top.kind === 'seq') {
      const path = childPath(top.path, top.index++);
      lines.set(path, lineOf(offset));
      return path;
    }
    if (top.key === undefined) {
      top.key = keyText();
      const path = childPath(top.path, top.key);
      if (!lines.has(path)) lines.set(path, lineOf(offset));
      return undefined;
    }
    const path = childPath(top.path, top.key);
    top.key = undefined;
    return path;
  };
  for (const ev of parseEvents(text, {})) {
    switch (ev.type) {
      case EVENT_ID.DOCUMENT:
        lines = new Map();
        docs.push(lines);
        break;
      case EVENT_ID.SCALAR:
        place(ev.valueStart, () => getScalarValue(text, ev));
        break;
      case EVENT_ID.ALIAS:
        place(ev.anchorStart, () => '');
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        // A collection used as a mapping key is legal YAML but never meaningful here.
        const path = place(ev.start, () => '?') ?? '?';
        stack.push({ kind: ev.type === EVENT_ID.MAPPING ? 'map' : 'seq', path, index: 0 });
        break;
      }
      case EVENT_ID.POP:
        stack.pop();
        break;
    }
  }
  return docs;
}

/** A parser failure as a configuration error at the parser's line and column. */
export function yamlError(err: unknown, file: string): ConfigurationError {
  if (err instanceof YAMLException) {
    const mark = err.mark;
    const where = mark ? ` (line ${mark.line + 1}, column ${mark.column + 1})` : '';
    return new ConfigurationError(`invalid YAML: ${err.reason}${where}`, {
      file,
      line: mark ? mark.line + 1 : undefined,
    });
  }
  return new ConfigurationError(`could not read YAML: ${errorMessage(err)}`, { file });
}

/** Every document of a YAML file with its line index; throws a ConfigurationError on malformed YAML. */
export function parseYamlDocuments(text: string, file: string, schema?: Schema): YamlDocument[] {
  let values: unknown[];
  let locations: Map<string, number>[];
  try {
    values = loadAll(text, { filename: file, ...(schema ? { schema } : {}) });
    locations = yamlLocations(text);
  } catch (err) {
    throw yamlError(err, file);
  }
  return values.map((value, i) => {
    const lines = locations[i] ?? new Map<string, number>();
    return { value, lines, line: lines.get('') ?? 1 };
  });
}

/** A single-document YAML file (empty → null); throws a ConfigurationError on malformed YAML or several documents. */
export function parseYamlDocument(text: string, file: string, schema?: Schema): YamlDocument {
  const docs = parseYamlDocuments(text, file, schema);
  if (docs.length > 1) {
    throw new ConfigurationError(`expected one YAML document, found ${docs.length}`, {
      file,
      line: docs[1]?.line,
    });
  }
  return docs[0] ?? { value: null, line: 1, lines: new Map() };
}
