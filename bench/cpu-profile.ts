/**
 * `--cpu-profile`: a V8 CPU profile of the bench process during the API's saturation runs
 * (node:inspector, in-process), saved for Chrome DevTools / speedscope and summarised as self
 * time per package (node_modules/<pkg>, or the project folder) and the hottest functions.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export class CpuProfiler {
  private session: Session | null = null;

  async start(): Promise<void> {
    this.session = new Session();
    this.session.connect();
    await this.post('Profiler.enable');
    await this.post('Profiler.setSamplingInterval', { interval: 200 });
    await this.post('Profiler.start');
  }

  /** Stops, writes the profile to `file`, and returns a printable summary. */
  async stop(file: string, requests: number): Promise<string> {
    const { profile } = (await this.post('Profiler.stop')) as { profile: CpuProfile };
    this.session?.disconnect();
    this.session = null;
    writeFileSync(file, JSON.stringify(profile));
    return summariseProfile(profile, requests, file);
  }

  private post(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.session!.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))),
    );
  }
}

function bucketOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const rel = path.relative(process.cwd(), url.replace(/^file:\/\//, ''));
  return rel.startsWith('..') ? url : `project ${rel.split(path.sep)[0]}/`;
}

function summariseProfile(profile: CpuProfile, requests: number, file: string): string {
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const selfMs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) selfMs.set(samples[i], (selfMs.get(samples[i]) ?? 0) + (deltas[i] ?? 0) / 1000);
  // The profiler's own work (node:inspector and what it calls) is not the API's.
  const profilerOwn = new Set<number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const mark = (id: number) => {
    profilerOwn.add(id);
    for (const child of byId.get(id)?.children ?? []) mark(child);
  };
  for (const node of profile.nodes) if (node.callFrame.url === 'node:inspector' && !profilerOwn.has(node.id)) mark(node.id);
  const byBucket = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const t = selfMs.get(node.id) ?? 0;
    if (!t || profilerOwn.has(node.id)) continue;
    const { url, functionName, lineNumber } = node.callFrame;
    const bucket = bucketOf(url, functionName);
    byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + t);
    const fn = `${functionName || '(anonymous)'} ${url ? `${bucket}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + t);
  }
  const busy = [...byBucket].filter(([b]) => b !== '(idle)' && b !== '(program)').reduce((s, [, t]) => s + t, 0);
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, n);
  const lines = [
    `CPU profile of the API process, last API saturation run, ${(totalMs / 1000).toFixed(1)} s (${file}): ${(busy / requests).toFixed(2)} ms of sampled main-thread time per request (wall time: includes time the process was descheduled, so it exceeds the CPU figure on a busy machine)`,
  ];
  lines.push('  self time by package (ms per request; "(native)" = C++/syscalls such as socket and log writes):');
  for (const [bucket, t] of top(byBucket, 14)) lines.push(`    ${(t / requests).toFixed(3).padStart(7)}  ${bucket}`);
  lines.push('  hottest functions (ms per request):');
  for (const [fn, t] of top(byFunction, 12)) lines.push(`    ${(t / requests).toFixed(3).padStart(7)}  ${fn}`);
  return lines.join('\n');
}
