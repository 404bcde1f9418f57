import { Flags } from '@oclif/core';
import { parseCursor } from '@packer/core/contract/runtime';
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
    const { since } = this.flags;
    const print = (event: EventEnvelope): void => {
      // Streams are NDJSON in --json mode: one event a line.
      if (this.jsonEnabled()) process.stdout.write(JSON.stringify(event) + '\n');
      else this.log(renderEventLine(event));
    };
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const subscription = await client.subscribe({
      // The daemon picks the last 20: a cursor made here from the newest one is wrong once the last 20 span a
      // daemon restart (their seqs were numbered by another generation), and the replay started from "now".
      ...(since === undefined ? { last: 20 } : { since }),
      onEvent: (event) => {
        print(event);
        if (!this.flags.follow && parseCursor(event.cursor).seq >= newest.seq) resolveDone();
      },
      onExpired: ({ message }) =>
        this.warn(`${terminalText(message)} Showing events from the oldest one the log holds.`),
    });
    // Nothing to replay: the log is empty, or `since` is the newest event already.
    if (!this.flags.follow && (since === undefined ? newest.seq === 0 : parseCursor(since).seq >= newest.seq))
      resolveDone();
    if (this.flags.follow) process.once('SIGINT', () => resolveDone());
    await done;
    await subscription.close();
  }
}
