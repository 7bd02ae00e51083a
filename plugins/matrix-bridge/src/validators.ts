/** Allow-lists for values the bot plugin puts into docker commands (quoting alone is not enough there). */

/** Docker container name. */
export const SAFE_DOCKER_NAME: RegExp = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
/** Docker image reference (repo[:tag][@digest]). */
export const SAFE_IMAGE_REF: RegExp = /^[a-z0-9][a-z0-9._/-]{0,200}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
