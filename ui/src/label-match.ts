/** `match="host=spark-1"` → the label sets it keeps (every label named must have that value; blank keeps all). */
export function labelMatcher(match: string): (labels: Record<string, string>) => boolean {
  const want = match.split(',').map((p) => p.split('=')).filter(([k]) => k.trim()).map(([k, ...v]) => [k.trim(), v.join('=').trim()] as const);
  return (labels) => want.every(([k, v]) => labels[k] === v);
}
