// The main job. Later issues grow this into the whole local system (clearing service + counter
// terminal with simulated cards); until then it prints the applet's command table.
import { COMMANDS, toHex, AID } from '@huduma/card-applet-spec';

console.log(`Huduma card applet v1, AID ${toHex(AID)}`);
for (const c of COMMANDS) console.log(`  ${c.name.padEnd(22)} CLA ${c.cla.toString(16).padStart(2, '0')} INS ${c.ins.toString(16).padStart(2, '0')}  §${c.section}`);
