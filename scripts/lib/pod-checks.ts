/**
 * Checks from inside a running Pod (through the API server's exec, as `kubectl exec` does): the
 * user and capabilities nginx runs with, a read-only root, nginx answering, and the token where
 * the token option put it, with its audience and lifetime, used against the API server. A node
 * that runs no containers (kwok's), a Pod not running, or exec refused to the user's credentials
 * gives one row saying why, never a failure; any other failure of the first exec fails the row.
 */
import { Writable } from "node:stream";

import * as k8s from "@kubernetes/client-node";

/** One verify row: what was checked, what was expected, what was found. */
export interface Row {
    readonly check: string;
    readonly expected: string;
    readonly actual: string;
    /** Set for a row that only says why checks were skipped. */
    readonly note?: boolean;
}

export interface ExecResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs a command in a container; rejects when the exec itself fails (not on a non-zero exit). */
export type PodExec = (command: string[]) => Promise<ExecResult>;

const EXEC_TIMEOUT_MS = 15_000;
const STANDARD_TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

function collector(): { stream: Writable; text: () => string } {
    const chunks: Buffer[] = [];
    const stream = new Writable({
        write(chunk: Buffer, _encoding, done): void {
            chunks.push(Buffer.from(chunk));
            done();
        },
    });
    return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

/**
 * The Error in what a failed exec rejects with. @kubernetes/client-node 2 rejects a refused
 * WebSocket upgrade with the `ws` ErrorEvent itself, not an Error: its `error` holds one
 * ("Unexpected server response: 403"), its `message` the same text.
 */
export function execError(rejected: unknown): Error {
    if (rejected instanceof Error) return rejected;
    const event = typeof rejected === "object" && rejected !== null ? rejected : {};
    const { error, message } = event as { error?: unknown; message?: unknown };
    if (error instanceof Error) return error;
    return new Error(typeof message === "string" ? message : String(rejected));
}

/** Exec through the API server, as `kubectl exec` does. */
export function podExec(
    admin: k8s.KubeConfig,
    namespace: string,
    pod: string,
    container: string,
): PodExec {
    const exec = new k8s.Exec(admin);
    return (command) =>
        new Promise<ExecResult>((resolve, reject) => {
            const out = collector();
            const err = collector();
            let socket: { close(): void } | undefined;
            let timedOut = false;
            const timer = setTimeout(() => {
                timedOut = true;
                socket?.close();
                reject(new Error(`no answer within ${EXEC_TIMEOUT_MS / 1000} s`));
            }, EXEC_TIMEOUT_MS);
            const done = (status: k8s.V1Status): void => {
                clearTimeout(timer);
                const exit = status.details?.causes?.find((c) => c.reason === "ExitCode")?.message;
                const code = status.status === "Success" ? 0 : Number(exit ?? 1);
                // The streams have been written to before the status arrives. A failure with no
                // exit code (a command the image lacks) says why only in its message.
                const stderr = err.text() || (code === 0 ? "" : (status.message ?? ""));
                resolve({ code, stdout: out.text(), stderr });
            };
            exec.exec(namespace, pod, container, command, out.stream, err.stream, null, false, done)
                .then((ws: unknown) => {
                    socket = ws as { close(): void };
                    // Opened after the timeout gave up on it.
                    if (timedOut) socket.close();
                })
                .catch((error: unknown) => {
                    clearTimeout(timer);
                    reject(execError(error));
                });
        });
}

/** The JWT's claims, unverified (the API server verifies it when the token is used). */
export function jwtClaims(token: string): Record<string, unknown> {
    const payload = token.trim().split(".")[1] ?? "";
    return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<
        string,
        unknown
    >;
}

const CAPABILITY_BITS: Readonly<Record<string, number>> = {
    CHOWN: 0,
    DAC_OVERRIDE: 1,
    DAC_READ_SEARCH: 2,
    FOWNER: 3,
    FSETID: 4,
    KILL: 5,
    SETGID: 6,
    SETUID: 7,
    SETPCAP: 8,
    NET_BIND_SERVICE: 10,
    NET_RAW: 13,
    SYS_CHROOT: 18,
    MKNOD: 27,
    AUDIT_WRITE: 29,
    SETFCAP: 31,
};

/** /proc/<pid>/status's CapEff for exactly these capabilities, as 16 hex digits. */
export function capabilityMask(capabilities: readonly string[]): string {
    const mask = capabilities.reduce(
        (m, c) => m | (1n << BigInt(CAPABILITY_BITS[c.replace(/^CAP_/, "")] ?? 63)),
        0n,
    );
    return mask.toString(16).padStart(16, "0");
}

/** Where the Pod's spec puts its ServiceAccount token, and for whom. */
export interface TokenPlacement {
    readonly mode: "automount" | "projected" | "none";
    /** Directory holding the `token` file. */
    readonly dir?: string;
    readonly file?: string;
    readonly audience?: string;
    readonly expirationSeconds?: number;
}

export function tokenPlacement(pod: k8s.V1Pod): TokenPlacement {
    const spec = pod.spec;
    const container = spec?.containers[0];
    for (const volume of spec?.volumes ?? []) {
        const source = volume.projected?.sources?.find((s) => s.serviceAccountToken);
        if (!source?.serviceAccountToken || volume.name.startsWith("kube-api-access-")) continue;
        const mount = container?.volumeMounts?.find((m) => m.name === volume.name);
        if (!mount) continue;
        return {
            mode: "projected",
            dir: mount.mountPath,
            file: `${mount.mountPath}/${source.serviceAccountToken.path}`,
            audience: source.serviceAccountToken.audience,
            expirationSeconds: source.serviceAccountToken.expirationSeconds,
        };
    }
    const standard = container?.volumeMounts?.some((m) => m.mountPath === STANDARD_TOKEN_DIR);
    return standard
        ? { mode: "automount", dir: STANDARD_TOKEN_DIR, file: `${STANDARD_TOKEN_DIR}/token` }
        : { mode: "none" };
}

/** Why no command can run in the Pod, or undefined when exec is worth trying. */
async function whyNoExec(admin: k8s.KubeConfig, pod: k8s.V1Pod): Promise<string | undefined> {
    if (pod.status?.phase !== "Running") return `the pod is ${pod.status?.phase ?? "not running"}`;
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return "the pod is not scheduled";
    try {
        const node = await admin.makeApiClient(k8s.CoreV1Api).readNode({ name: nodeName });
        if (node.metadata?.annotations?.["kwok.x-k8s.io/node"] === "fake") {
            return `it runs on ${nodeName}, a kwok node that runs no containers`;
        }
    } catch {
        // Reading nodes may be forbidden; exec may still work.
    }
    return undefined;
}

/** The token used from outside, as the Pod itself would use it: who it is, and a denied read. */
export interface TokenUse {
    whoAmI(token: string): Promise<string>;
    listSecrets(token: string): Promise<string>;
}

/** Every in-pod row for one Pod. `apiAudiences`: the audiences the API server accepts. */
export async function inPodRows(
    admin: k8s.KubeConfig,
    pod: k8s.V1Pod,
    apiAudiences: readonly string[],
    expectSecrets: string,
    use: TokenUse,
    makeExec: typeof podExec = podExec,
): Promise<Row[]> {
    const name = pod.metadata?.name ?? "";
    const namespace = pod.metadata?.namespace ?? "";
    const container = pod.spec?.containers[0];
    const port = container?.ports?.[0]?.containerPort ?? 80;
    const skipped = (why: string): Row[] => [
        { check: "in-pod checks (exec)", expected: "run", actual: `skipped: ${why}`, note: true },
    ];
    const why = await whyNoExec(admin, pod);
    if (why || !container) return skipped(why ?? "the pod has no container");
    const run = makeExec(admin, namespace, name, container.name);
    let status: ExecResult;
    // Exec refused to the user's credentials skips the in-pod checks (said in a note); any other
    // failure of a running pod's first exec fails them, rather than leaving them out unseen.
    const failed = (actual: string): Row[] => [
        { check: "in-pod checks (exec)", expected: "run", actual },
    ];
    try {
        status = await run(["cat", "/proc/1/status", "/proc/mounts"]);
    } catch (error) {
        const message = execError(error).message;
        const text = `cannot exec into ${namespace}/${name}: ${message}`;
        // The API server refuses the exec's upgrade with 403, which `ws` reports by its code only.
        return /\b403\b|forbidden/i.test(message) ? skipped(text) : failed(`failed: ${text}`);
    }
    if (status.code !== 0) {
        return failed(`failed: cat in ${namespace}/${name}: ${status.stderr.trim()}`);
    }
    // Later commands report a failed exec as their result, so one bad answer is one bad row.
    const attempt = (command: string[]): Promise<ExecResult> =>
        run(command).catch((error: unknown) => ({
            code: -1,
            stdout: "",
            stderr: error instanceof Error ? error.message : String(error),
        }));
    const rows: Row[] = [];
    const add = (check: string, expected: string, actual: string): void => {
        rows.push({ check, expected, actual });
    };
    const field = (key: string): string =>
        new RegExp(`^${key}:\\s*(.*)$`, "m").exec(status.stdout)?.[1]?.trim() ?? "(absent)";
    const mounts = status.stdout
        .split("\n")
        .map((line) => line.split(" "))
        .filter((f) => f.length >= 4 && f[1]?.startsWith("/"));

    const uid = field("Uid").split(/\s+/)[1] ?? "";
    const user = container.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
    if (user !== undefined) add("nginx runs as user (inside the pod)", String(user), uid);
    const sc = container.securityContext;
    const root = mounts.find((f) => f[1] === "/");
    add(
        "root filesystem (inside the pod)",
        sc?.readOnlyRootFilesystem ? "read-only" : "writable",
        root?.[3]?.split(",").includes("ro") ? "read-only" : "writable",
    );
    const added = uid === "0" ? (sc?.capabilities?.add ?? []) : [];
    add("effective capabilities (inside the pod)", capabilityMask(added), field("CapEff"));
    add(
        "no new privileges, seccomp filter (inside the pod)",
        `NoNewPrivs ${sc?.allowPrivilegeEscalation === false ? 1 : 0}, Seccomp 2`,
        `NoNewPrivs ${field("NoNewPrivs")}, Seccomp ${field("Seccomp")}`,
    );
    const http = await attempt(["wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${port}/`]);
    add(
        `nginx answers on port ${port} (inside the pod)`,
        "200 OK",
        http.code === 0 ? "200 OK" : `failed: ${http.stderr.trim() || `exit ${http.code}`}`,
    );

    const token = tokenPlacement(pod);
    // Token files, not mount points: /proc/mounts shows /var/run as /run where it is a link.
    if (token.mode === "none" || !token.file) {
        const files = [`${STANDARD_TOKEN_DIR}/token`, "/var/run/secrets/tokens/token"];
        const found = await attempt(["sh", "-c", `ls ${files.join(" ")} 2>/dev/null; true`]);
        add(
            "no token file (inside the pod)",
            "none",
            found.stdout.trim().replace(/\n/g, ", ") || "none",
        );
        return rows;
    }
    const read = await attempt(["cat", token.file]);
    add(
        `${token.mode} token file at ${token.file}`,
        "present",
        read.code === 0 ? "present" : read.stderr.trim() || "absent",
    );
    if (read.code !== 0) return rows;
    const jwt = read.stdout.trim();
    let claims: Record<string, unknown>;
    try {
        claims = jwtClaims(jwt);
    } catch {
        add("token is a JWT", "yes", "no");
        return rows;
    }
    const aud = ([] as unknown[]).concat(claims.aud ?? []).map(String);
    const audience = token.audience ? [token.audience] : [...apiAudiences];
    add("token audience (JWT aud)", audience.join(", "), aud.join(", "));
    if (token.expirationSeconds !== undefined) {
        const lifetime = Number(claims.exp) - Number(claims.iat);
        add("token lifetime (JWT exp - iat)", `${token.expirationSeconds} s`, `${lifetime} s`);
    }
    const forApi = aud.some((a) => apiAudiences.includes(a));
    const account = `system:serviceaccount:${namespace}:${pod.spec?.serviceAccountName ?? ""}`;
    add(
        "the pod's own token authenticates as",
        forApi ? account : "401 Unauthorized (not for the API server)",
        await use.whoAmI(jwt),
    );
    if (forApi) {
        add(
            `the pod's own token lists secrets in ${namespace}`,
            expectSecrets,
            await use.listSecrets(jwt),
        );
    }
    return rows;
}
