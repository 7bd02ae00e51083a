/** The first path where `answer` has a field `parsed` (a zod schema's output for it, unknown keys stripped) does not:
 *  a field the API document leaves out. Undefined when every field is documented. */
export function undocumentedField(answer: unknown, parsed: unknown, path = ''): string | undefined {
  if (Array.isArray(answer) && Array.isArray(parsed)) {
    for (let i = 0; i < answer.length; i++) { const u = undocumentedField(answer[i], parsed[i], `${path}.${i}`); if (u) return u; }
    return undefined;
  }
  if (answer && typeof answer === 'object' && parsed && typeof parsed === 'object') {
    for (const [key, v] of Object.entries(answer)) {
      if (!(key in parsed)) return `${path}.${key}`.slice(1);
      const u = undocumentedField(v, (parsed as Record<string, unknown>)[key], `${path}.${key}`);
      if (u) return u;
    }
  }
  return undefined;
}
