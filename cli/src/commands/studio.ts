import { Flags } from '@oclif/core';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PackerCommand } from '../base/packer-command.js';
import { terminalText } from '../render/terminal-text.js';
import { openInBrowser } from '../studio/open-in-browser.js';
import { startStudioPageServer } from '../studio/studio-page-server.js';
import { ensureWebSocketEndpoint } from '../studio/websocket-endpoint.js';

/** What `packer studio --json` prints (one line) once the page is served. */
export interface StudioStarted {
  /** The page, with the daemon's WebSocket token in its fragment: open it in a browser. */
  url: string;
  projectRoot: string;
  daemonPid: number;
  /** The daemon's loopback WebSocket the page talks to. */
  webSocketUrl: string;
}

export default class Studio extends PackerCommand<typeof Studio> {
  static override description =
    "Serve the reference Studio page on loopback and print its URL (the token is in the URL's #fragment). Starts the daemon's WebSocket listener if needed; runs until Ctrl-C.";
  static override examples = [
    '<%= config.bin %> studio --open',
    '<%= config.bin %> studio -C fixtures/sample-game --port 8123',
  ];
  // A server in the foreground: with --json it prints one line once it serves (the URL), not a result at the end.
  static override enableJsonFlag = true;
  static override flags = {
    open: Flags.boolean({ description: 'Open the page in the default browser.', default: false }),
    port: Flags.integer({ description: 'Loopback port for the page (0: a free one).', default: 0, min: 0, max: 65535 }),
  };

  async run(): Promise<void> {
    const root = this.projectRoot();
    const first = await ensureWebSocketEndpoint(root);
    const server = await startStudioPageServer({
      webRoot: studioWebRoot(),
      host: '127.0.0.1',
      port: this.flags.port,
      knownTokens: new Set([first.token]),
      // The page asks again after a drop: a restarted (or stopped) daemon comes back with the listener on.
      endpoint: () => ensureWebSocketEndpoint(root),
    });
    const started: StudioStarted = {
      url: `${server.url}#token=${first.token}`,
      projectRoot: root,
      daemonPid: first.pid,
      webSocketUrl: first.url,
    };
    if (this.jsonEnabled()) {
      process.stdout.write(JSON.stringify(started) + '\n');
    } else {
      this.log(
        terminalText(
          `Packer Studio for ${root} (daemon pid ${first.pid}${first.started ? ', started with its WebSocket listener' : ''}):`,
        ),
      );
      this.log(`  ${started.url}`);
      this.log(
        'The token is in the #fragment: it reaches no server log. Ctrl-C stops the page (the daemon keeps running).',
      );
    }
    const removeOpener = this.flags.open ? openInBrowser(started.url, (message) => this.warn(message)) : undefined;
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    removeOpener?.();
    await server.close();
  }
}

/** The built page, shipped in @packer/studio-web's dist/. */
function studioWebRoot(): string {
  return path.join(path.dirname(createRequire(import.meta.url).resolve('@packer/studio-web/package.json')), 'dist');
}
