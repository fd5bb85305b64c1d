import { create } from 'zustand';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';

export const MAX_PHOTOS = 32;

/** One uploaded photo as the UI knows it: analysed, failed, or still being analysed. */
export type PhotoEntry =
  | { id: string; name: string; status: 'analysing' }
  | {
      id: string;
      name: string;
      status: 'ready';
      crop: RgbaImage;
      landmarkImage: RgbaImage;
      /** Points in crop coordinates. */
      landmarks: Landmarks;
      warnings: string[];
    }
  | { id: string; name: string; status: 'error'; code: string; message: string };

export interface Notice {
  id: string;
  kind: 'info' | 'warning' | 'error';
  text: string;
}

/** The model worker's health after it died (crash, hang, lost GPU): shown as a notice. */
export interface ModelStatus {
  phase: 'recovering' | 'recovered' | 'failed';
  text: string;
  /** The worker now serving (1 = the first one; bumped by each restart). */
  generation: number;
  /** The restarted worker's backend, once it serves. */
  backend?: string;
  adapter?: string;
}

/** The avatar the worker holds, as the UI needs it for driving. */
export interface AvatarInfo {
  /** Landmarks of the avatar's first photo, in crop pixels: the face shape driving adapts to. */
  landmarks: Landmarks;
  cropSize: number;
  photoCount: number;
}

interface AppState {
  photos: PhotoEntry[];
  notices: Notice[];
  avatar: AvatarInfo | null;
  setAvatar(avatar: AvatarInfo | null): void;
  /** Bumped whenever the saved-avatar list changes, so its panel reloads it. */
  savedVersion: number;
  bumpSaved(): void;
  addPhotos(entries: PhotoEntry[]): void;
  updatePhoto(entry: PhotoEntry): void;
  removePhoto(id: string): void;
  notify(kind: Notice['kind'], text: string): void;
  dismissNotice(id: string): void;
  modelStatus: ModelStatus | null;
  setModelStatus(status: ModelStatus | null): void;
}

let nextId = 0;
export const newId = (prefix: string) => `${prefix}-${++nextId}`;

export const useAppStore = create<AppState>((set) => ({
  photos: [],
  notices: [],
  avatar: null,
  setAvatar: (avatar) => set({ avatar }),
  savedVersion: 0,
  bumpSaved: () => set((s) => ({ savedVersion: s.savedVersion + 1 })),
  addPhotos: (entries) => set((s) => ({ photos: [...s.photos, ...entries] })),
  updatePhoto: (entry) => set((s) => ({ photos: s.photos.map((p) => (p.id === entry.id ? entry : p)) })),
  removePhoto: (id) => set((s) => ({ photos: s.photos.filter((p) => p.id !== id) })),
  notify: (kind, text) => set((s) => ({ notices: [...s.notices, { id: newId('notice'), kind, text }] })),
  dismissNotice: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
  modelStatus: null,
  setModelStatus: (modelStatus) => set({ modelStatus }),
}));
