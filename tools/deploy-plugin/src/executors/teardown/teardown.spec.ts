import { itResolvesTheEnvironment } from '../../lib/env-options.testing';
import { normalizeOptions } from './teardown';

describe('teardown normalizeOptions', () => {
  itResolvesTheEnvironment(normalizeOptions);
});
