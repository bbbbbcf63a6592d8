import { itResolvesTheEnvironment } from '../../environment/options.testing';
import { normalizeOptions } from './seed';

describe('seed normalizeOptions', () => {
  itResolvesTheEnvironment(normalizeOptions);
});
