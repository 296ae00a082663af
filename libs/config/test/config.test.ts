import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeGoFlags } from '@peerpods/cli';
import { Command } from 'commander';
import {
  addOptions,
  ConfigError,
  collectFlags,
  describeOptions,
  formatGoDuration,
  type OptionSpec,
  parseGoDuration,
  resolveOptions,
} from '../src/index';

const specs: OptionSpec[] = [
  {
    flag: 'socket',
    env: 'REMOTE_HYPERVISOR_ENDPOINT',
    type: 'string',
    default: '/run/peerpod/hypervisor.sock',
    description: 'socket',
  },
  { flag: 'proxy-timeout', env: 'PROXY_TIMEOUT', type: 'duration', default: 300_000, description: 'timeout' },
  {
    flag: 'peerpods-limit-per-node',
    env: 'PEERPODS_LIMIT_PER_NODE',
    type: 'int',
    default: 10,
    description: 'limit',
  },
  { flag: 'disable-tls', type: 'bool', default: false, description: 'plain TCP' },
  { flag: 'tls-skip-verify', env: 'TLS_SKIP_VERIFY', type: 'bool', default: false, description: 'skip' },
  { flag: 'tls-cipher-suites', env: 'TLS_CIPHER_SUITES', type: 'list', default: [], description: 'suites' },
  {
    flag: 'aws-secret-key',
    env: 'AWS_SECRET_ACCESS_KEY',
    type: 'string',
    default: '',
    secret: true,
    description: 'key',
  },
];

describe('resolveOptions', () => {
  test('default < env < flag', () => {
    const env = { REMOTE_HYPERVISOR_ENDPOINT: '/env.sock', PROXY_TIMEOUT: '2m' };
    const fromEnv = resolveOptions(specs, {}, env);
    assert.equal(fromEnv.values.socket, '/env.sock');
    assert.equal(fromEnv.values['proxy-timeout'], 120_000);
    assert.equal(fromEnv.sources.socket, 'env');
    assert.equal(fromEnv.values['peerpods-limit-per-node'], 10);
    assert.equal(fromEnv.sources['peerpods-limit-per-node'], 'default');
    const fromFlag = resolveOptions(specs, { socket: '/flag.sock' }, env);
    assert.equal(fromFlag.values.socket, '/flag.sock');
    assert.equal(fromFlag.sources.socket, 'flag');
  });

  test('an empty env var counts as unset; boolean env vars read 1/true as true', () => {
    const resolved = resolveOptions(specs, {}, { REMOTE_HYPERVISOR_ENDPOINT: '', TLS_SKIP_VERIFY: 'TRUE' });
    assert.equal(resolved.values.socket, '/run/peerpod/hypervisor.sock');
    assert.equal(resolved.values['tls-skip-verify'], true);
    assert.equal(resolveOptions(specs, {}, { TLS_SKIP_VERIFY: 'yes' }).values['tls-skip-verify'], false);
  });

  test('lists split on commas; a negative int is fine', () => {
    const resolved = resolveOptions(
      specs,
      { 'tls-cipher-suites': 'A, B,,C', 'peerpods-limit-per-node': '-1' },
      {},
    );
    assert.deepEqual(resolved.values['tls-cipher-suites'], ['A', 'B', 'C']);
    assert.equal(resolved.values['peerpods-limit-per-node'], -1);
  });

  test('invalid values fail with a message naming the flag, or the env var and the flag', () => {
    assert.throws(
      () => resolveOptions(specs, { 'peerpods-limit-per-node': 'ten' }, {}),
      (error: Error) => error instanceof ConfigError && /-peerpods-limit-per-node/.test(error.message),
    );
    assert.throws(
      () => resolveOptions(specs, {}, { PROXY_TIMEOUT: '5 minutes' }),
      (error: Error) =>
        /PROXY_TIMEOUT \(-proxy-timeout\)/.test(error.message) && /invalid duration/.test(error.message),
    );
    assert.throws(
      () => resolveOptions(specs, { 'proxy-timeout': '300' }, {}),
      /missing unit in duration "300"/,
    );
  });

  test('required options must end up non-empty', () => {
    const required: OptionSpec[] = [
      {
        flag: 'imageid',
        env: 'PODVM_AMI_ID',
        type: 'string',
        default: '',
        required: true,
        description: 'AMI',
      },
    ];
    assert.throws(() => resolveOptions(required, {}, {}), /-imageid is required \(or set PODVM_AMI_ID\)/);
    assert.equal(resolveOptions(required, {}, { PODVM_AMI_ID: 'ami-1' }).values.imageid, 'ami-1');
  });

  test('the configuration dump hides secrets and prints durations as Go does', () => {
    const resolved = resolveOptions(specs, { 'aws-secret-key': 's3cr3t' }, {});
    const lines = describeOptions(specs, resolved.values);
    assert.ok(lines.includes('aws-secret-key: **********'));
    assert.ok(lines.includes('proxy-timeout: 5m0s'));
    assert.ok(!lines.join('\n').includes('s3cr3t'));
  });
});

describe('commander wiring', () => {
  test('Go-style flags reach resolveOptions by flag name', () => {
    const command = addOptions(new Command('x').exitOverride(), specs);
    command.action(() => {});
    const argv = normalizeGoFlags(
      ['-socket', '/s', '-proxy-timeout=1m', '-disable-tls', '-peerpods-limit-per-node', '-1'],
      command,
    );
    command.parse(argv, { from: 'user' });
    const resolved = resolveOptions(specs, collectFlags(command, specs), {});
    assert.equal(resolved.values.socket, '/s');
    assert.equal(resolved.values['proxy-timeout'], 60_000);
    assert.equal(resolved.values['disable-tls'], true);
    assert.equal(resolved.values['peerpods-limit-per-node'], -1);
  });
});

describe('Go durations', () => {
  test('parse', () => {
    const cases: Array<[string, number]> = [
      ['5m', 300_000],
      ['1h30m', 5_400_000],
      ['300ms', 300],
      ['1.5s', 1500],
      ['-2h', -7_200_000],
      ['0', 0],
      ['2h45m10.5s', 9_910_500],
      ['1500us', 1.5],
    ];
    for (const [text, ms] of cases) assert.equal(parseGoDuration(text), ms, text);
    for (const bad of ['', '5', 'm', '5x', '1h-5m', ' 5m'])
      assert.throws(() => parseGoDuration(bad), /time: /, bad);
  });

  test('format like Go', () => {
    assert.equal(formatGoDuration(300_000), '5m0s');
    assert.equal(formatGoDuration(5_400_000), '1h30m0s');
    assert.equal(formatGoDuration(1500), '1.5s');
    assert.equal(formatGoDuration(300), '300ms');
    assert.equal(formatGoDuration(0), '0s');
  });
});
