/**
 * Where the server's CPU went: self time by function and by package from a `node --cpu-prof`
 * profile, restricted to a time window (V8's profile clock and process.hrtime are both
 * CLOCK_MONOTONIC on Linux, so the bench can name the window of one scenario).
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Milliseconds of samples in the window (idle excluded). */
  busyMs: number;
  idleMs: number;
  windowed: boolean;
  functions: { name: string; ms: number; percent: number }[];
  packages: { name: string; ms: number; percent: number }[];
}

/** windowUs: [from, to] in microseconds of the monotonic clock (process.hrtime.bigint() / 1000). */
export function summarizeProfile(file: string, windowUs?: [number, number], top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inWindow = (t: number) => !windowUs || (t >= windowUs[0] && t <= windowUs[1]);
  let windowed = false;
  if (windowUs) {
    let t = profile.startTime;
    windowed = profile.timeDeltas.some((d) => inWindow((t += d)));
  }
  const self = new Map<number, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (windowed && !inWindow(t)) continue;
    // A sample's time is the gap to the next one.
    const us = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + us);
  }
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)") {
      idle += us;
      continue;
    }
    const name = `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    const pkg = packageOf(frame.url, frame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const busy = [...functions.values()].reduce((a, b) => a + b, 0);
  const ranked = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, percent: (100 * us) / busy }));
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    windowed,
    functions: ranked(functions),
    packages: ranked(packages),
  };
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) return url.slice(nm + "node_modules/".length);
  const src = url.indexOf("/src/");
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, "");
}

/** node_modules/<package> (scoped too), the app's src/<folder>, node internals, or V8's own entries. */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const parts = url.slice(nm + "node_modules/".length).split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const src = url.indexOf("/src/");
  if (src >= 0)
    return url
      .slice(src + 1)
      .split("/")
      .slice(0, 2)
      .join("/");
  if (url.startsWith("node:")) return url.split("/")[0];
  return url;
}
