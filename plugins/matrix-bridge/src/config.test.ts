import { describe, expect, it } from 'vitest';
import { commandText } from '@spark-control/plugin-api';
import { matrixBridgeConfigSchema } from './config.js';
import { inspectState, updateScript } from './commands.js';
import { parseInspect } from './state.js';

const HOSTILE = [`x'; touch /tmp/pwn; '`, '$(reboot)', '`id`', 'a;b', 'a|b', 'a && b', 'a\nb', 'a\0b', '*', '-rf', '--help', '../../etc', 'ｍａｔｒｉｘ', 'x'.repeat(300), ''];

describe('matrix-bridge config', () => {
  it('defaults to a disabled plugin (blank bot user)', () => {
    const c = matrixBridgeConfigSchema.parse({});
    expect(c.botUser).toBe('');
    expect(c.hostId).toBe('spark-2');
  });

  for (const field of ['botUser', 'containerName', 'image', 'sourceDir', 'gitBranch'] as const) {
    it(`rejects hostile ${field} values before anything reaches a shell`, () => {
      let rejected = 0;
      for (const h of HOSTILE) {
        if (field === 'botUser' && h === '') continue; // blank = disabled, allowed
        const r = matrixBridgeConfigSchema.safeParse({ [field]: h });
        if (!r.success) {
          rejected++;
          expect(r.error.issues[0].path[0]).toBe(field);
        }
      }
      // Everything except the look-alike-free plain words is refused; nothing with shell syntax passes.
      for (const h of HOSTILE.filter((x) => /[;|&`$'\n\0*]|\.\.|^-/.test(x))) expect(matrixBridgeConfigSchema.safeParse({ [field]: h }).success, `${field}=${JSON.stringify(h)}`).toBe(false);
      expect(rejected).toBeGreaterThan(8);
    });
  }

  it('refuses run arguments with shell syntax', () => {
    expect(matrixBridgeConfigSchema.safeParse({ runArgs: ['--env-file=/home/bot/.env', '-v', '/srv/bot:/data'] }).success).toBe(true);
    for (const bad of ['$(id)', '--x=`id`', 'a b', '--e=a;b', "'"]) expect(matrixBridgeConfigSchema.safeParse({ runArgs: [bad] }).success, bad).toBe(false);
  });

  it('builds commands whose values are single quoted words', () => {
    const c = matrixBridgeConfigSchema.parse({ botUser: 'bot', containerName: 'matrix-bot', sourceDir: '/home/bot/src dir'.replace(' ', '-'), gitBranch: 'release/1.2' });
    expect(commandText(inspectState(c))).toBe(`docker inspect --type container --format '{{json .State}}' matrix-bot`);
    const script = commandText(updateScript(c));
    expect(script).toContain('git fetch --prune origin release/1.2');
    expect(script).toContain('git reset --hard origin/release/1.2');
    expect(script).toContain('docker build -t matrix-bot:latest .');
  });
});

describe('docker state parsing', () => {
  it('reads running, unhealthy, restarting, exited with code and missing', () => {
    expect(parseInspect('{"Status":"running","Running":true,"StartedAt":"2026-01-01T00:00:00Z"}', '', 0)).toMatchObject({ state: 'running' });
    expect(parseInspect('{"Status":"running","Running":true,"Health":{"Status":"unhealthy"}}', '', 0)).toMatchObject({ state: 'running', health: 'unhealthy' });
    expect(parseInspect('{"Status":"restarting","Restarting":true,"Running":true}', '', 0)).toMatchObject({ state: 'restarting' });
    expect(parseInspect('{"Status":"exited","Running":false,"ExitCode":137}', '', 0)).toEqual({ state: 'exited', exitCode: 137, finishedAt: undefined });
    expect(parseInspect('', 'Error: No such object: matrix-bot', 1)).toEqual({ state: 'missing' });
    expect(parseInspect('not json', '', 0).state).toBe('unknown');
    expect(parseInspect('', 'Cannot connect to the Docker daemon', 1)).toMatchObject({ state: 'unknown', error: expect.stringContaining('Docker daemon') });
  });
});
