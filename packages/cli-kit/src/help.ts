import type { Command, OptionSpec } from './types';

function placeholder(spec: OptionSpec): string {
  if (spec.type === 'boolean') return '';
  if (spec.value) return ` ${spec.value}`;
  return spec.type === 'kes' ? ' KES' : spec.type === 'integer' ? ' N' : ' VALUE';
}

function optionLabel(name: string, spec: OptionSpec): string {
  return `${spec.short ? `-${spec.short}, ` : ''}--${name}${placeholder(spec)}`;
}

/** "huduma-sim issue --pki DIR --out FILE [--balance KES]": generated unless the command says. */
export function synopsis(path: string, command: Command): string {
  if (command.usage !== undefined) return `${path} ${command.usage}`.trimEnd();
  if (command.commands?.length && !command.run) return `${path} <command> [options]`;
  const parts = [path];
  for (const [name, spec] of Object.entries(command.options ?? {})) {
    const text = `--${name}${placeholder(spec)}`;
    parts.push(spec.type !== 'boolean' && spec.required ? text : `[${text}]`);
  }
  parts.push(...(command.args ?? []));
  return parts.join(' ');
}

function table(rows: Array<[string, string]>): string[] {
  const width = Math.min(28, Math.max(...rows.map(([l]) => l.length)));
  return rows.map(([left, right]) =>
    left.length > width ? `  ${left}\n  ${' '.repeat(width)}  ${right}` : `  ${left.padEnd(width)}  ${right}`,
  );
}

/** The one line printed after a usage error: the synopsis and where the rest is. */
export function usageHint(path: string, command: Command): string {
  return `usage: ${synopsis(path, command)}\n(run "${path} --help" for more)\n`;
}

/** The whole `--help` text of a command. */
export function helpText(path: string, command: Command, isRoot: boolean): string {
  const lines = [`usage: ${synopsis(path, command)}`, '', command.summary];
  if (command.commands?.length) {
    lines.push('', 'commands:');
    lines.push(
      ...table([
        ...command.commands.map((c): [string, string] => [c.name, c.summary]),
        ['help [command]', 'help of a command'],
      ]),
    );
  }
  const options = Object.entries(command.options ?? {});
  const rows: Array<[string, string]> = options.map(([name, spec]) => [
    optionLabel(name, spec),
    `${spec.description}${spec.type !== 'boolean' && spec.required ? ' (required)' : ''}`,
  ]);
  rows.push(['-h, --help', 'this help']);
  if (isRoot)
    rows.push(['--version', 'print the version'], ['--debug', 'on failure, print the stack trace too']);
  lines.push('', 'options:', ...table(rows));
  if (command.details) lines.push('', command.details.trimEnd());
  if (command.commands?.length)
    lines.push('', `Run "${path} <command> --help" for the options of a command.`);
  return `${lines.join('\n')}\n`;
}
