export { type LibvirtSandbox, type SandboxOptions, startLibvirtSandbox } from './sandbox';
