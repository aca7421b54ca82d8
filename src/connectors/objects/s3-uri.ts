import { BadUserInputError } from '../../errors';
import { ObjectPathEscapeError } from './object-errors';

export interface S3Location {
  bucket: string;
  key: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses `s3://bucket/key`. The key is taken verbatim (no percent-decoding), as the AWS CLI
 * does. With `bucket` / `prefix` configured, anything else is refused as outside the root.
 */
export function parseS3Uri(uri: unknown, confine: { bucket?: string; prefix?: string } = {}): S3Location {
  if (typeof uri !== 'string' || !uri.startsWith('s3://')) {
    throw new BadUserInputError('uri must be an s3://bucket/key URI', 'uri', { uri: String(uri).slice(0, 200) });
  }
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (!BUCKET.test(bucket)) throw new BadUserInputError(`uri has an invalid bucket name "${bucket.slice(0, 70)}"`, 'uri');
  if (key.length === 0) throw new BadUserInputError('uri has no object key', 'uri');
  if (Buffer.byteLength(key) > 1024) throw new BadUserInputError('uri object key is longer than 1024 bytes', 'uri');
  const control = /[\u0000-\u001f\u007f]/.exec(key);
  if (control) throw new BadUserInputError(`uri object key has a control character at offset ${control.index}`, 'uri');
  // A path-style endpoint (and any proxy before it) may normalise `/bucket/../other/key` into
  // another bucket: dot segments are refused outright, confined or not.
  if (key.split('/').some((s) => s === '..' || s === '.'))
    throw new ObjectPathEscapeError(uri, '"." and ".." key segments are not allowed');
  if (confine.bucket && bucket !== confine.bucket) throw new ObjectPathEscapeError(uri, `bucket is not ${confine.bucket}`);
  if (confine.prefix && !key.startsWith(confine.prefix))
    throw new ObjectPathEscapeError(uri, `key does not start with ${confine.prefix}`);
  return { bucket, key };
}
