/**
 * The pack's policies as data: each pure rule with its name, description, enforcement level and
 * config. index.ts adapts them to @pulumi/policy; tests read them from here, because constructing
 * the PolicyPack starts its gRPC server.
 *
 * Enforcement levels: `mandatory` (blocks preview and update) for anything that widens what a
 * stolen token or an escaped process can reach, or that the API server would refuse anyway;
 * `advisory` (reported, never blocking) only where a legitimate workload of this project breaks
 * the rule and a mandatory rule elsewhere draws the line. The component's own output, in every
 * profile and token mode, passes every mandatory policy (test/policy/component.test.ts).
 */
import { podHasResources, podImagePinned } from "./rules/containers";
import {
    podHasOwnServiceAccount,
    podProjectsTokenOnlyWithoutAutomount,
    podSetsTokenAutomount,
    serviceAccountNoAutomount,
} from "./rules/identity";
import {
    namespaceAdmitsItsPods,
    namespaceEnforcesPodSecurity,
    namespaceNotWeakerThanItsPods,
} from "./rules/namespace";
import {
    podBaselineControls,
    podDropsAllCapabilities,
    podNoHostNamespaces,
    podNoHostPath,
    podNoPrivilegeEscalation,
    podNotPrivileged,
    podRunsAsNonRoot,
    podSeccompRuntimeDefault,
} from "./rules/pod-security";
import {
    rbacBindingSubjectsInOwnNamespace,
    rbacNoBuiltinAdminRoles,
    rbacNoClusterBindingOfServiceAccounts,
    rbacNoSensitiveAccess,
    rbacNoWildcards,
} from "./rules/rbac";
import { Props, StackResource } from "./rules/values";

interface Common {
    /** Unique kebab-case name, as `pulumi preview` reports it and pack config refers to it. */
    readonly name: string;
    /** One sentence: what the policy requires. */
    readonly description: string;
    /** Whether a violation blocks the update; the pack config may lower it, per policy. */
    readonly enforcementLevel: "mandatory" | "advisory";
}

/** A policy that judges one resource at a time, from its inputs. */
export interface ResourcePolicySpec extends Common {
    readonly kind: "resource";
    readonly check: (type: string, props: Props) => string[];
}

/** A policy that judges the stack as a whole, from every resource's outputs. */
export interface StackPolicySpec extends Common {
    readonly kind: "stack";
    readonly check: (resources: readonly StackResource[]) => string[];
}

/** One policy of the pack. */
export type PolicySpec = ResourcePolicySpec | StackPolicySpec;

const resource = (spec: Omit<ResourcePolicySpec, "kind">): ResourcePolicySpec => ({
    kind: "resource",
    ...spec,
});
const stack = (spec: Omit<StackPolicySpec, "kind">): StackPolicySpec => ({
    kind: "stack",
    ...spec,
});
const mandatory = "mandatory";

/** Every policy of the pack. */
export const POLICIES: readonly PolicySpec[] = [
    // RBAC: each of these widens what a stolen token of the workload can do, so all block. A
    // deliberate exception lowers one policy's level in the pack config, where it is visible.
    resource({
        name: "rbac-no-wildcards",
        description: `Roles and ClusterRoles list their verbs, resources and API groups: no "*".`,
        enforcementLevel: mandatory,
        check: rbacNoWildcards,
    }),
    resource({
        name: "rbac-no-cluster-binding-of-service-accounts",
        description: "No ClusterRoleBinding grants a ServiceAccount rights in every namespace.",
        enforcementLevel: mandatory,
        check: rbacNoClusterBindingOfServiceAccounts,
    }),
    resource({
        name: "rbac-no-builtin-admin-roles",
        description: "No binding grants the built-in ClusterRoles cluster-admin, admin or edit.",
        enforcementLevel: mandatory,
        check: rbacNoBuiltinAdminRoles,
    }),
    resource({
        name: "rbac-no-sensitive-access",
        description:
            "Roles grant no access to Secrets, no bind, escalate or impersonate, no token creation, no exec or ephemeral containers in pods, and no creation of pods or their controllers.",
        enforcementLevel: mandatory,
        check: rbacNoSensitiveAccess,
    }),
    resource({
        name: "rbac-binding-subjects-in-own-namespace",
        description:
            "A RoleBinding grants its rights only to ServiceAccounts of its own namespace.",
        enforcementLevel: mandatory,
        check: rbacBindingSubjectsInOwnNamespace,
    }),

    // Identity: a token mounted by default, or a shared identity, is a credential nobody asked
    // for; the component never produces either, so these block.
    resource({
        name: "service-account-no-automount",
        description: "ServiceAccounts set automountServiceAccountToken: false; pods opt in.",
        enforcementLevel: mandatory,
        check: serviceAccountNoAutomount,
    }),
    resource({
        name: "pod-has-own-service-account",
        description: `Pods name a ServiceAccount of their own, never "default".`,
        enforcementLevel: mandatory,
        check: podHasOwnServiceAccount,
    }),
    resource({
        name: "pod-sets-token-automount",
        description: "Pods set automountServiceAccountToken themselves, true or false.",
        enforcementLevel: mandatory,
        check: podSetsTokenAutomount,
    }),
    resource({
        name: "pod-projects-token-only-without-automount",
        description: "A pod with a projected serviceAccountToken volume does not also automount.",
        enforcementLevel: mandatory,
        check: podProjectsTokenOnlyWithoutAutomount,
    }),

    // Pod security. Advisory only for runAsNonRoot: the baseline profile runs stock nginx as
    // root by design; namespace-admits-its-pods makes it binding wherever root is not allowed.
    // It stays reported, as the component audits and warns at restricted for baseline too.
    resource({
        name: "pod-runs-as-non-root",
        description:
            "Containers run as non-root (required unless the namespace enforces baseline).",
        enforcementLevel: "advisory",
        check: podRunsAsNonRoot,
    }),
    // Each of the rest is a way out of the container or a way to starve the node; both profiles
    // of the component meet all of them.
    resource({
        name: "pod-no-privilege-escalation",
        description: "Containers set allowPrivilegeEscalation: false.",
        enforcementLevel: mandatory,
        check: podNoPrivilegeEscalation,
    }),
    resource({
        name: "pod-drops-all-capabilities",
        description: `Containers drop "ALL" capabilities.`,
        enforcementLevel: mandatory,
        check: podDropsAllCapabilities,
    }),
    resource({
        name: "pod-seccomp-runtime-default",
        description: "Containers run under the RuntimeDefault (or a Localhost) seccomp profile.",
        enforcementLevel: mandatory,
        check: podSeccompRuntimeDefault,
    }),
    resource({
        name: "pod-not-privileged",
        description: "No container is privileged.",
        enforcementLevel: mandatory,
        check: podNotPrivileged,
    }),
    resource({
        name: "pod-no-host-path",
        description: "Pods mount no hostPath volume.",
        enforcementLevel: mandatory,
        check: podNoHostPath,
    }),
    resource({
        name: "pod-no-host-namespaces",
        description:
            "Pods share none of the node's namespaces: no hostNetwork, hostPID or hostIPC.",
        enforcementLevel: mandatory,
        check: podNoHostNamespaces,
    }),
    resource({
        name: "pod-baseline-controls",
        description:
            "Pods meet the rest of Pod Security baseline: no unconfined AppArmor, own SELinux user, role or type, unmasked /proc, unsafe sysctl, probe to another host or Windows HostProcess.",
        enforcementLevel: mandatory,
        check: podBaselineControls,
    }),
    resource({
        name: "pod-has-resources",
        description: "Containers request and limit both cpu and memory.",
        enforcementLevel: mandatory,
        check: podHasResources,
    }),
    // An unpinned image is unreviewed code; the component refuses one in its own validation.
    resource({
        name: "pod-image-pinned",
        description:
            "Containers run images pinned by a version tag (one with a digit), or by a digest.",
        enforcementLevel: mandatory,
        check: podImagePinned,
    }),

    // Namespaces: without the label nothing is enforced; with a level stricter than a pod's, the
    // update fails partway; with a weaker one, the namespace admits what nobody reviewed.
    resource({
        name: "namespace-enforces-pod-security",
        description: "Namespaces carry pod-security.kubernetes.io/enforce: restricted or baseline.",
        enforcementLevel: mandatory,
        check: namespaceEnforcesPodSecurity,
    }),
    stack({
        name: "namespace-admits-its-pods",
        description:
            "Pods meet their namespace's Pod Security level, and restricted outside this stack's.",
        enforcementLevel: mandatory,
        check: namespaceAdmitsItsPods,
    }),
    stack({
        name: "namespace-not-weaker-than-its-pods",
        description: "A namespace enforces the strictest level all of its pods meet.",
        enforcementLevel: mandatory,
        check: namespaceNotWeakerThanItsPods,
    }),
];
