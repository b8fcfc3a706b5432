// Runs once before the test suite: says loudly when the PostgreSQL suites are skipped.
export default function setup(): void {
  if (process.env.MODELWATCH_TEST_POSTGRES === undefined || process.env.MODELWATCH_TEST_POSTGRES === '') {
    process.stderr.write(
      '\n*** MODELWATCH_TEST_POSTGRES is not set: PostgreSQL tests are SKIPPED. ' +
        'Set it (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run them; .ci/run does. ***\n\n',
    );
  }
}
