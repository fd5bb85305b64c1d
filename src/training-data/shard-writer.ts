/**
 * Collects frames into shard files of roughly `targetBytes`, cutting only between people so that a
 * person (and so every clip) lives in exactly one shard: the trainer can then load or skip people
 * shard by shard.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeShard, type ShardFrame } from './shard.ts';
import type { ManifestShard } from './manifest.ts';

export class ShardWriter {
  readonly shards: ManifestShard[] = [];
  private pending: ShardFrame[] = [];
  private pendingBytes = 0;

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

  add(frame: ShardFrame): void {
    this.pending.push(frame);
    // JPEG size is known; the landmark image compresses to roughly a fifth of a JPEG-free estimate.
    this.pendingBytes += frame.cropJpeg.length + (this.size * this.size * 3) / 20;
  }

  /** Called between people: starts a new shard once the current one is big enough. */
  endPerson(): void {
    if (this.pendingBytes >= this.targetBytes) this.flush();
  }

  /** Writes whatever is pending (call once at the end). */
  flush(): void {
    if (this.pending.length === 0) return;
    const file = `shard-${String(this.shards.length).padStart(3, '0')}.bin`;
    const bytes = encodeShard(this.pending, this.size);
    writeFileSync(join(this.outDir, file), bytes);
    this.shards.push({ file, frames: this.pending.length, bytes: bytes.length });
    this.pending = [];
    this.pendingBytes = 0;
  }
}
