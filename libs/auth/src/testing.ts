/** A cheap scrypt cost so suites that create many users stay fast; never used outside tests. */
export const TEST_PASSWORD_COST = { N: 2 ** 10, r: 8, p: 1 };
