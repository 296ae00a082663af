/** The parts of IBM Cloud VPC API resources (API version {@link VPC_API_VERSION}) this provider reads and sends. */

/** The API version date sent with every VPC call, with `generation=2`. */
export const VPC_API_VERSION = '2024-04-30';

export interface Reference {
  id: string;
}

export interface NetworkInterfacePrototype {
  subnet: Reference;
  security_groups?: Reference[];
  allow_ip_spoofing?: boolean;
}

/** POST /instances, as upstream builds it: an image, the legacy network interfaces, raw user-data. */
export interface InstancePrototype {
  name: string;
  image: Reference;
  profile: { name: string };
  zone: { name: string };
  vpc: Reference;
  primary_network_interface: NetworkInterfacePrototype;
  network_interfaces?: NetworkInterfacePrototype[];
  keys?: Reference[];
  resource_group?: Reference;
  user_data: string;
  metadata_service: { enabled: boolean; protocol: 'http' | 'https' };
  confidential_compute_mode: 'disabled' | 'tdx';
  enable_secure_boot: boolean;
  placement_target?: Reference;
}

export interface NetworkInterface {
  id: string;
  primary_ip?: { address?: string };
}

export interface VpcInstance {
  id: string;
  crn: string;
  name: string;
  status: string;
  created_at: string;
  primary_network_interface: NetworkInterface;
  /** Every interface, the primary included. */
  network_interfaces?: NetworkInterface[];
}

export interface InstanceCollection {
  instances: VpcInstance[];
  next?: { href: string };
}

export interface InstanceProfile {
  name: string;
  vcpu_architecture: { value: string };
  vcpu_count: { value: number };
  /** GiB. */
  memory: { value: number };
  gpu_count?: { value: number };
}

export interface Image {
  id: string;
  operating_system?: { architecture?: string; name?: string };
}

export interface Subnet {
  id: string;
  vpc: Reference;
  zone: { name: string };
  resource_group?: Reference;
}

export interface ZonedResource {
  id: string;
  zone: { name: string };
}
