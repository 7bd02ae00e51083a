/** Allow-lists for values the vLLM plugin puts into launcher commands (quoting alone is not enough there). */

/** Hugging Face repo id `org/name`. */
export const SAFE_HF_REPO: RegExp = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$/;
/** Docker image reference (repo[:tag][@digest]). */
export const SAFE_IMAGE_REF: RegExp = /^[a-z0-9][a-z0-9._/-]{0,200}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
/** A catalog model id (route param, swap target, catalog key). */
export const MODEL_ID: RegExp = /^[a-z0-9][a-z0-9._-]{0,63}$/;
