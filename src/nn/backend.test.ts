import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { chooseBackend, classifyAdapter, describeBackendChoice, orderWithFirst, planBackends, selectBackend } from './backend.ts';

describe('selectBackend', () => {
  it('runs on WASM in Node and says why WebGPU was skipped', async () => {
    const choice = await selectBackend();
    expect(choice.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.fallbacks.map((f) => f.backend)).toEqual(['webgpu']);
    expect(choice.fallbacks[0].reason).toMatch(/navigator\.gpu/);
    expect(choice.detail).toMatch(/^SIMD, \d+ threads?/);
    expect(choice.reason).toMatch(/skipped WebGPU: navigator\.gpu/);
    expect(describeBackendChoice(choice)).toMatch(/^wasm \(webgpu: .*\)$/);
  });

  it('falls back to the CPU past WebGPU and WebGL, with every reason', async () => {
    const choice = await selectBackend(['webgpu', 'webgl', 'cpu']);
    expect(choice.backend).toBe('cpu');
    expect(choice.fallbacks.map((f) => f.backend)).toEqual(['webgpu', 'webgl']);
    expect(choice.fallbacks.every((f) => f.reason.length > 0)).toBe(true);
    expect(describeBackendChoice(choice)).toMatch(/^cpu \(webgpu: .*; webgl: .*\)$/);
  });

  it('throws with every reason when no listed backend can start', async () => {
    await expect(selectBackend(['webgpu', 'webgl'])).rejects.toThrow(/webgpu: .*webgl: /);
  });

  it('keeps the caller’s reason (an override)', async () => {
    const choice = await selectBackend(orderWithFirst('wasm'), 'WASM was chosen under Advanced');
    expect(choice.backend).toBe('wasm');
    expect(choice.reason).toBe('WASM was chosen under Advanced');
  });
});

describe('the automatic choice', () => {
  it('tells software adapters from hardware ones by the flag or the name', () => {
    expect(classifyAdapter(null)).toEqual({ kind: 'none' });
    expect(classifyAdapter({ info: { vendor: 'google', architecture: 'swiftshader' } }).kind).toBe('software');
    expect(classifyAdapter({ info: { vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' } }).kind).toBe('software');
    expect(classifyAdapter({ info: { vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: true } }).kind).toBe('software');
    expect(classifyAdapter({ isFallbackAdapter: true, info: {} }).kind).toBe('software');
    expect(classifyAdapter({ info: { vendor: 'apple', architecture: 'metal-3' } })).toEqual({ kind: 'hardware', name: 'apple metal-3' });
    expect(classifyAdapter({ info: { vendor: '', architecture: '' } }).kind).toBe('unknown');
  });

  it('plans WebGPU on hardware, WASM on software or none, and a measurement when the adapter does not say', () => {
    expect(planBackends({ kind: 'hardware', name: 'nvidia ampere' })).toMatchObject({ order: ['webgpu', 'wasm', 'webgl', 'cpu'] });
    expect(planBackends({ kind: 'hardware', name: 'nvidia ampere' }).measure).toBeUndefined();
    const software = planBackends({ kind: 'software', name: 'google swiftshader' });
    expect(software.order).toEqual(['wasm', 'webgpu', 'webgl', 'cpu']);
    expect(software.reason).toMatch(/google swiftshader\) is a software rasteriser/);
    expect(planBackends({ kind: 'none' }, 'navigator.gpu is not available').reason).toMatch(
      /^WebGPU is not available here \(navigator\.gpu/,
    );
    expect(planBackends({ kind: 'unknown' }).measure).toEqual(['webgpu', 'wasm']);
  });

  it('in Node (no WebGPU) picks WASM and says why', async () => {
    const choice = await chooseBackend();
    expect(choice.backend).toBe('wasm');
    expect(choice.reason).toMatch(/^WebGPU is not available here/);
  });

  it('measures when the adapter gives no names, and runs what measured fastest', async () => {
    // An adapter with blank names (as privacy-minded browsers report) that cannot give a device:
    // WebGPU fails its measurement, WASM is timed and chosen.
    const had = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    const gpu = { requestAdapter: async () => ({ info: { vendor: '', architecture: '' } }) };
    Object.defineProperty(globalThis, 'navigator', { configurable: true, value: { ...(globalThis.navigator ?? {}), gpu } });
    try {
      const choice = await chooseBackend();
      expect(choice.backend).toBe('wasm');
      expect(choice.measured?.wasm).toBeGreaterThan(0);
      expect(choice.measured?.webgpu).toBeUndefined();
      expect(choice.reason).toMatch(/does not say whether it is hardware: measured a probe convolution, WASM \d+\.\d ms; WASM runs/);
    } finally {
      if (had) Object.defineProperty(globalThis, 'navigator', had);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  });
});
