/**
 * Browser permissions the app's page may use: clipboard writes (the copy buttons) and nothing else
 * (no camera, microphone, geolocation, notifications: native notifications come from the main
 * process). The same rule answers Electron's permission requests and its permission checks, which
 * are separate hooks: a page can query a permission without ever requesting it.
 */
const ALLOWED = new Set(['clipboard-sanitized-write']);

export function isPermissionAllowed(
  permission: string,
  url: string,
  isAppUrl: (url: string) => boolean,
): boolean {
  return ALLOWED.has(permission) && isAppUrl(url);
}
