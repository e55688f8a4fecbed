import { ref } from 'vue';
import { useErrors } from './useErrors';

/**
 * One user action at a time: `run(fn)` sets `busy`, clears `error`, awaits `fn`, and on failure puts
 * the translated message in `error`. Resolves to `fn`'s result, or `undefined` when it threw.
 */
export function useAction() {
  const { describe } = useErrors();
  const busy = ref(false);
  const error = ref<string | null>(null);

  async function run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    busy.value = true;
    error.value = null;
    try {
      return await fn();
    } catch (e) {
      error.value = describe(e);
      return undefined;
    } finally {
      busy.value = false;
    }
  }

  return { busy, error, run };
}
