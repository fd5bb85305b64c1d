import { useRef } from 'react';
import type { PhotoEntry } from './store.ts';
import { RgbaCanvas } from './rgba-canvas.tsx';

interface Props {
  photo: PhotoEntry;
  onRemove(): void;
  /** Swap this photo for another file, in the same place; it is analysed again. */
  onReplace(file: File): void;
}

/** One photo: its face crop and landmark image side by side, or why it cannot be used. */
export function PhotoCard({ photo, onRemove, onReplace }: Props) {
  const inputRef = useRef<HTMLInputElement>(null);
  return (
    <li className={`photo-card photo-${photo.status}`} data-testid="photo-card" data-status={photo.status} data-name={photo.name}>
      <div className="photo-card-head">
        <span className="photo-name" title={photo.name}>
          {photo.name}
        </span>
        <span className="photo-actions">
          <button type="button" onClick={() => inputRef.current?.click()} aria-label={`Replace ${photo.name}`}>
            Replace
          </button>
          <button type="button" onClick={onRemove} aria-label={`Remove ${photo.name}`}>
            Remove
          </button>
        </span>
        <input
          ref={inputRef}
          type="file"
          accept="image/*"
          hidden
          aria-label={`Replacement for ${photo.name}`}
          data-testid="replace-input"
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) onReplace(file);
          }}
        />
      </div>
      {photo.status === 'analysing' && <p className="photo-status">Finding the face…</p>}
      {photo.status === 'error' && (
        <p className="photo-error" role="alert" data-error-code={photo.code}>
          {photo.message}
        </p>
      )}
      {photo.status === 'ready' && (
        <>
          <div className="photo-pair">
            <RgbaCanvas image={photo.crop} label={`Face crop of ${photo.name}`} className="crop" />
            <RgbaCanvas image={photo.landmarkImage} label={`Landmark image of ${photo.name}`} className="landmark-image" />
          </div>
          {photo.warnings.map((w) => (
            <p key={w} className="photo-warning">
              {w}
            </p>
          ))}
        </>
      )}
    </li>
  );
}
