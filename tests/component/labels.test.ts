/**
 * Labels in the UI over the fake transport: editing in place (Enter saves, Escape cancels without
 * closing the drawer around it, empty clears), labels shown in the history list, and the Settings
 * section that exports and imports JSON lines.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import LabelEditor from '../../renderer/src/components/labels/LabelEditor.vue';
import HistoryDetail from '../../renderer/src/components/history/HistoryDetail.vue';
import HistoryList from '../../renderer/src/components/history/HistoryList.vue';
import LabelsSection from '../../renderer/src/components/settings/LabelsSection.vue';
import { setTransport } from '../../renderer/src/stores/transport';
import { useSessionStore } from '../../renderer/src/stores/session';
import { useHistoryStore } from '../../renderer/src/stores/history';
import { useLabelsStore } from '../../renderer/src/stores/labels';
import type { Label } from '../../shared/api/labels';
import { FakeApi, historyItem, identity } from './fake-api';
import { byTestId, freshApp, must, mountIn, typeInto } from './mount-app';

let api: FakeApi;
let stored: Label[];

function key(e: string): KeyboardEvent {
  return new KeyboardEvent('keydown', { key: e, bubbles: true, cancelable: true });
}

beforeEach(() => {
  stored = [];
  api = new FakeApi()
    .handle('labels.list', () => stored.map((l) => ({ ...l })))
    .handle('labels.set', (a) => {
      const l = { ...a, label: a.label.trim() };
      stored = [...stored.filter((s) => !(s.type === a.type && s.ref === a.ref)), l];
      return l;
    })
    .handle('labels.clear', (a) => {
      const before = stored.length;
      stored = stored.filter((s) => !(s.type === a.type && s.ref === a.ref));
      return { cleared: stored.length < before };
    });
  freshApp(api);
  const session = useSessionStore();
  session.identities = [identity()];
  session.activeIdentityId = 'id-alice';
});
afterEach(() => {
  setTransport(null);
});

describe('label editor', () => {
  it('Enter saves a trimmed label; it shows at once; editing again and emptying clears it', async () => {
    const w = mountIn(LabelEditor, { props: { type: 'addr', target: '0x0cABC', testid: 'lab' } });
    expect(byTestId('lab-text')).toBeNull();
    must<HTMLButtonElement>('lab-edit').click();
    await flushPromises();
    const input = must<HTMLInputElement>('lab-input');
    expect(document.activeElement).toBe(input);
    typeInto(input, '  Main income  ');
    input.form!.requestSubmit();
    await flushPromises();
    expect(api.callsOf('labels.set')).toEqual([{ type: 'addr', ref: '0x0cABC', label: '  Main income  ' }]);
    expect(must('lab-text').textContent).toBe('Main income');
    // Focus goes back to the button that opened the editor.
    expect(document.activeElement).toBe(must('lab-edit'));

    must<HTMLButtonElement>('lab-edit').click();
    await flushPromises();
    expect(must<HTMLInputElement>('lab-input').value).toBe('Main income');
    typeInto(must<HTMLInputElement>('lab-input'), '   ');
    must<HTMLInputElement>('lab-input').form!.requestSubmit();
    await flushPromises();
    expect(api.callsOf('labels.clear')).toEqual([{ type: 'addr', ref: '0x0cABC' }]);
    expect(byTestId('lab-text')).toBeNull();
    w.unmount();
  });

  it('Escape cancels without saving and leaves the drawer around it open', async () => {
    api.handle('history.item', () => ({
      item: historyItem(1, { txId: 'tx-1' }),
      parent: null,
      children: [],
      balances: [],
      complete: true,
    }));
    const w = mountIn(HistoryDetail, { props: { txId: 'tx-1' } });
    await flushPromises();
    must<HTMLButtonElement>('detail-label-edit').click();
    await flushPromises();
    const input = must<HTMLInputElement>('detail-label-input');
    typeInto(input, 'never saved');
    input.dispatchEvent(key('Escape'));
    await flushPromises();
    expect(byTestId('detail-label-input')).toBeNull();
    expect(api.callsOf('labels.set')).toEqual([]);
    expect(w.emitted('close')).toBeUndefined();
    expect(must('history-detail')).toBeTruthy();
    w.unmount();
  });

  it('a refused label shows the reason and keeps the editor open with what was typed', async () => {
    api.handle('labels.set', () => {
      throw Object.assign(new Error('label: at most 255 characters'), { code: 'INVALID_ARGUMENT' });
    });
    const w = mountIn(LabelEditor, { props: { type: 'tx', target: 'tx-1', testid: 'lab' } });
    must<HTMLButtonElement>('lab-edit').click();
    await flushPromises();
    typeInto(must<HTMLInputElement>('lab-input'), 'too long, says the main process');
    must<HTMLInputElement>('lab-input').form!.requestSubmit();
    await flushPromises();
    expect(must('lab-error').textContent).not.toBe('');
    expect(must<HTMLInputElement>('lab-input').value).toBe('too long, says the main process');
    expect(byTestId('lab-text')).toBeNull();
    w.unmount();
  });

  it('speaks Russian', async () => {
    const w = mountIn(LabelEditor, {
      props: { type: 'channel', target: 'ch-1', testid: 'lab' },
      locale: 'ru',
    });
    expect(must('lab-edit').getAttribute('aria-label')).toBe('Добавить метку каналу');
    w.unmount();
  });
});

describe('labels in the history list', () => {
  it('shows the transaction’s label (else its channel’s) and address labels instead of addresses, live', async () => {
    stored = [
      { type: 'channel', ref: 'ch-9', label: 'Match stream' },
      { type: 'addr', ref: '0x0cFROMADDRESS', label: 'My spend' },
    ];
    api.handle('history.query', () => ({
      items: [
        historyItem(1, { txId: 'tx-a', contractId: 'ch-9', from: '0x0cFROMADDRESS', to: '0x0dTOADDRESS000' }),
      ],
      next: null,
      total: 1,
    }));
    // jsdom lays nothing out: give the scroller a height so the virtual list renders rows.
    const height = vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(400);
    const width = vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(800);
    const off = useLabelsStore().bindEvents();
    await useLabelsStore().load();
    await useHistoryStore().reset({});
    const w = mountIn(HistoryList);
    await flushPromises();
    const row = () => must('history-row');
    expect(must('history-row-label').textContent).toBe('Match stream');
    expect(row().textContent).toContain('My spend →');
    expect(row().textContent).not.toContain('0x0cFROM');
    // A label set elsewhere (another screen, an import) shows without a reload of the history.
    stored.push({ type: 'tx', ref: 'tx-a', label: 'Invoice 7' });
    api.emit('labels.changed', { count: 3 });
    await flushPromises();
    expect(must('history-row-label').textContent).toBe('Invoice 7');
    height.mockRestore();
    width.mockRestore();
    off();
    w.unmount();
  });
});

describe('labels section in Settings', () => {
  it('imports a good file and says what it did; a bad file is refused with its bad lines by number', async () => {
    api.handle('labels.import', (a) =>
      a.content.includes('oops')
        ? {
            applied: false,
            added: 0,
            updated: 0,
            unchanged: 0,
            skipped: 0,
            badLines: 2,
            problems: [
              { line: 2, code: 'json' },
              { line: 5, code: 'type' },
            ],
          }
        : { applied: true, added: 2, updated: 1, unchanged: 0, skipped: 1, badLines: 0, problems: [] },
    );
    const w = mountIn(LabelsSection);
    const input = must<HTMLInputElement>('labels-import-input');
    const pick = async (text: string) => {
      const file = new File([text], 'labels.jsonl', { type: 'application/jsonl' });
      Object.defineProperty(input, 'files', { value: [file], configurable: true });
      input.dispatchEvent(new Event('change'));
      await flushPromises();
      await flushPromises();
    };
    await pick('{"type":"tx","ref":"a","label":"b"}\n');
    expect(must('labels-import-result').dataset.applied).toBe('true');
    expect(must('labels-import-result').textContent).toContain('2 added, 1 changed');

    await pick('{"type":"tx","ref":"a","label":"b"}\noops\n');
    expect(must('labels-import-result').dataset.applied).toBe('false');
    const problems = must('labels-import-problems').textContent!;
    expect(problems).toContain('Line 2: not JSON');
    expect(problems).toContain('Line 5: unknown type');
    expect(api.callsOf('labels.import')).toHaveLength(2);
    w.unmount();
  });

  it('exports through a download of the file the main process wrote', async () => {
    api.handle('labels.export', () => ({
      fileName: 'wallet-tracker-labels-2026-12-02.jsonl',
      content: '{"type":"tx","ref":"a","label":"b"}\n',
    }));
    const created: Blob[] = [];
    const clicked: string[] = [];
    URL.createObjectURL = vi.fn((b: Blob) => {
      created.push(b);
      return 'blob:labels';
    });
    URL.revokeObjectURL = vi.fn();
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicked.push(this.download);
    });
    const w = mountIn(LabelsSection);
    must<HTMLButtonElement>('labels-export').click();
    await flushPromises();
    expect(clicked).toEqual(['wallet-tracker-labels-2026-12-02.jsonl']);
    expect(await created[0]!.text()).toBe('{"type":"tx","ref":"a","label":"b"}\n');
    click.mockRestore();
    w.unmount();
  });
});
