import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SIGNAL_ECHO_MS, SignalGate } from '../src/signal-gate';

test('first signal: orderly stop; an echo within the window: nothing; a later one: exit now', () => {
  const gate = new SignalGate();
  assert.equal(gate.requested, false);
  assert.equal(gate.decide(1000), 'stop');
  assert.equal(gate.requested, true);
  assert.equal(gate.decide(1000 + SIGNAL_ECHO_MS - 1), 'ignore');
  assert.equal(gate.decide(1000 + SIGNAL_ECHO_MS), 'exit');
});
