// The peer itself: it starts, speaks SOAP on /sdk with its default inventory, and refuses a wrong
// password as vCenter does.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, test } from 'node:test';
import { tempDir } from '@peerpods/test-support';
import { startVcsim, type Vcsim } from '../index';

const running: Vcsim[] = [];
after(async () => {
  for (const vcsim of running) await vcsim.stop();
});

function soap(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
}

test('vcsim with its own CA: TLS verified by that CA, SOAP login refused with a wrong password, accepted with the right one', async () => {
  const vcsim = await startVcsim({ ownCa: { dir: tempDir() }, password: 'right' });
  running.push(vcsim);
  assert.match(vcsim.url, /^https:\/\/127\.0\.0\.1:\d+\/sdk$/);
  const call = (body: string) =>
    new Promise<{ status: number; text: string }>((resolveCall, reject) => {
      const req = request(
        vcsim.url,
        {
          method: 'POST',
          ca: vcsim.caPem,
          headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'urn:vim25/6.5' },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolveCall({ status: response.statusCode ?? 0, text }));
        },
      );
      req.once('error', reject);
      req.end(soap(body));
    });
  const content = await call(
    '<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>',
  );
  assert.equal(content.status, 200);
  assert.match(content.text, /<rootFolder type="Folder">group-d1<\/rootFolder>/);
  const login = (password: string) =>
    call(
      `<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this><userName>user</userName><password>${password}</password></Login>`,
    );
  const wrong = await login('wrong');
  assert.equal(wrong.status, 500);
  assert.match(wrong.text, /Login failure/);
  const right = await login('right');
  assert.equal(right.status, 200, right.text);
  assert.match(right.text, /<userName>user<\/userName>/);
});
