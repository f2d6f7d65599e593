// PostGraphile v5 over Catalyst's database for benches/postgraphile.sh: the Amber preset with
// its defaults (Relay connections, node ids, the pg adaptor), no GraphiQL, a pool of
// POOL_SIZE connections like Catalyst's.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

export default {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.POOL_SIZE ?? 32) },
    }),
  ],
  grafserv: {
    port: Number(process.env.PORT ?? 18201),
    host: "127.0.0.1",
    graphiql: false,
    watch: false,
  },
  grafast: { explain: false },
};
