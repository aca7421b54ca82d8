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

export interface H5wasm {
  h5: H5Namespace;
  fs: EmscriptenFs;
  /**
   * HDF5's own error reports (the "HDF5-DIAG" stacks the C library prints), captured instead
   * of reaching stderr: a CLI must answer a bad file with one line, not forty. Callers clear
   * it before a call and read it after.
   */
  diagnostics: string[];
}

let loading: Promise<H5wasm> | null = null;

function bundlePath(): string {
  // Resolve by directory: the exports map hides every file of the package from require.resolve.
  // The working directory's node_modules too: a build run from outside the tree still finds it.
  for (const dir of [...(require.resolve.paths('h5wasm') ?? []), join(process.cwd(), 'node_modules')]) {
    const p = join(dir, 'h5wasm', 'dist', 'iife', 'h5wasm.js');
    if (existsSync(p)) return p;
  }
  throw new Error('h5wasm is not installed (dist/iife/h5wasm.js not found)');
}

export function loadH5wasm(): Promise<H5wasm> {
  loading ??= (async () => {
    const code = readFileSync(bundlePath(), 'utf8');
    const diagnostics: string[] = [];
    // The bundle binds console.error at load time for its stderr: hand it a console of its own.
    const quiet: Console = Object.create(console, {
      error: { value: (...a: unknown[]) => void diagnostics.push(a.join(' ')) },
      warn: { value: (...a: unknown[]) => void diagnostics.push(a.join(' ')) },
    });
    const h5 = new Function('console', `${code}\nreturn h5wasm;`)(quiet) as H5Namespace;
    await h5.ready;
    return { h5, fs: h5.FS as unknown as EmscriptenFs, diagnostics };
  })();
  return loading;
}
