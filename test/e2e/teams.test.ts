/**
 * Teams: the dev stack's state in a real S3 bucket (MinIO, scripts/s3.sh), used from two clones of
 * this repository that share nothing else, with the project's commands as typed: deploy, preview
 * from the other clone, a lock held by one runner, the S3 server lost mid-update, a wrong
 * passphrase, and the secrets as they are stored in the bucket.
 */
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { parse, stringify } from "yaml";

import {
    clusterObjects,
    kubectl,
    namespaceExists,
    NpmRun as Run,
    objectExists,
    Result,
    setFinalizers,
} from "../helpers/e2e";
import { recordCase } from "../helpers/reliability";
import { Clone, killRuns, S3Server, signalRun } from "../helpers/teams";

const STATE = ".pulumi/stacks/sa-workload/dev.json";
const LOCKS = ".pulumi/locks/";
/** What a preview prints for each change it would make: nothing of it where there is none. */
const PENDING_CHANGES = / to (create|update|delete|replace)\b/;
/** The engine's line for a resource step in progress: it has read the state and holds the lock. */
const STEP = /kubernetes:\S+ \S+ (creating|deleting|updating) \(/;

/** Fails with the run's output unless it ended with `status`. */
function ended(result: Result, status: number): string {
    assert.equal(result.status, status, result.output);
    return result.output;
}

/** Sets `legacyTokenSecret` in a clone's Pulumi.dev.yaml, as a commit both clones pulled would. */
function setLegacyToken(clone: Clone, on: boolean): void {
    const file = join(clone.dir, "Pulumi.dev.yaml");
    const stack = parse(readFileSync(file, "utf8")) as {
        config: { "sa-workload:workloads": Record<string, unknown>[] };
    };
    stack.config["sa-workload:workloads"][0].legacyTokenSecret = on;
    writeFileSync(file, stringify(stack));
}

describe("teams: the dev stack's state in an S3 bucket, shared by two clones", () => {
    let s3: S3Server;
    let a: Clone;
    let b: Clone;
    /** What each runner is given: the bucket's URL and credentials, the team's passphrase. */
    let team: Record<string, string>;

    /** Waits until `ready()` holds while `run` runs, then pauses every process of it. */
    async function pauseWhen(run: Run, what: string, ready: () => boolean): Promise<void> {
        for (let i = 0; i < 1200 && run.child.exitCode === null; i++) {
            if (ready()) return signalRun(run, "SIGSTOP");
            await new Promise((resolve) => setTimeout(resolve, 25));
        }
        throw new Error(`the run ended or 30 s passed before ${what}:\n${run.output()}`);
    }

    before(() => {
        if (namespaceExists("my-ns")) kubectl("delete", "namespace", "my-ns", "--wait=true");
        s3 = new S3Server();
        a = new Clone();
        b = new Clone();
        team = { ...s3.env, PULUMI_CONFIG_PASSPHRASE: randomBytes(18).toString("base64") };
    });

    /** Runs `during` while `run` is paused, resuming it whatever happens. */
    async function whilePaused<T>(run: Run, during: () => Promise<T> | T): Promise<T> {
        try {
            return await during();
        } finally {
            signalRun(run, "SIGCONT");
        }
    }

    afterEach(killRuns);

    after(async function () {
        this.timeout(300_000);
        try {
            if (a && namespaceExists("my-ns")) await a.run(team, "down", "--delete-foreign");
        } finally {
            s3?.remove();
            a?.remove();
            b?.remove();
        }
    });

    it("deploys, previews and verifies from one clone with the commands unchanged, its state only in the bucket", async () => {
        ended(await a.run(team, "up"), 0);
        assert.ok(s3.keys(".pulumi/stacks/").includes(STATE), "no state object in the bucket");
        assert.deepEqual(s3.keys(LOCKS), [], "a lock was left");
        assert.ok(!existsSync(join(a.dir, ".pulumi", "stacks")), "state was written in the clone");
        assert.ok(!existsSync(join(a.dir, ".pulumi", "passphrase")), "a passphrase was made");
        assert.doesNotMatch(ended(await a.run(team, "preview"), 0), PENDING_CHANGES);
        ended(await a.run(team, "verify"), 0);
    });

    it("previews from a second clone, with no local state, and sees no changes", async () => {
        assert.ok(!existsSync(join(b.dir, ".pulumi")), "the second clone has local state");
        const output = ended(await b.run(team, "preview"), 0);
        assert.doesNotMatch(output, PENDING_CHANGES);
        assert.match(output, /\d+ unchanged/);
    });

    it("refuses an up from the second clone at once while the first holds the lock, and loses nothing", async () => {
        for (const clone of [a, b]) setLegacyToken(clone, true);
        const first = a.start(team, "up");
        await pauseWhen(first, "it held the lock", () => s3.keys(LOCKS).length > 0);
        const output = await whilePaused(first, async () => {
            const [lock] = s3.keys(LOCKS);
            const before = clusterObjects("my-ns");
            // The second runner ends while the first still holds the lock: it never waits for it.
            const refused = ended(await b.run(team, "up"), 1);
            assert.deepEqual(s3.keys(LOCKS), [lock], "the refused run touched the lock");
            assert.equal(clusterObjects("my-ns"), before, "the refused run changed the cluster");
            return refused;
        });
        assert.match(output, /the stack is currently locked by 1 lock\(s\)/);
        assert.match(output, /created by \S+@\S+ \(pid \d+\) at /);
        assert.match(output, /Another update of this stack holds its lock/);
        ended(await first.done, 0);
        assert.deepEqual(s3.keys(LOCKS), []);
        assert.ok(
            objectExists("secret", "my-sa-token", "my-ns"),
            "the first run's change is missing",
        );
        assert.doesNotMatch(ended(await b.run(team, "preview"), 0), PENDING_CHANGES);
        recordCase({
            name: "Two runners, one stack in a bucket",
            done: "`npm run up` from clone A paused while it held the lock in the bucket; `npm run up` from clone B",
            happened:
                "B failed at once: locked by 1 lock, naming user@host and pid, with the recover hint; B changed neither the cluster nor the lock; A then finished; B's preview saw no changes",
            left: "the stack, as A left it",
        });
    });

    it("stores the legacy token only as ciphertext in the bucket's state object", () => {
        const object = s3.object(STATE) ?? assert.fail("no state object");
        const token = kubectl(
            "-n",
            "my-ns",
            "get",
            "secret",
            "my-sa-token",
            "-o",
            "jsonpath={.data.token}",
        );
        assert.ok(token.length > 100, "the token Secret has no token yet");
        assert.ok(!object.includes(token), "the token's base64 is in the state object");
        assert.ok(
            !object.includes(Buffer.from(token, "base64").toString()),
            "the token is in the state object",
        );
        const state = JSON.parse(object) as { checkpoint: { latest: { resources: unknown[] } } };
        const secret = JSON.stringify(state.checkpoint.latest.resources).match(
            /"data":\{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"[^"]+"\}/,
        );
        assert.ok(secret, "the Secret's data is not a ciphertext in the state");
    });

    it("lets at most one of two ups started together apply a change, and fails any other only on the lock", async () => {
        for (const clone of [a, b]) setLegacyToken(clone, false);
        const runs = await Promise.all([a.run(team, "up"), b.run(team, "up")]);
        for (const run of runs) {
            // Refused on the lock, or on another runner's lock file that came and went meanwhile.
            assert.ok(
                run.status === 0 || /currently locked|came and went/.test(run.output),
                run.output,
            );
        }
        // The change (deleting the token Secret) applied once at most: the other run was refused
        // or, having started after the first ended, found nothing left to do.
        const applied = runs.filter((r) => /- 1 deleted/.test(r.output)).length;
        assert.ok(applied <= 1, "both runs applied the change");
        assert.deepEqual(s3.keys(LOCKS), []);
        if (applied === 0) ended(await a.run(team, "up"), 0);
        assert.ok(!objectExists("secret", "my-sa-token", "my-ns"), "the token Secret is left");
        assert.doesNotMatch(ended(await a.run(team, "preview"), 0), PENDING_CHANGES);
        const refused = runs.filter((r) => r.status !== 0).length;
        recordCase({
            name: "Two runners start together, stack in a bucket",
            done: "`npm run up` from clones A and B at the same instant, one change pending (delete the token Secret)",
            happened: `${applied} run applied the change, ${refused} failed at once on the lock, none failed otherwise`,
            left: "no lock; the state whole (A's preview saw no changes)",
        });
    });

    it("refuses a wrong passphrase before anything changes", async () => {
        const state = s3.object(STATE);
        const keys = s3.keys(".pulumi/");
        const objects = clusterObjects("my-ns");
        const wrong = { ...team, PULUMI_CONFIG_PASSPHRASE: "not-the-team-passphrase" };
        const output = ended(await b.run(wrong, "up"), 1);
        assert.match(output, /incorrect passphrase/);
        assert.match(output, /does not open this stack's secrets: nothing was changed/);
        assert.equal(s3.object(STATE), state, "the state object changed");
        assert.deepEqual(s3.keys(".pulumi/"), keys, "objects were added to the bucket");
        assert.equal(clusterObjects("my-ns"), objects, "the cluster changed");
        recordCase({
            name: "Wrong passphrase, stack in a bucket",
            done: "`npm run up` from clone B with another PULUMI_CONFIG_PASSPHRASE than the team's",
            happened:
                "refused (incorrect passphrase) before the update, saying nothing changed and whose passphrase to use",
            left: "the state object byte for byte, no new object or lock in the bucket, the cluster's objects unchanged",
        });
    });

    it("says a bucket that refuses the credentials changed nothing", async () => {
        const state = s3.object(STATE);
        const output = ended(
            await b.run({ ...team, AWS_SECRET_ACCESS_KEY: "not-the-key" }, "preview"),
            1,
        );
        assert.match(output, /SignatureDoesNotMatch/);
        assert.match(
            output,
            /refused the credentials \(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
        );
        assert.equal(s3.object(STATE), state, "the state object changed");
    });

    it("rides out an S3 server that is gone for a few seconds during an up", async () => {
        for (const clone of [a, b]) setLegacyToken(clone, true);
        const run = a.start(team, "up");
        await pauseWhen(run, "a resource step began", () => STEP.test(run.output()));
        try {
            await whilePaused(run, () => s3.stop());
            await new Promise((resolve) => setTimeout(resolve, 5000));
        } finally {
            s3.start();
        }
        ended(await run.done, 0);
        assert.ok(objectExists("secret", "my-sa-token", "my-ns"), "the token Secret is missing");
        assert.deepEqual(s3.keys(LOCKS), []);
        assert.doesNotMatch(ended(await b.run(team, "preview"), 0), PENDING_CHANGES);
        recordCase({
            name: "S3 server gone for 5 s mid-update",
            done: "`npm run up` (creating the token Secret) paused at its first step; MinIO stopped; the run resumed; MinIO started again 5 s later",
            happened:
                "up succeeded: Pulumi retries each state write (11 tries, about 30 s of back-off, each with the S3 client's own retries)",
            left: "the stack converged, no lock; the other clone's preview saw no changes",
        });
    });

    it("says an up that lost the S3 server stopped part-way, and converges with recover once it is back", async () => {
        for (const clone of [a, b]) setLegacyToken(clone, false);
        // A finalizer holds the Secret's delete until the S3 server is stopped, so the step's own
        // state write always comes after, however fast the run goes past its "deleting (" line.
        setFinalizers("secret", "my-sa-token", "my-ns", ["sa-workload.test/hold"]);
        const started = Date.now();
        const run = a.start(team, "up");
        let output: string;
        try {
            try {
                await pauseWhen(run, "a resource step began", () => STEP.test(run.output()));
                await whilePaused(run, () => s3.stop());
            } finally {
                setFinalizers("secret", "my-sa-token", "my-ns", null);
            }
            output = ended(await run.done, 1);
        } finally {
            s3.start();
        }
        const seconds = (Date.now() - started) / 1000;
        assert.match(output, /failed to save snapshot/);
        assert.match(output, /The state backend \(s3:\/\/sa-workload-state\) could not be written/);
        assert.match(
            output,
            /stopped part-way.*run npm run recover -- --force .*, then npm run up/s,
        );

        const [lock] = s3.keys(LOCKS);
        assert.match(ended(await a.run(team, "up"), 1), /currently locked.*recover -- --force/s);
        // Without --force, recover removes no lock on a shared backend: it may be a teammate's.
        assert.match(
            ended(await a.run(team, "recover"), 1),
            /recover removes the stack's lock whoever holds it/,
        );
        assert.deepEqual(s3.keys(LOCKS), [lock]);
        assert.match(ended(await a.run(team, "recover", "--force"), 0), /Recovered/);
        ended(await a.run(team, "up"), 0);
        assert.ok(!objectExists("secret", "my-sa-token", "my-ns"), "the token Secret is left");
        assert.deepEqual(s3.keys(LOCKS), []);
        assert.doesNotMatch(ended(await b.run(team, "preview"), 0), PENDING_CHANGES);
        ended(await b.run(team, "verify"), 0);
        recordCase({
            name: "S3 server stopped mid-update",
            done: "`npm run up` (deleting the token Secret, which a test finalizer held) paused at its first step; MinIO stopped; the run resumed; the finalizer removed",
            happened: `up failed after ${seconds.toFixed(0)} s (Pulumi's 11 tries of the state write, each with the S3 client's retries), saying the backend could not be written, the update stopped part-way and to run recover; with MinIO back, up refused on the left lock, recover refused without --force (the lock may be a teammate's) and removed it with it, up converged; verify passed from the other clone`,
            left: "the stack converged, no lock",
        });
    });

    it("destroys from the second clone everything the stack made, leaving an empty stack in the bucket", async () => {
        ended(await b.run(team, "down"), 0);
        assert.ok(!namespaceExists("my-ns"));
        const state = JSON.parse(s3.object(STATE) ?? "{}") as {
            checkpoint: { latest?: { resources?: { type: string }[] } };
        };
        const left = (state.checkpoint.latest?.resources ?? []).filter(
            (r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers"),
        );
        assert.deepEqual(left, []);
    });
});
