import type { PhotoEntry } from './store';
import { RgbaCanvas } from './RgbaCanvas';

/** One photo: its face crop and landmark image side by side, or why it cannot be used. */
export function PhotoCard({ photo, onRemove }: { photo: PhotoEntry; onRemove: () => void }) {
  return (
    <li className={`photo-card photo-${photo.status}`} data-testid="photo-card" data-status={photo.status}>
      <div className="photo-card-head">
        <span className="photo-name" title={photo.name}>
          {photo.name}
        </span>
        <button type="button" onClick={onRemove} aria-label={`Remove ${photo.name}`}>
          Remove
        </button>
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
