// Saved avatars in IndexedDB: the avatar's weights (project weights format, fp16) plus what the UI
// needs to drive it. Stays on this machine, like everything else.
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import { generatorOfSaved } from '../nn/registry.ts';
import type { GeneratorKind } from '../nn/registry.ts';
import type { SavedAvatar } from '../workers/avatar-protocol.ts';

export interface StoredAvatar {
  id: string;
  name: string;
  created: string;
  fineTuned: boolean;
  photoCount: number;
  /** Landmarks of the avatar's first photo in crop pixels, for landmark adaptation when driving. */
  landmarks: Landmarks;
  cropSize: number;
  thumbnail: RgbaImage;
  weights: SavedAvatar;
}

export type StoredAvatarSummary = Omit<StoredAvatar, 'weights'> & {
  /** The generator that made it (from its weights' network config; avatars saved before warp-guided ones: paper). */
  generator: GeneratorKind;
};

const DB = 'talking-heads';
const STORE = 'avatars';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'id' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB is unavailable'));
  });
}

async function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onabort = tx.onerror = () => reject(storageError(tx.error ?? request.error));
    });
  } finally {
    db.close();
  }
}

function storageError(error: DOMException | null): Error {
  if (error?.name === 'QuotaExceededError') {
    return new Error('The browser has no room left to save this avatar. Delete saved avatars or free disk space, then try again.');
  }
  return new Error(`The avatar store failed: ${error?.message ?? 'unknown error'}`);
}

export function saveAvatar(avatar: StoredAvatar): Promise<IDBValidKey> {
  return run('readwrite', (s) => s.put(avatar));
}

export async function listAvatars(): Promise<StoredAvatarSummary[]> {
  const all = await run<StoredAvatar[]>('readonly', (s) => s.getAll());
  return all
    .map(({ weights, ...summary }) => ({ ...summary, generator: generatorOfSaved(weights.manifest) }))
    .sort((a, b) => b.created.localeCompare(a.created));
}

export async function loadAvatar(id: string): Promise<StoredAvatar> {
  const avatar = await run<StoredAvatar | undefined>('readonly', (s) => s.get(id));
  if (!avatar) throw new Error('This avatar is no longer saved');
  return avatar;
}

export async function renameAvatar(id: string, name: string): Promise<void> {
  const avatar = await loadAvatar(id);
  await saveAvatar({ ...avatar, name });
}

export function deleteAvatar(id: string): Promise<undefined> {
  return run('readwrite', (s) => s.delete(id));
}
