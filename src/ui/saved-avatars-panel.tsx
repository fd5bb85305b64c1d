// The saved-avatars panel: avatars stored in this browser (IndexedDB), loaded into the model
// worker (switching generators when one was made with the other), renamed or deleted.
import { useEffect, useState } from 'react';
import { deleteAvatar, listAvatars, loadAvatar, renameAvatar, type StoredAvatarSummary } from './avatar-store.ts';
import { GENERATORS } from '../nn/registry.ts';
import { weightsOverride } from './model-preferences.ts';
import { modelWorker, switchGenerator } from './model-service.ts';
import { RgbaCanvas } from './rgba-canvas.tsx';
import { useAppStore } from './store.ts';

/** Avatars saved in this browser: load one to drive it, rename or delete. */
export function SavedAvatarsPanel() {
  const version = useAppStore((s) => s.savedVersion);
  const bumpSaved = useAppStore((s) => s.bumpSaved);
  const setAvatar = useAppStore((s) => s.setAvatar);
  const [list, setList] = useState<StoredAvatarSummary[] | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    let live = true;
    listAvatars()
      .then((l) => live && setList(l))
      .catch((e: unknown) => live && setMessage({ ok: false, text: e instanceof Error ? e.message : String(e) }));
    return () => {
      live = false;
    };
  }, [version]);

  async function act(work: () => Promise<string>) {
    setMessage(null);
    try {
      setMessage({ ok: true, text: await work() });
    } catch (e) {
      setMessage({ ok: false, text: e instanceof Error ? e.message : String(e) });
    }
  }

  const load = (id: string) =>
    act(async () => {
      const saved = await loadAvatar(id);
      const { api, ready } = modelWorker();
      const info = await ready;
      const made = list?.find((a) => a.id === id)?.generator;
      // A saved avatar loads with the generator that made it: switch first when another one is loaded.
      let switched = '';
      if (made && made !== info.generator && weightsOverride() === null) {
        await switchGenerator(made);
        switched = ` (switched to the ${GENERATORS[made].label} generator, which made it)`;
      }
      const { rebuilt } = await api.importAvatar(saved.weights);
      setAvatar({ landmarks: saved.landmarks, cropSize: saved.cropSize, photoCount: saved.photoCount });
      const remade = rebuilt
        ? ' It was saved with an earlier version of the generator, so it was made again from its photos: fine-tune it again for the closest likeness, then save it.'
        : '';
      return `Loaded “${saved.name}”${switched}: drive it below.${remade}`;
    });

  const rename = (a: StoredAvatarSummary) =>
    act(async () => {
      const name = window.prompt('New name for this avatar', a.name)?.trim();
      if (!name) return 'Name unchanged.';
      await renameAvatar(a.id, name);
      bumpSaved();
      return `Renamed to “${name}”.`;
    });

  const remove = (a: StoredAvatarSummary) =>
    act(async () => {
      await deleteAvatar(a.id);
      bumpSaved();
      return `Deleted “${a.name}”.`;
    });

  return (
    <section className="panel" aria-labelledby="saved-title" data-testid="saved-avatars">
      <h2 id="saved-title">Saved avatars</h2>
      {list !== null && list.length === 0 && (
        <p className="hint">None yet: create an avatar and save it. Saved avatars stay in this browser.</p>
      )}
      {message && (
        <p className={message.ok ? 'hint' : 'photo-error'} role={message.ok ? 'status' : 'alert'} data-testid="saved-status">
          {message.text}
        </p>
      )}
      <ul className="saved-list">
        {list?.map((a) => (
          <li key={a.id} data-testid="saved-avatar">
            <RgbaCanvas image={a.thumbnail} label={`Avatar ${a.name}`} className="saved-thumb" />
            <span className="saved-name">{a.name}</span>
            <span className="hint">
              {a.photoCount} photo{a.photoCount > 1 ? 's' : ''}
              {a.fineTuned ? ', fine-tuned' : ''}, {GENERATORS[a.generator].label.toLowerCase()}
            </span>
            <button type="button" onClick={() => void load(a.id)}>
              Load
            </button>
            <button type="button" onClick={() => void rename(a)}>
              Rename
            </button>
            <button type="button" onClick={() => void remove(a)} aria-label={`Delete ${a.name}`}>
              Delete
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
