import { describe, expect, it } from 'vitest';
import { scrubbedEnv } from './sleeve-env.js';

describe('scrubbedEnv', () => {
  it('keeps PATH, LANG, TERM, sets HOME and drops credentials', () => {
    const env = scrubbedEnv(
      {
        PATH: '/bin',
        LANG: 'en_US.UTF-8',
        TERM: 'xterm',
        HOME: '/home/me',
        AWS_SECRET_ACCESS_KEY: 'x',
        GITHUB_TOKEN: 'y',
        ANTHROPIC_API_KEY: 'z',
        SSH_AUTH_SOCK: '/tmp/agent',
      },
      { homeDir: '/work/ws/t1.home', extra: { CORTICAL_TASK_ID: 't1' } },
    );
    expect(env).toEqual({
      PATH: '/bin',
      LANG: 'en_US.UTF-8',
      TERM: 'xterm',
      HOME: '/work/ws/t1.home',
      CORTICAL_TASK_ID: 't1',
    });
  });
  it('fills defaults when the source lacks them', () => {
    const env = scrubbedEnv({}, { homeDir: '/h' });
    expect(env.PATH).toContain('/usr/bin');
    expect(env.HOME).toBe('/h');
  });
});
