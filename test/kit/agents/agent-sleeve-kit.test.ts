import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BubblewrapRuntime } from '../../../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import { startModelServer, type ModelServer } from '../model-server/model-server.js';
import { openAiChatProtocol } from '../model-server/openai-chat-protocol.js';
import { always } from '../model-server/scripts.js';
import { SKIP_NO_BWRAP, startAgentSleeveKit, type AgentSleeveKit } from './agent-sleeve-kit.js';

const bwrap = await BubblewrapRuntime.available();

describe.skipIf(!bwrap)(`agent sleeve kit${bwrap ? '' : ` [skipped: ${SKIP_NO_BWRAP}]`}`, () => {
  let kit: AgentSleeveKit;
  let server: ModelServer;
  beforeAll(async () => {
    kit = startAgentSleeveKit({ sandboxed: true });
    server = await startModelServer({ protocols: [openAiChatProtocol], responder: always({ text: 'hello from the model' }) });
  });
  afterAll(async () => {
    await server.close();
    await kit.close();
  });

  it('a sleeve reaches the allowlisted model server through the proxy, and nothing else', async () => {
    const { workspacePath, homePath } = kit.makeWorkspace();
    const sleeve = await kit.runtime.spawn({
      command: 'curl',
      args: ['-s', '-o', '/dev/null', '-w', '%{http_code}', `${server.url}/v1/models`],
      cwd: workspacePath,
      env: kit.baseEnv(homePath),
      ...kit.sleeve([`127.0.0.1:${server.port}`], { writablePaths: [homePath] }),
    });
    let out = '';
    for await (const l of sleeve.lines) out += l.text;
    await sleeve.exited;
    expect(out).toBe('200');
    expect(server.requests.length).toBe(1);
    const other = await kit.runtime.spawn({
      command: 'curl',
      args: ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${server.port + 1}/`],
      cwd: workspacePath,
      env: kit.baseEnv(homePath),
      ...kit.sleeve([`127.0.0.1:${server.port}`], { writablePaths: [homePath] }),
    });
    let out2 = '';
    for await (const l of other.lines) out2 += l.text;
    await other.exited;
    expect(out2).not.toBe('200');
  });
});
