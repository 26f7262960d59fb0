import type { ConfigurationError } from '../util/errors.js';
import { describeObject, list, objectError, rec, type LocatedObject, type RegionObjects, type RenderedGitops } from './validate-region-objects.js';

const ANNOTATION = 'service.beta.kubernetes.io/';
const SSL_CERT = `${ANNOTATION}aws-load-balancer-ssl-cert`;
const SSL_POLICY = `${ANNOTATION}aws-load-balancer-ssl-negotiation-policy`;

/**
 * TLS listener policies that offer only TLS 1.2 and 1.3. Without the annotation the load balancer
 * controller creates the listener with ELBSecurityPolicy-2016-08 (TLS 1.0/1.1 included): the
 * controller's docs/guide/service/annotations.md (`ssl-negotiation-policy`) and Elastic Load
 * Balancing's "Security policies for your Network Load Balancer".
 */
const MODERN_TLS_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-)/;
export const RECOMMENDED_TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

function ref(o: LocatedObject): string {
  const meta = rec(o.object.metadata);
  return `${String(meta?.namespace ?? '')}/${String(meta?.name ?? '')}`;
}

function isHelmRelease(o: LocatedObject): boolean {
  return o.object.kind === 'HelmRelease' && String(o.object.apiVersion).startsWith('helm.toolkit.fluxcd.io/');
}

/** The chart a HelmRelease installs: `chart.spec.chart`, or the source named by `chartRef`. */
function chartOf(o: LocatedObject): string {
  const spec = rec(o.object.spec);
  return String(rec(rec(spec?.chart)?.spec)?.chart ?? rec(spec?.chartRef)?.name ?? '?');
}

/** HelmReleases a HelmRelease waits for, transitively (`spec.dependsOn`, namespace defaulting to its own). */
function helmDependencies(start: LocatedObject, releases: Map<string, LocatedObject>): Set<string> {
  const out = new Set<string>();
  const queue = [start];
  while (queue.length) {
    const cur = queue.pop()!;
    const ns = String(rec(cur.object.metadata)?.namespace ?? '');
    for (const d of list(rec(cur.object.spec)?.dependsOn)) {
      const dep = rec(d);
      const key = `${String(dep?.namespace ?? ns)}/${String(dep?.name ?? '')}`;
      if (out.has(key)) continue;
      out.add(key);
      const next = releases.get(key);
      if (next) queue.push(next);
    }
  }
  return out;
}

/** Kustomizations a Kustomization waits for, transitively, counting only those whose Ready means their objects are ready. */
function readyBefore(name: string, region: RegionObjects): Set<string> {
  const out = new Set<string>();
  const queue = [name];
  while (queue.length) {
    const k = region.kustomizations.get(queue.pop()!);
    for (const d of list(rec(k?.object.spec)?.dependsOn)) {
      const dep = String(rec(d)?.name ?? '');
      if (out.has(dep)) continue;
      const spec = rec(region.kustomizations.get(dep)?.object.spec);
      // Without wait (or health checks) a Kustomization is Ready once applied, before its releases are.
      if (spec?.wait === true || list(spec?.healthChecks).length > 0) out.add(dep);
      queue.push(dep);
    }
  }
  return out;
}

/**
 * First-install race (issue 15, defect 5): the controller's chart registers a mutating webhook for
 * every Service (`enableServiceMutatorWebhook`, default true) that fails closed
 * (`serviceMutatorWebhookConfig.failurePolicy`, default Fail; aws/eks-charts
 * stable/aws-load-balancer-controller values.yaml and templates/webhook.yaml). Until its pods answer,
 * the API server refuses every new Service, so a chart installed in parallel fails its install.
 */
function controllerOrdering(region: RegionObjects): ConfigurationError[] {
  const out: ConfigurationError[] = [];
  const controller = region.objects.find((o) => isHelmRelease(o) && chartOf(o) === 'aws-load-balancer-controller');
  if (!controller) return out;
  const values = rec(rec(controller.object.spec)?.values) ?? {};
  const webhook = values.enableServiceMutatorWebhook !== false;
  const failsClosed = rec(values.serviceMutatorWebhookConfig)?.failurePolicy !== 'Ignore';
  if (!webhook || !failsClosed) return out;
  const releases = new Map(region.objects.filter(isHelmRelease).map((o) => [ref(o), o]));
  const controllerRef = ref(controller);
  const [cns, cname] = controllerRef.split('/');
  const later = `move it to a Kustomization that depends on ${controller.kustomization} (with wait: true)`;
  const ignore = "or set serviceMutatorWebhookConfig.failurePolicy: Ignore in the controller's values";
  for (const o of region.objects) {
    if (o === controller) continue;
    const isService = o.object.kind === 'Service' && o.object.apiVersion === 'v1';
    if (!isHelmRelease(o) && !isService) continue;
    if (o.kustomization !== controller.kustomization && readyBefore(o.kustomization, region).has(controller.kustomization)) continue;
    if (isHelmRelease(o) && helmDependencies(o, releases).has(controllerRef)) continue;
    const what = isService ? describeObject(o.object) : `${describeObject(o.object)} (chart ${chartOf(o)}, which creates Services)`;
    const fix = isService ? `${later[0]!.toUpperCase()}${later.slice(1)}, ${ignore}` : `Add spec.dependsOn: [{ name: ${cname}, namespace: ${cns} }], ${later}, ${ignore}`;
    out.push(
      objectError(
        o,
        isService ? 'metadata.name' : 'spec',
        `${what} may be created before the load balancer controller answers its Service webhook, which fails closed: ` +
          `on a first install the API server refuses the Service and the install fails. ${fix}`,
      ),
    );
  }
  return out;
}

/** An NLB TLS listener names a TLS 1.2+ policy (issue 15, defect 11). */
function tlsPolicy(region: RegionObjects): ConfigurationError[] {
  const out: ConfigurationError[] = [];
  for (const o of region.objects) {
    if (o.object.kind !== 'Service' || o.object.apiVersion !== 'v1') continue;
    const annotations = rec(rec(o.object.metadata)?.annotations) ?? {};
    if (annotations[SSL_CERT] === undefined) continue;
    const policy = annotations[SSL_POLICY];
    if (policy === undefined) {
      out.push(
        objectError(
          o,
          'metadata.annotations',
          `${describeObject(o.object)} has a TLS listener (${SSL_CERT}) without ${SSL_POLICY}: the controller then uses ELBSecurityPolicy-2016-08 (TLS 1.0 and 1.1). ` +
            `Add ${SSL_POLICY}: ${RECOMMENDED_TLS_POLICY}`,
        ),
      );
    } else if (typeof policy !== 'string' || !MODERN_TLS_POLICY.test(policy)) {
      out.push(
        objectError(
          o,
          `metadata.annotations["${SSL_POLICY}"]`,
          `TLS policy "${String(policy)}" allows protocols older than TLS 1.2; use ${RECOMMENDED_TLS_POLICY} (or another ELBSecurityPolicy-TLS13-… policy)`,
        ),
      );
    }
  }
  return out;
}

/** The load balancer controller's rules: install order against its Service webhook, and the TLS policy of the NLBs it makes. */
export function validateLoadBalancer(rendered: RenderedGitops): ConfigurationError[] {
  return rendered.regions.flatMap((r) => [...controllerOrdering(r), ...tlsPolicy(r)]);
}
