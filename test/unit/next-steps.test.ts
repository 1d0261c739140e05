import * as assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";

import { kubectlFor, shellKubectlProgram, workloadCommands } from "../../scripts/lib/next-steps";
import { tempDir } from "../helpers/temp-dirs";

describe("what npm run up prints next", () => {
    const dev = { namespace: "my-ns", serviceAccount: "my-sa", pod: "my-pod", port: 8080 };

    it("prints the walk-through's kubectl commands, ready to paste", () => {
        assert.deepEqual(workloadCommands(dev), {
            getPod: "kubectl -n my-ns get pod my-pod",
            describePod: "kubectl -n my-ns describe pod my-pod",
            canI: "kubectl auth can-i list pods -n my-ns --as=system:serviceaccount:my-ns:my-sa",
            createToken: "kubectl -n my-ns create token my-sa",
            portForward: "kubectl -n my-ns port-forward pod/my-pod 8080",
        });
    });

    it("names the kube context in the commands when one is configured", () => {
        assert.equal(
            workloadCommands(dev, kubectlFor("minikube")).describePod,
            "kubectl --context minikube -n my-ns describe pod my-pod",
        );
    });

    it("runs the kubectl built with the bundled cluster where the user's shell has none", () => {
        const built = "/home/u/.cache/sa-workload/toolchain/kubernetes-1.36.3-abc/kubectl";
        const empty = tempDir("sa-shell-");
        assert.equal(
            shellKubectlProgram(empty, () => built),
            built,
        );
        assert.equal(
            shellKubectlProgram(empty, () => undefined),
            "kubectl",
        );
        const own = tempDir("sa-shell-");
        writeFileSync(join(own, process.platform === "win32" ? "kubectl.exe" : "kubectl"), "");
        assert.equal(
            shellKubectlProgram(`${empty}${delimiter}${own}`, () => built),
            "kubectl",
        );
        assert.equal(kubectlFor(undefined, "/k", "/a b/kubectl"), "'/a b/kubectl' --kubeconfig /k");
    });

    it("names the kubeconfig the command chose where the user's shell lacks it, quoted where needed", () => {
        assert.equal(
            kubectlFor(undefined, "/home/u/.cache/sa-workload/cluster/kubeconfig"),
            "kubectl --kubeconfig /home/u/.cache/sa-workload/cluster/kubeconfig",
        );
        assert.equal(
            kubectlFor("my ctx", "C:\\Users\\A B\\kubeconfig"),
            "kubectl --kubeconfig 'C:\\Users\\A B\\kubeconfig' --context 'my ctx'",
        );
    });
});
