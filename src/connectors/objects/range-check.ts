import { BadUserInputError, LimitExceededError } from '../../errors';

/** Validates a byte range request; both backends use it so they refuse the same inputs. */
export function checkRange(offset: unknown, length: unknown, maxRangeBytes: number): void {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new BadUserInputError('offset must be a non-negative integer', 'offset');
  }
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new BadUserInputError('length must be a non-negative integer', 'length');
  }
  if (length > maxRangeBytes) throw new LimitExceededError('maxRangeBytes', maxRangeBytes, length);
}
