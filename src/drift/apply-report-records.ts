import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ApplyReport } from '../apply/apply-types.js';
import { ConfigurationError, errorMessage } from '../util/errors.js';
import type { RecordedRegion } from './dns-drift.js';

/**
 * The records each region was left with by the newest apply that recorded them, read from apply-region's
 * JSON reports (the `apply-report-*` artifacts of deploy.yml and rollout.yml). Per region the newest
 * `recorded.at` wins, so the files may come in any order; a region a report skipped keeps an older one.
 */
export async function readRecordedRegions(files: string[]): Promise<Map<string, RecordedRegion>> {
  const out = new Map<string, RecordedRegion>();
  for (const file of files) {
    let report: Partial<ApplyReport>;
    try {
      report = JSON.parse(await readFile(file, 'utf8')) as Partial<ApplyReport>;
    } catch (err) {
      throw new ConfigurationError(
        `could not read the apply report: ${errorMessage(err)} (give the JSON file apply-region wrote, its report-file output)`,
        { file },
      );
    }
    if (!Array.isArray(report.regions)) {
      throw new ConfigurationError('not an apply-region report: it has no regions list', {
        file,
        path: 'regions',
      });
    }
    for (const r of report.regions) {
      const recorded = r?.dns?.recorded;
      if (!r?.region || !recorded?.at || !Array.isArray(recorded.own)) continue;
      const have = out.get(r.region);
      if (have && have.recorded.at >= recorded.at) continue;
      out.set(r.region, {
        recorded,
        source: `apply report ${basename(file)} (${recorded.at}${report.headSha ? `, ${report.headSha.slice(0, 12)}` : ''})`,
      });
    }
  }
  return out;
}
