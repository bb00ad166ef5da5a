// The fixed bootstrap identity the server is started with (the same as
// tests/interop/interop.py): the account's root, and the deployment's operator.
module.exports.IDENTITY = Object.freeze({
  accountId: '111122223333',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  rootArn: 'arn:aws:iam::111122223333:root',
});
