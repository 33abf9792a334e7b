import { opencodeKit } from '../../../../test/kit/agents/opencode-script.js';
import { agentDriverContract } from '../agent-driver.contract.js';

agentDriverContract('opencode', opencodeKit, { cli: 'opencode' });
