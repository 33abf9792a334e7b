import { claudeKit } from '../../../../test/kit/agents/claude-script.js';
import { agentDriverContract } from '../agent-driver.contract.js';

agentDriverContract('claude', claudeKit, { cli: 'claude' });
