import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command, Option } from 'commander';
import { addBooleanNegations, GoFlagError, normalizeGoFlags, parseGoBool } from '../src/go-flags';

function sampleProgram(): Command {
  const program = new Command('caa');
  program
    .command('aws')
    .option('--socket <path>')
    .option('--aws-region <region>')
    .option('--disable-tls')
    .addOption(new Option('--tls-skip-verify'))
    .option('-t, --timeout <seconds>');
  addBooleanNegations(program);
  return program;
}

describe('normalizeGoFlags', () => {
  test('turns single-dash long flags into double-dash ones, with separate or inline values', () => {
    const argv = ['aws', '-socket', '/run/x.sock', '-aws-region=eu-west-1', '-disable-tls'];
    assert.deepEqual(normalizeGoFlags(argv, sampleProgram()), [
      'aws',
      '--socket',
      '/run/x.sock',
      '--aws-region=eu-west-1',
      '--disable-tls',
    ]);
  });

  test('maps Go boolean values onto the flag or its negation', () => {
    const program = sampleProgram();
    assert.deepEqual(normalizeGoFlags(['-disable-tls=true', '--tls-skip-verify=0'], program), [
      '--disable-tls',
      '--no-tls-skip-verify',
    ]);
    assert.deepEqual(normalizeGoFlags(['-disable-tls=T', '-disable-tls=F'], program), [
      '--disable-tls',
      '--no-disable-tls',
    ]);
  });

  test('rejects a boolean value Go would reject, naming the flag', () => {
    assert.throws(
      () => normalizeGoFlags(['-disable-tls=yes'], sampleProgram()),
      (error: unknown) => error instanceof GoFlagError && /-disable-tls/.test(error.message),
    );
  });

  test('leaves short options, unknown names, values and everything after -- alone', () => {
    const argv = ['-t', '5', '-unknown-flag', '-socket', '-socket', '--', '-aws-region'];
    assert.deepEqual(normalizeGoFlags(argv, sampleProgram()), [
      '-t',
      '5',
      '-unknown-flag',
      '--socket',
      '-socket',
      '--',
      '-aws-region',
    ]);
  });

  test('keeps a negative number given as a value', () => {
    const program = new Command('x').option('--peerpods-limit-per-node <n>');
    assert.deepEqual(normalizeGoFlags(['-peerpods-limit-per-node', '-1'], program), [
      '--peerpods-limit-per-node',
      '-1',
    ]);
  });

  test('commander parses the normalised form to the values the Go form means', () => {
    const program = sampleProgram();
    const aws = program.commands[0]!;
    program.exitOverride();
    aws.exitOverride();
    let seen: Record<string, unknown> = {};
    aws.action((options: Record<string, unknown>) => {
      seen = options;
    });
    const argv = ['aws', '-socket=/s', '-disable-tls', '-tls-skip-verify=false', '-t', '9'];
    program.parse(normalizeGoFlags(argv, program), { from: 'user' });
    assert.deepEqual(seen, { socket: '/s', disableTls: true, tlsSkipVerify: false, timeout: '9' });
  });
});

describe('parseGoBool', () => {
  test('accepts exactly the spellings Go accepts', () => {
    for (const yes of ['1', 't', 'T', 'true', 'TRUE', 'True']) assert.equal(parseGoBool(yes), true);
    for (const no of ['0', 'f', 'F', 'false', 'FALSE', 'False']) assert.equal(parseGoBool(no), false);
    for (const bad of ['yes', 'tRUE', '', '2']) assert.equal(parseGoBool(bad), undefined);
  });
});
