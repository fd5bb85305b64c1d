/**
 * Collects frames into shards of roughly `targetBytes`, cutting only between people so that a person
 * (and so every clip) lives in exactly one shard, and never mixing training and held-out people in
 * one shard, so the trainer can carry the training shards alone.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeShard, type ShardFrame } from './shard.ts';
import type { ManifestShard } from './manifest.ts';

export class ShardWriter {
  readonly shards: ManifestShard[] = [];
  private pending: ShardFrame[] = [];
  private pendingBytes = 0;
  private pendingHeldout = false;

  constructor(
    private readonly outDir: string,
    private readonly size: number,
    private readonly targetBytes: number,
  ) {}

  /** Index of the shard the next added frame goes to. */
  get currentShard(): number {
    return this.shards.length;
  }

  /** Index of the next added frame inside the current shard. */
  get nextFrameIndex(): number {
    return this.pending.length;
  }

  /** Called before each person's frames. */
  startPerson(heldout: boolean): void {
    if (this.pending.length > 0 && (heldout !== this.pendingHeldout || this.pendingBytes >= this.targetBytes)) this.flush();
    this.pendingHeldout = heldout;
  }

  add(frame: ShardFrame): void {
    this.pending.push(frame);
    // An estimate is enough for cutting: JPEG size plus a typical compressed landmark image.
    this.pendingBytes += frame.cropJpeg.length + (this.size * this.size * 3) / 18;
  }

  /** Writes whatever is pending (call once more at the end). */
  flush(): void {
    if (this.pending.length === 0) return;
    const stem = `shard-${String(this.shards.length).padStart(3, '0')}`;
    const encoded = encodeShard(this.pending, this.size);
    writeFileSync(join(this.outDir, `${stem}.bin`), encoded.images);
    writeFileSync(join(this.outDir, `${stem}.landmarks.bin`), encoded.landmarks);
    this.shards.push({
      file: `${stem}.bin`,
      landmarksFile: `${stem}.landmarks.bin`,
      heldout: this.pendingHeldout,
      frames: this.pending.length,
      bytes: encoded.images.length,
      landmarksBytes: encoded.landmarks.length,
    });
    this.pending = [];
    this.pendingBytes = 0;
  }
}
