import qrcode from 'qrcode-generator';

/** Light modules around the code that scanners need (the QR standard asks for four). */
export const QUIET_ZONE = 4;

/** Whether a value looks like private key material: such a value is never drawn as a QR code. */
export function isPrivateMaterial(value: string): boolean {
  return /PRIVATE KEY/i.test(value);
}

/**
 * The dark modules of a QR code for a public value (an address, a public key PEM), error
 * correction M (15 % of the code may be damaged), the smallest version that holds it.
 */
export function qrMatrix(value: string): boolean[][] {
  if (isPrivateMaterial(value)) throw new Error('private key material is never shown as a QR code');
  // Byte mode reads each char code as one byte: the values shown are ASCII (addresses, PEM text).
  if (/[^\x20-\x7e\r\n]/.test(value)) throw new Error('only printable ASCII is encoded');
  const qr = qrcode(0, 'M');
  qr.addData(value, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => qr.isDark(r, c)));
}

/** An SVG path of the dark modules, one unit each, shifted by the quiet zone (runs merged per row). */
export function qrPath(matrix: readonly (readonly boolean[])[]): string {
  const parts: string[] = [];
  matrix.forEach((row, r) => {
    for (let c = 0; c < row.length; c++) {
      if (!row[c]) continue;
      let end = c;
      while (end + 1 < row.length && row[end + 1]) end++;
      parts.push(`M${c + QUIET_ZONE} ${r + QUIET_ZONE}h${end - c + 1}v1h-${end - c + 1}z`);
      c = end;
    }
  });
  return parts.join('');
}
