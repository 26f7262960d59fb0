import type { Route53Client } from '@aws-sdk/client-route-53';
import { listRecords, normalizeName } from '../aws/route53/alias-records.js';
import { errorCode, wrapAwsError } from '../util/errors.js';
import type { CurrentDns } from './dns-diff.js';

/**
 * What the hosted zone holds for the platform: regions in latency routing (a SetIdentifier with a
 * Region on the apex or `*.<domain>`) and every record name. Undefined when the zone does not exist.
 */
export async function readCurrentDns(
  route53: Route53Client,
  hostedZoneId: string,
  domain: string,
): Promise<CurrentDns | undefined> {
  const apex = normalizeName(domain);
  const latency = new Set<string>();
  const names = new Set<string>();
  try {
    for (const rr of await listRecords(route53, hostedZoneId)) {
      const name = normalizeName(rr.Name ?? '');
      names.add(name);
      if (rr.Region && (name === apex || name === `*.${apex}`)) latency.add(rr.Region);
    }
  } catch (err) {
    if (errorCode(err) === 'NoSuchHostedZone') return undefined;
    throw wrapAwsError(`could not list records of hosted zone ${hostedZoneId}`, err);
  }
  return { latencyRegions: [...latency].sort(), regionRecords: [...names].sort() };
}
