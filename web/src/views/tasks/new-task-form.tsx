/** The "New task" form: `POST /api/v1/tasks`, then the new task's page. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, apiFetch } from '../../api/client.js';
import { AGENTS, type TaskDto } from '../../api/types.js';
import { navigate, taskHref } from '../../lib/router.js';
import { apiFieldOf, buildTaskCreate, EMPTY_FORM, type FieldErrors, type TaskFormValues } from './task-form-model.js';

/** Field errors from a 400 VALIDATION_FAILED answer (`details.issues[].field`). */
export function fieldErrorsFromApi(err: unknown): FieldErrors {
  const out: FieldErrors = {};
  if (!(err instanceof ApiError)) return out;
  const issues = err.details?.issues;
  if (!Array.isArray(issues)) return out;
  for (const i of issues as unknown[]) {
    if (typeof i !== 'object' || i === null) continue;
    const { field, message } = i as { field?: unknown; message?: unknown };
    if (typeof field !== 'string' || typeof message !== 'string') continue;
    const key = apiFieldOf(field);
    if (key !== null && out[key] === undefined) out[key] = message;
  }
  return out;
}

function Field({ id, label, error, hint, children }: { id: string; label: string; error?: string; hint?: string; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint !== undefined && (
        <small id={`${id}-hint`} className="muted">
          {hint}
        </small>
      )}
      {error !== undefined && (
        <small id={`${id}-error`} className="error">
          {error}
        </small>
      )}
    </div>
  );
}

export function NewTaskForm() {
  const [v, setV] = useState<TaskFormValues>(EMPTY_FORM);
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const base = useId();
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: (body: unknown) => apiFetch<TaskDto>('/api/v1/tasks', { method: 'POST', json: body }),
    onSuccess: async (task) => {
      setV(EMPTY_FORM);
      await qc.invalidateQueries({ queryKey: ['tasks'] });
      navigate(taskHref(task.id));
    },
  });
  const apiErrors = fieldErrorsFromApi(create.error);
  const errors: FieldErrors = { ...apiErrors, ...localErrors };
  const id = (k: keyof TaskFormValues): string => `${base}-${k}`;
  const set = (k: keyof TaskFormValues) => (e: { target: { value: string } }) => setV((old) => ({ ...old, [k]: e.target.value }));
  const describedBy = (k: keyof TaskFormValues, hint = false): string | undefined => {
    const parts = [hint ? `${id(k)}-hint` : '', errors[k] !== undefined ? `${id(k)}-error` : ''].filter((s) => s !== '');
    return parts.length === 0 ? undefined : parts.join(' ');
  };
  const input = (k: keyof TaskFormValues, extra: { inputMode?: 'numeric' | 'decimal'; placeholder?: string; hint?: boolean } = {}) => (
    <input
      id={id(k)}
      value={v[k]}
      onChange={set(k)}
      inputMode={extra.inputMode}
      placeholder={extra.placeholder}
      aria-invalid={errors[k] !== undefined}
      aria-describedby={describedBy(k, extra.hint)}
    />
  );

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const { body, errors: found } = buildTaskCreate(v);
    setLocalErrors(found);
    if (Object.keys(found).length > 0) return;
    create.mutate(body);
  };

  return (
    <form className="card new-task" onSubmit={submit} aria-labelledby={`${base}-title`} noValidate>
      <h2 id={`${base}-title`}>New task</h2>
      <Field id={id('prompt')} label="Prompt" error={errors.prompt}>
        <textarea id={id('prompt')} rows={4} value={v.prompt} onChange={set('prompt')} aria-invalid={errors.prompt !== undefined} aria-describedby={describedBy('prompt')} />
      </Field>
      <div className="grid">
        <Field id={id('agent')} label="Agent" error={errors.agent}>
          <select id={id('agent')} value={v.agent} onChange={set('agent')} aria-describedby={describedBy('agent')}>
            {AGENTS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </Field>
        <Field id={id('repoPath')} label="Repository path" error={errors.repoPath} hint="A git repository HQ can read; empty for none">
          {input('repoPath', { placeholder: '/srv/repos/app', hint: true })}
        </Field>
        <Field id={id('requires')} label="Requirements" error={errors.requires} hint="Capabilities, comma-separated (e.g. linux, gpu)">
          {input('requires', { hint: true })}
        </Field>
        <Field id={id('project')} label="Task project" error={errors.project} hint="Budgets count per project; empty for default">
          {input('project', { placeholder: 'default', hint: true })}
        </Field>
      </div>
      <fieldset>
        <legend>Guardrails</legend>
        <div className="grid">
          <Field id={id('maxIterations')} label="Max iterations" error={errors.maxIterations}>
            {input('maxIterations', { inputMode: 'numeric' })}
          </Field>
          <Field id={id('budgetUsd')} label="Budget (USD)" error={errors.budgetUsd}>
            {input('budgetUsd', { inputMode: 'decimal' })}
          </Field>
          <Field id={id('budgetTokens')} label="Budget (tokens)" error={errors.budgetTokens}>
            {input('budgetTokens', { inputMode: 'numeric' })}
          </Field>
          <Field id={id('timeoutMinutes')} label="Timeout (minutes)" error={errors.timeoutMinutes}>
            {input('timeoutMinutes', { inputMode: 'decimal' })}
          </Field>
        </div>
        <Field id={id('until')} label="Until check" error={errors.until} hint="A shell command; the loop ends when it exits 0 (e.g. npm test)">
          {input('until', { hint: true })}
        </Field>
      </fieldset>
      {create.isError && (
        <p className="error" role="alert">
          {create.error.message}
        </p>
      )}
      <button type="submit" disabled={create.isPending}>
        Create task
      </button>
    </form>
  );
}
