import * as assert from "node:assert/strict";

import { ConfigError, ServiceAccountWorkload, ServiceAccountWorkloadArgs } from "../../components";
import { registrations } from "./mocks";

/** Asserts that `args` are refused with a message naming `key`, the value and a fix. */
export function refuses(
    args: unknown,
    key: string,
    value: unknown,
    fix: RegExp | string,
): ConfigError {
    let error: unknown;
    try {
        new ServiceAccountWorkload("bad", args as ServiceAccountWorkloadArgs);
    } catch (e) {
        error = e;
    }
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    const line = error.message.split("\n").find((l) => l.includes(`args.${key} is`));
    assert.ok(line, `no line names args.${key}:\n${error.message}`);
    const shown = value === undefined ? "nothing" : JSON.stringify(value);
    assert.ok(line.includes(`is ${shown}:`), `value missing: ${line}`);
    const fixText = line.slice(line.indexOf("Fix: "));
    assert.ok(fixText.length > 5, `no fix: ${line}`);
    if (typeof fix === "string") assert.ok(fixText.includes(fix), `fix "${fix}" missing: ${line}`);
    else assert.match(fixText, fix);
    assert.equal(registrations.length, 0, "something was registered");
    return error;
}
