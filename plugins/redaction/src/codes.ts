/** This plugin's error codes (`codes.X` of the plugin API holds the kernel's). */
export const redactionCodes = {
  /** The LLM NER tier cannot run: vLLM is not running, or a swap did not finish in time. */
  NER_UNAVAILABLE: 'REDACTION_NER_UNAVAILABLE',
} as const;
