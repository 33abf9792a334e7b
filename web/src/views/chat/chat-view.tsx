/**
 * `#/chat`: ask HQ in plain words; it answers with the plan it would run and the policy verdict
 * (`POST /api/v1/plans`). An allowed plan can be run from here; its task's status shows inline.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { ApiError } from '../../api/client.js';
import { previewPlan, submitPlan } from './chat-api.js';
import { loadConversation, MAX_REQUEST_CHARS, nextId, saveConversation, sessionStore, type ChatMessage } from './chat-model.js';
import { PlanCard } from './plan-card.js';
import { PlanTaskStatus } from './plan-task-status.js';
import { useStickToBottom } from '../task/use-stick-to-bottom.js';
import './chat-view.css';

function errorText(e: unknown): string {
  if (e instanceof ApiError && e.status === 404) {
    return 'Planning is not available: this HQ does not offer POST /api/v1/plans (404). Create tasks from the Tasks page instead.';
  }
  if (e instanceof ApiError) return `HQ answered ${e.status} ${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

export function ChatView() {
  const inputId = useId();
  const [messages, setMessages] = useState<ChatMessage[]>(() => loadConversation(sessionStore()));
  const [request, setRequest] = useState('');
  const [asking, setAsking] = useState(false);
  const [runningId, setRunningId] = useState<number | null>(null);
  const [runErrors, setRunErrors] = useState<ReadonlyMap<number, string>>(new Map());
  const mounted = useRef(true);
  const { ref, onScroll } = useStickToBottom<HTMLDivElement>(messages.length);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  useEffect(() => saveConversation(sessionStore(), messages), [messages]);

  const append = (make: (id: number) => ChatMessage): void => setMessages((prev) => [...prev, make(nextId(prev))]);

  const send = async (): Promise<void> => {
    const text = request.trim();
    if (text === '' || asking) return;
    setRequest('');
    setAsking(true);
    append((id) => ({ id, role: 'user', text, at: Date.now() }));
    try {
      const response = await previewPlan(text);
      if (!mounted.current) return;
      append((id) => ({ id, role: 'plan', request: text, response, at: Date.now(), taskId: null, refusal: null }));
    } catch (e) {
      if (!mounted.current) return;
      append((id) => ({ id, role: 'error', text: errorText(e), at: Date.now() }));
    } finally {
      if (mounted.current) setAsking(false);
    }
  };

  const run = async (messageId: number, text: string): Promise<void> => {
    if (runningId !== null) return;
    setRunningId(messageId);
    setRunErrors((prev) => {
      const next = new Map(prev);
      next.delete(messageId);
      return next;
    });
    const update = (patch: Partial<Extract<ChatMessage, { role: 'plan' }>>): void =>
      setMessages((prev) => prev.map((m) => (m.id === messageId && m.role === 'plan' ? { ...m, ...patch } : m)));
    try {
      const response = await submitPlan(text);
      if (!mounted.current) return;
      if (response.task !== null) update({ taskId: response.task.id, response });
      else if (!response.verdict.allowed) update({ refusal: response.verdict.reason ?? 'refused by policy', response });
      else setRunErrors((prev) => new Map(prev).set(messageId, 'HQ created no task'));
    } catch (e) {
      if (!mounted.current) return;
      if (e instanceof ApiError && e.status === 403 && e.code === 'POLICY_DENIED') update({ refusal: e.message });
      else setRunErrors((prev) => new Map(prev).set(messageId, errorText(e)));
    } finally {
      if (mounted.current) setRunningId(null);
    }
  };

  return (
    <section className="cv" aria-labelledby="cv-heading">
      <div className="cv-head">
        <h1 id="cv-heading">Chat with HQ</h1>
        {messages.length > 0 ? (
          <button type="button" className="secondary" onClick={() => setMessages([])}>
            Clear conversation
          </button>
        ) : null}
      </div>
      <div className="cv-log" role="log" aria-label="Conversation" ref={ref} onScroll={onScroll} tabIndex={0}>
        {messages.length === 0 ? (
          <p className="cv-hint">
            Say what you want done, for example “fix the failing tests in the api project with codex, at most $2”. HQ answers with the plan it
            would run; nothing runs until you press “Run this plan”.
          </p>
        ) : null}
        {messages.map((m) => (
          <article key={m.id} className={`cv-msg cv-msg-${m.role}`} data-role={m.role} aria-label={m.role === 'user' ? 'You' : 'HQ'}>
            {m.role === 'user' ? <p className="cv-user-text">{m.text}</p> : null}
            {m.role === 'error' ? (
              <p role="alert" className="cv-error">
                {m.text}
              </p>
            ) : null}
            {m.role === 'plan' ? (
              <>
                <PlanCard
                  response={m.response}
                  taskId={m.taskId}
                  refusal={m.refusal}
                  runError={runErrors.get(m.id) ?? null}
                  running={runningId === m.id}
                  onRun={() => void run(m.id, m.request)}
                />
                {m.taskId !== null ? <PlanTaskStatus taskId={m.taskId} /> : null}
              </>
            ) : null}
          </article>
        ))}
        {asking ? (
          <p className="cv-thinking" role="status">
            HQ is planning…
          </p>
        ) : null}
      </div>
      <form
        className="cv-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <label htmlFor={inputId}>Request</label>
        <textarea
          id={inputId}
          value={request}
          rows={3}
          maxLength={MAX_REQUEST_CHARS}
          placeholder="What should the fleet do?"
          onChange={(e) => setRequest(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void send();
            }
          }}
          aria-describedby={`${inputId}-hint`}
        />
        <div className="cv-form-row">
          <span id={`${inputId}-hint`} className="cv-hint-small">
            Ctrl+Enter or ⌘+Enter sends.
          </span>
          <button type="submit" disabled={asking || request.trim() === ''}>
            Send
          </button>
        </div>
      </form>
    </section>
  );
}
