/**
 * `cortical policy check FILE... [--json]`: validates safety policy files locally (no HQ needed);
 * exit code 1 when any file is invalid. `cortical policy show [FILE] [--json]`: prints the
 * effective policy (the built-in one without FILE) in the file format, every default filled in.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { DEFAULT_SAFETY_POLICY, safetyPolicyToFile, type SafetyPolicy } from '../../../core/safety-policy.js';
import { checkSafetyPolicyFile } from '../../../services/policy/policy-loader.js';
import { CliError } from '../cli-errors.js';
import { EXIT_FAILURE } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { out, printJson } from '../output.js';

interface FileResult {
  readonly file: string;
  readonly ok: boolean;
  readonly name: string | null;
  readonly tools: number | null;
  readonly maxSteps: number | null;
  readonly problems: string[];
}

function summary(p: SafetyPolicy): string {
  return `${p.tools.length} tool${p.tools.length === 1 ? '' : 's'}, max steps ${p.plan.maxSteps}`;
}

export function registerPolicyCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const at = (file: string): string => (isAbsolute(file) ? file : resolve(io.cwd, file));
  const policy = program.command('policy').description('safety policies: tool tiers, plan rules, pre/postconditions (docs/policy.md)');

  policy
    .command('check')
    .description('validate safety policy files (YAML) locally; no HQ needed')
    .argument('<file...>', 'policy files (.yaml, .yml)')
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nExit codes: 0 every file is valid; 1 a file is invalid or unreadable; 2 usage error.')
    .action(async (files: string[], o: { json?: boolean }) => {
      const results: FileResult[] = [];
      for (const file of files) {
        const r = await checkSafetyPolicyFile(at(file), file);
        results.push(r.ok
          ? { file, ok: true, name: r.policy.name, tools: r.policy.tools.length, maxSteps: r.policy.plan.maxSteps, problems: [] }
          : { file, ok: false, name: null, tools: null, maxSteps: null, problems: r.problems });
      }
      const allOk = results.every((r) => r.ok);
      if (o.json) printJson(io, { ok: allOk, files: results });
      else {
        for (const r of results) {
          if (r.ok) out(io, `ok: ${r.file} (${r.tools} tool${r.tools === 1 ? '' : 's'}, max steps ${r.maxSteps})`);
          else {
            out(io, `invalid: ${r.file} (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'})`);
            for (const p of r.problems) out(io, `  - ${p}`);
          }
        }
      }
      if (!allOk) ctx.setExitCode(EXIT_FAILURE);
    });

  policy
    .command('show')
    .description('print the effective safety policy, defaults filled in (the built-in policy without FILE)')
    .argument('[file]', 'a policy file (.yaml, .yml)')
    .option('--json', 'print it as JSON (same keys as the file)')
    .action(async (file: string | undefined, o: { json?: boolean }) => {
      let p: SafetyPolicy = DEFAULT_SAFETY_POLICY;
      if (file !== undefined) {
        const r = await checkSafetyPolicyFile(at(file), file);
        if (!r.ok) throw new CliError(`invalid safety policy ${file}:\n${r.problems.map((x) => `  - ${x}`).join('\n')}`);
        p = r.policy;
      }
      const doc = safetyPolicyToFile(p);
      if (o.json) printJson(io, doc);
      else io.stdout.write(`# ${file === undefined ? 'built-in policy' : file}: ${summary(p)}\n${stringify(doc, { lineWidth: 0 })}`);
    });
}
