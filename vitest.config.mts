// Timeouts are generous and explicit: no test may depend on how fast the machine is today
// (a 2-core machine running a second `npm test` beside this one is still a pass).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
