import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileError } from '../errors';
import { readIdx } from './idx';
import type { Dataset } from './types';

/** Where Debian's dataset-fashion-mnist package puts the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_INSTALL_HINT =
  'Install it with `apt-get install dataset-fashion-mnist` (files go to /usr/share/datasets/fashion-mnist), or pass --dataset <dir> holding train-images-idx3-ubyte[.gz] and t10k-images-idx3-ubyte[.gz]';

const TRAIN = 'train-images-idx3-ubyte';
const TEST = 't10k-images-idx3-ubyte';

function locate(dir: string, base: string): string | null {
  for (const name of [`${base}.gz`, base]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/** True when both image files are present in dir (gzipped or not). */
export function fashionMnistAvailable(dir = FASHION_MNIST_DIR): boolean {
  return locate(dir, TRAIN) !== null && locate(dir, TEST) !== null;
}

/**
 * Loads Fashion-MNIST (or MNIST: same layout) from gzipped IDX files: the
 * 60000 training images are the base, the 10000 test images the queries,
 * 28x28 uint8 pixels become 784-d float32 vectors with values 0..255. There is
 * no separate training set (nt = 0: train on the base, as FAISS's benchs do
 * for this dataset).
 */
export function loadFashionMnist(dir = FASHION_MNIST_DIR): Dataset {
  const trainPath = locate(dir, TRAIN);
  const testPath = locate(dir, TEST);
  if (trainPath === null || testPath === null) {
    const missing = join(dir, `${trainPath === null ? TRAIN : TEST}.gz`);
    throw fileError(missing, 'the Fashion-MNIST image file', 'no such file', FASHION_MNIST_INSTALL_HINT);
  }
  const train = readIdx(trainPath, FASHION_MNIST_INSTALL_HINT);
  const test = readIdx(testPath, FASHION_MNIST_INSTALL_HINT);
  const dimOf = (t: { shape: number[] }, file: string): number => {
    if (t.shape.length < 2) throw fileError(file, 'an IDX image tensor of shape [n, rows, cols]', `shape [${t.shape.join(', ')}]`);
    return t.shape.slice(1).reduce((a, b) => a * b, 1);
  };
  const d = dimOf(train, trainPath);
  const dq = dimOf(test, testPath);
  if (dq !== d) throw fileError(testPath, `images of ${d} pixels like ${trainPath}`, `${dq} pixels`);
  const isDefault = dir === FASHION_MNIST_DIR || /fashion-mnist\/?$/.test(dir);
  return {
    name: isDefault ? 'fashion-mnist' : `idx:${dir}`,
    description: `${isDefault ? 'Fashion-MNIST' : 'IDX images'} from ${dir}: ${train.shape[0]} base (train), ${test.shape[0]} queries (t10k), d=${d}, uint8 pixels as float32 0..255`,
    d,
    xb: train.data,
    nb: train.shape[0],
    xq: test.data,
    nq: test.shape[0],
    xt: new Float32Array(0),
    nt: 0,
    metric: 'l2',
    notes: [],
  };
}
