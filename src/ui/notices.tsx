import { useAppStore } from './store.ts';

const STATUS_KIND = { recovering: 'warning', recovered: 'info', failed: 'error' } as const;

/** App-wide messages (bad input, fallbacks, limits, model restarts), announced to screen readers. */
export function Notices() {
  const notices = useAppStore((s) => s.notices);
  const dismiss = useAppStore((s) => s.dismissNotice);
  const status = useAppStore((s) => s.modelStatus);
  const setStatus = useAppStore((s) => s.setModelStatus);
  if (notices.length === 0 && !status) return null;
  return (
    <ul className="notices" aria-live="polite">
      {status && (
        <li
          className={`notice notice-${STATUS_KIND[status.phase]}`}
          data-testid="model-status"
          data-phase={status.phase}
          data-generation={status.generation}
          role={status.phase === 'failed' ? 'alert' : 'status'}
        >
          <span>{status.text}</span>
          {status.phase !== 'recovering' && (
            <button type="button" onClick={() => setStatus(null)} aria-label="Dismiss message">
              ×
            </button>
          )}
        </li>
      )}
      {notices.map((n) => (
        <li key={n.id} className={`notice notice-${n.kind}`} data-testid={`notice-${n.kind}`}>
          <span>{n.text}</span>
          <button type="button" onClick={() => dismiss(n.id)} aria-label="Dismiss message">
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
