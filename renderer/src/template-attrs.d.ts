/**
 * strictTemplates rejects attributes a type does not list; `data-*` (test ids, row indexes) are
 * valid on every element and component root, so allow them explicitly.
 */
import 'vue';

declare module 'vue' {
  interface HTMLAttributes {
    [key: `data-${string}`]: unknown;
  }
  interface SVGAttributes {
    [key: `data-${string}`]: unknown;
  }
  interface AllowedComponentProps {
    [key: `data-${string}`]: unknown;
  }
}

export {};
