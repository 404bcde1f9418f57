/** How long one shutdown step may take before the stop goes on without it. */
export const STOP_STEP_MS = 5000;

/**
 * Runs one step of a stop whatever the ones before it did: a step that throws (a full disk refusing the last
 * event) is logged and skipped, a step that hangs is given up after `timeoutMs`. Never throws.
 */
export async function runStopStep(
  name: string,
  action: () => unknown,
  log: (message: string, fields: Record<string, unknown>) => void,
  timeoutMs = STOP_STEP_MS,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    if ((await Promise.race([Promise.resolve().then(action), timeout])) === 'timeout') {
      log('shutdown step did not finish in time; going on', { step: name, timeoutMs });
    }
  } catch (error) {
    log('shutdown step failed; going on', { step: name, error: String(error) });
  } finally {
    clearTimeout(timer);
  }
}
