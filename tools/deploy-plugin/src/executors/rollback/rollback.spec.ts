import { itResolvesTheEnvironment } from '../../environment/options.testing';
import { normalizeOptions } from './rollback';

describe('rollback normalizeOptions', () => {
  itResolvesTheEnvironment(normalizeOptions);
});
