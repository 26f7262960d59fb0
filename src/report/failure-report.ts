import * as core from '@actions/core';
import { tmpdir } from 'node:os';
import { writeReportFile } from './write-report.js';

/**
 * When an action stops before its engine reported (a bad input, credentials refused), it still leaves
 * a JSON report (path in the `report-file` output) and a job summary saying what failed.
 */
export async function leaveFailureReport(action: string, file: string, message: string): Promise<void> {
  const safe = message.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
  try {
    const path = writeReportFile(process.env.RUNNER_TEMP ?? tmpdir(), file, {
      action,
      status: 'failed',
      error: message,
      at: new Date().toISOString(),
    });
    core.setOutput('report-file', path);
    await core.summary.addRaw(`## ${action}: failed\n\n${safe}\n`, true).write();
  } catch {
    // Nowhere to write (no RUNNER_TEMP or summary file): the failed step's message is what remains.
  }
}
