export { type PadDisplay, SimulatedHidBus, SimulatedPinPad } from './pad';
