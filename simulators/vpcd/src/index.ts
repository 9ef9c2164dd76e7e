export type { BeforeAnswer, VirtualCard, VpcdBridgeEvents, VpcdBridgeOptions } from './bridge';
export { VPCD_CTRL, VPCD_DEFAULT_PORT, VpcdBridge } from './bridge';
