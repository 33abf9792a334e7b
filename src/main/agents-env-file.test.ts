import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Logger } from '../core/ports/logger.js';
import { silentLogger } from '../core/ports/logger.js';
import { parseEnvFile, withAgentsEnvFile } from './agents-env-file.js';

const dir = mkdtempSync(join(tmpdir(), 'cortical-agents-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('agents env file', () => {
  it('parses NAME=value lines with comments, quotes and export', () => {
    expect(parseEnvFile('# endpoints\nANTHROPIC_BASE_URL=http://127.0.0.1:8080\nexport OPENAI_API_KEY="sk-1 2"\n\nGEMINI_API_KEY=\'g\'\n')).toEqual({
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:8080',
      OPENAI_API_KEY: 'sk-1 2',
      GEMINI_API_KEY: 'g',
    });
    expect(() => parseEnvFile('GOOD=1\nthis is not a setting\n', 'agents.env')).toThrow(/agents.env, line 2: expected NAME=value/);
  });

  it("lays the file over the node's environment and warns when others can read it", async () => {
    const file = join(dir, 'agents.env');
    writeFileSync(file, 'OPENAI_BASE_URL=http://127.0.0.1:9/v1\n');
    chmodSync(file, 0o644);
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (_o: unknown, msg?: string) => void warnings.push(msg ?? '') };
    const env = await withAgentsEnvFile({ CORTICAL_AGENTS_ENV: file, OPENAI_BASE_URL: 'http://old', PATH: '/bin' }, logger);
    expect(env).toMatchObject({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', PATH: '/bin' });
    expect(warnings.join()).toMatch(/chmod 600/);
    chmodSync(file, 0o600);
    warnings.length = 0;
    await withAgentsEnvFile({ CORTICAL_AGENTS_ENV: file }, logger);
    expect(warnings).toEqual([]);
    await expect(withAgentsEnvFile({ CORTICAL_AGENTS_ENV: join(dir, 'missing.env') }, logger)).rejects.toThrow(/cannot read it \(ENOENT\)/);
  });
});
