/**
 * The ONE audited place where values become shell text. Everything sent over SSH is either an argv array quoted
 * here or an `sh` template whose interpolations are quoted here. Validators below are allow-lists for values that
 * end up in places where quoting is not enough (paths a launcher expands unquoted, user names, host names). Values
 * only one plugin knows (container names, image references, repository ids) are checked by that plugin's own
 * allow-lists, in its folder.
 */
const SHELL_COMMAND: unique symbol = Symbol.for('spark-control/shell-command');

/** Shell text that is safe to send: only `sh` and `rawShell` make one. */
export interface ShellCommand {
  readonly [SHELL_COMMAND]: true;
  readonly text: string;
}

/** Quote one argument for POSIX sh/bash. Rejects NUL (cannot be carried by any shell argument). */
export function quoteArg(value: string | number): string {
  const s = String(value);
  if (s.includes('\0')) throw new TypeError('shell argument contains NUL');
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Quote an argv array into one command line. */
export function quoteArgv(argv: readonly (string | number)[]): string {
  if (argv.length === 0) throw new TypeError('empty argv');
  return argv.map(quoteArg).join(' ');
}

/** Raw, trusted shell text: only for literals written in source code (pipes, redirections). */
export function rawShell(text: string): ShellCommand {
  return { [SHELL_COMMAND]: true, text };
}

/** Tagged template: literal parts are trusted source text; every interpolation is quoted (arrays become several args,
 *  another ShellCommand is inserted as-is). */
export function sh(strings: TemplateStringsArray, ...values: Array<string | number | readonly (string | number | ShellCommand)[] | ShellCommand>): ShellCommand {
  let text = strings[0];
  values.forEach((v, i) => {
    if (isShellCommand(v)) text += v.text;
    else if (Array.isArray(v)) text += v.map((x) => (isShellCommand(x) ? x.text : quoteArg(x as string | number))).join(' ');
    else text += quoteArg(v as string | number);
    text += strings[i + 1];
  });
  return rawShell(text);
}

/** True for a value made by `sh` or `rawShell` (from any copy of this package: the brand is a global symbol). */
export function isShellCommand(v: unknown): v is ShellCommand {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[SHELL_COMMAND] === true;
}

/** Final command text for an SshCommand. */
export function commandText(cmd: readonly (string | number)[] | ShellCommand): string {
  return isShellCommand(cmd) ? cmd.text : quoteArgv(cmd as readonly (string | number)[]);
}

// ── allow-list validators (return the value or throw a TypeError naming the rule) ──

/** Absolute POSIX path: `/` + segments of [A-Za-z0-9._+-], no `.`/`..` segments, no `//`, max 255. */
export const SAFE_ABSOLUTE_PATH: RegExp = /^(\/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)+\/?$/;
/** {@link SAFE_ABSOLUTE_PATH} plus no `.`/`..` segments and at most 255 characters. */
export function isSafeAbsolutePath(p: string): boolean {
  if (typeof p !== 'string' || p.length > 255 || !SAFE_ABSOLUTE_PATH.test(p)) return false;
  return !p.split('/').some((seg) => seg === '.' || seg === '..');
}

/** Unix user name (Debian's NAME_REGEX, conservative). */
export const SAFE_USER: RegExp = /^[a-z_][a-z0-9_-]{0,31}$/;
/** Git branch name (subset of git-check-ref-format). */
export const SAFE_GIT_BRANCH: RegExp = /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]{1,100}(?<![./])$/;
/** Hostname or IPv4/IPv6 literal. */
export const SAFE_HOST: RegExp = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[?[0-9A-Fa-f:.]+\]?)$/;
