import { ref } from 'vue';

/**
 * One user action at a time: `run(fn)` sets `busy`, clears `error`, awaits `fn`, and on failure keeps
 * what it threw in `error` (shown by ErrorText: a sentence, the detail behind a disclosure).
 * `retry()` runs the last action again, e.g. once a locked identity was unlocked inline.
 * Both resolve to `fn`'s result, or `undefined` when it threw.
 */
export function useAction() {
  const busy = ref(false);
  const error = ref<unknown>(null);
  let last: (() => Promise<unknown>) | null = null;

  async function run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    last = fn;
    busy.value = true;
    error.value = null;
    try {
      return await fn();
    } catch (e) {
      error.value = e ?? new Error('failed');
      return undefined;
    } finally {
      busy.value = false;
    }
  }

  async function retry(): Promise<unknown> {
    return last ? run(last) : undefined;
  }

  return { busy, error, run, retry };
}
