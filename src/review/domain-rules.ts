import type { Risk } from '../aws/cloudformation/change-set-identity.js';
import type { FluxObjectChange, RiskFinding, SourceVersionCheck } from '../plan/plan-types.js';
import { acuHourUsd, auroraFloorUsd, usd } from './cost-floor.js';
import { compareCoderVersions, parseCoderVersion } from '../gitops/coder-version.js';
import type { CoderMode } from '../gitops/types.js';

/*
 * Rules that know this environment (EKS, Aurora Serverless v2, the NLB, Karpenter, Flux sources, regions):
 * the same rule set plan and apply read, next to the generic ones in ./risk-rules.ts. Each rule carries one
 * line on why it matters and what to check, shown with the finding in the plan's dangers.
 */

export interface DomainRule {
  level: Risk;
  why: string;
  check: string;
}

/** Rule id → level, why it matters, what to check. Ids are stable (shown in the plan, matched by people). */
export const DOMAIN_RULES = {
  'eks-version-change': {
    level: 'high',
    why: 'an EKS control-plane upgrade cannot be undone and goes one minor version at a time (EKS refuses a skip)',
    check:
      'one minor step; node group AMI and add-on versions (CoreDNS, kube-proxy, VPC CNI, Karpenter) support the new version; standard, not extended, support',
  },
  'aurora-engine-version': {
    level: 'high',
    why: 'an Aurora engine upgrade restarts the cluster; a major upgrade cannot be undone (only a restore from snapshot)',
    check:
      'a snapshot exists; the target version is a valid upgrade path; Coder supports the PostgreSQL major',
  },
  'aurora-capacity': {
    level: 'medium',
    why: 'Serverless v2 bills the floor around the clock (MinCapacity) and the ceiling caps what a load spike gets (MaxCapacity); 0 pauses and cold-starts',
    check:
      'the monthly cost at the floor (ACU × hours × the region price) and the cold-start budget if the floor is 0',
  },
  'region-enabled': {
    level: 'high',
    why: 'enabling a region creates everything in it (VPC, NAT, EKS and its nodes, certificates, health check, DNS) and adds its monthly cost floor',
    check:
      'every stack below is a creation; latency routing sends the vantage points in the what-if table there once healthy',
  },
  'region-disabled': {
    level: 'high',
    why: 'disabling a region drains it: latency routing sends its users elsewhere and its stacks are no longer kept',
    check: 'the what-if table: who answers instead, and that the remaining regions carry the load',
  },
  'network-opening': {
    level: 'high',
    why: 'an ingress from anywhere (0.0.0.0/0 or ::/0) on a port that is not a load-balancer listener exposes it to the internet',
    check: 'the port must be public; otherwise restrict the source to the VPC or a security group',
  },
  'health-check-change': {
    level: 'medium',
    why: 'Route 53 health checks decide which region answers: a wrong path, port or target drains a healthy region or keeps a dead one',
    check: 'the new path and port answer 2xx/3xx on the target before the merge',
  },
  'imds-hop-limit': {
    level: 'high',
    why: "a hop limit above 1 (or optional IMDSv2 tokens) lets pods reach the node role's credentials through the instance metadata service",
    check: 'only what must (the node itself) needs IMDS; pods use IRSA or Pod Identity',
  },
  'nlb-tls-policy': {
    level: 'high',
    why: 'the NLB TLS policy sets which protocol versions and ciphers every user connection may use',
    check: 'a TLS 1.3/1.2-only ELBSecurityPolicy (ELBSecurityPolicy-TLS13-1-2-2021-06 or stricter)',
  },
  'karpenter-ami-latest': {
    level: 'high',
    why: 'an AMI alias @latest lets every new AMI release roll the nodes unreviewed (drift replaces them)',
    check: 'pin the alias to a release (al2023@vYYYYMMDD)',
  },
  'karpenter-budgets-removed': {
    level: 'high',
    why: 'without disruption budgets Karpenter may disrupt 10% of the nodes at once (its default)',
    check: 'keep a budget that bounds how many nodes are disrupted at a time',
  },
  'karpenter-expire-shortened': {
    level: 'medium',
    why: 'expireAfter is forceful: every node older than it is drained, whatever runs on it',
    check: 'the workloads on the pool tolerate being drained that often',
  },
  'flux-source-url': {
    level: 'medium',
    why: 'a changed Flux source URL changes where the cluster fetches code and charts from after the merge',
    check:
      "the new URL is the project's own or the vendor's official one (new-source flags one outside the allow-list)",
  },
  'source-version-missing': {
    level: 'high',
    why: 'Flux cannot fetch a chart or image version its source does not have: the HelmRelease fails or the pods stay in ImagePullBackOff, and the rollout of the region stops there',
    check:
      'the version is published (the chart index or the registry tag), not a typo or a release that is not out yet',
  },
  'coder-version-change': {
    level: 'high',
    why: 'a Coder version change migrates the one database every region shares: servers of the old version against the migrated schema break, old replicas keep their connections open during a rolling upgrade, and Coder does not support downgrades across migrations',
    check:
      'the release notes of every version in between; the order below (apply-region follows it, the primary must report the new version through /api/v2/buildinfo and be healthy before any proxy moves); a failed primary is rolled forward, never back',
  },
} as const satisfies Record<string, DomainRule>;

export type DomainRuleId = keyof typeof DOMAIN_RULES;

/** The why/what-to-check line of a rule, or undefined for a generic one. */
export function ruleGuidance(rule: string): DomainRule | undefined {
  return (DOMAIN_RULES as Record<string, DomainRule>)[rule];
}

function finding(
  rule: DomainRuleId,
  base: { region?: string; subject: string },
  message: string,
  level?: Risk,
): RiskFinding {
  return { level: level ?? DOMAIN_RULES[rule].level, rule, ...base, message };
}

// ---------------------------------------------------------------------------------------------
// Templates

type Obj = Record<string, unknown>;

/** A template with the effective values of its parameters (defaults and what the region passes). */
export interface TemplateSide {
  template: Obj | undefined;
  parameters: Record<string, string | undefined>;
}

function asObj(v: unknown): Obj | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

/** A property's value as text: literals and Refs to known parameters; undefined when it cannot be known. */
function valueOf(v: unknown, params: Record<string, string | undefined>): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  const o = asObj(v);
  if (o && typeof o.Ref === 'string' && Object.keys(o).length === 1) return params[o.Ref];
  return undefined;
}

function at(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const p of path) cur = asObj(cur)?.[p];
  return cur;
}

function resourcesOf(t: Obj | undefined): Map<string, { type: string; props: Obj }> {
  const out = new Map<string, { type: string; props: Obj }>();
  for (const [id, r] of Object.entries(asObj(t?.Resources) ?? {})) {
    const o = asObj(r);
    if (o && typeof o.Type === 'string') out.set(id, { type: o.Type, props: asObj(o.Properties) ?? {} });
  }
  return out;
}

function minorOf(version: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** `≈ $88 a month per instance (was $44) at $0.12/ACU-hour in us-east-2, an estimate`. */
function floorCost(region: string | undefined, before: string, after: string): string {
  const r = region ?? 'us-east-1';
  const price = acuHourUsd(r);
  const b = Number(before);
  const was = Number.isFinite(b) ? ` (was ${usd(auroraFloorUsd(r, b))})` : '';
  return `≈ ${usd(auroraFloorUsd(r, Number(after)))} a month per instance${was} at $${price.usd}/ACU-hour in ${price.fallback ? 'us-east-1' : r}, an estimate`;
}

function eksVersionMessage(before: string, after: string): string {
  const a = minorOf(before);
  const b = minorOf(after);
  let note = '';
  if (a && b && a[0] === b[0]) {
    const step = b[1] - a[1];
    if (step < 0) note = ': a downgrade, which EKS refuses';
    else if (step > 1)
      note = `: skips ${step - 1} minor version${step === 2 ? '' : 's'}, which EKS refuses (one minor step at a time)`;
    else note = ': one minor step, irreversible';
  }
  return `Kubernetes control plane ${before} → ${after}${note}`;
}

interface Ingress {
  cidr: string;
  from: number;
  to: number;
  protocol: string;
}

function ingressRules(type: string, props: Obj, params: Record<string, string | undefined>): Ingress[] {
  const raw: unknown[] =
    type === 'AWS::EC2::SecurityGroup'
      ? Array.isArray(props.SecurityGroupIngress)
        ? props.SecurityGroupIngress
        : []
      : type === 'AWS::EC2::SecurityGroupIngress'
        ? [props]
        : [];
  const out: Ingress[] = [];
  for (const r of raw) {
    const cidr = valueOf(at(r, 'CidrIp'), params) ?? valueOf(at(r, 'CidrIpv6'), params);
    if (cidr === undefined) continue;
    const protocol = valueOf(at(r, 'IpProtocol'), params) ?? '-1';
    const all = protocol === '-1' || protocol === 'all';
    const from = all ? 0 : Number(valueOf(at(r, 'FromPort'), params) ?? 0);
    const to = all ? 65535 : Number(valueOf(at(r, 'ToPort'), params) ?? from);
    out.push({ cidr, from, to, protocol });
  }
  return out;
}

const ANYWHERE = new Set(['0.0.0.0/0', '::/0']);

function ports(i: Ingress): string {
  return i.from === i.to ? `port ${i.from}` : `ports ${i.from}-${i.to}`;
}

/**
 * Findings of one stack's template change that need this environment's knowledge. Values are compared
 * after parameters are resolved (a changed default no region overrides is a change of what is deployed).
 * `before` undefined: a new stack (only openings and IMDS settings are judged then).
 */
export function assessTemplateDomain(
  where: { region?: string; stackName: string },
  before: TemplateSide | undefined,
  after: TemplateSide | undefined,
  opts: { listenerPorts: readonly number[] },
): RiskFinding[] {
  const findings: RiskFinding[] = [];
  const old = resourcesOf(before?.template);
  const now = resourcesOf(after?.template);
  const bp = before?.parameters ?? {};
  const ap = after?.parameters ?? {};
  for (const [id, r] of now) {
    const base = { ...(where.region ? { region: where.region } : {}), subject: `${where.stackName}/${id}` };
    const prev = old.get(id);
    const was = prev?.type === r.type ? prev.props : undefined;
    const pair = (...path: string[]) => ({
      b: was ? valueOf(at(was, ...path), bp) : undefined,
      a: valueOf(at(r.props, ...path), ap),
    });
    if (r.type === 'AWS::EKS::Cluster' && was) {
      const { b, a } = pair('Version');
      if (b !== undefined && a !== undefined && a !== b)
        findings.push(finding('eks-version-change', base, eksVersionMessage(b, a)));
    }
    if (r.type === 'AWS::RDS::DBCluster' && was) {
      const { b, a } = pair('EngineVersion');
      if (b !== undefined && a !== undefined && a !== b) {
        const major = b.split('.')[0] !== a.split('.')[0];
        findings.push(
          finding(
            'aurora-engine-version',
            base,
            `engine version ${b} → ${a}${major ? ' (major upgrade: irreversible)' : ' (minor: restarts the writer)'}`,
            major ? 'high' : 'medium',
          ),
        );
      }
      for (const key of ['MinCapacity', 'MaxCapacity']) {
        const c = pair('ServerlessV2ScalingConfiguration', key);
        if (c.b === undefined || c.a === undefined || c.a === c.b) continue;
        const extra =
          key === 'MinCapacity'
            ? Number(c.a) === 0
              ? ': 0 pauses when idle, the next request waits for a resume'
              : `: billed around the clock at the floor (${c.a} ACU × 730 h a month ${floorCost(where.region, c.b, c.a)})`
            : `: load beyond ${c.a} ACU is throttled`;
        findings.push(finding('aurora-capacity', base, `Serverless v2 ${key} ${c.b} → ${c.a}${extra}`));
      }
    }
    if (r.type === 'AWS::Route53::HealthCheck' && was) {
      const keys = ['ResourcePath', 'Port', 'FullyQualifiedDomainName', 'IPAddress', 'Type'];
      const changed = keys
        .map((k) => ({ k, ...pair('HealthCheckConfig', k) }))
        .filter((c) => c.a !== c.b && (c.a !== undefined || c.b !== undefined));
      if (changed.length)
        findings.push(
          finding(
            'health-check-change',
            base,
            `health check ${changed.map((c) => `${c.k} ${c.b ?? '(none)'} → ${c.a ?? '(none)'}`).join(', ')}`,
          ),
        );
    }
    if (r.type === 'AWS::EC2::LaunchTemplate') {
      const hop = pair('LaunchTemplateData', 'MetadataOptions', 'HttpPutResponseHopLimit');
      const tokens = pair('LaunchTemplateData', 'MetadataOptions', 'HttpTokens');
      if (hop.a !== undefined && Number(hop.a) > Math.max(1, Number(hop.b ?? 1)))
        findings.push(finding('imds-hop-limit', base, `IMDS hop limit ${hop.b ?? '(default 1)'} → ${hop.a}`));
      if (tokens.b === 'required' && tokens.a !== 'required')
        findings.push(
          finding('imds-hop-limit', base, `IMDSv2 tokens ${tokens.b} → ${tokens.a ?? 'optional (default)'}`),
        );
    }
    const key = (i: Ingress) => `${i.cidr}|${i.protocol}|${i.from}|${i.to}`;
    const had = new Set(was ? ingressRules(r.type, was, bp).map(key) : []);
    for (const i of ingressRules(r.type, r.props, ap)) {
      if (!ANYWHERE.has(i.cidr) || had.has(key(i))) continue;
      const listener = i.from === i.to && opts.listenerPorts.includes(i.from) && i.protocol === 'tcp';
      if (listener) continue;
      findings.push(
        finding(
          'network-opening',
          base,
          `ingress from ${i.cidr} on ${i.protocol === '-1' ? 'all protocols' : i.protocol} ${ports(i)} (the load balancer listens on ${opts.listenerPorts.join(', ')} only)`,
        ),
      );
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Flux

const TLS_POLICY = '["service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy"]';
const SOURCE_KINDS = new Set(['GitRepository', 'HelmRepository', 'OCIRepository']);
/** The load balancer controller's default when the annotation is absent (v2.13.2 annotations.md). */
const DEFAULT_TLS_POLICY = 'ELBSecurityPolicy-2016-08';

/** Ordering of ELB TLS policies by their lowest protocol: TLS 1.3 only > 1.2 (+1.3) > anything else. */
function tlsStrength(policy: string): number {
  if (/TLS13-1-3/.test(policy)) return 3;
  if (/TLS13-1-2|TLS-1-2|FS-1-2/.test(policy)) return 2;
  return 1;
}

/** Go-style durations as Karpenter reads them (`720h`, `30m`, `Never`); Infinity for Never. */
function durationHours(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (v === 'Never') return Infinity;
  let total = 0;
  let matched = false;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)) {
    matched = true;
    total += Number(m[1]) / (m[2] === 'h' ? 1 : m[2] === 'm' ? 60 : 3600);
  }
  return matched ? total : undefined;
}

/** Findings of Flux object changes that need this environment's knowledge (NLB, Karpenter, sources). */
export function assessFluxDomain(
  changes: FluxObjectChange[],
  /** Whether main's allow-list holds a URL: one it does not is issue 13's `new-source` (high), not repeated here. */
  allowed: (url: string) => boolean = () => true,
): RiskFinding[] {
  const findings: RiskFinding[] = [];
  for (const c of changes) {
    const base = { region: c.region, subject: `${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}` };
    const field = (path: string) => c.fields.find((f) => f.path === path);
    if (c.kind === 'Service') {
      const f = field(`metadata.annotations${TLS_POLICY}`);
      if (f && (c.action === 'changed' || f.after !== undefined)) {
        const before = f.before ?? DEFAULT_TLS_POLICY;
        const after = f.after ?? DEFAULT_TLS_POLICY;
        if (c.action === 'changed' && tlsStrength(after) < tlsStrength(before))
          findings.push(
            finding(
              'nlb-tls-policy',
              base,
              `NLB TLS policy weakened: ${before} → ${after}${f.after ? '' : ' (annotation removed: the controller default)'}`,
            ),
          );
      }
    }
    if (c.kind === 'EC2NodeClass') {
      for (const f of c.fields) {
        if (/^spec\.amiSelectorTerms\[\d+\]\.alias$/.test(f.path) && f.after?.endsWith('@latest'))
          findings.push(
            finding('karpenter-ami-latest', base, `AMI alias ${f.before ?? '(none)'} → ${f.after}`),
          );
      }
    }
    if (c.kind === 'NodePool' && c.action === 'changed') {
      const budgets = c.fields.filter((f) => f.path.startsWith('spec.disruption.budgets'));
      if (
        budgets.length &&
        budgets.every((f) => f.after === undefined) &&
        budgets.some((f) => f.before !== undefined)
      )
        findings.push(
          finding(
            'karpenter-budgets-removed',
            base,
            'disruption budgets removed (Karpenter defaults to 10% of nodes at once)',
          ),
        );
      const exp = field('spec.template.spec.expireAfter');
      const hb = durationHours(exp?.before ?? (exp ? '720h' : undefined));
      const ha = durationHours(exp?.after ?? (exp ? '720h' : undefined));
      if (exp && hb !== undefined && ha !== undefined && ha < hb)
        findings.push(
          finding(
            'karpenter-expire-shortened',
            base,
            `expireAfter ${exp.before ?? '720h (default)'} → ${exp.after ?? '720h (default)'}: nodes are drained sooner`,
          ),
        );
    }
    if (SOURCE_KINDS.has(c.kind) && c.action === 'changed') {
      const url = field('spec.url');
      if (url && (url.after === undefined || allowed(url.after)))
        findings.push(
          finding('flux-source-url', base, `source URL ${url.before ?? '(none)'} → ${url.after ?? '(none)'}`),
        );
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Regions

/** Regions enabled or disabled (or added or removed enabled) by the pull request. */
export function assessRegionToggles(
  head: { name: string; enabled: boolean; stacks: number }[],
  base: { name: string; enabled: boolean }[] | undefined,
  /** The region's monthly cost floor as one line (./cost-floor.ts), at head for one enabled, at base for one drained. */
  costFloor: (side: 'head' | 'base', region: string) => string | undefined = () => undefined,
): RiskFinding[] {
  if (!base) return [];
  const findings: RiskFinding[] = [];
  const was = new Map(base.map((r) => [r.name, r.enabled]));
  for (const r of head) {
    const before = was.get(r.name) ?? false;
    if (r.enabled && !before) {
      const line = costFloor('head', r.name);
      findings.push(
        finding(
          'region-enabled',
          { region: r.name, subject: `region ${r.name}` },
          `${r.name} is ${was.has(r.name) ? 'enabled' : 'added'}: all ${r.stacks} of its stacks are created${line ? `; adds its cost floor, ${line}` : ''}`,
        ),
      );
    }
    if (!r.enabled && before) {
      // A drain deletes no stack (apply-region never does): the region keeps billing its floor.
      const line = costFloor('base', r.name);
      findings.push(
        finding(
          'region-disabled',
          { region: r.name, subject: `region ${r.name}` },
          `${r.name} is disabled: it leaves latency routing and its stacks are no longer applied${line ? `; they are not deleted and keep billing its cost floor, ${line}` : ''}`,
        ),
      );
    }
  }
  for (const [name, enabled] of was) {
    if (enabled && !head.some((r) => r.name === name))
      findings.push(
        finding(
          'region-disabled',
          { region: name, subject: `region ${name}` },
          `${name} is removed from regions/: it leaves latency routing`,
        ),
      );
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Source versions

/**
 * A chart or image version its source does not have (src/plan/source-versions.ts asked it). One that
 * could not be checked is no finding: the plan lists it as "not checked", with why.
 */
export function assessSourceVersions(checks: readonly SourceVersionCheck[]): RiskFinding[] {
  return checks
    .filter((c) => c.outcome === 'missing')
    .map((c) =>
      finding(
        'source-version-missing',
        { region: c.region, subject: c.subject },
        `${c.kind === 'image' ? 'image' : 'chart'} ${c.reference} does not exist: ${c.reason}`,
      ),
    );
}

// ---------------------------------------------------------------------------------------------
// Coder version

/** The order apply-region upgrades Coder in, the same one the plan shows. */
export interface CoderUpgradeOrder {
  /** The version running (base, or what the primary reports); undefined when not known. */
  from?: string;
  to: string;
  primary?: string;
  /** Full coderd servers on the shared database: scaled to zero before the primary, back after it. */
  replicas: string[];
  /** Workspace proxies: upgraded only once the primary reports the new version and is healthy. */
  proxies: string[];
  /** One line per step, in order. */
  steps: string[];
}

interface CoderRegion {
  name: string;
  coder: CoderMode;
  enabled: boolean;
  wave: number;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The one order of a Coder version change: the other replicas scaled to zero, the primary upgraded and
 * waited on, then the replicas (back up) and the proxies, by wave. Enabled regions only (a region switched
 * off is not applied).
 */
export function coderUpgradeOrder(
  regions: CoderRegion[],
  from: string | undefined,
  to: string,
): CoderUpgradeOrder {
  const enabled = [...regions]
    .filter((r) => r.enabled)
    .sort((a, b) => a.wave - b.wave || a.name.localeCompare(b.name));
  const primary = enabled.find((r) => r.coder === 'primary')?.name;
  const replicas = enabled.filter((r) => r.coder === 'replica').map((r) => r.name);
  const proxies = enabled.filter((r) => r.coder === 'proxy').map((r) => r.name);
  const steps: string[] = [];
  if (replicas.length)
    steps.push(
      `scale Coder to zero in ${replicas.join(', ')} (replicas of the old version keep connections open)`,
    );
  steps.push(
    `${primary ?? '(no primary)'} (primary): upgrade, then wait until /api/v2/buildinfo reports ${to} and it is healthy`,
  );
  if (replicas.length)
    steps.push(
      `${replicas.join(', ')} (replica${replicas.length === 1 ? '' : 's'}): upgrade and scale back up`,
    );
  if (proxies.length)
    steps.push(
      `${proxies.join(', ')} (prox${proxies.length === 1 ? 'y' : 'ies'}): upgrade, each within ${to.split('.').slice(0, 2).join('.')}.x of the primary`,
    );
  return { ...(from ? { from } : {}), to, ...(primary ? { primary } : {}), replicas, proxies, steps };
}

/** `shared schema migration: primary first, then N proxies (M replicas scaled down first)`. */
export function describeCoderUpgrade(order: CoderUpgradeOrder): string {
  const n = order.proxies.length;
  return `shared schema migration: primary first, then ${n} ${n === 1 ? 'proxy' : 'proxies'} (${plural(order.replicas.length, 'replica')} scaled down first)`;
}

/**
 * A change of platform.yaml `coder.version` between base and head: one finding for the whole platform,
 * naming the order apply-region will use. A downgrade is called out (Coder cannot run an older version
 * on a migrated schema).
 */
export function assessCoderVersion(
  head: { version?: string; regions: CoderRegion[] },
  base: { version?: string } | undefined,
): { findings: RiskFinding[]; order?: CoderUpgradeOrder } {
  if (!base || !head.version || !base.version || head.version === base.version) return { findings: [] };
  const order = coderUpgradeOrder(head.regions, base.version, head.version);
  const a = parseCoderVersion(base.version);
  const b = parseCoderVersion(head.version);
  const down = a && b && compareCoderVersions(b, a) < 0;
  const message =
    `Coder ${base.version} → ${head.version}: ${describeCoderUpgrade(order)}` +
    (down ? ' — a downgrade, which Coder does not support across migrations (roll forward instead)' : '') +
    `. Order: ${order.steps.map((s, i) => `${i + 1}. ${s}`).join('; ')}`;
  return {
    findings: [
      finding(
        'coder-version-change',
        { ...(order.primary ? { region: order.primary } : {}), subject: 'platform.yaml coder.version' },
        message,
      ),
    ],
    order,
  };
}
