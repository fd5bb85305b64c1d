import { AvatarPanel } from './AvatarPanel';
import { DrivePanel } from './DrivePanel';
import { Notices } from './Notices';
import { PaintingDemoPanel } from './PaintingDemoPanel';
import { PhotoPanel } from './PhotoPanel';
import { SavedAvatarsPanel } from './SavedAvatarsPanel';

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
