import { itResolvesTheEnvironment } from '../../lib/env-options.testing';
import { normalizeOptions } from './migrate';

describe('migrate normalizeOptions', () => {
  itResolvesTheEnvironment(normalizeOptions);
});
