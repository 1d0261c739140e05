import * as assert from "node:assert/strict";

import { Pod } from "../helpers/kinds";
import { assertViolation, check, pod, TYPES } from "./fixtures";

const container = (p: Pod) => p.spec.containers[0];

describe("pod-has-resources", () => {
    const name = "pod-has-resources";

    it("passes the component's pod", () => {
        assert.deepEqual(check(name, TYPES.pod, pod()), []);
    });

    it("flags a container without a memory limit", () => {
        const p = pod();
        delete container(p).resources.limits.memory;
        assertViolation(check(name, TYPES.pod, p), "sets no memory limits");
    });

    it("flags a container without requests", () => {
        const p = pod();
        delete container(p).resources.requests;
        assertViolation(check(name, TYPES.pod, p), "sets no cpu or memory requests");
    });
});

describe("pod-image-pinned", () => {
    const name = "pod-image-pinned";
    const withImage = (image: string) => {
        const p = pod();
        container(p).image = image;
        return p;
    };

    it("passes the component's pod", () => {
        assert.deepEqual(check(name, TYPES.pod, pod()), []);
    });

    it("flags the latest tag", () => {
        assertViolation(check(name, TYPES.pod, withImage("nginx:latest")), `"nginx:latest"`);
    });

    it("flags tags that name a channel, not a version", () => {
        for (const image of [
            "nginx:stable",
            "nginx:mainline-alpine",
            "registry.local:5000/nginx:edge",
        ])
            assertViolation(check(name, TYPES.pod, withImage(image)), `"${image}"`);
    });

    it("passes version tags", () => {
        for (const image of [
            "nginx:1.27.4-alpine",
            "nginx:v2",
            "registry.local:5000/nginx:20240101",
        ])
            assert.deepEqual(check(name, TYPES.pod, withImage(image)), [], image);
    });

    it("flags an image without a tag", () => {
        assertViolation(check(name, TYPES.pod, withImage("nginx")), "has no tag");
    });

    it("flags an image whose only colon is a registry port", () => {
        const messages = check(name, TYPES.pod, withImage("registry.local:5000/nginx"));
        assertViolation(messages, "has no tag");
    });

    it("passes an image pinned by digest", () => {
        const image = `nginx@sha256:${"0123456789abcdef".repeat(4)}`;
        assert.deepEqual(check(name, TYPES.pod, withImage(image)), []);
    });
});
