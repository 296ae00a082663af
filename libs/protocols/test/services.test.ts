import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AgentService, HealthService, HypervisorService, methodNames, PodVMInfoService } from '../src/index';

// kata 4.1.0's agent.proto order (README.md, Sources).
// biome-ignore format: one table, as in the spec
const AGENT_METHODS = [
  'CreateContainer', 'StartContainer', 'RemoveContainer', 'ExecProcess', 'SignalProcess', 'WaitProcess',
  'UpdateContainer', 'UpdateEphemeralMounts', 'StatsContainer', 'PauseContainer', 'ResumeContainer',
  'RemoveStaleVirtiofsShareMounts', 'GetDiagnosticData', 'WriteStdin', 'ReadStdout', 'ReadStderr', 'CloseStdin',
  'TtyWinResize', 'UpdateInterface', 'UpdateRoutes', 'ListInterfaces', 'ListRoutes', 'AddARPNeighbors',
  'GetIPTables', 'SetIPTables', 'GetMetrics', 'MemAgentMemcgSet', 'MemAgentCompactSet', 'CreateSandbox',
  'DestroySandbox', 'OnlineCPUMem', 'ReseedRandomDev', 'GetGuestDetails', 'MemHotplugByProbe', 'SetGuestDateTime',
  'CopyFile', 'GetOOMEvent', 'AddSwap', 'AddSwapPath', 'GetVolumeStats', 'ResizeVolume', 'SetPolicy',
];

describe('service descriptors', () => {
  test('grpc.AgentService has the 42 methods of kata 4.1.0, all unary', () => {
    assert.equal(AgentService.fullName, 'grpc.AgentService');
    assert.deepEqual(methodNames(AgentService), AGENT_METHODS);
    for (const method of Object.values(AgentService.methods)) {
      assert.equal(method.requestStream || method.responseStream, false, method.name);
    }
  });

  test('grpc.Health, hypervisor.Hypervisor and podvminfo.PodVMInfo', () => {
    assert.equal(HealthService.fullName, 'grpc.Health');
    assert.deepEqual(methodNames(HealthService), ['Check', 'Version']);
    assert.equal(HypervisorService.fullName, 'hypervisor.Hypervisor');
    assert.deepEqual(methodNames(HypervisorService), ['CreateVM', 'StartVM', 'StopVM', 'Version']);
    assert.equal(PodVMInfoService.fullName, 'podvminfo.PodVMInfo');
    assert.deepEqual(methodNames(PodVMInfoService), ['GetInfo']);
  });
});
