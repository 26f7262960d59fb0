/**
 * Escaping for the status page. Everything it shows from the history (region names, versions, check
 * summaries, vantage points) came from a verify report, i.e. from answers of the endpoints probed, so
 * it is treated as hostile: text and attribute values are entity-escaped, and data handed to the
 * page's script is JSON that cannot close its <script> element.
 */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text for an HTML element's content or a quoted attribute value. */
export function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);
}

/** JSON for `<script type="application/json">`: `<`, `>`, `&` and the JS line separators as \u escapes. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A token safe as a CSS class or data value: anything but `[a-z0-9-]` becomes `-`. */
export function cssToken(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}
