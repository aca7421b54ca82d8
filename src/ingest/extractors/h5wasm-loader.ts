import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import type * as H5 from 'h5wasm';

/**
 * Loads h5wasm inside CommonJS, under plain Node and under jest alike.
 *
 * Why not `require('h5wasm')` or `import('h5wasm/node')`: h5wasm ships ES modules only, and its
 * `exports` map offers no `require` condition, so require() cannot resolve it; TypeScript with
 * `module: commonjs` compiles `import()` into require(); and a real dynamic import() fails inside
 * jest's VM sandbox unless jest runs with --experimental-vm-modules. The package also ships a
 * self-contained IIFE bundle (dist/iife/h5wasm.js, the WebAssembly inlined) that defines one
 * `h5wasm` variable and runs in Node: we evaluate it once with `new Function` and keep the
 * namespace. Its file system is Emscripten's in-memory one; hdf5-reader.ts mounts files into it
 * as nodes whose reads go to our RangeReader, so nothing is copied.
 */
export type H5Namespace = typeof H5;

/** The part of Emscripten's FS object we use. */
export interface EmscriptenFs {
  createFile(parent: string, name: string, props: object, canRead: boolean, canWrite: boolean): EmscriptenNode;
  writeFile(path: string, data: Uint8Array): void;
  unlink(path: string): void;
}
export interface EmscriptenNode {
  usedBytes: number;
  stream_ops: Record<string, unknown>;
}

let loading: Promise<{ h5: H5Namespace; fs: EmscriptenFs }> | null = null;

function bundlePath(): string {
  // Resolve by directory: the exports map hides every file of the package from require.resolve.
  for (const dir of require.resolve.paths('h5wasm') ?? []) {
    const p = join(dir, 'h5wasm', 'dist', 'iife', 'h5wasm.js');
    if (existsSync(p)) return p;
  }
  throw new Error('h5wasm is not installed (dist/iife/h5wasm.js not found)');
}

export function loadH5wasm(): Promise<{ h5: H5Namespace; fs: EmscriptenFs }> {
  loading ??= (async () => {
    const code = readFileSync(bundlePath(), 'utf8');
    const h5 = new Function(`${code}\nreturn h5wasm;`)() as H5Namespace;
    await h5.ready;
    return { h5, fs: h5.FS as unknown as EmscriptenFs };
  })();
  return loading;
}
