import { regionPlanChanged, stackPlanChanged } from '../review/changed.js';
import { ruleGuidance } from '../review/domain-rules.js';
import type { Risk } from '../aws/cloudformation/change-set-identity.js';
import type {
  ChartRelease,
  FluxObjectChange,
  PlanReport,
  RegionPlan,
  ResourceChange,
  RiskFinding,
  StackPlan,
} from '../plan/plan-types.js';
import { clip, codeFence, codeSpan, escapeHtml, escapeText } from './markdown-escape.js';
import { renderRolloutEstimate } from './rollout-estimate-text.js';

/** GitHub's limit for an issue comment body. */
export const COMMENT_BUDGET = 65_536;
/** The job summary limit (1 MiB). */
export const SUMMARY_BUDGET = 1_048_576;

export interface PlanMarkdownOptions {
  /** Size limit, measured in UTF-8 bytes (never less than characters, so safe for both limits). */
  budget: number;
  /** Hidden HTML comment that identifies the sticky comment, e.g. `<!-- coder-gitops:plan -->`. */
  marker: string;
  runUrl?: string;
}

export interface PlanMarkdown {
  markdown: string;
  /** Whether anything was left out or shortened to fit the budget. */
  truncated: boolean;
  /** What was left out (or shortened), for the note at the end and the step log. */
  omitted: string[];
}

const RISK_ICON: Record<Risk, string> = { none: '⚪', low: '🟢', medium: '🟡', high: '🔴' };
const CELL = 120;

/** `known after apply (network.VpcId in us-east-2)` → `network.VpcId in us-east-2`, to not say it twice. */
function afterApplyDetail(reason: string): string {
  const m = /^known after apply \((.*)\)$/.exec(reason);
  return m ? m[1]! : reason;
}

/** Blast-radius numbers shown in the header (and usable by the CLI). */
export interface BlastRadius {
  regions: number;
  stacks: number;
  replacements: number;
  conditionalReplacements: number;
  deletions: number;
  iamChanges: number;
  fluxChanges: number;
  dnsChanges: number;
}

/** Counts what a plan changes. */
export function blastRadius(report: PlanReport): BlastRadius {
  const stacks = [...report.account, ...report.regions.flatMap((r) => r.stacks)];
  const changes = stacks.flatMap((s) => s.changes);
  const flux = report.regions.flatMap((r) => r.flux);
  return {
    regions: report.regions.filter(regionPlanChanged).length,
    stacks: stacks.filter(stackPlanChanged).length,
    replacements: changes.filter((c) => c.replacement === 'True').length,
    conditionalReplacements: changes.filter((c) => c.replacement === 'Conditional').length,
    deletions:
      changes.filter((c) => c.action === 'Remove').length +
      flux.filter((f) => f.action === 'removed' && f.prunes).length +
      report.regions.flatMap((r) => r.dns).filter((d) => d.action === 'remove').length,
    iamChanges: changes.filter((c) => c.type.startsWith('AWS::IAM::')).length,
    fluxChanges: flux.length,
    dnsChanges: report.regions.reduce((n, r) => n + r.dns.length, 0),
  };
}

/** Every finding once (report, region and stack level), highest first. */
export function allFindings(report: PlanReport): RiskFinding[] {
  const all = [
    ...report.findings,
    ...report.account.flatMap((s) => s.findings),
    ...report.regions.flatMap((r) => [...r.findings, ...r.stacks.flatMap((s) => s.findings)]),
  ];
  const seen = new Set<string>();
  const out: RiskFinding[] = [];
  for (const f of all) {
    const key = `${f.level}|${f.rule}|${f.region ?? ''}|${f.subject}|${f.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  const rank: Record<Risk, number> = { high: 0, medium: 1, low: 2, none: 3 };
  return out.sort((a, b) => rank[a.level] - rank[b.level]);
}

// ---------------------------------------------------------------------------------------------
// Packing: the comment is assembled from atomic blocks (a table, a fenced diff, a <details> pair
// is never split), chosen by priority until the budget is spent, then emitted in reading order.

interface Frame {
  open: string;
  close: string;
}

interface Block {
  label: string;
  text: string;
  priority: number;
  /** A smaller rendering to use when the full one does not fit. */
  fallback?: string;
  frame?: Frame;
}

const size = (s: string): number => Buffer.byteLength(s, 'utf8');

/** The plan as a GitHub comment / job summary, packed by priority into `budget`. */
export function renderPlanMarkdown(report: PlanReport, opts: PlanMarkdownOptions): PlanMarkdown {
  const mandatory = headerBlock(report, opts) + errorsBlock(report);
  const blocks: Block[] = [...findingBlocks(report), ...sourceVersionBlocks(report), ...whatIfBlocks(report)];
  if (report.account.length > 0)
    blocks.push(
      ...sectionBlocks(
        'Account stacks (github-oidc, applied by an administrator)',
        report.account,
        undefined,
        'account',
      ),
    );
  for (const region of report.regions) blocks.push(...regionBlocks(region));
  const footer = footerBlock(report, opts);

  const noteReserve = Math.min(3000, Math.floor(opts.budget / 8));
  let available = opts.budget - size(mandatory) - size(footer) - noteReserve;
  const chosen = new Map<number, string>();
  const openFrames = new Set<Frame>();
  const omitted: string[] = [];
  const order = blocks.map((b, i) => ({ b, i })).sort((x, y) => x.b.priority - y.b.priority || x.i - y.i);
  for (const { b, i } of order) {
    const frameCost = b.frame && !openFrames.has(b.frame) ? size(b.frame.open) + size(b.frame.close) : 0;
    if (size(b.text) + frameCost <= available) {
      chosen.set(i, b.text);
      available -= size(b.text) + frameCost;
    } else if (b.fallback !== undefined && size(b.fallback) + frameCost <= available) {
      chosen.set(i, b.fallback);
      available -= size(b.fallback) + frameCost;
      omitted.push(`${b.label} (shortened)`);
    } else {
      omitted.push(b.label);
      continue;
    }
    if (b.frame) openFrames.add(b.frame);
  }

  let body = '';
  let current: Frame | undefined;
  blocks.forEach((b, i) => {
    const text = chosen.get(i);
    if (text === undefined) return;
    if (b.frame !== current) {
      if (current) body += current.close;
      if (b.frame) body += b.frame.open;
      current = b.frame;
    }
    body += text;
  });
  if (current) body += current.close;

  const note = omitted.length > 0 ? omittedNote(omitted, noteReserve) : '';
  let markdown = mandatory + body + note + footer;
  if (size(markdown) > opts.budget) {
    // Only reachable when the header and errors alone exceed the budget.
    markdown =
      clipToBudget(mandatory, opts.budget - size(footer) - 200) +
      omittedNote(['everything after the header'], 200) +
      footer;
    omitted.push('everything after the header');
  }
  return { markdown, truncated: omitted.length > 0, omitted };
}

function clipToBudget(text: string, budget: number): string {
  const lines = text.split('\n');
  let out = '';
  for (const l of lines) {
    if (size(out) + size(l) + 1 > budget) break;
    out += `${l}\n`;
  }
  return out;
}

function omittedNote(omitted: string[], reserve: number): string {
  const head = `\n> [!NOTE]\n> Not shown here, to stay within GitHub's size limit — see the job summary / JSON report: `;
  let list = '';
  let shown = 0;
  for (const o of omitted) {
    const item = `${shown ? ', ' : ''}${escapeText(o)}`;
    if (size(head) + size(list) + size(item) + 40 > reserve) break;
    list += item;
    shown++;
  }
  const more = omitted.length - shown;
  return `${head}${list}${more > 0 ? `${shown ? ', and ' : ''}${more} more` : ''}.\n`;
}

// ---------------------------------------------------------------------------------------------

function headerBlock(report: PlanReport, opts: PlanMarkdownOptions): string {
  const br = blastRadius(report);
  const lines: string[] = [opts.marker];
  const changed = report.hasChanges
    ? `${br.regions} region${br.regions === 1 ? '' : 's'} changed`
    : 'no changes';
  const problems = report.errors.length;
  // A plan stopped by errors must never read as "no changes": what was not planned is unknown.
  if (problems > 0) {
    lines.push(
      `## ❌ Plan incomplete: ${problems} problem${problems === 1 ? '' : 's'} · ${report.risk} risk in what was planned`,
    );
  } else {
    lines.push(`## ${RISK_ICON[report.risk]} Plan: ${report.risk} risk · ${changed}`);
  }
  lines.push('');
  if (problems > 0 && report.mode === 'online') {
    lines.push(
      '**Online plan, incomplete**: change sets exist only for the stacks listed below; fix the problems and push again.',
    );
  } else if (report.mode === 'offline') {
    lines.push(
      `**Offline plan**${report.offlineReason ? ` — ${escapeText(report.offlineReason)}` : ''}: validation, template diff and Flux diff only; no change sets were created, so apply-region will create them after merge.`,
    );
  } else {
    lines.push(
      '**Online plan**: CloudFormation change sets created for the head commit; apply-region executes exactly these.',
    );
  }
  lines.push('');
  const repl = `${br.replacements} replacement${br.replacements === 1 ? '' : 's'}${br.conditionalReplacements ? ` (+${br.conditionalReplacements} conditional)` : ''}`;
  lines.push(
    `**Blast radius:** ${br.regions} region${br.regions === 1 ? '' : 's'} × ${br.stacks} stack${br.stacks === 1 ? '' : 's'} changed · ${repl} · ${br.deletions} deletion${br.deletions === 1 ? '' : 's'} · ${br.iamChanges} IAM change${br.iamChanges === 1 ? '' : 's'} · ${br.fluxChanges} Flux change${br.fluxChanges === 1 ? '' : 's'} · ${br.dnsChanges} DNS change${br.dnsChanges === 1 ? '' : 's'} · risk **${report.risk}**`,
  );
  lines.push('');
  if (report.regions.length > 0) {
    lines.push(
      `| Region | Risk | Stacks changed | Flux | DNS | Cluster vars |\n|---|---|---|---|---|---|\n${report.regions
        .map(
          (r) =>
            `| ${escapeText(r.region)}${r.enabled ? '' : ' (disabled)'} | ${RISK_ICON[r.risk]} ${r.risk} | ${r.stacks.filter(stackPlanChanged).length}/${r.stacks.length} | ${r.flux.length} | ${r.dns.length} | ${r.clusterVars.length} |`,
        )
        .join('\n')}`,
    );
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

function errorsBlock(report: PlanReport): string {
  if (report.errors.length === 0) return '';
  const items = report.errors.slice(0, 50).map((e) => {
    const at = e.file ? `${e.file}${e.line ? `:${e.line}` : ''}` : '';
    const where = at ? `${codeSpan(at, false)}: ` : '';
    // Configuration errors name their location in the message too: say it once.
    const message = at && e.message.startsWith(`${at} `) ? e.message.slice(at.length + 1) : e.message;
    return `- ${where}${escapeText(clip(message, 500))}`;
  });
  if (report.errors.length > 50) items.push(`- … and ${report.errors.length - 50} more (see the job log)`);
  return `### ❌ The plan could not complete\n\n${items.join('\n')}\n\n`;
}

function footerBlock(report: PlanReport, opts: PlanMarkdownOptions): string {
  const parts = [
    `head ${codeSpan(report.headSha.slice(0, 12), false)}`,
    `base ${codeSpan(report.baseRef, false)}`,
  ];
  if (opts.runUrl && /^https?:\/\/[^\s()<>]+$/.test(opts.runUrl))
    parts.push(`[workflow run](${opts.runUrl})`);
  parts.push(`${(report.durationMs / 1000).toFixed(1)} s`);
  return `\n<sub>${parts.join(' · ')}</sub>\n`;
}

/** The what-if routing table (a plan that adds or drains a region), with how it is modelled. */
function whatIfBlocks(report: PlanReport): Block[] {
  const w = report.whatIfRouting;
  if (!w) return [];
  const cell = (r: string | undefined) => (r ? escapeText(r) : '— (none)');
  const head = `| Vantage point | Today (${w.todaySource === 'route53' ? 'Route 53' : 'base commit'}) | After this PR |${w.after.map((r) => ` ${escapeText(r)} down |`).join('')}\n|---|---|---|${w.after.map(() => '---|').join('')}\n`;
  const rows = w.rows
    .map(
      (r) =>
        `| ${escapeText(r.vantagePoint)} (${escapeText(r.clientSubnet)}) | ${cell(r.today)} | ${cell(r.after)}${r.expectedAfter ? '' : ' (hub fallback)'} |${w.after.map((x) => ` ${cell(r.ifDown[x])}${r.fallbackIfDown.includes(x) ? ' (hub fallback)' : ''} |`).join('')}`,
    )
    .join('\n');
  return [
    {
      label: 'what-if routing',
      text: `### What-if routing\n\nApex latency set today: ${w.today.map(escapeText).join(', ') || '(none)'} → after: ${w.after.map(escapeText).join(', ') || '(none)'}${w.today.join(',') === w.after.join(',') ? ' (unchanged: the apex answers stay as they are)' : ''}.${w.proxiesAfter.length ? ` Workspace proxies, not in the apex set (they answer only their own \`<region>.<domain>\` names): ${w.proxiesAfter.map(escapeText).join(', ')}.` : ''}\n\n${head}${rows}\n\n<sub>${escapeText(w.model)}.</sub>\n\n`,
      priority: 1,
    },
  ];
}

/** Every chart and image version the pull request asks for: found, missing, or not checked and why. */
function sourceVersionBlocks(report: PlanReport): Block[] {
  const checks = report.regions.flatMap((r) => r.sourceVersions ?? []);
  if (checks.length === 0) return [];
  const result = (c: (typeof checks)[number]) =>
    c.outcome === 'exists'
      ? 'exists'
      : c.outcome === 'missing'
        ? `**missing**: ${escapeText(clip(c.reason, 300))}`
        : `not checked: ${escapeText(clip(c.reason, 300))}`;
  const rows = checks
    .map(
      (c) =>
        `| ${escapeText(c.region)} | ${codeSpan(clip(c.subject, CELL), false)} | ${codeSpan(clip(c.reference, CELL), false)} | ${result(c)} |`,
    )
    .join('\n');
  return [
    {
      label: 'source versions',
      text: `### Chart and image versions\n\n| Region | Object | Version | In its source? |\n|---|---|---|---|\n${rows}\n\n<sub>Looked up through main's allowedSources only (Helm index.yaml, OCI registry manifests); "not checked" says why.</sub>\n\n`,
      fallback: `### Chart and image versions\n\n${checks.filter((c) => c.outcome === 'missing').length} missing, ${checks.filter((c) => c.outcome === 'not-checked').length} not checked, ${checks.filter((c) => c.outcome === 'exists').length} found (table omitted for size; see the JSON report).\n\n`,
      priority: 2,
    },
  ];
}

function findingBlocks(report: PlanReport): Block[] {
  const findings = allFindings(report);
  const blocks: Block[] = [];
  const high = findings.filter((f) => f.level === 'high');
  const medium = findings.filter((f) => f.level === 'medium');
  const line = (f: RiskFinding) => {
    const guide = ruleGuidance(f.rule);
    return (
      `- **${escapeText(f.rule)}**${f.region ? ` (${escapeText(f.region)})` : ''} ${codeSpan(clip(f.subject, CELL), false)}: ${escapeText(clip(f.message, 400))}\n` +
      (guide ? `  <br><sub>Why: ${escapeText(guide.why)}. Check: ${escapeText(guide.check)}.</sub>\n` : '')
    );
  };
  if (high.length > 0) {
    blocks.push({ label: 'dangers heading', text: `### ⚠️ Dangers\n\n`, priority: 1 });
    high.forEach((f, i) =>
      blocks.push({ label: `danger ${i + 1}: ${f.subject}`, text: line(f), priority: 1 }),
    );
    blocks.push({ label: 'dangers end', text: '\n', priority: 1 });
  }
  if (medium.length > 0) {
    blocks.push({ label: 'warnings heading', text: `### Warnings\n\n`, priority: 2 });
    medium.forEach((f, i) =>
      blocks.push({ label: `warning ${i + 1}: ${f.subject}`, text: line(f), priority: 2 }),
    );
    blocks.push({ label: 'warnings end', text: '\n', priority: 2 });
  }
  return blocks;
}

function regionBlocks(region: RegionPlan): Block[] {
  const changedStacks = region.stacks.filter(stackPlanChanged).length;
  const bits = [
    `${RISK_ICON[region.risk]} ${region.risk} risk`,
    `${changedStacks} stack${changedStacks === 1 ? '' : 's'} changed`,
    `${region.flux.length} Flux`,
    `${region.dns.length} DNS`,
  ];
  if (region.clusterVars.length) bits.push(`${region.clusterVars.length} cluster vars`);
  if (!region.enabled) bits.push('disabled');
  const title = `<b>${escapeHtml(region.region)}</b> · ${bits.join(' · ')}`;
  const blocks = sectionBlocks(title, region.stacks, region, region.region);
  const estimate = renderRolloutEstimate(region.estimate);
  if (estimate && blocks[0]) {
    const first = blocks[0];
    blocks.splice(1, 0, {
      label: `${region.region}: estimate`,
      text: `${escapeHtml(estimate)}\n\n`,
      priority: first.priority,
      frame: first.frame,
    });
  }
  return blocks;
}

/** A `<details>` section: stacks table first, then details by decreasing priority. */
function sectionBlocks(
  summaryHtml: string,
  stacks: StackPlan[],
  region: RegionPlan | undefined,
  label: string,
): Block[] {
  const frame: Frame = {
    open: `<details><summary>${region ? summaryHtml : escapeHtml(summaryHtml)}</summary>\n\n`,
    close: `</details>\n\n`,
  };
  const blocks: Block[] = [];
  const add = (b: Omit<Block, 'frame'>) => blocks.push({ ...b, frame });

  if (region && !region.enabled && stacks.length === 0) {
    add({
      label: `${label}: not enabled`,
      text: 'Not enabled: apply-region applies none of its stacks and writes no cluster variables; it only drains the region from latency routing.\n\n',
      priority: 2,
    });
  } else {
    add({
      label: `${label}: stack changes`,
      text: stacksTable(stacks),
      fallback: stacksSummary(stacks),
      priority: 2,
    });
  }
  const params = parametersTable(stacks);
  if (params) add({ label: `${label}: parameter changes`, text: params, priority: 3 });
  for (const s of stacks) {
    const details = s.changes.filter((c) => c.details.length > 0);
    if (details.length > 0) {
      add({ label: `${label}: ${s.stack} property changes`, text: propertyDetails(s, details), priority: 4 });
    }
  }
  if (region) {
    if (region.flux.length > 0) {
      add({
        label: `${label}: Flux changes`,
        text: fluxTable(region.flux),
        fallback: fluxSummary(region.flux),
        priority: 3,
      });
      for (const c of region.flux.filter((f) => f.fields.length > 0)) {
        add({
          label: `${label}: Flux fields of ${c.kind} ${objectName(c)}`,
          text: fluxFields(c),
          fallback: fluxFields(c, 20),
          priority: 4,
        });
      }
    }
    if (region.charts && region.charts.releases.length > 0) {
      add({
        label: `${label}: rendered charts`,
        text: chartsTable(region.charts.releases, region.charts.helm),
        fallback: chartsSummary(region.charts.releases),
        priority: 3,
      });
      // The rendered objects' fields are the bulk: they come last, so the comment keeps everything else
      // and the job summary (1 MiB) and the JSON report carry them in full.
      for (const r of region.charts.releases.filter((x) => x.changes.length > 0)) {
        add({
          label: `${label}: rendered objects of HelmRelease ${r.release}`,
          text: renderedObjects(r),
          fallback: renderedObjects(r, 30),
          priority: 6,
        });
      }
    }
    if (region.dns.length > 0) add({ label: `${label}: DNS changes`, text: dnsTable(region), priority: 3 });
    if (region.clusterVars.length > 0)
      add({ label: `${label}: cluster variables`, text: clusterVarsTable(region), priority: 3 });
  }
  for (const s of stacks) {
    if (!s.templateDiff) continue;
    add({
      label: `${label}: template diff of ${s.stack}`,
      text: templateDiff(s, s.templateDiff),
      fallback: templateDiff(s, firstLines(s.templateDiff, 40)),
      priority: 5,
    });
  }
  return blocks;
}

function stacksTable(stacks: StackPlan[]): string {
  const rows: string[] = [];
  const unchanged: string[] = [];
  for (const s of stacks) {
    if (!stackPlanChanged(s) && s.status !== 'blocked' && s.status !== 'offline') {
      unchanged.push(s.stack);
      continue;
    }
    const status = statusText(s);
    if (s.changes.length === 0) {
      rows.push(`| ${codeSpan(s.stack)} | ${status} | | | | |`);
      continue;
    }
    for (const c of s.changes) {
      rows.push(
        `| ${codeSpan(s.stack)} | ${status} | ${actionText(c)} | ${codeSpan(clip(c.logicalId, CELL))} | ${codeSpan(clip(c.type, CELL))} | ${replacementText(c)} |`,
      );
    }
  }
  let out = '';
  if (rows.length > 0) {
    out += `| Stack | Status | Action | Logical ID | Type | Replacement |\n|---|---|---|---|---|---|\n${rows.join('\n')}\n\n`;
  }
  if (unchanged.length > 0) out += `No changes: ${unchanged.map((s) => codeSpan(s, false)).join(', ')}\n\n`;
  return out || 'No stacks.\n\n';
}

function stacksSummary(stacks: StackPlan[]): string {
  const rows = stacks.map((s) => {
    const count = (a: ResourceChange['action']) => s.changes.filter((c) => c.action === a).length;
    const repl = s.changes.filter((c) => c.replacement === 'True').length;
    return `| ${codeSpan(s.stack)} | ${statusText(s)} | ${count('Add')} | ${count('Modify')} | ${count('Remove')} | ${repl} |`;
  });
  return `| Stack | Status | Add | Modify | Remove | Replace |\n|---|---|---|---|---|---|\n${rows.join('\n')}\n\n`;
}

function statusText(s: StackPlan): string {
  // The reason often starts with the status itself (`offline: …`): say it once.
  const why = s.reason?.startsWith(`${s.status}: `) ? s.reason.slice(s.status.length + 2) : s.reason;
  const reason = why ? ` — ${escapeText(clip(why, CELL))}` : '';
  const risk = s.risk === 'high' || s.risk === 'medium' ? ` ${RISK_ICON[s.risk]}` : '';
  return `${s.status}${risk}${reason}`;
}

function actionText(c: ResourceChange): string {
  return c.action === 'Add'
    ? '➕ Add'
    : c.action === 'Remove'
      ? '🗑️ Remove'
      : c.action === 'Modify'
        ? '✏️ Modify'
        : c.action;
}

function replacementText(c: ResourceChange): string {
  if (c.replacement === 'True') return '**⚠️ Replace**';
  if (c.replacement === 'Conditional') return '⚠️ Conditional';
  return c.replacement === 'False' ? 'No' : '';
}

function parametersTable(stacks: StackPlan[]): string {
  const rows: string[] = [];
  for (const s of stacks) {
    for (const p of s.parameters) {
      const after = p.known
        ? p.after === undefined && p.reason === 'removed'
          ? '_removed_'
          : codeSpan(clip(p.after ?? '', CELL))
        : `_known after apply_${p.reason ? ` (${escapeText(clip(afterApplyDetail(p.reason), CELL))})` : ''}`;
      rows.push(
        `| ${codeSpan(s.stack)} | ${codeSpan(p.key)} | ${codeSpan(clip(p.before ?? '', CELL))} | ${after} |`,
      );
    }
  }
  if (rows.length === 0) return '';
  return `**Parameters**\n\n| Stack | Parameter | Before | After |\n|---|---|---|---|\n${rows.join('\n')}\n\n`;
}

function propertyDetails(s: StackPlan, changes: ResourceChange[]): string {
  const text = changes
    .flatMap((c) => [`${c.logicalId} (${c.type})`, ...c.details.map((d) => `  ${d}`)])
    .join('\n');
  return `**${escapeText(s.stack)}: property changes**\n\n${codeFence(text)}\n`;
}

function templateDiff(s: StackPlan, diff: string): string {
  return `**Template diff: ${escapeText(s.stack)}** (${codeSpan(`stacks/${s.template}.yaml`, false)})\n\n${codeFence(diff, 'diff')}\n`;
}

function firstLines(text: string, n: number): string {
  const lines = text.split('\n');
  if (lines.length <= n) return text;
  return `${lines.slice(0, n).join('\n')}\n… ${lines.length - n} more lines (see the job summary / JSON report)`;
}

function objectName(c: FluxObjectChange): string {
  return c.namespace ? `${c.namespace}/${c.name}` : c.name;
}

function fluxTable(changes: FluxObjectChange[]): string {
  const rows = changes.map((c) => {
    const notes: string[] = [];
    if (c.action === 'removed')
      notes.push(c.prunes ? '**prune deletes it from the cluster**' : 'stays in the cluster (prune: false)');
    if (c.chart)
      notes.push(
        `chart ${codeSpan(c.chart.name)} ${codeSpan(c.chart.from ?? '∅')} → ${codeSpan(c.chart.to ?? '∅')}`,
      );
    for (const i of c.images ?? [])
      notes.push(`image ${codeSpan(clip(i.from ?? '∅', 80))} → ${codeSpan(clip(i.to ?? '∅', 80))}`);
    if (c.action === 'changed') notes.push(`${c.fields.length} field${c.fields.length === 1 ? '' : 's'}`);
    const icon = c.action === 'added' ? '➕' : c.action === 'removed' ? '🗑️' : '✏️';
    return `| ${codeSpan(c.kustomization)} | ${codeSpan(c.kind)} ${codeSpan(clip(objectName(c), CELL))} | ${icon} ${c.action} | ${notes.join('<br>')} |`;
  });
  return `**Flux**\n\n| Kustomization | Object | Action | Details |\n|---|---|---|---|\n${rows.join('\n')}\n\n`;
}

function fluxSummary(changes: FluxObjectChange[]): string {
  const n = (a: FluxObjectChange['action']) => changes.filter((c) => c.action === a).length;
  const pruned = changes.filter((c) => c.action === 'removed' && c.prunes).length;
  const charts = changes
    .filter((c) => c.chart)
    .map(
      (c) =>
        `${codeSpan(c.chart!.name, false)} ${codeSpan(`${c.chart!.from ?? '∅'} → ${c.chart!.to ?? '∅'}`, false)}`,
    );
  return `**Flux:** ${n('added')} added, ${n('changed')} changed, ${n('removed')} removed (${pruned} pruned)${charts.length ? `; charts: ${charts.slice(0, 20).join(', ')}` : ''}\n\n`;
}

function fluxFields(c: FluxObjectChange, limit?: number): string {
  const fields = limit === undefined ? c.fields : c.fields.slice(0, limit);
  const lines: string[] = [];
  for (const f of fields) {
    if (f.before !== undefined) lines.push(`- ${f.path}: ${oneLine(f.before)}`);
    if (f.after !== undefined) lines.push(`+ ${f.path}: ${oneLine(f.after)}`);
  }
  if (limit !== undefined && c.fields.length > limit)
    lines.push(`# … ${c.fields.length - limit} more fields`);
  return `${codeSpan(c.kind, false)} ${codeSpan(objectName(c), false)} (${escapeText(c.kustomization)})\n\n${codeFence(lines.join('\n'), 'diff')}\n`;
}

function chartSideText(side: ChartRelease['before']): string {
  return side ? codeSpan(`${side.chart} ${side.version}`, false) : '∅';
}

function chartNotes(r: ChartRelease): string[] {
  const notes: string[] = [];
  if (r.status === 'not-rendered') notes.push(`⚠️ not rendered: ${escapeText(clip(r.reason ?? '', 300))}`);
  else {
    const n = (a: FluxObjectChange['action']) => r.changes.filter((c) => c.action === a).length;
    notes.push(`${n('added')} added, ${n('changed')} changed, ${n('removed')} removed`);
    const kinds = [...new Set(r.changes.map((c) => `${c.kind} ${c.name}`))];
    if (kinds.length)
      notes.push(
        kinds
          .slice(0, 8)
          .map((k) => codeSpan(clip(k, 80), false))
          .join(', ') + (kinds.length > 8 ? ` and ${kinds.length - 8} more` : ''),
      );
  }
  if (r.crds.length) notes.push(`**CRDs:** ${r.crds.map((c) => codeSpan(clip(c, 100), false)).join(', ')}`);
  for (const i of r.images)
    notes.push(`image ${codeSpan(clip(i.from ?? '∅', 80))} → ${codeSpan(clip(i.to ?? '∅', 80))}`);
  if (r.unknownValues.length)
    notes.push(
      `**unknown values keys** (Helm ignores them): ${r.unknownValues
        .slice(0, 10)
        .map((k) => codeSpan(clip(k, 100), false))
        .join(', ')}${r.unknownValues.length > 10 ? ` and ${r.unknownValues.length - 10} more` : ''}`,
    );
  if (r.valuesFromIgnored)
    notes.push(`${r.valuesFromIgnored} valuesFrom source(s) not read (values in the cluster)`);
  if (r.tagMoved)
    notes.push(
      `**tag ${codeSpan(r.tagMoved.tag, false)} moved**: now ${codeSpan(r.tagMoved.now, false)}, pinned ${codeSpan(r.tagMoved.pinned, false)}`,
    );
  if (r.unpinned) notes.push(`not pinned by digest (${codeSpan(r.unpinned.ref, false)})`);
  return notes;
}

function chartsTable(releases: ChartRelease[], helm: string | undefined): string {
  const rows = releases.map(
    (r) =>
      `| ${codeSpan(clip(r.release, CELL))} | ${chartSideText(r.before)} → ${chartSideText(r.after)} | ${chartNotes(r).join('<br>')} |`,
  );
  return `**Rendered charts**${helm ? ` (helm ${escapeText(helm)})` : ''}\n\n| HelmRelease | Chart | What the rendered objects do |\n|---|---|---|\n${rows.join('\n')}\n\n`;
}

function chartsSummary(releases: ChartRelease[]): string {
  const rendered = releases.filter((r) => r.status === 'rendered').length;
  const unknown = releases.flatMap((r) => r.unknownValues.map((k) => `${r.release}: ${k}`));
  const notRendered = releases.filter((r) => r.status === 'not-rendered').map((r) => r.release);
  return `**Rendered charts:** ${rendered}/${releases.length} rendered${notRendered.length ? `; not rendered: ${notRendered.map((x) => codeSpan(x, false)).join(', ')}` : ''}${
    unknown.length
      ? `; unknown values keys: ${unknown
          .slice(0, 10)
          .map((x) => codeSpan(clip(x, 100), false))
          .join(', ')}`
      : ''
  }\n\n`;
}

function renderedObjects(r: ChartRelease, limit?: number): string {
  const lines: string[] = [];
  for (const c of r.changes) {
    const sign = c.action === 'added' ? '+' : c.action === 'removed' ? '-' : '~';
    lines.push(`${sign} ${c.kind} ${objectName(c)}${c.action === 'changed' ? '' : ` (${c.action})`}`);
    for (const f of c.fields) {
      if (f.before !== undefined) lines.push(`-   ${f.path}: ${oneLine(f.before)}`);
      if (f.after !== undefined) lines.push(`+   ${f.path}: ${oneLine(f.after)}`);
    }
  }
  const shown = limit === undefined ? lines : lines.slice(0, limit);
  if (shown.length < lines.length)
    shown.push(`# … ${lines.length - shown.length} more lines (job summary / JSON report)`);
  return `Rendered ${codeSpan(`HelmRelease ${r.release}`, false)}: ${chartSideText(r.before)} → ${chartSideText(r.after)}\n\n${codeFence(shown.join('\n'), 'diff')}\n`;
}

function oneLine(s: string): string {
  return s.replace(/\r?\n/g, '⏎');
}

function dnsTable(region: RegionPlan): string {
  const rows = region.dns.map(
    (d) =>
      `| ${codeSpan(d.record)} | ${d.kind} | ${d.action === 'remove' ? '**remove**' : d.action} | ${escapeText(clip(d.reason, 200))} |`,
  );
  return `**Route 53**\n\n| Record | Kind | Action | Why |\n|---|---|---|---|\n${rows.join('\n')}\n\n`;
}

function clusterVarsTable(region: RegionPlan): string {
  const rows = region.clusterVars.map((v) => {
    const after = v.known
      ? v.after === undefined
        ? `_removed_`
        : codeSpan(clip(v.after, CELL))
      : `_known after apply_${v.reason ? ` (${escapeText(clip(afterApplyDetail(v.reason), CELL))})` : ''}`;
    return `| ${codeSpan(v.name)} | ${v.before === undefined ? '' : codeSpan(clip(v.before, CELL))} | ${after} |`;
  });
  return `**Cluster variables** (${codeSpan('cluster-vars', false)})\n\n| Variable | Before | After |\n|---|---|---|\n${rows.join('\n')}\n\n`;
}

// ---------------------------------------------------------------------------------------------

/** The plan as a compact terminal table (CLI). */
export function renderPlanText(report: PlanReport): string {
  const br = blastRadius(report);
  const out: string[] = [];
  out.push(
    `Plan (${report.mode}${report.offlineReason ? `: ${report.offlineReason}` : ''}) — risk ${report.risk.toUpperCase()} — ` +
      `${br.regions} regions × ${br.stacks} stacks changed, ${br.replacements} replacements, ${br.deletions} deletions, ` +
      `${br.iamChanges} IAM, ${br.fluxChanges} Flux, ${br.dnsChanges} DNS`,
  );
  for (const e of report.errors)
    out.push(`  ERROR ${e.file ? `${e.file}${e.line ? `:${e.line}` : ''}: ` : ''}${e.message}`);
  for (const f of allFindings(report).filter((x) => x.level === 'high' || x.level === 'medium')) {
    out.push(
      `  ${f.level.toUpperCase().padEnd(6)} ${f.rule}${f.region ? ` [${f.region}]` : ''} ${f.subject}: ${f.message}`,
    );
  }
  const sections: [string, StackPlan[], RegionPlan | undefined][] = [];
  if (report.account.length) sections.push(['account', report.account, undefined]);
  for (const r of report.regions) sections.push([r.region, r.stacks, r]);
  for (const [name, stacks, region] of sections) {
    out.push('');
    out.push(`${name}${region ? ` — risk ${region.risk}${region.enabled ? '' : ' (disabled)'}` : ''}`);
    const table: string[][] = [['  STACK', 'STATUS', 'ADD', 'MOD', 'DEL', 'REPL', 'PARAMS']];
    for (const s of stacks) {
      const n = (a: ResourceChange['action']) => String(s.changes.filter((c) => c.action === a).length);
      table.push([
        `  ${s.stack}`,
        s.status + (s.reason ? ` (${clip(s.reason, 50)})` : ''),
        n('Add'),
        n('Modify'),
        n('Remove'),
        String(s.changes.filter((c) => c.replacement === 'True').length),
        String(s.parameters.length),
      ]);
    }
    out.push(...alignColumns(table));
    if (!region) continue;
    if (region.flux.length) {
      const n = (a: FluxObjectChange['action']) => region.flux.filter((c) => c.action === a).length;
      out.push(
        `  flux: ${n('added')} added, ${n('changed')} changed, ${n('removed')} removed (${region.flux.filter((c) => c.action === 'removed' && c.prunes).length} pruned)`,
      );
      for (const c of region.flux) {
        const sign = c.action === 'added' ? '+' : c.action === 'removed' ? '-' : '~';
        const chart = c.chart ? ` chart ${c.chart.from ?? '∅'} → ${c.chart.to ?? '∅'}` : '';
        out.push(`    ${sign} ${c.kustomization}: ${c.kind} ${objectName(c)}${chart}`);
      }
    }
    for (const r of region.charts?.releases ?? []) {
      const side = (x: ChartRelease['before']) => (x ? `${x.chart} ${x.version}` : '∅');
      out.push(
        `  chart ${r.release}: ${side(r.before)} → ${side(r.after)}${r.status === 'rendered' ? `, ${r.changes.length} rendered objects change` : ` — not rendered: ${r.reason ?? ''}`}`,
      );
      for (const k of r.unknownValues) out.push(`    unknown values key ${k} (Helm ignores it)`);
    }
    for (const d of region.dns) out.push(`  dns: ${d.action} ${d.kind} ${d.record} — ${d.reason}`);
    for (const v of region.clusterVars) {
      out.push(
        `  var ${v.name}: ${v.before ?? '∅'} → ${v.known ? (v.after ?? '(removed)') : `(known after apply${v.reason ? `: ${v.reason}` : ''})`}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

function alignColumns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === 0 || i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
