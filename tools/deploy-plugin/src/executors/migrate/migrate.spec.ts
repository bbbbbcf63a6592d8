import { itResolvesTheEnvironment } from '../../environment/options.testing';
import { normalizeOptions } from './migrate';

describe('migrate normalizeOptions', () => {
  itResolvesTheEnvironment(normalizeOptions);
});
