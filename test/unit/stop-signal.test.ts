import * as assert from "node:assert/strict";

import { engineStop } from "../../scripts/lib/stop-signal";

describe("the engine's stop on SIGTERM", () => {
    it("stops each CLI listening when it fires, once", () => {
        const stop = engineStop();
        const calls: string[] = [];
        assert.equal(stop.listening, false, "no CLI has started");
        stop.signal.addEventListener("abort", () => calls.push("engine"));
        assert.equal(stop.listening, true);
        assert.deepEqual(calls, [], "stopped before the stop");
        stop.stop();
        stop.stop();
        assert.deepEqual(calls, ["engine"]);
    });

    it("stops at once a CLI started after it fired, which an AbortSignal would let run", () => {
        const stop = engineStop();
        stop.stop();
        const calls: string[] = [];
        stop.signal.addEventListener("abort", () => calls.push("late CLI"));
        assert.deepEqual(calls, ["late CLI"]);
    });
});
