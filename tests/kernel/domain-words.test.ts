import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The kernel (core/src) knows no service, model or vendor: those words belong to the plugins that use them.
 *
 * The rule, exactly: every `.ts` file under core/src is read whole (code, strings and comments alike) and cut into
 * words at every character that is not a letter or digit; each word is checked as it is AND cut further at camelCase
 * and digit boundaries (`preloadModel` → preload, model; `SAFE_HF_REPO` → safe, hf, repo). A word or piece that equals
 * one of BANNED (case-insensitive, plural `s` included) fails the test. Substrings inside other words do not count
 * (`remodel`, `shfmt`), so ordinary English is not caught by accident.
 */
const BANNED = ['vllm', 'parakeet', 'kokoro', 'qdrant', 'embedding', 'embeddings', 'hf', 'huggingface', 'hugging', 'model', 'models'];

const root = fileURLToPath(new URL('../../', import.meta.url));

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The words of a text as the rule above cuts them (whole tokens and their camelCase pieces, lower-cased). */
function domainWords(text: string): string[] {
  const out: string[] = [];
  for (const token of text.split(/[^A-Za-z0-9]+/)) {
    if (!token) continue;
    out.push(token.toLowerCase());
    const pieces = token.split(/(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])/);
    if (pieces.length > 1) out.push(...pieces.map((p) => p.toLowerCase()));
  }
  return out;
}

function hits(text: string): string[] {
  const banned = new Set(BANNED);
  return [...new Set(domainWords(text).filter((w) => banned.has(w)))];
}

describe('core/src knows no domain words', () => {
  it('the rule catches each spelling it is meant to and ignores words that merely contain one', () => {
    expect(hits('const preloadModel = 1')).toEqual(['model']);
    expect(hits('SAFE_HF_REPO')).toEqual(['hf']);
    expect(hits('// proxies to vLLM on spark-1')).toEqual(['vllm']);
    expect(hits("service('qdrant')")).toEqual(['qdrant']);
    expect(hits('Hugging Face cache; HuggingFace; embeddings')).toEqual(['hugging', 'huggingface', 'embeddings']);
    expect(hits('remodel the shfmt models2')).toEqual(['models']);
    expect(hits('modelling hfx vllmish')).toEqual([]);
  });

  it('no .ts file under core/src contains one', () => {
    const files = tsFiles(join(root, 'core/src'));
    expect(files.length).toBeGreaterThan(40);
    const found: string[] = [];
    for (const f of files) {
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        const h = hits(line);
        if (h.length) found.push(`${relative(root, f)}:${i + 1}: ${h.join(', ')}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(found, found.join('\n')).toEqual([]);
  });
});
