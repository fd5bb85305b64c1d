import { AvatarPanel } from './avatar-panel.tsx';
import { DrivePanel } from './drive-panel.tsx';
import { Notices } from './notices.tsx';
import { PaintingDemoPanel } from './painting-demo-panel.tsx';
import { PhotoPanel } from './photo-panel.tsx';
import { SavedAvatarsPanel } from './saved-avatars-panel.tsx';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>Talking Heads</h1>
        <p className="tagline">Few-shot talking-head avatars from 1–32 photos, driven by your webcam.</p>
        <p className="privacy" data-testid="privacy">
          Private by design: everything runs in this browser tab. Your photos and camera never leave your machine.
        </p>
      </header>
      <Notices />
      <main>
        <PhotoPanel />
        <AvatarPanel />
        <DrivePanel />
        <SavedAvatarsPanel />
        <PaintingDemoPanel />
      </main>
    </div>
  );
}
