import * as assert from "node:assert/strict";

import { delimiter } from "node:path";

import { shellPath, TYPED, TypedSamples } from "../../scripts/lib/bench-typed";

/**
 * Samples of every typed command: `npm` seconds with these engine marks on the npm side, `kubectl`
 * seconds on kubectl's.
 */
function samples(engine: [string, number][], npm = 2, kubectl = 1): TypedSamples {
    const s = new TypedSamples();
    for (const c of TYPED) {
        s.add(c.label, "npm", {
            seconds: npm,
            peakMiB: 400,
            phases: [["engine done", 1900]],
            engine,
        });
        s.add(c.label, "kubectl", { seconds: kubectl, peakMiB: 0, phases: [], engine: [] });
    }
    return s;
}

/** The report's text when every command took `npm` seconds and kubectl `kubectl`. */
const timed = (npm: number, kubectl: number): string =>
    samples([], npm, kubectl).report().join("\n");

describe("the benchmark's report of the commands as typed", () => {
    it("shows a ratio just over its target to two places, missed", () => {
        assert.match(
            timed(2.02, 0.5),
            /\| `npm run up`, creating \| 2\.02 .* \| 4\.04x \| <= 4x: \*\*missed\*\* \|/,
        );
        assert.match(
            timed(2.0, 0.5),
            /\| `npm run up`, creating \| .* \| 4\.00x \| <= 4x: \*\*met\*\* \|/,
        );
    });

    it("meets the targets in seconds and as a ratio only together, where the issue set both", () => {
        const row = /\| `npm run preview` \| .* \| <= 2\.0 s and <= 5x: \*\*(\w+)\*\* \|/;
        assert.equal(row.exec(timed(1.9, 0.5))?.[1], "met");
        assert.equal(row.exec(timed(2.2, 0.5))?.[1], "missed", "in ratio, over in seconds");
        assert.equal(row.exec(timed(1.9, 0.3))?.[1], "missed", "in seconds, over in ratio");
    });

    it("says how fast the machine was, from the CPU probe after each round", () => {
        const s = samples([]);
        for (const seconds of [1.5, 1.8, 1.6]) s.addProbe(seconds);
        const text = s.report().join("\n");
        assert.match(
            text,
            /a new Node\.js process took 1\.60 s \(1\.50-1\.80, one after each round\)/,
        );
        assert.doesNotMatch(samples([]).report().join("\n"), /How fast the machine was/);
    });

    it("adds the engine's timeline only when the runs have its marks", () => {
        const marks: [string, number][] = [
            ["program running", 1500],
            ["engine finished", 1950],
        ];
        const withMarks = samples(marks).report().join("\n");
        assert.match(
            withMarks,
            /\| `npm run preview` \| program running 1\.50; engine finished 1\.95 \|/,
        );
        assert.doesNotMatch(samples([]).report().join("\n"), /engine timeline/);
    });
});

describe("the PATH of the commands the benchmark types", () => {
    it("is the shell's, before scripts/run.mjs put its Node.js first, without what npm run bench added", () => {
        const shell = [
            "/work/main/node_modules/.bin",
            "/work/node_modules/.bin",
            "/usr/lib/node_modules/npm/node_modules/@npmcli/run-script/lib/node-gyp-bin",
            "/root/.cache/sa-workload/toolchain/bin",
            "/usr/bin",
        ].join(delimiter);
        const env = {
            PATH: ["/root/.cache/sa-workload/node-22/bin", shell].join(delimiter),
            SA_WORKLOAD_SHELL_PATH: shell,
        };
        assert.equal(
            shellPath(env),
            ["/root/.cache/sa-workload/toolchain/bin", "/usr/bin"].join(delimiter),
        );
    });
});
