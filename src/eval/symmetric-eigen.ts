/**
 * Eigen-decomposition of small dense symmetric matrices by the cyclic Jacobi method.
 *
 * Why Jacobi: the eval only needs matrices up to a few hundred rows (one per sample), Jacobi is
 * short, unconditionally stable and accurate to rounding for every eigenvalue, and it keeps the
 * eval free of a linear-algebra dependency. O(n³) per sweep, typically under ten sweeps.
 */

/** A square matrix as rows; only symmetric input gives meaningful results. */
export type SquareMatrix = readonly ArrayLike<number>[];

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Unit eigenvectors, vectors[i] belonging to values[i]. */
  vectors: Float64Array[];
}

const MAX_SWEEPS = 60;
/** Off-diagonal mass, relative to the whole matrix, below which the eigenvalues are exact to ~1e-12. */
const RELATIVE_OFF_DIAGONAL_TOLERANCE = 1e-12;

function toRowMajor(matrix: SquareMatrix): Float64Array {
  const n = matrix.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    if (matrix[i].length !== n) throw new Error(`symmetricEigen: row ${i} has ${matrix[i].length} entries, expected ${n}`);
    for (let j = 0; j < n; j++) {
      // Averaging the two triangles absorbs the rounding asymmetry of products like C·Cᵀ.
      out[i * n + j] = 0.5 * (matrix[i][j] + matrix[j][i]);
    }
  }
  return out;
}

export function symmetricEigen(matrix: SquareMatrix): SymmetricEigen {
  const n = matrix.length;
  const a = toRowMajor(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;

  let frobeniusSquared = 0;
  for (let i = 0; i < n * n; i++) frobeniusSquared += a[i] * a[i];
  const stopBelow = frobeniusSquared * RELATIVE_OFF_DIAGONAL_TOLERANCE ** 2;

  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let offDiagonalSquared = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) offDiagonalSquared += 2 * a[p * n + q] ** 2;
    if (offDiagonalSquared <= stopBelow) break;

    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        // Rotation angle that zeroes a[p][q]; t is the smaller root of t² + 2θt − 1 = 0 for stability.
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }

  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  const values = new Float64Array(n);
  const vectors: Float64Array[] = [];
  order.forEach((column, rank) => {
    values[rank] = a[column * n + column];
    const vector = new Float64Array(n);
    for (let k = 0; k < n; k++) vector[k] = v[k * n + column];
    vectors.push(vector);
  });
  return { values, vectors };
}

/**
 * Eigenvalues of a matrix known to be positive semi-definite (a Gram matrix, a covariance),
 * largest first. Rounding can push zero eigenvalues slightly below 0, which would poison a
 * square root, so those are clamped to 0; a clearly negative one means the input was not PSD
 * and is reported rather than hidden.
 */
export function psdEigenvalues(matrix: SquareMatrix): Float64Array {
  const { values } = symmetricEigen(matrix);
  const scale = values.length > 0 ? Math.max(Math.abs(values[0]), Math.abs(values[values.length - 1])) : 0;
  const tolerance = 1e-9 * scale;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < -tolerance) {
      throw new Error(`psdEigenvalues: eigenvalue ${values[i]} is negative beyond rounding; matrix is not PSD`);
    }
    if (values[i] < 0) values[i] = 0;
  }
  return values;
}
