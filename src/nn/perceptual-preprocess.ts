// Input transforms of the perceptual networks. Each network must see exactly the input it was
// trained with: feeding the wrong range is the classic way a content loss silently vanishes
// (measured: faceres fed [0,1] maps different people's faces to cosine similarity 0.996, i.e. its
// features collapse; the measurements are listed in perceptual.ts).
//
// All transforms take NHWC RGB images in [0, 1] (the app's convention) and are differentiable.
import * as tf from '@tensorflow/tfjs';
import settings from './perceptual.json';

/**
 * ImageNet per-channel means in BGR order, 0..255 scale: Keras `imagenet_utils.preprocess_input`
 * ("caffe" mode), which the HSE faceres model (VGGFace2 MobileNet) was trained with. From
 * perceptual.json, which the PyTorch twin reads too.
 */
export const CAFFE_BGR_MEAN = settings.caffeBgrMean as unknown as readonly [number, number, number];

export type PreprocessKind =
  /** RGB in [0, 1], unchanged (nsfwjs MobileNetV2: Keras ImageDataGenerator(rescale=1/255)). */
  | 'rgb-unit'
  /** BGR in 0..255 minus CAFFE_BGR_MEAN (faceres: Keras imagenet_utils.preprocess_input). */
  | 'caffe-bgr';

/** Resizes NHWC images to size×size (bilinear, differentiable); no-op when already that size. */
export function resizeTo(images: tf.Tensor4D, size: number): tf.Tensor4D {
  const [, height, width] = images.shape;
  if (height === size && width === size) return images;
  return tf.image.resizeBilinear(images, [size, size], false, true);
}

/** The network input for RGB [0,1] images under `kind` (no resizing). */
export function preprocess(images01: tf.Tensor4D, kind: PreprocessKind): tf.Tensor4D {
  switch (kind) {
    case 'rgb-unit':
      return images01;
    case 'caffe-bgr':
      return tf.tidy(() => tf.sub(tf.mul(tf.reverse(images01, -1), 255), tf.tensor1d([...CAFFE_BGR_MEAN])));
  }
}
