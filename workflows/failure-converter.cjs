// Failure messages and stack traces can quote personal data (a row, a phone number): with encodeCommonAttributes
// they travel inside an encoded payload, so the payload codec encrypts them like every other payload. The SDK
// loads this module by path with a plain require() (client, worker and workflow bundle alike), hence CommonJS.
const { DefaultFailureConverter } = require('@temporalio/common'); // eslint-disable-line @typescript-eslint/no-require-imports -- loaded by require(), see above

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
