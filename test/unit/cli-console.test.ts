import * as assert from "node:assert/strict";
import type { spawn } from "node:child_process";

import { startCliInConsole } from "../../scripts/lib/pulumi-command";

describe("the Pulumi CLI in the user's console on Windows, where Ctrl-C reaches it", () => {
    /** A child_process whose spawn records the options it is given. */
    function fakeChildProcess() {
        const given: unknown[] = [];
        const cp = {
            spawn: ((_command: string, _args: string[], options: unknown) => {
                given.push(options);
                return undefined;
            }) as unknown as typeof spawn,
        };
        return { cp, given };
    }

    it("starts what asks to be hidden (execa, which the Automation API uses) in the console instead", () => {
        const { cp, given } = fakeChildProcess();
        startCliInConsole(cp, "win32");
        cp.spawn("C:\\pulumi\\pulumi.exe", ["up"], { windowsHide: true, cwd: "C:\\w" });
        cp.spawn("kubectl.exe", ["version"], { cwd: "C:\\w" });
        assert.deepEqual(given, [{ windowsHide: false, cwd: "C:\\w" }, { cwd: "C:\\w" }]);
    });

    it("changes nothing elsewhere", () => {
        for (const platform of ["linux", "darwin"] as const) {
            const { cp, given } = fakeChildProcess();
            startCliInConsole(cp, platform);
            cp.spawn("pulumi", ["up"], { windowsHide: true });
            assert.deepEqual(given, [{ windowsHide: true }]);
        }
    });
});
