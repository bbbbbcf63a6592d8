import { itResolvesTheEnvironment } from '../../environment/options.testing';
import { normalizeOptions } from './status';

describe('status normalizeOptions', () => {
  itResolvesTheEnvironment(normalizeOptions);
});
