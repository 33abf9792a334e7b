import { describeRuntimeContract } from '../runtime.contract.js';
import { ProcessRuntime } from './process-runtime.js';

describeRuntimeContract('process', () => new ProcessRuntime());
