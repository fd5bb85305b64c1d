import { useCallback, useEffect, useRef, useState } from 'react';
import { analyzePhotoInWorker } from './photo-analysis.ts';
import { MAX_PHOTOS, newId, useAppStore, type PhotoEntry } from './store.ts';
import { PhotoCard } from './photo-card.tsx';
import { WebcamCapture } from './webcam-capture.tsx';

const CROP_SIZE = 256;

/**
 * Photos in: drag-and-drop, file picker or webcam snapshots, 1–32 of them, each analysed into crop +
 * landmark image; each card can be replaced in place or removed.
 */
export function PhotoPanel() {
  const photos = useAppStore((s) => s.photos);
  const addPhotos = useAppStore((s) => s.addPhotos);
  const updatePhoto = useAppStore((s) => s.updatePhoto);
  const removePhoto = useAppStore((s) => s.removePhoto);
  const notify = useAppStore((s) => s.notify);
  const inputRef = useRef<HTMLInputElement>(null);
  const chooseRef = useRef<HTMLButtonElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  /** Where focus goes after a removal took the focused card away: the card now at this index. */
  const refocus = useRef<number | null>(null);
  const [dragging, setDragging] = useState(false);
  /** The analysis each photo waits for: replacing or removing the photo aborts it. */
  const pending = useRef(new Map<string, AbortController>());

  useEffect(() => {
    const map = pending.current;
    return () => map.forEach((c) => c.abort());
  }, []);

  useEffect(() => {
    const index = refocus.current;
    if (index === null) return;
    refocus.current = null;
    const cards = listRef.current?.querySelectorAll<HTMLElement>('[data-testid=photo-card]') ?? [];
    const next = cards.length > 0 ? cards[Math.min(index, cards.length - 1)].querySelector('button') : null;
    (next ?? chooseRef.current)?.focus();
  }, [photos]);

  /** A notice, unless the same one is already showing (a second click on a denied camera adds nothing). */
  const notifyOnce = useCallback(
    (kind: 'warning' | 'error', text: string) => {
      if (!useAppStore.getState().notices.some((n) => n.text === text)) notify(kind, text);
    },
    [notify],
  );

  /** Analyses `file` as photo `id`; a result that arrives after the photo was replaced or removed is dropped. */
  const analyse = useCallback(
    async (id: string, file: File) => {
      pending.current.get(id)?.abort();
      const job = new AbortController();
      pending.current.set(id, job);
      const result = await analyzePhotoInWorker(file, CROP_SIZE, job.signal);
      if (job.signal.aborted) return;
      pending.current.delete(id);
      const name = file.name;
      if (result.ok) updatePhoto({ id, name, status: 'ready', ...result.photo });
      else updatePhoto({ id, name, status: 'error', ...result.error });
    },
    [updatePhoto],
  );

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
      // Queued in order (one detector); each keeps its own abort handle, so all are registered now.
      await Promise.all(taken.map((f, i) => analyse(entries[i].id, f)));
    },
    [addPhotos, analyse, notify],
  );

  const replace = useCallback(
    (id: string, file: File) => {
      if (!useAppStore.getState().photos.some((p) => p.id === id)) return;
      updatePhoto({ id, name: file.name, status: 'analysing' });
      void analyse(id, file);
    },
    [analyse, updatePhoto],
  );

  const remove = useCallback(
    (id: string) => {
      const index = useAppStore.getState().photos.findIndex((p) => p.id === id);
      if (listRef.current?.children[index]?.contains(document.activeElement)) refocus.current = index;
      pending.current.get(id)?.abort();
      pending.current.delete(id);
      removePhoto(id);
    },
    [removePhoto],
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
        <div className="photo-sources">
          <button type="button" ref={chooseRef} onClick={() => inputRef.current?.click()}>
            Choose photos…
          </button>
          <WebcamCapture full={photos.length >= MAX_PHOTOS} onCapture={(file) => void accept([file])} notify={notifyOnce} />
        </div>
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
      <ul className="photo-grid" ref={listRef}>
        {photos.map((p) => (
          <PhotoCard key={p.id} photo={p} onRemove={() => remove(p.id)} onReplace={(file) => replace(p.id, file)} />
        ))}
      </ul>
    </section>
  );
}
