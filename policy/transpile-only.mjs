// Preloaded by pulumi-analyzer-policy. @pulumi/pulumi's run-policy-pack registers ts-node with
// `typeCheck: true`, which type-checks the whole pack at every `up` and `preview` (measured: about
// 1 s of `npm run preview`'s 5 s). The pack is type-checked by `npm run check` (tsc includes
// policy/), so at run time it is only transpiled, like the program (tsconfig.json's ts-node).
import { createRequire } from "node:module";

const tsNode = createRequire(import.meta.url)("ts-node");
const register = tsNode.register;
tsNode.register = (options) => register({ ...options, typeCheck: false, transpileOnly: true });
