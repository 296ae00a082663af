// EC2's wire rules as the fake enforces them, seen from plain HTTP (the provider's tests drive it
// through the real SDK), and its IMDSv2.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, test } from 'node:test';
import { FakeEc2 } from '../src/index';

const fake = await FakeEc2.start({
  workerMetadata: {
    keyName: 'peerpods-fake',
    subnetId: 'subnet-0fa4ce0b6a7e1c0aa',
    securityGroupIds: ['sg-1', 'sg-2'],
  },
});
after(() => fake.stop());

const SIGNED = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=AKIAWIRETEST00000001/20261206/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00',
};

async function call(
  body: string,
  headers: Record<string, string> = SIGNED,
): Promise<{ status: number; text: string }> {
  const response = await fetch(fake.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return { status: response.status, text: await response.text() };
}

test('an unsigned request is AuthFailure (401); an unknown action is InvalidAction; both in EC2’s error document', async () => {
  const unsigned = await call('Action=DescribeInstances&Version=2016-11-15', {});
  assert.equal(unsigned.status, 401);
  assert.match(
    unsigned.text,
    /<Response><Errors><Error><Code>AuthFailure<\/Code><Message>.*<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>/,
  );
  const unknown = await call('Action=LaunchRocket&Version=2016-11-15');
  assert.equal(unknown.status, 400);
  assert.match(unknown.text, /<Code>InvalidAction<\/Code>/);
});

test('RunInstances answers in EC2’s XML; the same ClientToken with other parameters is IdempotentParameterMismatch', async () => {
  const run = (type: string) =>
    call(
      `Action=RunInstances&Version=2016-11-15&ImageId=ami-0fa4ce0b6a7e1c001&InstanceType=${type}&MinCount=1&MaxCount=1&ClientToken=wire-token-1`,
    );
  const first = await run('m6a.large');
  assert.equal(first.status, 200);
  assert.match(
    first.text,
    /^<\?xml version="1.0" encoding="UTF-8"\?>\n<RunInstancesResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/">/,
  );
  assert.match(first.text, /<instancesSet><item><instanceId>i-0[0-9a-f]{16}<\/instanceId>/);
  assert.match(first.text, /<instanceState><code>0<\/code><name>pending<\/name><\/instanceState>/);
  const again = await run('m6a.large');
  assert.equal(
    /<instanceId>(i-[0-9a-f]+)/.exec(again.text)?.[1],
    /<instanceId>(i-[0-9a-f]+)/.exec(first.text)?.[1],
    'the same instance',
  );
  const other = await run('m6a.xlarge');
  assert.match(other.text, /<Code>IdempotentParameterMismatch<\/Code>/);
  assert.equal(fake.live().length, 1);
  const id = /<instanceId>(i-[0-9a-f]+)/.exec(first.text)![1]!;
  await call(`Action=TerminateInstances&Version=2016-11-15&InstanceId.1=${id}`);
  await fake.settled();
  assert.deepEqual(fake.live(), []);
});

test('IMDSv2: a GET without a session token is 401; with one, the worker’s facts', async () => {
  const url = new URL(fake.workerMetadataUrl!);
  const imds = (method: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method, path, headers }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end();
    });
  assert.equal((await imds('GET', '/latest/meta-data/placement/region')).status, 401);
  const token = await imds('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '60' });
  assert.equal(token.status, 200);
  const get = (path: string) => imds('GET', path, { 'x-aws-ec2-metadata-token': token.text });
  assert.equal((await get('/latest/meta-data/placement/region')).text, 'us-east-1');
  assert.equal((await get('/latest/meta-data/public-keys/')).text, '0=peerpods-fake');
  const mac = (await get('/latest/meta-data/mac')).text;
  assert.equal(
    (await get(`/latest/meta-data/network/interfaces/macs/${mac}/security-group-ids`)).text,
    'sg-1\nsg-2',
  );
  assert.equal(
    (await imds('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '0' })).status,
    400,
  );
});
