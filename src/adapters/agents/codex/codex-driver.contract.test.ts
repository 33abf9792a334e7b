import { codexKit } from '../../../../test/kit/agents/codex-script.js';
import { agentDriverContract } from '../agent-driver.contract.js';

agentDriverContract('codex', codexKit, { cli: 'codex' });
