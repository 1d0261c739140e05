import * as assert from "node:assert/strict";

import { phase, phaseDurations } from "../../scripts/lib/timing";

describe("phase timings for the benchmark's breakdown", () => {
    it("turns the marks a command printed into each phase's own duration", () => {
        const stderr =
            "noise\ntiming: modules loaded 900\ntiming: stack opened 1300\nmore\ntiming: engine done 2500\n";
        assert.deepEqual(phaseDurations(stderr), [
            ["modules loaded", 900],
            ["stack opened", 400],
            ["engine done", 1200],
        ]);
    });

    it("prints a mark only under SA_WORKLOAD_TIMING=1", () => {
        const write = process.stderr.write.bind(process.stderr);
        const written: string[] = [];
        process.stderr.write = (chunk: string) => written.push(chunk) > 0;
        const saved = process.env.SA_WORKLOAD_TIMING;
        try {
            delete process.env.SA_WORKLOAD_TIMING;
            phase("quiet");
            process.env.SA_WORKLOAD_TIMING = "1";
            phase("loud");
        } finally {
            process.stderr.write = write;
            if (saved === undefined) delete process.env.SA_WORKLOAD_TIMING;
            else process.env.SA_WORKLOAD_TIMING = saved;
        }
        assert.equal(written.length, 1);
        assert.match(written[0], /^timing: loud \d+\n$/);
    });
});
