/** Values for the path parameters of the kernel's OpenAPI route templates; each test picks values that would really
 *  act if a guard let the request through. */
export interface PathValues { plugin: string; state: string; rest: string; collection: string; /** default: a model of the catalog */ model?: string }

/** A concrete path for an OpenAPI template such as `/api/plugins/{id}/restart` (unknown parameters become `x`). */
export function fillPath(template: string, v: PathValues): string {
  return template
    .replace(/\/api\/plugins\/\{id\}/, `/api/plugins/${v.plugin}`)
    .replace(/\/api\/config\/plugins\/\{id\}/, `/api/config/plugins/${v.plugin}`)
    .replace(/\/hosts\/\{id\}/, '/hosts/spark-1')
    .replace(/\/jobs\/\{id\}/, '/jobs/00000000-0000-4000-8000-000000000000')
    .replace(/\/clients\/\{id\}/, '/clients/c_000000000000')
    .replace(/\/models\/\{id\}/, `/models/${v.model ?? 'qwen3-4b-instruct'}`)
    .replace(/\{state\}/, v.state)
    .replace(/\{rest\}/, v.rest)
    .replace(/\{name\}/, v.collection)
    .replace(/\{[A-Za-z0-9_]+\}/g, 'x');
}
