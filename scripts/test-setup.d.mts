/** Types of scripts/test-setup.mjs (plain JS: `npm test` runs without a TypeScript loader). */
export declare const BUILD_SOURCES: string[];
export declare const BUILD_OUTPUTS: string[];
export declare const SYSTEM_CHROMIUMS: string[];
export declare const NO_CHROMIUM: string;
export declare function newestMtime(path: string): number;
export declare function buildState(
  root: string,
  sources?: string[],
  outputs?: string[],
): { state: 'missing' | 'stale' | 'fresh'; reason: string };
export declare function findChromium(opts?: {
  env?: Record<string, string | undefined>;
  exists?: (path: string) => boolean;
  playwrightPath?: string | null;
}): { path: string; source: 'WT_CHROMIUM' | 'system' | 'playwright' } | null;
