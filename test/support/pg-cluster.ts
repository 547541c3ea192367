// CLI around test/support/postgres.ts, used by test/run.sh:
//   node test/support/pg-cluster.ts start      -> prints POSTROOM_TEST_PG_URL=, _DIR=, _PID= lines; server keeps running
//   node test/support/pg-cluster.ts stop DIR   -> pg_ctl stop -m fast on DIR, then removes DIR
import { postmasterPid, startPostgres, stopPostgresDir } from './postgres.ts';

const [command, dir] = process.argv.slice(2);

if (command === 'start') {
  const cluster = await startPostgres();
  const pid = await postmasterPid(cluster.dir);
  process.stdout.write(
    `POSTROOM_TEST_PG_URL=${cluster.url}\nPOSTROOM_TEST_PG_DIR=${cluster.dir}\nPOSTROOM_TEST_PG_PID=${pid}\n`,
  );
} else if (command === 'stop' && dir !== undefined && dir !== '') {
  await stopPostgresDir(dir);
} else {
  process.stderr.write('usage: node test/support/pg-cluster.ts start | stop DATA_DIR\n');
  process.exitCode = 2;
}
