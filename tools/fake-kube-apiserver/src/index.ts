export { FakeKubeApiserver, type KubeObject } from './fake-kube-apiserver';
export { applyMergePatch } from './merge-patch';
