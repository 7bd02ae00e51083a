/**
 * Dense vectors passed on as the text the embedding service sent them in, so the kernel does not turn 1,024 floats per
 * item back into JSON text for every upsert and search: on vectors as bge-m3 sends them (float32 values in up to 17
 * digits) that was 11.5 ms of CPU per 64 items, as much as parsing them. Qdrant reads the service's number text as it
 * would read ours.
 */

const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c, OPEN_OBJECT = 0x7b, CLOSE_OBJECT = 0x7d, OPEN_ARRAY = 0x5b, CLOSE_ARRAY = 0x5d;

interface Frame { object: boolean; key: string | undefined; expectsKey: boolean; index: number }

/** Index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let j = start + 1;
  for (;;) {
    j = text.indexOf('"', j);
    if (j < 0) return text.length;
    let k = j - 1;
    while (text.charCodeAt(k) === BACKSLASH) k--;
    if ((j - 1 - k) % 2 === 0) return j;
    j++;
  }
}

/**
 * The text of each `data[i].embedding` array of an embeddings answer (`{"data":[{"embedding":[…]}, …]}`), by position
 * in `data` (undefined where an element has none). Only for text that JSON.parse accepted and whose embeddings were
 * checked to be flat arrays of numbers: then an embedding's text runs from its `[` to the next `]`. Where a key repeats,
 * the last one counts, as in JSON.parse.
 */
export function embeddingTexts(text: string): Array<string | undefined> {
  let out: Array<string | undefined> = [];
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (top?.object && top.expectsKey) {
        const raw = text.slice(i + 1, end);
        top.key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        top.expectsKey = false;
      }
      i = end;
    } else if (c === OPEN_ARRAY) {
      if (stack.length === 3 && stack[2].key === 'embedding' && stack[1].object === false && stack[0].key === 'data') {
        const end = text.indexOf(']', i);
        out[stack[1].index] = text.slice(i, end + 1);
        i = end;
      } else {
        if (stack.length === 1 && top.key === 'data') out = [];
        stack.push({ object: false, key: undefined, expectsKey: false, index: 0 });
      }
    } else if (c === OPEN_OBJECT) {
      stack.push({ object: true, key: undefined, expectsKey: true, index: 0 });
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
    } else if (c === COMMA && top) {
      if (top.object) top.expectsKey = true;
      else top.index++;
    }
  }
  return out;
}

/** Whether `text` (an array's JSON text) starts and ends with the first and last of `values`: a check in constant time
 *  that the scan above found the array JSON.parse read (counting its commas took up to 5 ms per 64 vectors). */
export function endsMatch(text: string, values: number[]): boolean {
  if (text.charCodeAt(0) !== OPEN_ARRAY || text.charCodeAt(text.length - 1) !== CLOSE_ARRAY) return false;
  if (values.length === 0) return !/[^\s[\]]/.test(text);
  const first = values.length === 1 ? text.slice(1, -1) : text.slice(1, text.indexOf(','));
  const last = values.length === 1 ? first : text.slice(text.lastIndexOf(',') + 1, -1);
  return first.trim() !== '' && Number(first) === values[0] && Number(last) === values[values.length - 1];
}

/** JSON text of an object: the fields of `texts` given as JSON text already (undefined ones left out), then `rest`'s
 *  (which must not repeat them). */
export function objectJson(texts: Record<string, string | undefined>, rest: object): string {
  let head = '';
  for (const k in texts) if (texts[k] !== undefined) head += `${JSON.stringify(k)}:${texts[k]},`;
  const tail = JSON.stringify(rest);
  return tail === '{}' ? `{${head.slice(0, -1)}}` : `{${head}${tail.slice(1)}`;
}

/** A request body that is JSON text already (sent as it is, as application/json). */
export class JsonText {
  constructor(readonly text: string) {}
}
