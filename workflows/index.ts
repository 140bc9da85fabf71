export { commandWorkflow } from './command-workflow.js';
