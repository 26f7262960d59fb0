/**
 * Neutralising text that comes from users (PR titles, branch names, template values, Helm values)
 * before it is placed in GitHub markdown: no HTML, no markdown structure, no @mentions.
 */

const ZWSP = '\u200b';

/** Breaks `@user` / `@org/team` mentions without changing how the text reads. */
function breakMentions(s: string): string {
  return s.replace(/@(?=[A-Za-z0-9_-])/g, `@${ZWSP}`);
}

/** Plain inline markdown text: markdown punctuation backslash-escaped, HTML entity-escaped, one line. */
export function escapeText(text: string): string {
  const oneLine = text.replace(/\r?\n/g, ' ');
  // Without `[`/`]`/`<` no link or autolink can form; `-`/`+` only matter at a line start, where this text never is.
  const md = oneLine.replace(/[\\`*_[\]#|~]/g, (c) => `\\${c}`);
  return breakMentions(md.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
}

/** Text inside an HTML element (e.g. `<summary>`), where markdown is not processed: entities only. */
export function escapeHtml(text: string): string {
  return breakMentions(
    text
      .replace(/\r?\n/g, ' ')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/`/g, '&#96;'),
  );
}

/**
 * An inline code span holding any text: the backtick delimiter is longer than any run inside, and
 * in a table cell `|` is escaped (GFM splits cells before parsing code spans). Newlines become `⏎`.
 */
export function codeSpan(text: string, inTable = true): string {
  let s = text.replace(/\r?\n/g, '⏎');
  if (inTable) s = s.replace(/\|/g, '\\|');
  if (s === '') return '';
  const longest = Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));
  const tick = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') || /^ +$/.test(s) ? ' ' : '';
  return `${tick}${pad}${s}${pad}${tick}`;
}

/** A fenced code block that its content cannot close early (fence longer than any backtick run inside). */
export function codeFence(content: string, lang = ''): string {
  const longest = Math.max(0, ...[...content.matchAll(/`{3,}/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  const body = content.endsWith('\n') ? content : `${content}\n`;
  return `${fence}${lang}\n${body}${fence}\n`;
}

/** Cuts text to `max` characters, saying so. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}
