/**
 * A small evaluator for the subset of GitHub Actions expressions the workflows use in `with:` and `if:`
 * (property access, string/number/boolean/null literals, `!`, `==`, `!=`, `&&`, `||`, parentheses), with
 * GitHub's semantics: `&&`/`||` return an operand, `==` compares strings case-insensitively.
 */
export type ExpressionValue = string | number | boolean | null | { [key: string]: unknown } | unknown[];

type Token =
  | { type: 'op'; value: string }
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'ident'; value: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const op = /^(==|!=|&&|\|\||!|\(|\)|\.|\[|\])/.exec(rest);
    if (op) {
      tokens.push({ type: 'op', value: op[0] });
      i += op[0].length;
      continue;
    }
    const str = /^'((?:[^']|'')*)'/.exec(rest);
    if (str) {
      tokens.push({ type: 'string', value: (str[1] ?? '').replace(/''/g, "'") });
      i += str[0].length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(rest);
    if (num) {
      tokens.push({ type: 'number', value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(rest);
    if (ident) {
      tokens.push({ type: 'ident', value: ident[0] });
      i += ident[0].length;
      continue;
    }
    throw new Error(`unsupported expression syntax at "${rest}" in "${source}"`);
  }
  return tokens;
}

function truthy(value: unknown): boolean {
  return !(value === null || value === undefined || value === false || value === 0 || value === '');
}

function equal(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return (a ?? null) === (b ?? null);
}

/** Evaluates one expression (the text inside `${{ }}`) against a context such as `{ github, vars, inputs }`. */
export function evaluateExpression(source: string, context: Record<string, unknown>): unknown {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isOp = (value: string): boolean => {
    const token = peek();
    return token?.type === 'op' && token.value === value;
  };
  const expectOp = (value: string): void => {
    if (!isOp(value)) throw new Error(`expected "${value}" in "${source}"`);
    pos += 1;
  };

  const primary = (): unknown => {
    const token = tokens[pos++];
    if (!token) throw new Error(`unexpected end of "${source}"`);
    if (token.type === 'string' || token.type === 'number') return token.value;
    if (token.type === 'op' && token.value === '(') {
      const value = or();
      expectOp(')');
      return value;
    }
    if (token.type === 'ident') {
      if (token.value === 'true') return true;
      if (token.value === 'false') return false;
      if (token.value === 'null') return null;
      let value: unknown = context[token.value];
      for (;;) {
        if (isOp('.')) {
          pos += 1;
          const name = tokens[pos++];
          if (name?.type !== 'ident') throw new Error(`expected a property name in "${source}"`);
          value = (value as Record<string, unknown> | undefined)?.[name.value];
        } else if (isOp('[')) {
          pos += 1;
          const key = or();
          expectOp(']');
          value = (value as Record<string, unknown> | undefined)?.[String(key)];
        } else {
          return value ?? null;
        }
      }
    }
    throw new Error(`unexpected "${token.value}" in "${source}"`);
  };
  const unary = (): unknown => {
    if (isOp('!')) {
      pos += 1;
      return !truthy(unary());
    }
    return primary();
  };
  const comparison = (): unknown => {
    const left = unary();
    if (isOp('==') || isOp('!=')) {
      const negate = (tokens[pos++] as Token).value === '!=';
      const right = unary();
      return equal(left, right) !== negate;
    }
    return left;
  };
  const and = (): unknown => {
    let value = comparison();
    while (isOp('&&')) {
      pos += 1;
      const right = comparison();
      value = truthy(value) ? right : value;
    }
    return value;
  };
  const or = (): unknown => {
    let value = and();
    while (isOp('||')) {
      pos += 1;
      const right = and();
      value = truthy(value) ? value : right;
    }
    return value;
  };

  const result = or();
  if (pos !== tokens.length) throw new Error(`unexpected trailing tokens in "${source}"`);
  return result;
}

/** Resolves a workflow value: a lone `${{ expr }}` gives its value, text with expressions gives a string. */
export function resolveWorkflowValue(value: unknown, context: Record<string, unknown>): unknown {
  if (typeof value !== 'string') return value;
  const lone = /^\s*\$\{\{([\s\S]*?)\}\}\s*$/.exec(value);
  if (lone) return evaluateExpression(lone[1] ?? '', context);
  return value.replace(/\$\{\{([\s\S]*?)\}\}/g, (_match, inner: string) => {
    const result = evaluateExpression(inner, context);
    return result === null || result === undefined ? '' : String(result);
  });
}
