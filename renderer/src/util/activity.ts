/** The user's keyboard and pointer input, the events that say someone is at the app. */
const INPUT_EVENTS = ['pointerdown', 'keydown', 'wheel'] as const;

/**
 * Calls `ping` on user input, at most once per `everyMs`: the main process counts it as activity
 * for auto-lock (screens the user only reads and scrolls would otherwise look idle). Returns the
 * function that stops it.
 */
export function reportActivity(
  ping: () => Promise<unknown>,
  target: EventTarget,
  everyMs = 30_000,
): () => void {
  let last = -Infinity;
  const onInput = (): void => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    void ping().catch(() => undefined);
  };
  for (const e of INPUT_EVENTS) target.addEventListener(e, onInput, { capture: true, passive: true });
  return () => {
    for (const e of INPUT_EVENTS) target.removeEventListener(e, onInput, { capture: true });
  };
}
