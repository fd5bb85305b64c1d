// Named parameter registry: logical name → tf.Variable plus a trainable flag. Networks read their
// weights by name, so checkpoints map one-to-one onto PyTorch state-dict keys (see README.md).
import * as tf from '@tensorflow/tfjs';
import { specSize } from './cost.ts';
import type { ParamSpec } from './plan.ts';

export interface ParamEntry {
  readonly name: string;
  readonly variable: tf.Variable;
  readonly trainable: boolean;
}

/** Suffix of the persistent power-iteration vector stored next to each spectrally normalised kernel. */
export const SN_U_SUFFIX = '_u';

let registryCounter = 0;

export class ParamRegistry {
  // tf.js refuses two variables with one engine name, and several copies of a network may live at
  // once (meta-learned + fine-tuned, tests), so engine names get a per-registry prefix.
  private readonly prefix = `params${registryCounter++}`;
  private readonly entries = new Map<string, ParamEntry>();

  add(name: string, initial: tf.Tensor, trainable: boolean): tf.Variable {
    if (this.entries.has(name)) throw new Error(`Parameter "${name}" already exists`);
    const variable = tf.variable(initial, trainable, `${this.prefix}/${name}`);
    this.entries.set(name, { name, variable, trainable });
    return variable;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get(name: string): tf.Variable {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new Error(`Unknown parameter "${name}"`);
    return entry.variable;
  }

  list(): ParamEntry[] {
    return [...this.entries.values()];
  }

  trainableVariables(): tf.Variable[] {
    return this.list()
      .filter((e) => e.trainable)
      .map((e) => e.variable);
  }

  /** Logical name of a variable from its engine name (what tf.variableGrads keys gradients by). */
  logicalName(variable: tf.Variable): string {
    return variable.name.slice(this.prefix.length + 1);
  }

  /** Copies every value by name from `values` (e.g. a loaded checkpoint); shapes must match. */
  assign(values: ReadonlyMap<string, tf.Tensor> | Record<string, tf.Tensor>): void {
    const pairs = values instanceof Map ? [...values.entries()] : Object.entries(values);
    for (const [name, value] of pairs) {
      const variable = this.get(name);
      if (!tf.util.arraysEqual(variable.shape, value.shape)) {
        throw new Error(`Parameter "${name}": shape [${variable.shape}] vs loaded [${value.shape}]`);
      }
      variable.assign(value);
    }
  }

  /** A deep copy with fresh variables (fine-tuning trains the copy, the meta-learned weights stay). */
  clone(): ParamRegistry {
    const copy = new ParamRegistry();
    for (const entry of this.entries.values()) copy.add(entry.name, entry.variable, entry.trainable);
    return copy;
  }

  /** Parameters counted like the paper: trainable values, no spectral-norm u buffers. */
  countTrainable(): number {
    return this.list()
      .filter((e) => e.trainable)
      .reduce((sum, e) => sum + e.variable.size, 0);
  }

  dispose(): void {
    for (const entry of this.entries.values()) entry.variable.dispose();
    this.entries.clear();
  }
}

/**
 * Allocates the parameters of `specs` with deterministic initial values from `seed`: kernels
 * Glorot-normal, u vectors unit-norm Gaussian (non-trainable), norms γ = 1, β = 0, attention γ = 0.
 */
export function createParams(specs: readonly ParamSpec[], seed: number, registry = new ParamRegistry()): ParamRegistry {
  specs.forEach((spec, index) => {
    const paramSeed = seed * 1000 + index;
    tf.tidy(() => {
      registry.add(spec.name, initialValue(spec, paramSeed), true);
      if (spec.spectralNorm) {
        const outDim = spec.shape[spec.shape.length - 1];
        const u = tf.randomNormal([outDim], 0, 1, 'float32', paramSeed + 500);
        registry.add(`${spec.name}${SN_U_SUFFIX}`, tf.div(u, tf.norm(u)), false);
      }
    });
  });
  return registry;
}

function initialValue(spec: ParamSpec, seed: number): tf.Tensor {
  const shape = [...spec.shape];
  switch (spec.init) {
    case 'zeros':
      return tf.zeros(shape);
    case 'ones':
      return tf.ones(shape);
    case 'small-normal':
      return tf.randomNormal(shape, 0, 0.02, 'float32', seed);
    case 'glorot': {
      const outDim = shape[shape.length - 1];
      const fanIn = specSize(spec) / outDim;
      const receptive = shape.length === 4 ? shape[0] * shape[1] : 1;
      return tf.randomNormal(shape, 0, Math.sqrt(2 / (fanIn + outDim * receptive)), 'float32', seed);
    }
  }
}
