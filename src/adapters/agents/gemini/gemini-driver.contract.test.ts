import { geminiKit } from '../../../../test/kit/agents/gemini-script.js';
import { agentDriverContract } from '../agent-driver.contract.js';

agentDriverContract('gemini', geminiKit, { cli: 'gemini' });
