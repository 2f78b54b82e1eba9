// Mailgun's official JavaScript SDK (mailgun.js) against a running Signet:
// its DKIM-management calls, unchanged, on a domain the Rust test registered.
// Environment: SIGNET_API_URL, SIGNET_API_KEY, SIGNET_DOMAIN.
import FormData from 'form-data';
import Mailgun from 'mailgun.js';

const mg = new Mailgun(FormData).client({
  username: 'api',
  key: process.env.SIGNET_API_KEY,
  url: process.env.SIGNET_API_URL,
});
const domain = process.env.SIGNET_DOMAIN;

let passed = 0;
let failed = 0;

async function check(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAILED ${name}: ${e.stack || JSON.stringify(e)}`);
  }
}

function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: ${a} != ${b}`);
}

// mailgun.js keeps a refusal's status but reads its text only from
// `message`, and Mailgun's DKIM-management errors say `Reason`: the status
// is what a mailgun.js caller can see, so the status is what is checked.
async function refusal(call) {
  try {
    await call();
  } catch (e) {
    return e;
  }
  throw new Error('the call was not refused');
}

await check('update enables rotation', async () => {
  const result = await mg.dkimManagement.update(domain, {
    rotation_enabled: true,
    rotation_interval: '5d',
  });
  assertEqual(result.domain.name, domain, 'name');
  assertEqual(result.domain.rotation_enabled, 'true', 'rotation_enabled');
  assertEqual(result.domain.rotation_interval, '5d', 'rotation_interval');
  assertEqual(result.domain.records[0].identifier, 'DKIM', 'identifier');
});

await check('update refuses an interval without enabling', async () => {
  const e = await refusal(() =>
    mg.dkimManagement.update(domain, { rotation_enabled: false, rotation_interval: '5d' }));
  assertEqual([e.type, e.status], ['MailgunAPIError', 400], 'refusal');
});

await check('rotateImmediately rotates', async () => {
  const result = await mg.dkimManagement.rotateImmediately(domain);
  assertEqual(result, { message: 'ok' }, 'answer');
});

await check('rotateImmediately is refused while a pending key waits', async () => {
  const e = await refusal(() => mg.dkimManagement.rotateImmediately(domain));
  assertEqual([e.type, e.status], ['MailgunAPIError', 400], 'refusal');
});

await check('an unknown domain is not found', async () => {
  const e = await refusal(() => mg.dkimManagement.rotateImmediately('nowhere.example'));
  assertEqual([e.type, e.status], ['MailgunAPIError', 404], 'refusal');
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
