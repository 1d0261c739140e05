/**
 * What a failed command's error says about the state backend (a bucket a team shares, or the local
 * folder), in the user's words: which backend, whether anything changed, and what to run next. The
 * engine's own message stays above it; this only adds the line a user needs.
 */

/** A backend URL as safe and short to print: scheme and bucket or folder, no query, no user info. */
export function backendName(url: string): string {
    const [base] = url.split("?");
    return base.replace(/\/\/[^@/]*@/, "//");
}

/** The engine lost the backend while writing the state of an update that had started. */
const SNAPSHOT_WRITE = /failed to save snapshot/;
/** It could not remove the lock it took (the update may or may not have begun). */
const LOCK_LEFT = /problem deleting the lock/;
/** It could not read the state after taking the lock, so the update never began. */
const CHECKPOINT_READ = /failed to load checkpoint/;
/** A read or write of a state object failed: the backend did not answer or refused. */
const BLOB_ERROR = /blob \(key "[^"]*"\)[^\n]*/;
const REFUSED_CREDENTIALS = /SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied|ExpiredToken/;
const WRONG_PASSPHRASE = /incorrect passphrase/;
const MISSING_PASSPHRASE = /passphrase must be set with PULUMI_CONFIG_PASSPHRASE/;

/** One explanation for an error about the state backend or its secrets; undefined otherwise. */
export function describeBackendFailure(message: string, backendUrl: string): string | undefined {
    const where = `The state backend (${backendName(backendUrl)})`;
    const recover =
        "Once the backend answers again, run npm run recover (it removes the lock and settles " +
        "what was in flight), then npm run up.";
    if (SNAPSHOT_WRITE.test(message)) {
        return (
            `${where} could not be written during the update, which stopped part-way: the ` +
            `cluster may hold changes the state does not record, and the stack keeps its lock. ${recover}`
        );
    }
    if (LOCK_LEFT.test(message)) {
        const when = CHECKPOINT_READ.test(message)
            ? "after this command locked the stack, before the update changed anything"
            : "as this command unlocked the stack";
        return `${where} stopped answering ${when}: the stack keeps its lock. ${recover}`;
    }
    if (REFUSED_CREDENTIALS.test(message)) {
        return (
            `${where} refused the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for a ` +
            "bucket): nothing was changed. Set the ones that may use this bucket and run the " +
            "command again."
        );
    }
    if (BLOB_ERROR.test(message)) {
        return `${where} did not answer: nothing was changed. Once it answers, run the command again.`;
    }
    if (WRONG_PASSPHRASE.test(message)) {
        return (
            "PULUMI_CONFIG_PASSPHRASE does not open this stack's secrets: nothing was changed. Use " +
            "the passphrase the stack was created with (on a shared backend, the team's, from its " +
            "secret store)."
        );
    }
    if (MISSING_PASSPHRASE.test(message)) {
        return (
            `This stack's secrets in ${backendName(backendUrl)} use a passphrase: set ` +
            "PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the one it was created " +
            "with (on a shared backend, the team's, from its secret store). Nothing was changed."
        );
    }
    return undefined;
}
