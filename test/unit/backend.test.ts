import * as assert from "node:assert/strict";

import {
    backendName,
    describeBackendFailure,
    recoverCommand,
    refuseSharedRecover,
} from "../../scripts/lib/backend";

const BUCKET =
    "s3://team-state?endpoint=http://127.0.0.1:39100&use_path_style=true&response_checksum_validation=when_required";

// The Pulumi CLI's own messages (3.274.1 against MinIO): snapshot, read, lock and both passphrase
// ones as measured here; credentials, after-update and lock-race ones as its source words them.
const REFUSED = `dial tcp 127.0.0.1:39100: connect: connection refused`;
const MESSAGES = {
    snapshot: `error: pre-step event returned an error: failed to save snapshot: An IO error occurred while writing the new snapshot file: blob (key ".pulumi/stacks/sa-workload/dev.json") (code=Unknown): operation error S3: PutObject, exceeded maximum number of attempts, 3, ${REFUSED}`,
    read: `error: read ".pulumi/meta.yaml": blob (key ".pulumi/meta.yaml") (code=Unknown): operation error S3: GetObject, exceeded maximum number of attempts, 3, ${REFUSED}`,
    credentials: `error: read ".pulumi/meta.yaml": blob (key ".pulumi/meta.yaml") (code=Unknown): operation error S3: GetObject, https response error StatusCode: 403, api error SignatureDoesNotMatch: The request signature we calculated does not match`,
    lock: `error: there was a problem deleting the lock at s3://team-state/.pulumi/locks/organization/sa-workload/dev/1.json, manual clean up may be required: blob (key ".pulumi/locks/organization/sa-workload/dev/1.json") ${REFUSED}`,
    afterUpdate: `error: saving update info: blob (key ".pulumi/history/sa-workload/dev/dev-1.history.json") ${REFUSED}`,
    lockRace: `error: blob (key ".pulumi/locks/organization/sa-workload/dev/2.json") (code=NotFound): NoSuchKey`,
    wrongPassphrase:
        "error: getting stack configuration: get stack secrets manager: incorrect passphrase",
    missingPassphrase: `error: could not deserialize deployment: constructing secrets manager of type "passphrase": constructing secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables`,
};

describe("what a failed command says about the state backend", () => {
    it("names a bucket by scheme and bucket only, without query or credentials", () => {
        assert.equal(backendName(BUCKET), "s3://team-state");
        assert.equal(backendName("postgres://u:secret@db:5432/state"), "postgres://db:5432/state");
        assert.equal(backendName("file:///home/u/.pulumi"), "file:///home/u/.pulumi");
    });

    it("says an update that lost its backend stopped part-way and keeps its lock, and to recover", () => {
        const text = describeBackendFailure(`${MESSAGES.snapshot}\n${MESSAGES.lock}`, BUCKET);
        assert.match(text ?? "", /^The state backend \(s3:\/\/team-state\) could not be written/);
        assert.match(
            text ?? "",
            /stopped part-way.*keeps its lock.*npm run recover .*, then npm run up/s,
        );
    });

    it("says a backend that did not answer, and that running again converges", () => {
        assert.match(
            describeBackendFailure(MESSAGES.read, BUCKET) ?? "",
            /\(s3:\/\/team-state\) did not answer\. Once it answers, run the command again: npm run up converges/,
        );
    });

    it("tells a command that changes no resource (preview, verify) that nothing was left part-way, not that up converges", () => {
        const said =
            describeBackendFailure(MESSAGES.read, BUCKET, undefined, { readOnly: true }) ?? "";
        assert.match(
            said,
            /did not answer\. Once it answers, run the command again: this command changes no resource, so nothing was left part-way\.$/,
        );
        assert.doesNotMatch(said, /npm run up/);
    });

    it("names the credential variables when the bucket refuses them", () => {
        assert.match(
            describeBackendFailure(MESSAGES.credentials, BUCKET) ?? "",
            /refused the credentials \(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
        );
    });

    it("says when a lost backend left the lock, and that recover removes it", () => {
        const beforeUpdate = `${MESSAGES.lock}\nerror: failed to load checkpoint: ${MESSAGES.read}`;
        assert.match(
            describeBackendFailure(beforeUpdate, BUCKET) ?? "",
            /stopped answering after this command locked the stack, before the update changed anything: the stack keeps its lock.*npm run recover -- --force \(it removes the lock/s,
        );
        assert.match(
            describeBackendFailure(MESSAGES.lock, BUCKET) ?? "",
            /stopped answering as this command unlocked the stack: the stack keeps its lock/,
        );
    });

    it("says a wrong or missing passphrase changed nothing and whose passphrase to use", () => {
        assert.match(
            describeBackendFailure(MESSAGES.wrongPassphrase, BUCKET) ?? "",
            /^PULUMI_CONFIG_PASSPHRASE does not open this stack's secrets: nothing was changed.*the team's/s,
        );
        assert.match(
            describeBackendFailure(MESSAGES.missingPassphrase, BUCKET) ?? "",
            /secrets in s3:\/\/team-state use a passphrase: set PULUMI_CONFIG_PASSPHRASE/,
        );
    });

    it("adds nothing to an error that is not about the backend", () => {
        assert.equal(
            describeBackendFailure("error: update failed: pod timed out", BUCKET),
            undefined,
        );
    });

    it("claims the lock is kept only when the engine said it could not remove it", () => {
        assert.doesNotMatch(
            describeBackendFailure(MESSAGES.snapshot, BUCKET) ?? "",
            /keeps its lock/,
        );
    });

    it("says an update whose history could not be saved was applied and needs no recovery", () => {
        assert.match(
            describeBackendFailure(MESSAGES.afterUpdate, BUCKET) ?? "",
            /^The update was applied .*Nothing needs recovering/,
        );
    });

    it("says a lock that vanished while it was read was another runner's, and to run again", () => {
        assert.match(
            describeBackendFailure(MESSAGES.lockRace, BUCKET) ?? "",
            /came and went.*again/,
        );
    });

    it("asks for the passphrase everyone will share where the command would create the stack, naming no earlier file", () => {
        const newStack =
            "error: could not create secrets manager for new stack: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables";
        const said = describeBackendFailure(newStack, BUCKET, "/repo/.pulumi/passphrase") ?? "";
        assert.match(said, /would create the stack in s3:\/\/team-state/);
        assert.match(said, /a passphrase of your own would lock the others out/);
        assert.ok(!said.includes("/repo/.pulumi/passphrase"), said);
    });

    it("points a shared stack made with the local passphrase at its file", () => {
        assert.match(
            describeBackendFailure(
                MESSAGES.missingPassphrase,
                BUCKET,
                "/repo/.pulumi/passphrase",
            ) ?? "",
            /PULUMI_CONFIG_PASSPHRASE_FILE=\/repo\/\.pulumi\/passphrase/,
        );
    });

    it("asks for --force before recover removes a shared stack's lock, never for a local one", () => {
        assert.equal(recoverCommand("file:///repo/.pulumi"), "npm run recover");
        assert.equal(recoverCommand(BUCKET), "npm run recover -- --force");
        assert.match(refuseSharedRecover(BUCKET), /whoever holds it.*npm run recover -- --force/s);
        assert.match(
            describeBackendFailure(MESSAGES.lock, BUCKET) ?? "",
            /run npm run recover -- --force/,
        );
    });
});
