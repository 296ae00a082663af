import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mirrorFromSources } from '../src/apt-mirror';

test("reads the release's mirror from deb822 sources, skipping security and disabled stanzas", () => {
  const text = [
    'Types: deb\nURIs: http://disabled.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no',
    'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main',
    'Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\nComponents: main',
  ].join('\n\n');
  assert.equal(
    mirrorFromSources([{ name: 'debian.sources', text }], 'bookworm'),
    'http://mirror.example/debian',
  );
  assert.equal(mirrorFromSources([{ name: 'debian.sources', text }], 'trixie'), undefined);
});

test('reads one-line sources.list entries, with options in brackets', () => {
  const text =
    '# comment\ndeb-src http://src.example/debian bookworm main\ndeb [arch=amd64] http://one.example/debian bookworm main\n';
  assert.equal(mirrorFromSources([{ name: 'sources.list', text }], 'bookworm'), 'http://one.example/debian');
});
