// What needs no root: the command runner, error messages, namespace addressing and rule parsing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  type CommandRunner,
  execInNetns,
  failedLineNumber,
  formatCommandLine,
  ipBatch,
  iproute2InNetns,
  NetopsCommandError,
  netnsMoveRef,
  netnsTarget,
  parseTableListing,
  runCommand,
  splitRuleLine,
} from '../src/index';

describe('runCommand', () => {
  test('passes stdin and returns stdout and stderr', async () => {
    const result = await runCommand('sh', ['-c', 'cat; echo oops >&2'], { input: 'line 1\nline 2\n' });
    assert.deepEqual(result, { stdout: 'line 1\nline 2\n', stderr: 'oops\n' });
  });

  test('a failure carries the command line, exit status and stderr', async () => {
    await assert.rejects(runCommand('sh', ['-c', 'echo "Error: no way" >&2; exit 3']), (error: unknown) => {
      assert.ok(error instanceof NetopsCommandError);
      assert.equal(error.commandLine, `sh -c 'echo "Error: no way" >&2; exit 3'`);
      assert.equal(error.exitCode, 3);
      assert.equal(error.stderr, 'Error: no way\n');
      assert.equal(error.message, `sh -c 'echo "Error: no way" >&2; exit 3': exit 3: Error: no way`);
      return true;
    });
  });

  test('a missing tool says which package brings it', async () => {
    await assert.rejects(runCommand('/nonexistent/ip', ['link']), {
      name: 'NetopsCommandError',
      message: '/nonexistent/ip link: ip not found: apt-get install -y iproute2',
      exitCode: null,
    });
  });

  test('a command that hangs is killed after the timeout', async () => {
    await assert.rejects(runCommand('sleep', ['10'], { timeoutMs: 100 }), {
      message: 'sleep 10: timed out after 100 ms',
      failure: { kind: 'timeout', timeoutMs: 100 },
    });
  });

  test('a tool that exits before reading its input fails on its status, not on EPIPE', async () => {
    await assert.rejects(runCommand('sh', ['-c', 'exit 1'], { input: 'x'.repeat(4 * 1024 * 1024) }), {
      name: 'NetopsCommandError',
      exitCode: 1,
    });
  });
  test('commands run in a process group of their own: a group-wide signal is not theirs', async () => {
    const { stdout } = await runCommand('sh', ['-c', 'ps -o pgid= -p $$; echo $$']);
    const [pgid, pid] = stdout.trim().split(/\s+/);
    assert.equal(pgid, pid, 'its own group leader');
    assert.notEqual(Number(pgid), process.pid);
  });

  test('one killed by a group signal (before it could leave our group) is run again; a signal from elsewhere after 3 tries fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netops-retry-'));
    try {
      const marker = join(dir, 'tries');
      // The first two runs die of SIGINT, as a child caught by a relayed Ctrl-C does; the third works.
      const script = `echo x >> ${marker}; [ $(wc -l < ${marker}) -ge 3 ] && echo done || kill -INT $$`;
      assert.equal((await runCommand('sh', ['-c', script])).stdout, 'done\n');
      assert.equal(readFileSync(marker, 'utf8'), 'x\nx\nx\n');
      await assert.rejects(runCommand('sh', ['-c', 'kill -TERM $$']), {
        message: "sh -c 'kill -TERM $$': killed by SIGTERM",
      });
      // A signal that is no Ctrl-C is not retried.
      await assert.rejects(
        runCommand('sh', ['-c', `echo y >> ${marker}.kill; kill -KILL $$`]),
        /killed by SIGKILL/,
      );
      assert.equal(readFileSync(`${marker}.kill`, 'utf8'), 'y\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('namespace addressing', () => {
  test('named namespaces use -n NAME; other paths go through nsenter', () => {
    assert.deepEqual(netnsTarget(), { kind: 'host' });
    assert.deepEqual(netnsTarget('/run/netns/pod1'), {
      kind: 'named',
      name: 'pod1',
      path: '/run/netns/pod1',
    });
    assert.deepEqual(netnsTarget('/var/run/netns/pod1'), {
      kind: 'named',
      name: 'pod1',
      path: '/var/run/netns/pod1',
    });
    assert.deepEqual(netnsTarget('/proc/42/ns/net'), { kind: 'path', path: '/proc/42/ns/net' });
    assert.deepEqual(netnsTarget('/run/netns/sub/pod1'), { kind: 'path', path: '/run/netns/sub/pod1' });

    const named = netnsTarget('/run/netns/pod1');
    const path = netnsTarget('/proc/42/ns/net');
    assert.deepEqual(iproute2InNetns(named, 'tc', ['-batch', '-']), {
      file: 'tc',
      args: ['-n', 'pod1', '-batch', '-'],
    });
    assert.deepEqual(iproute2InNetns(path, 'ip', ['-json', 'link']), {
      file: 'nsenter',
      args: ['--net=/proc/42/ns/net', 'ip', '-json', 'link'],
    });
    assert.deepEqual(iproute2InNetns(netnsTarget(), 'ip', ['link']), { file: 'ip', args: ['link'] });
    assert.deepEqual(execInNetns(named, '/usr/sbin/iptables', ['-S']), {
      file: 'ip',
      args: ['netns', 'exec', 'pod1', '/usr/sbin/iptables', '-S'],
    });
    assert.deepEqual(execInNetns(path, 'iptables', ['-S']), {
      file: 'nsenter',
      args: ['--net=/proc/42/ns/net', 'iptables', '-S'],
    });
    assert.equal(netnsMoveRef('/run/netns/pod1'), 'pod1');
    assert.equal(netnsMoveRef('/proc/42/ns/net'), '/proc/42/ns/net');
  });
});

describe('batches without a kernel', () => {
  const refuse: CommandRunner = () => assert.fail('nothing should run');

  test('an empty batch spawns nothing; a line with a newline is refused', async () => {
    await ipBatch([], { run: refuse });
    await assert.rejects(ipBatch(['link set lo up\nlink set lo down'], { run: refuse }), TypeError);
  });

  test('the failing line comes from "Command failed -:N"', async () => {
    assert.equal(failedLineNumber('RTNETLINK answers: File exists\nCommand failed -:12\n'), 12);
    assert.equal(failedLineNumber('Error: any valid prefix is expected rather than "x".\n'), undefined);
    const run: CommandRunner = async (file, args) => {
      throw new NetopsCommandError({
        file,
        args,
        failure: { kind: 'exit', code: 2 },
        stdout: '',
        stderr: 'RTNETLINK answers: File exists\nCommand failed -:2\n',
      });
    };
    await assert.rejects(ipBatch(['link set lo up', 'addr add 192.0.2.1/24 dev lo'], { run }), {
      message: 'ip -batch -: exit 2: RTNETLINK answers: File exists (line 2: addr add 192.0.2.1/24 dev lo)',
      failedLine: { number: 2, text: 'addr add 192.0.2.1/24 dev lo' },
    });
  });
});

describe('iptables -S parsing', () => {
  test('quoted comments are one word, with escapes', () => {
    assert.deepEqual(
      splitRuleLine(
        '-A peerpod-OUTPUT -d 192.0.2.2/32 -m comment --comment "peerpod [vni:555001]" -j NOTRACK',
      ),
      [
        '-A',
        'peerpod-OUTPUT',
        '-d',
        '192.0.2.2/32',
        '-m',
        'comment',
        '--comment',
        'peerpod [vni:555001]',
        '-j',
        'NOTRACK',
      ],
    );
    assert.deepEqual(splitRuleLine('-A X --comment "say \\"hi\\" \\\\ bye" -j Y'), [
      '-A',
      'X',
      '--comment',
      'say "hi" \\ bye',
      '-j',
      'Y',
    ]);
    assert.deepEqual(splitRuleLine('-A X --comment "" -j Y'), ['-A', 'X', '--comment', '', '-j', 'Y']);
  });

  test('chains and rules of a table listing', () => {
    const listing = parseTableListing(
      '-P PREROUTING ACCEPT\n-P OUTPUT ACCEPT\n-N peerpod-OUTPUT\n-A OUTPUT -j peerpod-OUTPUT\n' +
        '# Warning: iptables-legacy tables present, use iptables-legacy to see them\n',
    );
    assert.deepEqual(listing.chains, ['PREROUTING', 'OUTPUT', 'peerpod-OUTPUT']);
    assert.deepEqual(listing.rules, [['-A', 'OUTPUT', '-j', 'peerpod-OUTPUT']]);
  });

  test('formatCommandLine quotes only what needs it', () => {
    assert.equal(formatCommandLine('ip', ['-n', 'pp-1', '-batch', '-']), 'ip -n pp-1 -batch -');
    assert.equal(
      formatCommandLine('iptables', ['--comment', "peer's [vni:1]"]),
      `iptables --comment 'peer'\\''s [vni:1]'`,
    );
  });
});
