import { useAppStore } from './store';

/** App-wide messages (bad input, fallbacks, limits), announced to screen readers. */
export function Notices() {
  const notices = useAppStore((s) => s.notices);
  const dismiss = useAppStore((s) => s.dismissNotice);
  if (notices.length === 0) return null;
  return (
    <ul className="notices" aria-live="polite">
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
