/** A settings key as a person would write it, for schemas without a `title`: "pollIntervalMs" → "Poll interval (ms)",
 *  "hfHome" → "HF home", "maxUploadMB" → "Max upload (MB)", "memoryFloorPct" → "Memory floor (%)". */
const UNITS: Record<string, string> = { ms: 'ms', sec: 's', seconds: 's', min: 'min', minutes: 'min', hours: 'h', mb: 'MB', bytes: 'bytes', pct: '%', db: 'dB' };
const ACRONYMS: Record<string, string> = {
  hf: 'HF', ssh: 'SSH', asr: 'ASR', tts: 'TTS', ner: 'NER', url: 'URL', id: 'ID', kv: 'KV', gpu: 'GPU', cpu: 'CPU', cli: 'CLI',
  vllm: 'vLLM', api: 'API', ttl: 'TTL', tls: 'TLS', ip: 'IP', vpn: 'VPN', llm: 'LLM',
};

export function fieldLabel(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').replace(/[_-]+/g, ' ').trim().split(/\s+/);
  if (!words[0]) return key;
  const last = words[words.length - 1].toLowerCase();
  const unit = words.length > 1 ? UNITS[last] : undefined;
  const body = (unit ? words.slice(0, -1) : words).map((w, i) => ACRONYMS[w.toLowerCase()] ?? (i === 0 ? w[0].toUpperCase() + w.slice(1).toLowerCase() : w.toLowerCase()));
  return `${body.join(' ')}${unit ? ` (${unit})` : ''}`;
}
