import {
  ListResourceRecordSetsCommand,
  type ListResourceRecordSetsCommandOutput,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { errorCode, wrapAwsError } from '../util/errors.js';
import type { CurrentDns } from './dns-diff.js';

function normalize(name: string): string {
  return name
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\\052/, '*');
}

/**
 * What the hosted zone holds for the platform: regions in latency routing (a SetIdentifier with a
 * Region on the apex or `*.<domain>`) and every record name. Undefined when the zone does not exist.
 */
export async function readCurrentDns(
  route53: Route53Client,
  hostedZoneId: string,
  domain: string,
): Promise<CurrentDns | undefined> {
  const apex = normalize(domain);
  const latency = new Set<string>();
  const names = new Set<string>();
  let start: { name?: string; type?: string; id?: string } | undefined = {};
  try {
    while (start) {
      const page: ListResourceRecordSetsCommandOutput = await route53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: hostedZoneId,
          StartRecordName: start.name,
          StartRecordType: start.type as never,
          StartRecordIdentifier: start.id,
        }),
      );
      for (const rr of page.ResourceRecordSets ?? []) {
        const name = normalize(rr.Name ?? '');
        names.add(name);
        if (rr.Region && (name === apex || name === `*.${apex}`)) latency.add(rr.Region);
      }
      start = page.IsTruncated
        ? { name: page.NextRecordName, type: page.NextRecordType, id: page.NextRecordIdentifier }
        : undefined;
    }
  } catch (err) {
    if (errorCode(err) === 'NoSuchHostedZone') return undefined;
    throw wrapAwsError(`could not list records of hosted zone ${hostedZoneId}`, err);
  }
  return { latencyRegions: [...latency].sort(), regionRecords: [...names].sort() };
}
