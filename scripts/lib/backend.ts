/**
 * What a failed command's error says about the state backend (a bucket a team shares, or the local
 * folder), in the user's words: which backend, whether anything changed, and what to run next. The
 * engine's own message stays above it; this only adds the line a user needs.
 */
import { existsSync } from "node:fs";

import { backendName, fileBackendDir, passphraseFile } from "./stack";

export { backendName };

/** Whether the state lives somewhere other runners share (a bucket, Pulumi Cloud), not a folder. */
export function sharedBackend(url: string): boolean {
    return fileBackendDir(url) === undefined;
}

/** `npm run recover` as this backend needs it: on a shared one, only with `--force` (see deploy.ts). */
export function recoverCommand(url: string): string {
    return sharedBackend(url) ? "npm run recover -- --force" : "npm run recover";
}

/** Why recover on a shared backend waits for `--force`: it removes a teammate's lock too. */
export function refuseSharedRecover(url: string): string {
    return (
        `On a shared backend (${backendName(url)}), recover removes the stack's lock whoever ` +
        "holds it: a teammate's update that still runs would lose it and race this one. The " +
        "lock error names its holder (user@host, pid, since when): once that update no longer " +
        `runs, run ${recoverCommand(url)}.`
    );
}

/** The engine lost the backend while writing the state of an update that had started. */
const SNAPSHOT_WRITE = /failed to save snapshot/;
/** It could not remove the lock it took (the update may or may not have begun). */
const LOCK_LEFT = /problem deleting the lock/;
/** It could not read the state after taking the lock, so the update never began. */
const CHECKPOINT_READ = /failed to load checkpoint/;
/** The update was applied and its state written; only its history entry or backup was not. */
const AFTER_UPDATE = /saving (update info|backup): /;
/** Another runner's lock was gone between listing the locks and reading it. */
const LOCK_RACE = /\.pulumi\/locks\/[^\n]*(NoSuchKey|NotFound|not found)/;
/** A read or write of a state object failed: the backend did not answer or refused. */
const BLOB_ERROR = /blob \(key "[^"]*"\)/;
const REFUSED_CREDENTIALS = /SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied|ExpiredToken/;
const WRONG_PASSPHRASE = /incorrect passphrase/;
const MISSING_PASSPHRASE = /passphrase must be set with PULUMI_CONFIG_PASSPHRASE/;
// The CLI making the stack (pulumi 3.274.1 cmd/pulumi/stack/io.go): its secrets are new too.
const NEW_STACK_SECRETS = /could not create secrets manager for new stack/;

/** What the command that failed does to the stack. */
export interface BackendFailureOptions {
    /**
     * It changes no resource (`preview`, `verify`), so it had nothing to leave part-way.
     * @default false
     */
    readonly readOnly?: boolean;
}

/**
 * One explanation for an error about the state backend or its secrets; undefined otherwise.
 * `oldPassphrase`: a passphrase file this clone made for a local backend, which earlier versions
 * also used for other backends (so a stack made then may need it).
 */
export function describeBackendFailure(
    message: string,
    backendUrl: string,
    oldPassphrase?: string,
    { readOnly = false }: BackendFailureOptions = {},
): string | undefined {
    const where = `The state backend (${backendName(backendUrl)})`;
    const recover = `Once the backend answers again, run ${recoverCommand(backendUrl)} (it removes the lock and settles what was in flight), then npm run up.`;
    const locked = LOCK_LEFT.test(message);
    if (SNAPSHOT_WRITE.test(message)) {
        const lock = locked ? ", and the stack keeps its lock" : "";
        return (
            `${where} could not be written during the update, which stopped part-way: the ` +
            `cluster may hold changes the state does not record${lock}. ${recover}`
        );
    }
    if (locked) {
        const when = CHECKPOINT_READ.test(message)
            ? "after this command locked the stack, before the update changed anything"
            : "as this command unlocked the stack";
        return `${where} stopped answering ${when}: the stack keeps its lock. ${recover}`;
    }
    if (AFTER_UPDATE.test(message)) {
        return (
            `The update was applied and its state written to ${backendName(backendUrl)}, but its ` +
            "history entry or backup could not be saved there. Nothing needs recovering: the next " +
            "command works once the backend answers."
        );
    }
    if (LOCK_RACE.test(message)) {
        return "Another runner's lock of this stack came and went while this command checked it: run the command again.";
    }
    if (REFUSED_CREDENTIALS.test(message)) {
        return (
            `${where} refused the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for a ` +
            "bucket). Set the ones that may use this bucket and run the command again."
        );
    }
    if (BLOB_ERROR.test(message)) {
        const again = readOnly
            ? "this command changes no resource, so nothing was left part-way"
            : "npm run up converges from wherever an update stopped";
        return `${where} did not answer. Once it answers, run the command again: ${again}.`;
    }
    const old = oldPassphrase
        ? ` A stack made with an earlier version of this project may use the passphrase it generated in ${oldPassphrase}: PULUMI_CONFIG_PASSPHRASE_FILE=${oldPassphrase} (PowerShell: $env:PULUMI_CONFIG_PASSPHRASE_FILE="${oldPassphrase}").`
        : "";
    if (WRONG_PASSPHRASE.test(message)) {
        return (
            "PULUMI_CONFIG_PASSPHRASE does not open this stack's secrets: nothing was changed. Use " +
            "the passphrase the stack was created with (on a shared backend, the team's, from its " +
            `secret store).${old}`
        );
    }
    if (MISSING_PASSPHRASE.test(message) && NEW_STACK_SECRETS.test(message)) {
        // Any passphrase would open a stack made now: the earlier version's is no hint here.
        return (
            `This command would create the stack in ${backendName(backendUrl)}, and its secrets ` +
            "need a passphrase: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to " +
            "the one everyone who uses the stack will share (on a shared backend, the team's, " +
            "from its secret store): a passphrase of your own would lock the others out of its " +
            "secrets. Nothing was created."
        );
    }
    if (MISSING_PASSPHRASE.test(message)) {
        return (
            `This stack's secrets in ${backendName(backendUrl)} use a passphrase: set ` +
            "PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the one it was created " +
            `with (on a shared backend, the team's, from its secret store). Nothing was changed.${old}`
        );
    }
    return undefined;
}

/**
 * describeBackendFailure() for a command's last error: a stack a version before this one put in a
 * bucket used the clone's generated passphrase, which the explanation then names.
 */
export function explainBackendFailure(
    message: string,
    backendUrl: string,
    options: BackendFailureOptions = {},
): string | undefined {
    const old = passphraseFile();
    const oldPassphrase = sharedBackend(backendUrl) && existsSync(old) ? old : undefined;
    return describeBackendFailure(message, backendUrl, oldPassphrase, options);
}
