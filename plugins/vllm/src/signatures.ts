/** Known vLLM failure signatures (reference/vllm.md §1.6) → a code and plain words for the owner. Order matters:
 *  the first match wins, specific before generic. */
export const FAILURE_SIGNATURES: Array<{ code: string; re: RegExp; message: string }> = [
  { code: 'VLLM_FREE_MEMORY', re: /Free memory on device .* is less than desired GPU memory utilization/i, message: 'Not enough free memory on the Spark to start this model (something else still holds memory). Wait a minute or lower --gpu-memory-utilization.' },
  { code: 'VLLM_OUT_OF_MEMORY', re: /CUDA out of memory|OutOfMemoryError|torch\.OutOfMemoryError/i, message: 'The model ran out of GPU memory while loading. Choose a smaller model, a shorter --max-model-len, or a lower --gpu-memory-utilization.' },
  { code: 'VLLM_PATH_NOT_VISIBLE', re: /HFValidationError: Repo id must be in the form|does not appear to have a file named config\.json/i, message: 'vLLM could not see the model directory inside the container (path not mounted, or no config.json there).' },
  { code: 'VLLM_GATED_REPO', re: /gated repo|401 Client Error|403 Client Error|Access to model .* is restricted/i, message: 'This Hugging Face repository is gated: accept its licence and set HF_TOKEN, or download it first.' },
  { code: 'VLLM_PORT_IN_USE', re: /Address already in use|address already in use/i, message: 'The vLLM port is already in use (another server is still running).' },
  { code: 'VLLM_ENGINE_FAILED', re: /EngineCore failed to start|Engine core initialization failed|EngineDeadError/i, message: 'The vLLM engine failed to start; see the log lines below.' },
  { code: 'VLLM_CRASHED', re: /Traceback \(most recent call last\)/, message: 'vLLM crashed while starting; see the log lines below.' },
];

export function classifyFailure(log: string): { code: string; message: string } | undefined {
  for (const s of FAILURE_SIGNATURES) if (s.re.test(log)) return { code: s.code, message: s.message };
  return undefined;
}
