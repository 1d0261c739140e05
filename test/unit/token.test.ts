import * as assert from "node:assert/strict";

import { isSecret, only, promiseOf, TYPES } from "../helpers/outputs";
import { legacyTokenOf } from "../helpers/mocks";
import { newWorkload } from "../helpers/workload";

describe("token option", () => {
    it("mounts no token into pods that do not ask for one", async () => {
        await newWorkload({ token: { mode: "none" } });
        const spec = only(TYPES.pod).inputs.spec;
        assert.equal(spec.automountServiceAccountToken, false);
        assert.equal(spec.volumes.filter((v) => v.projected).length, 0);
    });

    it("lets the kubelet mount the standard API token in automount mode", async () => {
        await newWorkload({ token: { mode: "automount" } });
        const spec = only(TYPES.pod).inputs.spec;
        assert.equal(spec.automountServiceAccountToken, true);
        assert.equal(spec.volumes.filter((v) => v.projected).length, 0);
    });

    it("projects a token with its audience, lifetime and path in projected mode", async () => {
        await newWorkload({
            token: { mode: "projected", audience: "vault", expirationSeconds: 900, path: "/auth" },
        });
        const spec = only(TYPES.pod).inputs.spec;
        assert.equal(spec.automountServiceAccountToken, false);
        const volume = spec.volumes.find((v) => v.projected)!;
        assert.deepEqual(volume.projected!.sources, [
            { serviceAccountToken: { path: "token", expirationSeconds: 900, audience: "vault" } },
        ]);
        assert.deepEqual(
            spec.containers[0].volumeMounts.find((m) => m.name === volume.name),
            { name: volume.name, mountPath: "/auth", readOnly: true },
        );
    });

    it("projects a one-hour API token under /var/run/secrets/tokens by default", async () => {
        await newWorkload({ token: { mode: "projected" } });
        const spec = only(TYPES.pod).inputs.spec;
        const volume = spec.volumes.find((v) => v.projected)!;
        assert.deepEqual(volume.projected!.sources, [
            { serviceAccountToken: { path: "token", expirationSeconds: 3600 } },
        ]);
        const mount = spec.containers[0].volumeMounts.find((m) => m.name === volume.name)!;
        assert.equal(mount.mountPath, "/var/run/secrets/tokens");
    });
});

describe("legacy token secret", () => {
    it("creates a service-account-token secret for the service account when asked", async () => {
        await newWorkload({ legacyTokenSecret: true, serviceAccountName: "old-school" });
        const secret = only(TYPES.secret).inputs;
        assert.equal(secret.type, "kubernetes.io/service-account-token");
        assert.equal(secret.metadata.name, "old-school-token");
        assert.equal(
            secret.metadata.annotations["kubernetes.io/service-account.name"],
            "old-school",
        );
    });

    it("exposes the token only as a Pulumi secret", async () => {
        const workload = await newWorkload({ legacyTokenSecret: true });
        assert.ok(workload.legacyToken);
        assert.equal(await isSecret(workload.legacyToken), true);
    });

    it("decodes the token the token controller writes", async () => {
        const workload = await newWorkload({ legacyTokenSecret: true });
        assert.equal(
            await promiseOf(workload.legacyToken!),
            legacyTokenOf(only(TYPES.secret).name),
        );
    });
});
