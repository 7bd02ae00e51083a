/** Types of parse-prometheus-text-format (the package ships none): metric families with their samples. */
declare module 'parse-prometheus-text-format' {
  export interface PrometheusSample { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }
  export interface PrometheusFamily { name: string; help: string; type: string; metrics: PrometheusSample[] }
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
