/** Checks of the token option given as untrusted JSON. */
import { DEFAULTS, MIN_TOKEN_EXPIRATION_SECONDS } from "./defaults";
import { isInteger, isObject, Problems } from "./problems";
import { TOKEN_MODES } from "./token";

export function checkToken(p: Problems, key: string, token: unknown): void {
    if (token === undefined) return;
    const modes = TOKEN_MODES.join(", ");
    if (!p.check(isObject(token), key, token, "not a token object", `use { mode: "automount" }`))
        return;
    const t = token as Record<string, unknown>;
    if (
        !p.check(
            (TOKEN_MODES as readonly unknown[]).includes(t.mode),
            `${key}.mode`,
            t.mode,
            "not a token mode",
            `use one of ${modes}`,
        )
    )
        return;
    const allowed =
        t.mode === "projected" ? ["mode", "audience", "expirationSeconds", "path"] : ["mode"];
    for (const extra of Object.keys(t).filter((k) => !allowed.includes(k))) {
        p.check(
            false,
            `${key}.${extra}`,
            t[extra],
            `not an option of token mode "${String(t.mode)}"`,
            t.mode === "projected"
                ? "remove it"
                : `remove it, or use mode "projected" for a custom token`,
        );
    }
    if (t.audience !== undefined) {
        p.check(
            typeof t.audience === "string" && t.audience.trim() !== "",
            `${key}.audience`,
            t.audience,
            "must be a non-empty string",
            "name the token's audience, or leave it out",
        );
    }
    if (t.expirationSeconds !== undefined) {
        p.check(
            isInteger(t.expirationSeconds) && t.expirationSeconds >= MIN_TOKEN_EXPIRATION_SECONDS,
            `${key}.expirationSeconds`,
            t.expirationSeconds,
            `below the API server's minimum of ${MIN_TOKEN_EXPIRATION_SECONDS} seconds (or not a whole number)`,
            `use ${MIN_TOKEN_EXPIRATION_SECONDS} or more, e.g. ${DEFAULTS.projectedTokenExpirationSeconds}`,
        );
    }
    if (t.path !== undefined) {
        p.check(
            typeof t.path === "string" &&
                /^\/[^:]*$/.test(t.path) &&
                !t.path.split("/").includes(".."),
            `${key}.path`,
            t.path,
            "not an absolute path without ':' or '..'",
            `use a path like "${DEFAULTS.projectedTokenPath}"`,
        );
    }
}
