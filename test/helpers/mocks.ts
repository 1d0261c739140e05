/**
 * The one Pulumi mock module, loaded as a mocha root hook: `setMocks` once, every registration
 * recorded (cleared before each test), `call` throws so an unexpected invoke fails loudly.
 */
import * as pulumi from "@pulumi/pulumi";

import { DESTROYING_ENV, PACK_DEFAULTS_ENV } from "../../components/defaults";
import { DELETE_FOREIGN_ENV } from "../../components/ownership";
import { isObject } from "../../components/problems";
import { CLUSTER_ENV } from "../../scripts/lib/cluster";
import {
    acceptHooksUnderMocks,
    MockMonitor,
    readNoKubeconfig,
} from "../../scripts/lib/mock-monitor";

/**
 * A resource registration as the engine would have received it. Its inputs are plain data; the
 * typed accessors of outputs.ts give them the type of the registered kind (kinds.ts).
 */
export interface Registration<Inputs = Record<string, unknown>> {
    readonly type: string;
    readonly name: string;
    readonly inputs: Inputs;
    readonly provider?: string;
    /** Tick of a clock shared by all events when the engine was asked. */
    readonly requestedAt: number;
    /** Tick of the same clock when the engine answered. */
    completedAt?: number;
}

/** Every registration of the current test, in the order they were requested. */
export const registrations: Registration[] = [];

/** Delays the engine's answer to registrations of these types, in milliseconds. */
export const delays = new Map<string, number>();

/**
 * Types whose objects the mocked API server answers under another name than the one asked for
 * (`<name>-as-answered`): a reference that reads the answer differs then from one that repeats
 * the program's input, which a data-flow assertion must tell apart.
 */
export const renamed = new Set<string>();

/** The resource hooks bound to each resource, by resource name (the engine's hook names). */
export const hookBindings = new Map<
    string,
    { beforeCreate: string[]; beforeUpdate: string[]; beforeDelete: string[] }
>();

/** Whether each resource, by name, was registered with `deleteBeforeReplace`. */
export const deleteBeforeReplace = new Map<string, boolean>();

/** The `replaceOnChanges` each resource, by name, was registered with. */
export const replaceOnChanges = new Map<string, string[]>();

let clock = 0;

/**
 * The SDK's mock monitor (3.270) cannot register resource hooks: answer as the engine does
 * (acceptHooksUnderMocks), and record which hooks each registration binds and whether it asks
 * for deleteBeforeReplace. Both methods are the engine's RPC interface.
 */
function acceptResourceHooks(): void {
    const monitor = acceptHooksUnderMocks() as MockMonitor & {
        registerResource: (req: RegisterRequest, ...rest: unknown[]) => unknown;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, ...rest) => {
        deleteBeforeReplace.set(req.getName(), req.getDeletebeforereplace());
        replaceOnChanges.set(req.getName(), req.getReplaceonchangesList());
        const hooks = req.getHooks();
        if (hooks) {
            hookBindings.set(req.getName(), {
                beforeCreate: hooks.getBeforeCreateList(),
                beforeUpdate: hooks.getBeforeUpdateList(),
                beforeDelete: hooks.getBeforeDeleteList(),
            });
        }
        return register(req, ...rest);
    };
}

interface RegisterRequest {
    getName(): string;
    getDeletebeforereplace(): boolean;
    getReplaceonchangesList(): string[];
    getHooks():
        | {
              getBeforeCreateList(): string[];
              getBeforeUpdateList(): string[];
              getBeforeDeleteList(): string[];
          }
        | undefined;
}

const SA_TOKEN_TYPE = "kubernetes.io/service-account-token";
/** The token the mocked token controller writes into the legacy token Secret `name`. */
export const legacyTokenOf = (name: string): string => `token-of-${name}`;

export const mocks: pulumi.runtime.Mocks = {
    async newResource(args) {
        // The SDK types the inputs `any`: they are the registration's plain data.
        const inputs = args.inputs as Record<string, unknown>;
        const record: Registration = {
            type: args.type,
            name: args.name,
            inputs,
            provider: args.provider,
            requestedAt: clock++,
        };
        registrations.push(record);
        const delay = delays.get(args.type);
        if (delay !== undefined) await new Promise((resolve) => setTimeout(resolve, delay));
        record.completedAt = clock++;
        // A synthesized metadata.name (as the API server would echo back) keeps references between
        // resources defined, so data-flow assertions compare real values.
        const given = inputs.metadata;
        const state = isObject(given)
            ? { ...inputs, metadata: { name: `${args.name}-generated`, ...given } }
            : inputs;
        if (renamed.has(args.type) && isObject(state.metadata))
            state.metadata = {
                ...state.metadata,
                name: `${String(state.metadata.name)}-as-answered`,
            };
        // The token controller fills a service-account-token Secret's data.token, in base64.
        if (inputs.type === SA_TOKEN_TYPE)
            state.data = { token: Buffer.from(legacyTokenOf(args.name)).toString("base64") };
        return { id: args.custom ? `${args.name}-id` : undefined, state };
    },
    call(args) {
        throw new Error(`unexpected invoke of ${args.token}: the program must not call functions`);
    },
};

export const mochaHooks = {
    async beforeAll(): Promise<void> {
        readNoKubeconfig();
        await pulumi.runtime.setMocks(mocks, "sa-workload", "unit", false);
        acceptResourceHooks();
    },
    beforeEach(): void {
        // Again before each test: one that sets KUBECONFIG and restores what it read before the
        // root hook ran would leave the developer's kube context to the tests after it.
        readNoKubeconfig();
        // The project's own switches, which a developer's shell may hold (PowerShell keeps an
        // $env: for the session): each test sets the ones it is about.
        for (const name of [CLUSTER_ENV, PACK_DEFAULTS_ENV, DESTROYING_ENV, DELETE_FOREIGN_ENV])
            delete process.env[name];
        registrations.length = 0;
        hookBindings.clear();
        deleteBeforeReplace.clear();
        replaceOnChanges.clear();
        clock = 0;
        delays.clear();
        renamed.clear();
        pulumi.runtime.setAllConfig({});
    },
};
