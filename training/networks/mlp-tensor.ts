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

/** tfjs forward: x [B, in] -> [B, out]; the last layer is linear. */
export function mlpTensor(layout: ParamLayout, theta: tf.Tensor1D, def: MlpDef, x: tf.Tensor2D): tf.Tensor2D {
  let h: tf.Tensor = x;
  const last = def.sizes.length - 2;
  for (let k = 0; k <= last; k++) {
    const w = paramTensor(layout, theta, `${def.prefix}.w${k}`) as tf.Tensor2D;
    const b = paramTensor(layout, theta, `${def.prefix}.b${k}`);
    h = tf.fused.matMul({ a: h as tf.Tensor2D, b: w, bias: b });
    if (k < last) h = activateTensor(h, def.activation);
  }
  return h as tf.Tensor2D;
}


