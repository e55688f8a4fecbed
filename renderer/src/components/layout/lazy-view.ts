/**
 * Screens are loaded when first shown (issue 9 §4: the first screen loads only what it shows):
 * each view is its own chunk. While one loads a spinner shows; a chunk that fails to load (served
 * mode, a dropped connection) says so and offers a reload instead of leaving the screen blank.
 */
import { defineAsyncComponent, type Component } from 'vue';
import ViewLoading from './ViewLoading.vue';
import ViewFailed from './ViewFailed.vue';

export function lazyView(loader: () => Promise<Component | { default: Component }>, delay = 150): Component {
  // Local chunks arrive in milliseconds: no spinner flash for them. One that never arrives (a
  // stalled connection) ends as the reload offer instead of a spinner for ever.
  return defineAsyncComponent({
    loader,
    loadingComponent: ViewLoading,
    errorComponent: ViewFailed,
    delay,
    timeout: 30_000,
  });
}
