/** The tools the built-in agent offers its model (names match src/core/tool-policy.ts). */
import type { ToolSpec } from './builtin-model-types.js';

const path = (what: string) => ({ type: 'string', description: `${what}, relative to the workspace (or absolute inside it)` });

export const BUILTIN_TOOL_SPECS: readonly ToolSpec[] = [
  {
    name: 'read_file',
    description: 'Read a text file. Returns its lines prefixed with line numbers; use offset/limit for long files.',
    parameters: {
      type: 'object',
      properties: {
        path: path('The file'),
        offset: { type: 'integer', description: 'First line to return (1-based); default 1' },
        limit: { type: 'integer', description: 'How many lines to return; default 2000' },
      },
      required: ['path'],
    },
  },
  {
    name: 'write_file',
    description: 'Create or overwrite a file with the given content (parent directories are created).',
    parameters: {
      type: 'object',
      properties: { path: path('The file'), content: { type: 'string', description: 'The complete new content' } },
      required: ['path', 'content'],
    },
  },
  {
    name: 'edit_file',
    description: 'Replace old_text with new_text in a file. old_text must occur exactly once unless replace_all is true.',
    parameters: {
      type: 'object',
      properties: {
        path: path('The file'),
        old_text: { type: 'string', description: 'The exact text to replace' },
        new_text: { type: 'string', description: 'The replacement' },
        replace_all: { type: 'boolean', description: 'Replace every occurrence' },
      },
      required: ['path', 'old_text', 'new_text'],
    },
  },
  {
    name: 'list_files',
    description: 'List a directory (directories end with /). recursive lists the whole tree (.git and node_modules skipped).',
    parameters: {
      type: 'object',
      properties: { path: path('The directory; default the workspace'), recursive: { type: 'boolean' } },
    },
  },
  {
    name: 'search',
    description: 'Search file contents for a regular expression (or plain text with literal: true). Returns path:line: text for each match.',
    parameters: {
      type: 'object',
      properties: {
        pattern: { type: 'string', description: 'A JavaScript regular expression' },
        path: path('The file or directory to search; default the workspace'),
        literal: { type: 'boolean', description: 'Treat pattern as plain text' },
        ignore_case: { type: 'boolean' },
      },
      required: ['pattern'],
    },
  },
  {
    name: 'run_command',
    description: 'Run a shell command (/bin/sh -c) in the workspace. Returns the exit code and the combined output.',
    parameters: {
      type: 'object',
      properties: {
        command: { type: 'string', description: 'The command line' },
        cwd: path('The working directory; default the workspace'),
        timeout_ms: { type: 'integer', description: 'Time limit in ms (capped by the agent)' },
      },
      required: ['command'],
    },
  },
];
