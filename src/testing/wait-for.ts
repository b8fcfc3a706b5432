// Polling for a condition in end-to-end tests of real processes (real time: their I/O is real).

/** Waits until `probe()` is true (polling every 50 ms), else throws `what`. */
export async function waitFor(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
