import { itResolvesTheEnvironment } from '../../lib/env-options.testing';
import { normalizeOptions } from './status';

describe('status normalizeOptions', () => {
  itResolvesTheEnvironment(normalizeOptions);
});
