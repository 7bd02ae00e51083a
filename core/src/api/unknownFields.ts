import type { z } from 'zod';
import type { FieldError } from './errors.js';

/** A zod schema's internal definition, as far as the walk below reads it (zod 4 `_zod.def`). */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
  options?: z.ZodType[];
  getter?: () => z.ZodType;
}

/** A schema that is not zod 4's (a third-party plugin's own safeParse object) has nothing to walk. */
function defOf(s: z.ZodType | undefined): Def {
  return (s as unknown as { _zod?: { def?: Def } } | undefined)?._zod?.def ?? { type: 'unknown' };
}

/** Enough to tell a client what is wrong; a body with 100,000 stray keys gets the first of them, not 100,000 errors. */
const MAX_REPORTED = 20;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const normal = (name: string) => name.toLowerCase().replace(/[_\-\s[\]]/g, '');

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length]!;
}

/** The known name an unknown one most likely meant: the same name in another case style (`served_name` →
 *  `servedName`), else the nearest within two edits; undefined when nothing is close. */
export function suggestField(unknown: string, known: string[]): string | undefined {
  const u = normal(unknown);
  const same = known.find((k) => normal(k) === u);
  if (same) return same;
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    // Two edits cannot bridge a longer gap: this also keeps a megabyte-long key from costing a distance table.
    if (Math.abs(u.length - normal(k).length) > 2) continue;
    const d = distance(u, normal(k));
    if (d <= 2 && d < Math.min(u.length, normal(k).length) && (!best || d < best.d)) best = { name: k, d };
  }
  return best?.name;
}

/** The field error for one unknown name, with "did you mean" when a known name is close. */
export function unknownFieldError(path: string[], name: string, known: string[]): FieldError {
  const hint = suggestField(name, known);
  return { field: [...path, name].join('.'), message: hint ? `unknown field; did you mean ${hint}?` : 'unknown field' };
}

/** The keys of a value a schema would silently drop (zod objects strip unknown keys by default), with their paths.
 *  Objects that say what to do with extra keys themselves (`.strict()` refuses, `.loose()`/`catchall` keeps) are
 *  left to zod. Branches the walk cannot follow (a preprocess that reshapes the value) are not checked. */
export function unknownFields(schema: z.ZodType, value: unknown, path: string[] = [], depth = 0): FieldError[] {
  if (depth > 64) return [];
  const d = defOf(schema);
  switch (d.type) {
    case 'object': {
      if (!isPlainObject(value)) return [];
      const shape = d.shape ?? {};
      const known = Object.keys(shape);
      const out: FieldError[] = [];
      for (const k in value) {
        if (out.length >= MAX_REPORTED) break;
        if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
        const field = Object.prototype.hasOwnProperty.call(shape, k) ? shape[k] : undefined;
        if (field) out.push(...unknownFields(field, value[k], [...path, k], depth + 1).slice(0, MAX_REPORTED - out.length));
        else if (!d.catchall) out.push(unknownFieldError(path, k, known));
      }
      return out;
    }
    case 'optional': case 'nullable': case 'default': case 'prefault': case 'readonly': case 'nonoptional': case 'catch':
      return value === undefined || value === null ? [] : unknownFields(d.innerType!, value, path, depth + 1);
    case 'array':
      return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(d.element!, v, [...path, String(i)], depth + 1)) : [];
    case 'record':
      return isPlainObject(value) ? Object.entries(value).flatMap(([k, v]) => unknownFields(d.valueType!, v, [...path, k], depth + 1)) : [];
    case 'pipe':
      // z.preprocess: the inner schema sees a reshaped value, which this walk does not have.
      return defOf(d.in!).type === 'transform' ? [] : unknownFields(d.in!, value, path, depth + 1);
    case 'lazy':
      return unknownFields(d.getter!(), value, path, depth + 1);
    case 'union': {
      // The first branch that accepts the value is the one zod used.
      const branch = d.options?.find((o) => o.safeParse(value).success);
      return branch ? unknownFields(branch, value, path, depth + 1) : [];
    }
    case 'intersection': {
      const l = defOf(d.left!), r = defOf(d.right!);
      if (l.type === 'object' && r.type === 'object' && isPlainObject(value) && !l.catchall && !r.catchall) {
        const shape = { ...l.shape, ...r.shape };
        const known = Object.keys(shape);
        return Object.entries(value).flatMap(([k, v]) => shape[k] ? unknownFields(shape[k], v, [...path, k], depth + 1) : [unknownFieldError(path, k, known)]);
      }
      return [];
    }
    default:
      return [];
  }
}

/** The names an object schema knows at a path (for the suggestion on zod's own `unrecognized_keys` issues). */
export function knownKeysAt(schema: z.ZodType, path: PropertyKey[]): string[] {
  let s: z.ZodType | undefined = schema;
  for (let depth = 0; s && depth < 64; depth++) {
    const d = defOf(s);
    if (d.type === 'object') {
      if (!path.length) return Object.keys(d.shape ?? {});
      s = d.shape?.[String(path[0])];
      path = path.slice(1);
    } else if (d.type === 'array') {
      s = d.element;
      path = path.slice(1);
    } else if (d.type === 'pipe') s = d.in;
    else if (d.innerType) s = d.innerType;
    else return [];
  }
  return [];
}
