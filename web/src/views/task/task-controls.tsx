import { useId, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { AGENTS } from '../../api/types.js';
import { guideTask, pauseTask, resleeveTask, resumeTask, stopTask, taskKeys } from './task-api.js';
import type { TaskDto } from './task-types.js';
import { controlAvailability } from './control-rules.js';

type Action = { kind: 'pause'; now: boolean } | { kind: 'resume' } | { kind: 'stop' } | { kind: 'resleeve'; agent: string };

/** Pause, pause now, resume, stop (confirmed), guidance and resleeve, with API errors inline. */
export function TaskControls({ task }: { task: TaskDto }) {
  const qc = useQueryClient();
  const ids = { guidance: useId(), agent: useId() };
  const [confirmStop, setConfirmStop] = useState(false);
  const [text, setText] = useState('');
  const [agent, setAgent] = useState(() => (AGENTS.find((a) => a !== task.spec.agent) ?? 'shell') as string);
  const [notice, setNotice] = useState<string | null>(null);
  const can = controlAvailability(task);

  const control = useMutation({
    mutationFn: (a: Action): Promise<TaskDto> => {
      switch (a.kind) {
        case 'pause':
          return pauseTask(task.id, a.now);
        case 'resume':
          return resumeTask(task.id);
        case 'stop':
          return stopTask(task.id);
        case 'resleeve':
          return resleeveTask(task.id, a.agent);
      }
    },
    onSuccess: (updated, a) => {
      qc.setQueryData(taskKeys.task(task.id), updated);
      setNotice(a.kind === 'resleeve' ? `Resleeved to ${a.agent}.` : null);
    },
  });
  const guide = useMutation({
    mutationFn: (t: string) => guideTask(task.id, t),
    onSuccess: (g) => {
      setText('');
      setNotice(`Guidance #${g.seq} sent.`);
      void qc.invalidateQueries({ queryKey: taskKeys.guidance(task.id) });
    },
  });
  const busy = control.isPending || guide.isPending;
  const run = (a: Action): void => {
    setNotice(null);
    guide.reset();
    control.mutate(a);
  };
  const error = control.error ?? guide.error;

  return (
    <section className="tv-card tv-controls" aria-labelledby="tv-controls-h">
      <h2 id="tv-controls-h">Controls</h2>
      <div className="tv-buttons">
        <button type="button" disabled={busy || !can.pause} onClick={() => run({ kind: 'pause', now: false })}>
          Pause
        </button>
        <button type="button" disabled={busy || !can.pauseNow} onClick={() => run({ kind: 'pause', now: true })}>
          Pause now
        </button>
        <button type="button" disabled={busy || !can.resume} onClick={() => run({ kind: 'resume' })}>
          Resume
        </button>
        <button type="button" className="tv-danger" disabled={busy || !can.stop || confirmStop} onClick={() => setConfirmStop(true)}>
          Stop
        </button>
      </div>
      {confirmStop && can.stop ? (
        <div className="tv-confirm" role="alertdialog" aria-label="Confirm stop" aria-describedby={`${ids.agent}-stop`}>
          <p id={`${ids.agent}-stop`}>Stop this task? A running iteration is ended; this cannot be undone.</p>
          <button
            type="button"
            className="tv-danger"
            disabled={busy}
            onClick={() => {
              setConfirmStop(false);
              run({ kind: 'stop' });
            }}
          >
            Yes, stop the task
          </button>
          <button type="button" onClick={() => setConfirmStop(false)} autoFocus>
            Cancel
          </button>
        </div>
      ) : null}
      <form
        className="tv-guide"
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim() === '') return;
          setNotice(null);
          control.reset();
          guide.mutate(text);
        }}
      >
        <label htmlFor={ids.guidance}>Guidance</label>
        <textarea
          id={ids.guidance}
          value={text}
          rows={3}
          maxLength={20_000}
          placeholder="Tell the agent what to do differently"
          disabled={!can.guide}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              e.currentTarget.form?.requestSubmit();
            }
          }}
        />
        <button type="submit" disabled={busy || !can.guide || text.trim() === ''}>
          Send guidance
        </button>
      </form>
      <div className="tv-resleeve">
        <label htmlFor={ids.agent}>New agent</label>
        <select id={ids.agent} value={agent} disabled={!can.resleeve} onChange={(e) => setAgent(e.target.value)}>
          {AGENTS.map((a) => (
            <option key={a} value={a}>
              {a}
              {a === task.spec.agent ? ' (current)' : ''}
            </option>
          ))}
        </select>
        <button type="button" disabled={busy || !can.resleeve || agent === task.spec.agent} onClick={() => run({ kind: 'resleeve', agent })}>
          Resleeve
        </button>
      </div>
      {error !== null ? (
        <p role="alert" className="tv-error">
          {error.message}
        </p>
      ) : null}
      <p role="status" className="tv-notice">
        {notice ?? ''}
      </p>
    </section>
  );
}
