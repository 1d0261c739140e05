/**
 * Where a command's time goes: with SA_WORKLOAD_TIMING=1, each phase prints one stderr line,
 * `timing: <phase> <ms>`, milliseconds since the command's first process started (scripts/run.mjs
 * passes its start down in SA_WORKLOAD_T0). `npm run bench` reads them for its breakdown; without
 * the variable nothing is printed.
 */
const start = Number(process.env.SA_WORKLOAD_T0) || performance.timeOrigin;

/** Marks the end of a phase. */
export function phase(name: string): void {
    if (process.env.SA_WORKLOAD_TIMING !== "1") return;
    process.stderr.write(`timing: ${name} ${Math.round(Date.now() - start)}\n`);
}

/** The phases a command printed, in order, each with its own duration in milliseconds. */
export function phaseDurations(output: string): [string, number][] {
    const marks = [...output.matchAll(/^timing: (.+) (\d+)$/gm)].map((m): [string, number] => [
        m[1],
        Number(m[2]),
    ]);
    return marks.map(([name, at], i) => [name, at - (i ? marks[i - 1][1] : 0)]);
}
