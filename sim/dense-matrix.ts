// Small dense matrices for controller design (a handful of states): products, inverse,
// matrix exponential, spectral radius. Design-time only; the control loop never calls these.

/** Row-major matrix as an array of rows. */
export type Matrix = number[][];

export function zeros(rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
}

export function identity(n: number): Matrix {
  const m = zeros(n, n);
  for (let i = 0; i < n; i++) m[i][i] = 1;
  return m;
}

export function rows(a: Matrix): number {
  return a.length;
}

export function cols(a: Matrix): number {
  return a.length === 0 ? 0 : a[0].length;
}

export function clone(a: Matrix): Matrix {
  return a.map((r) => r.slice());
}

export function transpose(a: Matrix): Matrix {
  const t = zeros(cols(a), rows(a));
  for (let i = 0; i < rows(a); i++) for (let j = 0; j < cols(a); j++) t[j][i] = a[i][j];
  return t;
}

export function mul(a: Matrix, b: Matrix): Matrix {
  if (cols(a) !== rows(b)) throw new Error(`matrix product: ${rows(a)}x${cols(a)} times ${rows(b)}x${cols(b)}`);
  const out = zeros(rows(a), cols(b));
  for (let i = 0; i < rows(a); i++) {
    for (let k = 0; k < cols(a); k++) {
      const aik = a[i][k];
      if (aik === 0) continue;
      for (let j = 0; j < cols(b); j++) out[i][j] += aik * b[k][j];
    }
  }
  return out;
}

export function add(a: Matrix, b: Matrix): Matrix {
  return a.map((r, i) => r.map((x, j) => x + b[i][j]));
}

export function sub(a: Matrix, b: Matrix): Matrix {
  return a.map((r, i) => r.map((x, j) => x - b[i][j]));
}

export function scale(a: Matrix, s: number): Matrix {
  return a.map((r) => r.map((x) => x * s));
}

/** Largest absolute entry. */
export function maxAbs(a: Matrix): number {
  let m = 0;
  for (const r of a) for (const x of r) m = Math.max(m, Math.abs(x));
  return m;
}

/** Infinity norm (largest absolute row sum). */
function normInf(a: Matrix): number {
  let m = 0;
  for (const r of a) m = Math.max(m, r.reduce((s, x) => s + Math.abs(x), 0));
  return m;
}

/** Inverse by Gauss-Jordan elimination with partial pivoting. */
export function inverse(a: Matrix): Matrix {
  const n = rows(a);
  if (cols(a) !== n) throw new Error(`inverse: matrix is ${n}x${cols(a)}, not square`);
  const m = a.map((r, i) => [...r, ...identity(n)[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (Math.abs(m[p][c]) < 1e-300) throw new Error('inverse: matrix is singular');
    [m[c], m[p]] = [m[p], m[c]];
    const piv = m[c][c];
    for (let j = 0; j < 2 * n; j++) m[c][j] /= piv;
    for (let r = 0; r < n; r++) {
      if (r === c || m[r][c] === 0) continue;
      const f = m[r][c];
      for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((r) => r.slice(n));
}

/** Matrix exponential by scaling and squaring with a Taylor series (accurate to ~1e-15 for these sizes). */
export function expm(a: Matrix): Matrix {
  const n = rows(a);
  const norm = normInf(a);
  const squarings = norm > 0.5 ? Math.ceil(Math.log2(norm / 0.5)) : 0;
  const as = scale(a, 1 / 2 ** squarings);
  let term = identity(n);
  let sum = identity(n);
  for (let k = 1; k <= 20; k++) {
    term = scale(mul(term, as), 1 / k);
    sum = add(sum, term);
    if (maxAbs(term) < 1e-18 * maxAbs(sum)) break;
  }
  for (let i = 0; i < squarings; i++) sum = mul(sum, sum);
  return sum;
}

/**
 * Spectral radius (largest |eigenvalue|) as lim ||A^k||^(1/k), with k = 2^steps reached by
 * repeated squaring and renormalization. Robust to repeated eigenvalues; the estimate is
 * high by a factor of about (poly(k))^(1/k), i.e. ~0.1% for the default 2^16.
 */
export function spectralRadius(a: Matrix, steps = 16): number {
  let b = clone(a);
  let logScale = 0; // A^(2^j) = exp(logScale) * b
  const s0 = normInf(b);
  if (s0 === 0) return 0;
  b = scale(b, 1 / s0);
  logScale = Math.log(s0);
  for (let j = 1; j <= steps; j++) {
    b = mul(b, b);
    const s = normInf(b);
    if (s === 0) return 0; // nilpotent
    b = scale(b, 1 / s);
    logScale = 2 * logScale + Math.log(s);
  }
  return Math.exp(logScale / 2 ** steps);
}
