/** The machine's Redis (CI starts it; see .ci/run). Pub/sub ignores database numbers. */
export const REDIS_URL = process.env.PROVML_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
