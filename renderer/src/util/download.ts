/** Saves text the main process produced (offer, receipt, exported key) through the browser's download. */
export function downloadText(fileName: string, content: string, type = 'application/octet-stream'): void {
  const blob = new Blob([content], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Reads a user-picked file as text (files here are small JSON or PEM). */
export async function readFileText(file: File, maxBytes = 256 * 1024): Promise<string> {
  if (file.size > maxBytes) throw Object.assign(new Error(file.name), { code: 'FILE_TOO_LARGE' });
  return file.text();
}
