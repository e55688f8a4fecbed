import { nextTick, onBeforeUnmount, watch, type Ref } from 'vue';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
  'textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => !el.hasAttribute('inert') && el.getAttribute('aria-hidden') !== 'true',
  );
}

/**
 * While `active`, keeps Tab inside `root`, focuses the first field (or [autofocus]) on open and gives
 * focus back to whatever had it before on close.
 */
export function useFocusTrap(root: Ref<HTMLElement | null>, active: Ref<boolean>) {
  let previous: HTMLElement | null = null;

  function onKeydown(e: KeyboardEvent): void {
    if (e.key !== 'Tab' || !root.value) return;
    const items = focusables(root.value);
    if (items.length === 0) {
      e.preventDefault();
      root.value.focus();
      return;
    }
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const current = document.activeElement as HTMLElement | null;
    if (e.shiftKey && (current === first || !root.value.contains(current))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (current === last || !root.value.contains(current))) {
      e.preventDefault();
      first.focus();
    }
  }

  watch(
    active,
    async (on) => {
      if (on) {
        previous = document.activeElement as HTMLElement | null;
        await nextTick();
        const el = root.value;
        if (!el) return;
        const preferred = el.querySelector<HTMLElement>('[autofocus], [data-autofocus]');
        (preferred ?? focusables(el)[0] ?? el).focus();
      } else if (previous) {
        const p = previous;
        previous = null;
        await nextTick();
        if (document.contains(p)) p.focus();
      }
    },
    { immediate: true },
  );

  onBeforeUnmount(() => {
    if (previous && document.contains(previous)) previous.focus();
  });

  return { onKeydown };
}
