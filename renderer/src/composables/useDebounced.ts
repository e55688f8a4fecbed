import { onScopeDispose } from 'vue';

/** Debounces `fn`; the returned function can be cancelled and is cancelled with the scope. */
export function useDebounced<A extends unknown[]>(fn: (...args: A) => void, ms: number) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  const run = (...args: A) => {
    cancel();
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
  onScopeDispose(cancel);
  return Object.assign(run, { cancel });
}
