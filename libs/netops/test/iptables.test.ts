import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { tempDir } from '@peerpods/test-support';
import {
  detectIptables,
  type Iptables,
  IptablesNotFoundError,
  NetopsCommandError,
  type RuleSpec,
  restoreLine,
} from '../src/index';
import { requireRoot, Scratch } from './support/scratch';

// Every iptables command here runs inside a namespace made by the test, never in the host's.
const notrack = (direction: '-d' | '-s', remote: string, vni: number): RuleSpec => [
  direction,
  `${remote}/32`,
  '-p',
  'udp',
  '-m',
  'comment',
  '--comment',
  `peerpod [vni:${vni}]`,
  '-m',
  'udp',
  '--dport',
  '4789',
  '-j',
  'NOTRACK',
];

describe('iptables detection', () => {
  test('this machine has iptables; its flavour is read from --version', async () => {
    requireRoot();
    const iptables = await detectIptables();
    assert.match(iptables.binary.path, /\/iptables$/);
    assert.ok(['nft', 'legacy'].includes(iptables.flavour));
    assert.match(iptables.binary.version, /^\d+\.\d+/);
    assert.equal((await detectIptables({ candidates: ['iptables-legacy'] })).flavour, 'legacy');
    assert.equal((await detectIptables({ candidates: ['iptables-nft'] })).flavour, 'nft');
  });

  test('a PATH without iptables gives the install hint', async () => {
    const empty = tempDir('peerpods-netops-');
    await assert.rejects(detectIptables({ searchPath: empty }), (error: unknown) => {
      assert.ok(error instanceof IptablesNotFoundError);
      assert.match(error.message, /^iptables not found: apt-get install -y iptables \(/);
      assert.deepEqual(error.searched, [empty]);
      return true;
    });
  });

  test('the first candidate on the search path wins, and a version without a flavour is legacy', async () => {
    const dir = tempDir('peerpods-netops-');
    const fake = join(dir, 'iptables-legacy');
    await writeFile(fake, '#!/bin/sh\necho "iptables v1.6.1"\n');
    await chmod(fake, 0o755);
    const found = await detectIptables({ searchPath: dir });
    assert.deepEqual(found.binary, { path: fake, flavour: 'legacy', version: '1.6.1' });
  });
});

for (const flavour of ['nft', 'legacy'] as const) {
  describe(`iptables (${flavour}) in a test namespace`, () => {
    const scratch = new Scratch();
    afterEach(() => scratch.cleanup());
    const iptables = (): Promise<Iptables> => detectIptables({ candidates: [`iptables-${flavour}`] });

    test('chains, jumps and NOTRACK rules: ensure, idempotence, removal', async () => {
      requireRoot();
      const ipt = await iptables();
      const { path: netns } = await scratch.netns();
      const at = { netns };

      assert.equal(await ipt.chainExists('raw', 'peerpod-OUTPUT', at), false);
      assert.equal(await ipt.ensureChain('raw', 'peerpod-OUTPUT', at), true);
      assert.equal(await ipt.ensureChain('raw', 'peerpod-OUTPUT', at), false);
      assert.equal(await ipt.ensureChain('raw', 'peerpod-PREROUTING', at), true);
      assert.equal(await ipt.ensureJump('raw', 'OUTPUT', 'peerpod-OUTPUT', at), true);
      assert.equal(await ipt.ensureJump('raw', 'OUTPUT', 'peerpod-OUTPUT', at), false);
      assert.equal(await ipt.ensureJump('raw', 'PREROUTING', 'peerpod-PREROUTING', at), true);

      const out = notrack('-d', '198.51.100.2', 555001);
      const pre = notrack('-s', '198.51.100.2', 555001);
      assert.equal(await ipt.ruleExists('raw', 'peerpod-OUTPUT', out, at), false);
      assert.equal(await ipt.appendRule('raw', 'peerpod-OUTPUT', out, at), true);
      assert.equal(await ipt.appendRule('raw', 'peerpod-OUTPUT', out, at), false);
      assert.equal(await ipt.appendRule('raw', 'peerpod-PREROUTING', pre, at), true);
      assert.equal(await ipt.ruleExists('raw', 'peerpod-OUTPUT', out, at), true);
      assert.equal(
        await ipt.ruleExists('raw', 'peerpod-OUTPUT', notrack('-d', '198.51.100.2', 555002), at),
        false,
      );

      const listing = await ipt.listTable('raw', at);
      assert.deepEqual(
        listing.chains.filter((c) => c.startsWith('peerpod-')),
        ['peerpod-OUTPUT', 'peerpod-PREROUTING'],
      );
      assert.deepEqual(listing.rules, [
        ['-A', 'PREROUTING', '-j', 'peerpod-PREROUTING'],
        ['-A', 'OUTPUT', '-j', 'peerpod-OUTPUT'],
        ['-A', 'peerpod-OUTPUT', ...out],
        ['-A', 'peerpod-PREROUTING', ...pre],
      ]);

      // Not empty yet: the chain stays.
      assert.equal(await ipt.deleteChainIfEmpty('raw', 'peerpod-OUTPUT', at), false);
      assert.equal(await ipt.deleteRule('raw', 'peerpod-OUTPUT', out, at), true);
      assert.equal(await ipt.deleteRule('raw', 'peerpod-OUTPUT', out, at), false);
      assert.equal(await ipt.deleteChainIfEmpty('raw', 'peerpod-OUTPUT', at), true);
      assert.equal(await ipt.deleteChainIfEmpty('raw', 'peerpod-OUTPUT', at), false);
      assert.equal(await ipt.deleteRule('raw', 'peerpod-OUTPUT', out, at), false, 'no chain, no rule');
      assert.equal(await ipt.deleteRule('raw', 'peerpod-PREROUTING', pre, at), true);
      assert.equal(await ipt.deleteChainIfEmpty('raw', 'peerpod-PREROUTING', at), true);

      const after = await ipt.listTable('raw', at);
      assert.deepEqual(after.rules, []);
      assert.deepEqual(after.chains, ['PREROUTING', 'OUTPUT']);
    });

    test('concurrent appends of one rule leave exactly one copy; through nsenter too', async () => {
      requireRoot();
      const ipt = await iptables();
      const ns = await scratch.netns();
      const netns = await scratch.sleeperPath(ns);
      await ipt.ensureChain('raw', 'peerpod-OUTPUT', { netns });
      const rule = notrack('-d', '198.51.100.7', 555007);
      const added = await Promise.all(
        Array.from({ length: 8 }, () => ipt.appendRule('raw', 'peerpod-OUTPUT', rule, { netns })),
      );
      assert.equal(added.filter(Boolean).length, 1);
      const { rules } = await ipt.listTable('raw', { netns: ns.path });
      assert.deepEqual(rules, [['-A', 'peerpod-OUTPUT', ...rule]]);
    });

    test('restore and editTable: one transaction, quoting, the failing line named', async () => {
      requireRoot();
      const ipt = await iptables();
      const { name, path: netns } = await scratch.netns();
      const at = { netns };
      const out = notrack('-d', '198.51.100.3', 555003);
      await ipt.restore(
        'raw',
        [
          ':peerpod-OUTPUT - [0:0]',
          '-A OUTPUT -j peerpod-OUTPUT',
          restoreLine(['-A', 'peerpod-OUTPUT', ...out]),
        ],
        at,
      );
      assert.deepEqual((await ipt.listTable('raw', at)).rules, [
        ['-A', 'OUTPUT', '-j', 'peerpod-OUTPUT'],
        ['-A', 'peerpod-OUTPUT', ...out],
      ]);
      // A failing line applies nothing and is named.
      await assert.rejects(
        ipt.restore(
          'raw',
          ['-A OUTPUT -j ACCEPT', restoreLine(['-D', 'peerpod-OUTPUT', ...notrack('-d', '198.51.100.9', 1)])],
          at,
        ),
        (error: unknown) => {
          assert.ok(error instanceof NetopsCommandError);
          assert.match(
            error.message,
            new RegExp(`^ip netns exec ${name} ${ipt.restoreBinary} -w --noflush: exit 1: `),
          );
          assert.equal(error.failedLine?.number, 2);
          return true;
        },
      );
      assert.equal((await ipt.listTable('raw', at)).rules.length, 2);
      const applied = await ipt.editTable(
        'raw',
        (listing) => listing.rules.map((r) => restoreLine(['-D', ...r.slice(1)])).concat('-X peerpod-OUTPUT'),
        at,
      );
      assert.equal(applied.length, 3);
      assert.deepEqual(await ipt.listTable('raw', at), { chains: ['PREROUTING', 'OUTPUT'], rules: [] });
      assert.deepEqual(await ipt.editTable('raw', () => [], at), []);
      assert.equal(restoreLine(['a b', 'x"y\\', '']), '"a b" "x\\"y\\\\" ""');
    });

    test('a missing namespace and a bad rule surface clearly', async () => {
      requireRoot();
      const ipt = await iptables();
      const missing = `/run/netns/${scratch.uniqueName()}`;
      await assert.rejects(ipt.ensureChain('raw', 'peerpod-OUTPUT', { netns: missing }), {
        name: 'NetnsNotFoundError',
        message: `network namespace ${missing} does not exist`,
      });
      const { name, path } = await scratch.netns();
      await assert.rejects(ipt.appendRule('raw', 'OUTPUT', ['--no-such-option'], { netns: path }), {
        name: 'NetopsCommandError',
        message: new RegExp(
          `^ip netns exec ${name} ${ipt.binary.path} -w -t raw -C OUTPUT --no-such-option: exit 2: `,
        ),
      });
    });
  });
}
