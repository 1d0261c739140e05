/**
 * Temporary folders for tests, removed when the test process exits (pass or fail), so that a run
 * leaves nothing in the system's temporary folder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];

process.on("exit", () => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new folder named `<prefix>XXXXXX` in the system's temporary folder, gone at exit. */
export function tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
}
