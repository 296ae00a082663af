export {
  addFakeCloudOptions,
  type FakeCloudDefaults,
  type FakeCloudFlags,
  type FakeCloudSettings,
  fakeCloudSettings,
  serveUntilSignal,
} from './cli';
export { type ControlHandler, ControlSocket, closeServer, readBody } from './http';
export { type BucketRate, TokenBucket } from './token-bucket';
