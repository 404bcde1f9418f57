import { Flags } from '@oclif/core';
import { formatCursor, parseCursor } from '@packer/core/contract/runtime';
import type { EventEnvelope } from '@packer/core/contract';
import { PackerCommand } from '../base/packer-command.js';
import { renderEventLine } from '../render/render-event.js';
import { terminalText } from '../render/terminal-text.js';

export default class Events extends PackerCommand<typeof Events> {
  static override description =
    "The packer's event log: replay from a cursor, and with --follow keep printing live events.";
  static override examples = [
    '<%= config.bin %> events',
    '<%= config.bin %> events --since 3.120 --follow',
    '<%= config.bin %> events --follow --json',
  ];
  static override flags = {
    since: Flags.string({ description: 'Replay events after this cursor (default: the last 20).' }),
    follow: Flags.boolean({ char: 'f', description: 'Keep following live events until interrupted.', default: false }),
  };

  async run(): Promise<void> {
    const client = await this.client();
    const newest = parseCursor(client.hello.cursor);
    const since = this.flags.since ?? formatCursor(newest.generation, Math.max(0, newest.seq - 20));
    const print = (event: EventEnvelope): void => {
      // Streams are NDJSON in --json mode: one event a line.
      if (this.jsonEnabled()) process.stdout.write(JSON.stringify(event) + '\n');
      else this.log(renderEventLine(event));
    };
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const subscription = await client.subscribe({
      since,
      onEvent: (event) => {
        print(event);
        if (!this.flags.follow && parseCursor(event.cursor).seq >= newest.seq) resolveDone();
      },
      onExpired: ({ message }) =>
        this.warn(`${terminalText(message)} Showing events from the oldest one the log holds.`),
    });
    if (!this.flags.follow && parseCursor(since).seq >= newest.seq) resolveDone();
    if (this.flags.follow) process.once('SIGINT', () => resolveDone());
    await done;
    await subscription.close();
  }
}
