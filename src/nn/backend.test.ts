import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { describeBackendChoice, selectBackend } from './backend.ts';

describe('selectBackend', () => {
  it('falls back to the CPU in Node and says why WebGPU and WebGL were skipped', async () => {
    const choice = await selectBackend();
    expect(choice.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(choice.fallbacks.map((f) => f.backend)).toEqual(['webgpu', 'webgl']);
    expect(choice.fallbacks[0].reason).toMatch(/navigator\.gpu/);
    expect(choice.fallbacks.every((f) => f.reason.length > 0)).toBe(true);
    expect(describeBackendChoice(choice)).toMatch(/^cpu \(webgpu: .*; webgl: .*\)$/);
  });

  it('throws with every reason when no listed backend can start', async () => {
    await expect(selectBackend(['webgpu', 'webgl'])).rejects.toThrow(/webgpu: .*webgl: /);
  });
});
