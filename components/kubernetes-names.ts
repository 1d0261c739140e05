/** What Kubernetes accepts as names, label values and image references, as it validates them. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_SUBDOMAIN =
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// The image reference grammar: [host[:port]/]path[:tag][@sha256:digest].
export const IMAGE =
    /^(?:(?<host>[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)\/)?(?<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;
/**
 * A tag that names a version (it holds a digit: 1.27.4-alpine, v2, 20240101), not a channel that
 * moves with every release (latest, stable, mainline, alpine).
 */
export const isVersionTag = (tag: string): boolean => /[0-9]/.test(tag);
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
export const isLabelValue = (v: string): boolean => v.length <= 63 && LABEL_VALUE.test(v);
/** A label or taint key: [prefix/]name, as Kubernetes validates it. */
export function isQualifiedName(v: string): boolean {
    const [prefix, name, ...rest] = v.includes("/") ? v.split("/") : [undefined, v];
    const prefixOk =
        prefix === undefined || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix));
    return rest.length === 0 && !!name && isLabelValue(name) && prefixOk;
}
