import { itResolvesTheEnvironment } from '../../lib/env-options.testing';
import { normalizeOptions } from './rollback';

describe('rollback normalizeOptions', () => {
  itResolvesTheEnvironment(normalizeOptions);
});
