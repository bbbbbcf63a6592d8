import { itResolvesTheEnvironment } from '../../environment/options.testing';
import { normalizeOptions } from './teardown';

describe('teardown normalizeOptions', () => {
  itResolvesTheEnvironment(normalizeOptions);
});
