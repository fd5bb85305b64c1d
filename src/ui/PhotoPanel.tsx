import { useCallback, useRef, useState } from 'react';
import { analyzePhotoInWorker } from './photo-analysis';
import { MAX_PHOTOS, newId, useAppStore, type PhotoEntry } from './store';
import { PhotoCard } from './PhotoCard';

const CROP_SIZE = 256;

/** Photos in: drag-and-drop or file picker, 1–32 of them, each analysed into crop + landmark image. */
export function PhotoPanel() {
  const photos = useAppStore((s) => s.photos);
  const addPhotos = useAppStore((s) => s.addPhotos);
  const updatePhoto = useAppStore((s) => s.updatePhoto);
  const removePhoto = useAppStore((s) => s.removePhoto);
  const notify = useAppStore((s) => s.notify);
  const inputRef = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  const accept = useCallback(
    async (files: File[]) => {
      if (files.length === 0) return;
      const room = MAX_PHOTOS - useAppStore.getState().photos.length;
      if (files.length > room) {
        notify(
          'warning',
          `An avatar uses at most ${MAX_PHOTOS} photos: ${files.length - Math.max(room, 0)} of the ${files.length} chosen were not added.`,
        );
      }
      const taken = files.slice(0, Math.max(room, 0));
      const entries: PhotoEntry[] = taken.map((f) => ({ id: newId('photo'), name: f.name, status: 'analysing' }));
      addPhotos(entries);
      // One at a time: the detector is a single WASM instance, and order keeps the UI predictable.
      for (let i = 0; i < taken.length; i++) {
        const { id, name } = entries[i];
        const result = await analyzePhotoInWorker(taken[i], CROP_SIZE);
        if (result.ok) updatePhoto({ id, name, status: 'ready', ...result.photo });
        else updatePhoto({ id, name, status: 'error', ...result.error });
      }
    },
    [addPhotos, updatePhoto, notify],
  );

  return (
    <section className="panel" aria-labelledby="photos-title">
      <h2 id="photos-title">1. Photos of one person</h2>
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          void accept(Array.from(e.dataTransfer.files));
        }}
      >
        <p>Drop 1–{MAX_PHOTOS} photos of one face here, or</p>
        <button type="button" onClick={() => inputRef.current?.click()}>
          Choose photos…
        </button>
        <input
          ref={inputRef}
          type="file"
          accept="image/*"
          multiple
          hidden
          aria-label="Choose photos"
          data-testid="photo-input"
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = '';
            void accept(files);
          }}
        />
        <p className="count" data-testid="photo-count">
          {photos.length} / {MAX_PHOTOS} photos
        </p>
      </div>
      <ul className="photo-grid">
        {photos.map((p) => (
          <PhotoCard key={p.id} photo={p} onRemove={() => removePhoto(p.id)} />
        ))}
      </ul>
    </section>
  );
}
