import * as assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { engineTimeline } from "../../scripts/lib/bench-typed";
import { engineMarks, latestEngineLog, logTime } from "../../scripts/lib/engine-log";

/** A decrypted log line as `pulumi logs decrypt` prints it, `ms` after 10:00:00 UTC. */
function line(ms: number, msg: string): string {
    const fraction = String(ms % 1000).padStart(3, "0");
    const time = `2026-12-03T10:00:${String(Math.floor(ms / 1000)).padStart(2, "0")}.${fraction}123456Z`;
    return JSON.stringify({ level: "INFO", msg, time, v: 7 });
}
const T0 = Date.parse("2026-12-03T10:00:00Z");

describe("the engine's marks from the CLI's log of a run", () => {
    it("reads the CLI's nanosecond timestamps to the millisecond", () => {
        assert.equal(
            logTime("2026-12-03T10:07:36.765511413Z"),
            Date.parse("2026-12-03T10:07:36.765Z") + 0.511413,
        );
        assert.equal(logTime("2026-12-03T10:07:36Z"), Date.parse("2026-12-03T10:07:36Z"));
        assert.ok(Number.isNaN(logTime("yesterday")));
    });

    it("finds each mark after the one before it, in milliseconds since the command started", () => {
        const log = [
            "not json",
            line(900, "OTLP receiver started on port 1234"),
            line(1200, "*** Starting Update(preview=false) ***"),
            // The provider's setProvider before its Configure is not its configured mark.
            line(
                1300,
                "newPlugin(): Launching plugin '/p/policy/pulumi-analyzer-policy (analyzer)' from '/p'",
            ),
            line(1650, "Analyzer[/p/policy/pulumi-analyzer-policy].GetPluginInfo() executing"),
            line(
                1700,
                "langhost[client].Run(pwd=/w,map[],#args=1,proj=p,stack=dev,#config=2,dryrun=false) executing",
            ),
            line(
                1800,
                "newPlugin(): Launching plugin 'kubernetes (resource)' from '/k' with args: 127.0.0.1:1",
            ),
            line(2050, "Provider[0x1].GetPluginInfo() executing"),
            line(2060, "setProvider(map[])"),
            line(2080, "Provider[0x1].Configure() executing (#vars=1)"),
            line(2230, "setProvider(map[])"),
            line(2600, "deploymentExecutor.Execute(...): step executor has completed"),
            line(2700, "*** Update(preview=false) complete ***"),
        ].join("\n");
        assert.deepEqual(engineMarks(log, T0), [
            ["CLI's first log line", 900],
            ["operation started", 1200],
            ["policy pack serving", 1650],
            ["program running", 1700],
            ["provider starting", 1800],
            ["provider serving", 2050],
            ["provider configuring", 2080],
            ["provider configured", 2230],
            ["resources done", 2600],
            ["engine finished", 2700],
        ]);
    });

    it("leaves out a mark the run never reached, and still finds the later ones", () => {
        const log = [
            line(500, "Pulumi"),
            line(700, "*** Starting Destroy(preview=false) ***"),
            line(900, "langhost[client].Run(pwd=/w) executing"),
            line(1500, "*** Destroy(preview=false) complete ***"),
        ].join("\n");
        assert.deepEqual(
            engineMarks(log, T0).map(([name]) => name),
            ["CLI's first log line", "operation started", "program running", "engine finished"],
        );
        assert.deepEqual(engineMarks("", T0), []);
    });

    it("takes the newest stack log of a run begun after the command started", () => {
        const home = mkdtempSync(join(tmpdir(), "engine-log-"));
        try {
            const logs = join(home, "logs");
            mkdirSync(logs);
            const at = (name: string, seconds: number) => {
                writeFileSync(join(logs, name), "PLOG");
                utimesSync(join(logs, name), seconds, seconds);
            };
            at("organization+p+dev-20261203T095900.log", 1000);
            at("organization+p+dev-20261203T100001.log", 2000);
            at("pulumi-20261203T100002-42-logs_decrypt.log", 3000);
            at("notes.txt", 3000);
            assert.equal(
                latestEngineLog(1500 * 1000, home),
                join(logs, "organization+p+dev-20261203T100001.log"),
            );
            assert.equal(latestEngineLog(2500 * 1000, home), undefined);
            assert.equal(latestEngineLog(0, join(home, "missing")), undefined);
        } finally {
            rmSync(home, { recursive: true, force: true });
        }
    });

    it("reports each mark's median over the runs that have it", () => {
        const runs = [
            {
                engine: [
                    ["update started", 1000],
                    ["engine finished", 2000],
                ] as [string, number][],
            },
            {
                engine: [
                    ["update started", 1200],
                    ["engine finished", 2400],
                ] as [string, number][],
            },
            { engine: [["update started", 1100]] as [string, number][] },
        ];
        assert.deepEqual(engineTimeline(runs), ["update started 1.10", "engine finished 2.20"]);
        assert.deepEqual(engineTimeline([{ engine: [] }]), []);
    });
});
