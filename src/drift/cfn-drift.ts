import {
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DetectStackDriftCommand,
  ListStackResourcesCommand,
  type CloudFormationClient,
  type DescribeStackDriftDetectionStatusCommandOutput,
  type StackResourceDrift,
} from '@aws-sdk/client-cloudformation';
import { isStackNotFound } from '../aws/cloudformation/stack-state.js';
import { errorCode, errorMessage, wrapAwsError } from '../util/errors.js';
import { withRetry } from '../util/retry.js';
import type { PropertyDrift, ResourceDrift, StackDriftStatus } from './drift-types.js';

/** What one stack's drift detection (or the last one, read only) found. */
export interface StackDriftFindings {
  status: StackDriftStatus;
  drifted: ResourceDrift[];
  notChecked: ResourceDrift[];
  reason?: string;
  checkedAt?: string;
  missing?: boolean;
}

export interface DetectStackDriftOptions {
  cfn: CloudFormationClient;
  stackName: string;
  /** The SDK points at an emulator (AWS_ENDPOINT_URL): an HTTP 5xx from DetectStackDrift means it has no drift API. */
  endpointUrl?: string;
  /** Longest wait for the detection, default 10 minutes (a large stack takes a few). */
  timeoutMs?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const NOT_CHECKED_REASON =
  'CloudFormation did not check it: its type does not support drift detection, or it was skipped';

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** True when the error is an emulator's way of saying it has no such API (moto answers DetectStackDrift with HTTP 500). */
function isNotImplemented(err: unknown, endpointUrl: string | undefined): boolean {
  const status = httpStatus(err);
  const code = errorCode(err);
  if (code === 'NotImplemented' || code === 'NotImplementedException') return true;
  return !!endpointUrl && ((status !== undefined && status >= 500) || code === 'InternalFailure');
}

function toProperties(drift: StackResourceDrift): PropertyDrift[] {
  return (drift.PropertyDifferences ?? []).map((d) => ({
    path: d.PropertyPath ?? '',
    difference: d.DifferenceType ?? 'NOT_EQUAL',
    ...(d.ExpectedValue !== undefined ? { expected: d.ExpectedValue } : {}),
    ...(d.ActualValue !== undefined ? { actual: d.ActualValue } : {}),
  }));
}

/** Logical ids a DETECTION_FAILED reason names (`Failed to detect drift on resource [Cluster]: …`). */
export function failedResourcesOf(reason: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of (reason ?? '').matchAll(/resource \[([^\]]+)\]:?\s*([^\n;]*)/g)) {
    out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

/** DescribeStackResourceDrifts for MODIFIED and DELETED resources, every page. */
export async function readDriftedResources(
  cfn: CloudFormationClient,
  stackName: string,
  sleep?: (ms: number) => Promise<void>,
): Promise<ResourceDrift[]> {
  const out: ResourceDrift[] = [];
  let token: string | undefined;
  do {
    const page = await withRetry(
      () =>
        cfn.send(
          new DescribeStackResourceDriftsCommand({
            StackName: stackName,
            StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED'],
            NextToken: token,
          }),
        ),
      { label: `DescribeStackResourceDrifts ${stackName}`, sleep },
    );
    for (const d of page.StackResourceDrifts ?? []) {
      out.push({
        logicalId: d.LogicalResourceId ?? '',
        ...(d.PhysicalResourceId ? { physicalId: d.PhysicalResourceId } : {}),
        type: d.ResourceType ?? '',
        status: d.StackResourceDriftStatus ?? 'UNKNOWN',
        properties: toProperties(d),
      });
    }
    token = page.NextToken;
  } while (token);
  return out;
}

/**
 * Every resource of the stack CloudFormation did not check (ListStackResources' drift summary):
 * DescribeStackResourceDrifts leaves unsupported types out, so only this list shows them.
 */
async function readNotChecked(
  cfn: CloudFormationClient,
  stackName: string,
  failed: Map<string, string>,
  sleep?: (ms: number) => Promise<void>,
): Promise<ResourceDrift[]> {
  const out: ResourceDrift[] = [];
  let token: string | undefined;
  do {
    const page = await withRetry(
      () => cfn.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: token })),
      { label: `ListStackResources ${stackName}`, sleep },
    );
    for (const r of page.StackResourceSummaries ?? []) {
      const status = r.DriftInformation?.StackResourceDriftStatus ?? 'NOT_CHECKED';
      if (status !== 'NOT_CHECKED' && status !== 'UNKNOWN') continue;
      const id = r.LogicalResourceId ?? '';
      out.push({
        logicalId: id,
        ...(r.PhysicalResourceId ? { physicalId: r.PhysicalResourceId } : {}),
        type: r.ResourceType ?? '',
        status,
        properties: [],
        reason: failed.has(id)
          ? `detection failed: ${failed.get(id) || 'no reason given'}`
          : NOT_CHECKED_REASON,
      });
    }
    token = page.NextToken;
  } while (token);
  return out;
}

/**
 * Run drift detection on one stack and wait for it (DetectStackDrift, then
 * DescribeStackDriftDetectionStatus), then read what drifted with property paths and list what was not
 * checked. Never throws: an emulator without the API is `not-available`, an AWS failure is `error`.
 */
export async function detectStackDrift(opts: DetectStackDriftOptions): Promise<StackDriftFindings> {
  const { cfn, stackName } = opts;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const empty = { drifted: [], notChecked: [] };
  let id: string | undefined;
  try {
    id = (await cfn.send(new DetectStackDriftCommand({ StackName: stackName }))).StackDriftDetectionId;
  } catch (err) {
    if (isStackNotFound(err)) {
      return {
        status: 'in-sync',
        ...empty,
        missing: true,
        reason: 'the stack does not exist (never applied)',
      };
    }
    if (isNotImplemented(err, opts.endpointUrl)) {
      return {
        status: 'not-available',
        ...empty,
        reason: `drift detection is not available in this emulator (${opts.endpointUrl ?? 'the endpoint'} answered DetectStackDrift with ${httpStatus(err) ? `HTTP ${httpStatus(err)}` : errorMessage(err).split('\n')[0]})`,
      };
    }
    return {
      status: 'error',
      ...empty,
      reason: wrapAwsError(`could not start drift detection on ${stackName}`, err).message,
    };
  }
  if (!id)
    return { status: 'error', ...empty, reason: `DetectStackDrift on ${stackName} returned no detection id` };
  const deadline = now() + (opts.timeoutMs ?? 600_000);
  let status: DescribeStackDriftDetectionStatusCommandOutput;
  try {
    for (;;) {
      status = await withRetry(
        () => cfn.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: id })),
        { label: `DescribeStackDriftDetectionStatus ${stackName}`, sleep },
      );
      if (status.DetectionStatus !== 'DETECTION_IN_PROGRESS') break;
      if (now() >= deadline) {
        return {
          status: 'error',
          ...empty,
          reason: `drift detection ${id} on ${stackName} still in progress after ${Math.round((opts.timeoutMs ?? 600_000) / 1000)} s`,
        };
      }
      await sleep(opts.pollMs ?? 5000);
    }
    const failed = status.DetectionStatus === 'DETECTION_FAILED';
    const failedIds = failedResourcesOf(status.DetectionStatusReason);
    const drifted =
      status.StackDriftStatus === 'DRIFTED' ? await readDriftedResources(cfn, stackName, sleep) : [];
    const notChecked = await readNotChecked(cfn, stackName, failedIds, sleep);
    const result: StackDriftFindings = {
      status: failed ? 'failed' : drifted.length > 0 ? 'drifted' : 'in-sync',
      drifted,
      notChecked,
      ...(status.Timestamp ? { checkedAt: status.Timestamp.toISOString() } : {}),
    };
    if (failed)
      result.reason = status.DetectionStatusReason ?? 'drift detection failed for at least one resource';
    return result;
  } catch (err) {
    return {
      status: 'error',
      ...empty,
      reason: wrapAwsError(`could not read the drift of ${stackName}`, err).message,
    };
  }
}
