import { itResolvesTheEnvironment } from '../../lib/env-options.testing';
import { normalizeOptions } from './seed';

describe('seed normalizeOptions', () => {
  itResolvesTheEnvironment(normalizeOptions);
});
