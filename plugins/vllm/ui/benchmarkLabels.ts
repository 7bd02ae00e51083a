/** The parts of a stored benchmark run the labels read (GET /api/plugins/vllm/benchmarks). */
export interface RunFacts {
  at: string;
  modelId: string;
  vllmVersion: string | null;
  launch: { args: string[]; image: string; tensorParallel: number; maxModelLen: number | null };
  settings: { count: number; maxTokens: number };
}

/** A run's launch and settings as flat `name → value` pairs: each `--flag value` / `--flag=value` of its args (`on`
 *  for a flag without a value), then tp, context, vLLM version, image, model and the benchmark's own settings. */
export function runFacts(r: RunFacts): Map<string, string> {
  const out = new Map<string, string>();
  const a = r.launch.args;
  for (let i = 0; i < a.length; i++) {
    if (!a[i].startsWith('--')) continue;
    const eq = a[i].indexOf('=');
    if (eq > 0) out.set(a[i].slice(0, eq), a[i].slice(eq + 1));
    else if (i + 1 < a.length && !a[i + 1].startsWith('--')) out.set(a[i], a[++i]);
    else out.set(a[i], 'on');
  }
  out.set('tp', String(r.launch.tensorParallel));
  out.set('context', r.launch.maxModelLen === null ? '?' : String(r.launch.maxModelLen));
  out.set('vLLM', r.vllmVersion ?? '?');
  out.set('image', r.launch.image);
  out.set('model', r.modelId);
  out.set('max tokens', String(r.settings.maxTokens));
  out.set('requests', String(r.settings.count));
  return out;
}

/** A label per run: its date, then every fact whose value is not the same in all `runs` (a flag set in one run and
 *  absent in another shows as `--flag=–` there), so what changed between the runs compared is in the legend. */
export function runLabels(runs: RunFacts[], date: (iso: string) => string = (iso) => new Date(iso).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })): string[] {
  const facts = runs.map(runFacts);
  // Flags of every run first (in the order they appear), then tp, context, version and the rest.
  const all = [...new Set(facts.flatMap((f) => [...f.keys()]))];
  const names = [...all.filter((n) => n.startsWith('--')), ...all.filter((n) => !n.startsWith('--'))];
  const differing = names.filter((n) => new Set(facts.map((f) => f.get(n) ?? '–')).size > 1);
  return runs.map((r, i) => [date(r.at), ...differing.map((n) => `${n}${n.startsWith('--') ? '=' : ' '}${facts[i].get(n) ?? '–'}`)].join(' · '));
}
