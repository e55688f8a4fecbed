/**
 * The code of one crypto worker thread, started with `new Worker(source, { eval: true })`. It is
 * kept as plain JavaScript text so that the same code runs from source (tsx), from the
 * electron-vite bundle and from tests, with no worker file to locate beside a bundle.
 *
 * In: workerData = { privateKey: KeyObject }; messages = arrays of jobs
 *   [id, 0, message]                  sign with the tracker key
 *   [id, 1, message, sign, publicPem] verify (the key was checked by the main thread)
 * Out: flat arrays [id, result, id, result, …]: a base64 string, a boolean, or { error } — posted
 * whenever a millisecond of work is done, so that an answer never waits long behind others and
 * short jobs still share one message.
 */
export const CRYPTO_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const privateKey = workerData.privateKey;
const keys = new Map();
const KEY_CACHE = 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function publicKey(pem) {
  let key = keys.get(pem);
  if (!key) {
    key = crypto.createPublicKey(pem);
    if (keys.size >= KEY_CACHE) keys.delete(keys.keys().next().value);
    keys.set(pem, key);
  }
  return key;
}

const POST_EVERY_MS = 1;

parentPort.on('message', (jobs) => {
  let out = [];
  let since = performance.now();
  for (const job of jobs) {
    const id = job[0];
    try {
      if (job[1] === 0) {
        out.push(id, crypto.sign('sha256', Buffer.from(job[2], 'utf8'), privateKey).toString('base64'));
      } else {
        const sign = job[3];
        const ok =
          typeof sign === 'string' &&
          BASE64.test(sign) &&
          crypto.verify('sha256', Buffer.from(job[2], 'utf8'), publicKey(job[4]), Buffer.from(sign, 'base64'));
        out.push(id, ok);
      }
    } catch (e) {
      // A verification that throws is a signature that does not verify; a signing error is reported.
      out.push(id, job[1] === 0 ? { error: String((e && e.message) || e) } : false);
    }
    const now = performance.now();
    if (now - since >= POST_EVERY_MS) {
      parentPort.postMessage(out);
      out = [];
      since = now;
    }
  }
  if (out.length > 0) parentPort.postMessage(out);
});
`;
