/** Builds a ServiceAccountWorkload and waits until every child is registered. */
import * as pulumi from "@pulumi/pulumi";

import { ServiceAccountWorkload, ServiceAccountWorkloadArgs } from "../../components";
import { settled } from "./outputs";

export async function newWorkload(
    args: ServiceAccountWorkloadArgs = {},
    name = "test",
    opts?: pulumi.ComponentResourceOptions,
): Promise<ServiceAccountWorkload> {
    const workload = new ServiceAccountWorkload(name, args, opts);
    const children = [
        workload.namespace,
        workload.serviceAccount,
        workload.role,
        workload.roleBinding,
        workload.pod,
    ];
    await settled(workload, ...children, ...(workload.tokenSecret ? [workload.tokenSecret] : []));
    return workload;
}
