import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { downloadFailureLine } from './src/download.js';

let k: TestKernel;
beforeAll(async () => { k = await createTestKernel({ plugins: ['vllm'] }); });
afterAll(async () => { await k?.stop(); });

const json = { 'content-type': 'application/json' };

describe('two downloads of one repository', () => {
  it('a second catalog id for the same repo is refused with 409 naming the running one', async () => {
    writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/hf-sim.json'), JSON.stringify({ files: 4, chunkMs: 400 }));
    const add = await k.fetch('/api/models', { method: 'POST', headers: json, body: JSON.stringify({ id: 'gpt-oss-copy', name: 'copy', repo: 'OpenAI/gpt-oss-120b', servedName: 'copy' }) });
    expect(add.status).toBe(201);
    const first = await k.fetch('/api/models/gpt-oss-120b/download', { method: 'POST' });
    expect(first.status).toBe(202);
    const job = await first.json() as { id: string };
    const second = await k.fetch('/api/models/gpt-oss-copy/download', { method: 'POST' });
    expect(second.status).toBe(409);
    const body = await second.json() as { code: string; detail: string };
    expect(body.code).toBe('VLLM_DOWNLOAD_IN_PROGRESS');
    expect(body.detail).toContain('gpt-oss-120b');
    await k.fetch(`/api/jobs/${job.id}/cancel`, { method: 'POST' });
    await k.app.services.jobs.wait(job.id);
  }, 60_000);
});

describe('what a failed download says', () => {
  it('the error line of a crash, not the runtime\'s version banner', () => {
    const nodeCrash = ['node:fs:1372', '  const result = binding.mkdir(', '                         ^', '', "Error: EEXIST: file already exists, mkdir '/home/u/.cache/huggingface/hub/models--a--b/blobs'",
      '    at Object.mkdirSync (node:fs:1372:26)', '    at file:///sim/bin/hf.mjs:40:6', '{', '  errno: -17,', "  code: 'EEXIST'", '}', '', 'Node.js v20.20.2'];
    expect(downloadFailureLine(nodeCrash)).toMatch(/^Error: EEXIST: file already exists/);
    const python = ['Traceback (most recent call last):', '  File "/usr/bin/hf", line 8, in <module>', '    sys.exit(main())', 'huggingface_hub.errors.LocalEntryNotFoundError: cannot find the requested files'];
    expect(downloadFailureLine(python)).toMatch(/LocalEntryNotFoundError/);
    expect(downloadFailureLine(['downloading', 'killed'])).toBe('killed');
    expect(downloadFailureLine([])).toBe('no output');
  });
});
