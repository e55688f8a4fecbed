/**
 * QR codes for sharing (issue 9, daily use): an income address and the owner's public key, drawn
 * in the renderer, with Copy. The drawn SVG is read back into pixels and decoded with jsQR, so the
 * test proves what a phone would scan, not just that an <svg> exists.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import jsQR from 'jsqr';
import AddressCard from '../../renderer/src/components/dashboard/AddressCard.vue';
import IdentitiesSection from '../../renderer/src/components/settings/IdentitiesSection.vue';
import QrCode from '../../renderer/src/components/common/qr/QrCode.vue';
import { QUIET_ZONE, qrMatrix } from '../../renderer/src/components/common/qr/qrMatrix';
import { setTransport } from '../../renderer/src/stores/transport';

import { FakeApi, address, identity } from './fake-api';
import { aliceOnline, byTestId, freshApp, mountIn, must } from './mount-app';

/** The SVG's path, painted 4 px a module into RGBA, decoded as a scanner would. */
function scan(svg: Element): string | null {
  const modules = Number(svg.getAttribute('data-modules'));
  const size = modules + QUIET_ZONE * 2;
  const dark = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  const d = svg.querySelector('path')!.getAttribute('d')!;
  for (const m of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    const [x, y, w] = [Number(m[1]), Number(m[2]), Number(m[3])];
    for (let i = 0; i < w; i++) dark[y]![x + i] = true;
  }
  const px = 4;
  const side = size * px;
  const rgba = new Uint8ClampedArray(side * side * 4);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const v = dark[Math.floor(y / px)]![Math.floor(x / px)] ? 0 : 255;
      rgba.set([v, v, v, 255], (y * side + x) * 4);
    }
  return jsQR(rgba, side, side)?.data ?? null;
}

const INCOME = '0x0d7f3bA91c2E44d0b6aF1e2c3D4e5F60718293a4b5c6==';
let PEM = '';
/** A real RSA-2048 public key PEM (WebCrypto, as this DOM's tests can use), the size the app shows. */
beforeAll(async () => {
  const pair = await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
  const der = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  const b64 = btoa(String.fromCharCode(...der));
  PEM = `-----BEGIN PUBLIC KEY-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`;
});

let api: FakeApi;
beforeEach(() => {
  api = new FakeApi();
  freshApp(api);
  aliceOnline([identity({ publicPem: PEM })]);
});
afterEach(() => setTransport(null));

describe('QR codes', () => {
  it('encode an address and a whole public key PEM so that a scanner reads them back exactly', () => {
    expect(PEM).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]{380,}END PUBLIC KEY-----\n$/);
    for (const value of [INCOME, PEM]) {
      const w = mountIn(QrCode, { props: { value, label: 'x' } });
      expect(scan(must('qr-code'))).toBe(value);
      w.unmount();
    }
  });

  it('never draw private key material, and say why instead', () => {
    const secret = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
    expect(() => qrMatrix(secret)).toThrow(/never shown/);
    const w = mountIn(QrCode, { props: { value: secret, label: 'x' } });
    expect(byTestId('qr-code')).toBeNull();
    expect(must('qr-code-error').textContent).toMatch(/private key/);
    w.unmount();
  });

  it('an income address card opens a QR dialog with the address and Copy; a spend card has none', async () => {
    const w = mountIn(AddressCard, {
      props: { address: address({ kind: 'income', address: INCOME }), warnLeadMs: 60_000, closing: false },
    });
    must<HTMLButtonElement>('address-income-qr').click();
    await flushPromises();
    expect(must('qr-income').textContent).toContain('My income address');
    expect(must('qr-income-value').textContent).toBe(INCOME);
    // The encoder is loaded on demand.
    await vi.waitFor(() => must('qr-income-code'));
    expect(scan(must('qr-income-code'))).toBe(INCOME);
    must<HTMLButtonElement>('qr-income-copy').click();
    await flushPromises();
    expect(await navigator.clipboard.readText()).toBe(INCOME);
    must<HTMLButtonElement>('qr-income-done').click();
    await flushPromises();
    expect(byTestId('qr-income')).toBeNull();
    w.unmount();

    const spend = mountIn(AddressCard, {
      props: { address: address({ kind: 'spend' }), warnLeadMs: 60_000, closing: false },
    });
    expect(byTestId('address-spend-qr')).toBeNull();
    spend.unmount();
  });

  it('the owner’s public key opens as a QR code from Settings, with Copy, in Russian too', async () => {
    const w = mountIn(IdentitiesSection, { locale: 'ru' });
    await flushPromises();
    must<HTMLButtonElement>('identity-qr-public').click();
    await flushPromises();
    expect(must('qr-public-key').textContent).toContain('Открытый ключ Alice');
    await vi.waitFor(() => must('qr-public-key-code'));
    expect(scan(must('qr-public-key-code'))).toBe(PEM);
    expect(must('qr-public-key').textContent).not.toContain('PRIVATE');
    must<HTMLButtonElement>('qr-public-key-copy').click();
    await flushPromises();
    expect(await navigator.clipboard.readText()).toBe(PEM);
    w.unmount();
  });
});
