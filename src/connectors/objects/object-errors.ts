import { ForbiddenLocationError } from '../../errors';

/**
 * A path or key that would leave the store's configured root (`..`, a symlink, another bucket):
 * FORBIDDEN_LOCATION at field `uri`, `reason: 'path-escape'` (docs/security.md).
 */
export class ObjectPathEscapeError extends ForbiddenLocationError {
  constructor(uri: string, how: string) {
    super(uri, how, 'uri', { reason: 'path-escape' });
    this.name = 'ObjectPathEscapeError';
  }
}
