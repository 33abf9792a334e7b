import { builtinAnthropicKit, builtinKit } from '../../../../test/kit/agents/builtin-script.js';
import { agentDriverContract } from '../agent-driver.contract.js';

agentDriverContract('builtin', builtinKit, { cli: null });
agentDriverContract('builtin-anthropic', builtinAnthropicKit, { cli: null });
