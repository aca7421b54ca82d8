import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * This provml's version, from the package.json beside src/ and dist/ alike (both sit one level
 * below it). Read once; errors that name a version (a store migrated by a newer provml) use it.
 */
export const PROVML_VERSION: string = (
  JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version;
