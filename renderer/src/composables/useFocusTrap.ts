import { nextTick, onBeforeUnmount, watch, type Ref } from 'vue';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
  'textarea:not([disabled]), [tabindex]:not([tabindex="-1"]), summary';

export function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => !el.hasAttribute('inert') && el.getAttribute('aria-hidden') !== 'true',
  );
}

interface Trap {
  root: Ref<HTMLElement | null>;
  onEscape: () => void;
}

/** Open traps, the topmost last: only it answers keys that land outside every dialog. */
const stack: Trap[] = [];

/**
 * Keys pressed while focus is nowhere in the top dialog: the element that had it was removed (a
 * link that re-rendered the dialog's content), so focus fell back to <body>. Escape still closes
 * the dialog and Tab goes back into it, never to the page behind.
 */
function onDocumentKeydown(e: KeyboardEvent): void {
  const top = stack[stack.length - 1];
  const root = top?.root.value;
  if (!top || !root || root.contains(e.target as Node)) return;
  if (e.key === 'Escape') {
    e.preventDefault();
    top.onEscape();
  } else if (e.key === 'Tab') {
    e.preventDefault();
    const items = focusables(root);
    const target = e.shiftKey ? items[items.length - 1] : items[0];
    (target ?? root).focus();
  }
}

function push(trap: Trap): void {
  if (stack.length === 0) document.addEventListener('keydown', onDocumentKeydown);
  stack.push(trap);
}

function remove(trap: Trap): void {
  const i = stack.indexOf(trap);
  if (i >= 0) stack.splice(i, 1);
  if (stack.length === 0) document.removeEventListener('keydown', onDocumentKeydown);
}

/**
 * While `active`, keeps Tab inside `root`, focuses the first field (or [autofocus]) on open and gives
 * focus back to whatever had it before on close. `onEscape` closes the dialog.
 */
export function useFocusTrap(root: Ref<HTMLElement | null>, active: Ref<boolean>, onEscape: () => void) {
  let previous: HTMLElement | null = null;
  const trap: Trap = { root, onEscape };

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

  /** Brings focus back into the dialog when it fell out of it (its content was replaced). */
  function reclaim(): void {
    const el = root.value;
    if (el && active.value && !el.contains(document.activeElement)) el.focus();
  }

  watch(
    active,
    async (on) => {
      if (on) {
        push(trap);
        previous = document.activeElement as HTMLElement | null;
        await nextTick();
        const el = root.value;
        if (!el) return;
        const preferred = el.querySelector<HTMLElement>('[autofocus], [data-autofocus]');
        (preferred ?? focusables(el)[0] ?? el).focus();
      } else {
        remove(trap);
        if (previous) {
          const p = previous;
          previous = null;
          await nextTick();
          if (document.contains(p)) p.focus();
        }
      }
    },
    { immediate: true },
  );

  onBeforeUnmount(() => {
    remove(trap);
    if (previous && document.contains(previous)) previous.focus();
  });

  return { onKeydown, reclaim };
}
