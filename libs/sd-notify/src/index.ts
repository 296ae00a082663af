export { type NotifyAddress, parseNotifyAddress } from './notify-address';
export { notifyServiceManager, type SdNotifyOptions, sdNotify } from './sd-notify';
export { DatagramError, sendUnixDatagram } from './unix-datagram';
