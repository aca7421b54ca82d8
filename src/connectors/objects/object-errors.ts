import { BadUserInputError } from '../../errors';

/** A path or key that would leave the store's configured root (`..`, a symlink, another bucket). */
export class ObjectPathEscapeError extends BadUserInputError {
  constructor(uri: string, how: string) {
    super(`uri ${JSON.stringify(uri.slice(0, 200))} is outside the store's root: ${how}`, 'uri', { reason: 'path-escape' });
    this.name = 'ObjectPathEscapeError';
  }
}
