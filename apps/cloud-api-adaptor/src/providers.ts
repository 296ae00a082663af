import { awsProviderFactory } from '@peerpods/provider-aws';
import { azureProviderFactory } from '@peerpods/provider-azure';
import { ibmCloudProviderFactory } from '@peerpods/provider-ibmcloud';
import { libvirtProviderFactory } from '@peerpods/provider-libvirt';
import { localProviderFactory } from '@peerpods/provider-local';
import { vsphereProviderFactory } from '@peerpods/provider-vsphere';
import { ProviderRegistry } from '@peerpods/providers';

/**
 * The providers compiled into this binary. Each cloud registers here as it lands; SDKs are loaded
 * inside each factory's `create`, so `--help` and other providers never pay for them.
 */
export function builtInProviders(): ProviderRegistry {
  const registry = new ProviderRegistry();
  registry.register(awsProviderFactory);
  registry.register(azureProviderFactory);
  registry.register(ibmCloudProviderFactory);
  registry.register(libvirtProviderFactory);
  registry.register(localProviderFactory);
  registry.register(vsphereProviderFactory);
  return registry;
}
