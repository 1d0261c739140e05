import * as assert from "node:assert/strict";

import { newWorkload } from "../helpers/workload";
import { goodStack, renderedStack } from "./fixtures";

describe("policy fixtures", () => {
    it("are exactly what the component registers with every default", async () => {
        await newWorkload();
        assert.deepEqual(renderedStack(), goodStack());
    });
});
