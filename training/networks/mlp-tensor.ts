// tfjs side of the MLPs: differentiable views into the flat parameter vector and the forward pass.
import { tf } from '../backend.js';
import type { ParamLayout } from './flat-params.js';
import type { Activation } from './mlp-policy-spec.js';
import type { MlpDef } from './mlp.js';

/** A tensor view of parameter `name` inside the flat tensor `theta` (differentiable). */
export function paramTensor(layout: ParamLayout, theta: tf.Tensor1D, name: string): tf.Tensor {
  const e = layout.get(name);
  const s = tf.slice(theta, e.offset, e.size);
  return e.shape.length === 1 ? s : tf.reshape(s, e.shape);
}

function activateTensor(x: tf.Tensor, a: Activation): tf.Tensor {
  switch (a) {
    case 'tanh':
      return tf.tanh(x);
    case 'relu':
      return tf.relu(x);
    case 'elu':
      return tf.elu(x);
    case 'linear':
      return x;
  }
}

/**
 * x @ w + b, differentiable, with a gradient that transposes explicitly: tfjs-wasm's matmul
 * with a transpose flag (what the built-in matMul gradient uses) runs ~7x slower than a
 * transpose kernel followed by a plain matmul (measured at 1024 x 128 x 128).
 */
const dense = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.fused.matMul({ a: x, b: w, bias: b }),
    gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor[]) => [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy), tf.sum(dy, 0)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor) => tf.Tensor2D;

/** tfjs forward: x [B, in] -> [B, out]; the last layer is linear. */
export function mlpTensor(layout: ParamLayout, theta: tf.Tensor1D, def: MlpDef, x: tf.Tensor2D): tf.Tensor2D {
  let h: tf.Tensor = x;
  const last = def.sizes.length - 2;
  for (let k = 0; k <= last; k++) {
    const w = paramTensor(layout, theta, `${def.prefix}.w${k}`) as tf.Tensor2D;
    const b = paramTensor(layout, theta, `${def.prefix}.b${k}`);
    h = dense(h as tf.Tensor2D, w, b);
    if (k < last) h = activateTensor(h, def.activation);
  }
  return h as tf.Tensor2D;
}


