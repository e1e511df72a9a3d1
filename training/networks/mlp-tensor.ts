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


/** d activation / dz expressed through the activation's output y (what the backward pass keeps). */
function activationGradFromOutput(y: tf.Tensor, a: Activation): tf.Tensor {
  switch (a) {
    case 'tanh':
      return tf.sub(1, tf.square(y)); // 1 - tanh^2
    case 'relu':
      return tf.step(y, 0); // 1 where y > 0
    case 'elu':
      return tf.add(tf.minimum(y, 0), 1); // 1 for y > 0, exp(z) = y + 1 otherwise
    case 'linear':
      return tf.onesLike(y);
  }
}

/**
 * The same forward pass as `mlpTensor`, with a hand-written backward pass. Autodiff through the
 * parameter slices costs a slice, a pad, a reshape and an add per parameter tensor (plus
 * bookkeeping Identity/Reshape kernels); here the gradient w.r.t. the flat vector is one concat
 * of [dW0, db0, dW1, ...] padded with zeros outside this MLP's region. On the single-threaded
 * wasm backend, where per-kernel overhead dominates small networks, this cuts kernels per update
 * substantially. Requires the MLP's parameters to be contiguous in declareMlp's order.
 */
export function mlpTensorFast(layout: ParamLayout, theta: tf.Tensor1D, def: MlpDef, x: tf.Tensor2D): tf.Tensor2D {
  const L = def.sizes.length - 1;
  const first = layout.get(`${def.prefix}.w0`).offset;
  const lastB = layout.get(`${def.prefix}.b${L - 1}`);
  const end = lastB.offset + lastB.size;
  const total = layout.size;
  const act = def.activation;
  const forward = (th: tf.Tensor, xin: tf.Tensor, save: tf.GradSaveFunc) => {
    const ws: tf.Tensor[] = [];
    const hs: tf.Tensor[] = [xin];
    let h = xin;
    for (let k = 0; k < L; k++) {
      const w = paramTensor(layout, th as tf.Tensor1D, `${def.prefix}.w${k}`) as tf.Tensor2D;
      const b = paramTensor(layout, th as tf.Tensor1D, `${def.prefix}.b${k}`);
      h = tf.fused.matMul({ a: h as tf.Tensor2D, b: w, bias: b });
      if (k < L - 1) h = activateTensor(h, act);
      ws.push(w);
      hs.push(h);
    }
    save([...ws, ...hs.slice(0, L)]);
    return {
      value: h,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const sw = saved.slice(0, L);
        const sh = saved.slice(L); // sh[k] = input of layer k
        const parts: tf.Tensor[] = [];
        let g = dy; // gradient w.r.t. layer k's pre-activation output
        let dx: tf.Tensor = dy;
        for (let k = L - 1; k >= 0; k--) {
          parts.unshift(tf.reshape(tf.matMul(sh[k] as tf.Tensor2D, g as tf.Tensor2D, true, false), [-1]), tf.sum(g, 0));
          const dh = tf.matMul(g as tf.Tensor2D, sw[k] as tf.Tensor2D, false, true);
          if (k > 0) g = tf.mul(dh, activationGradFromOutput(sh[k], act));
          else dx = dh;
        }
        if (first > 0) parts.unshift(tf.zeros([first]));
        if (end < total) parts.push(tf.zeros([total - end]));
        return [tf.concat(parts), dx];
      },
    };
  };
  const run = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
  return run(theta, x) as tf.Tensor2D;
}
