// Copyright 2026 the xenpv authors. MIT license.
// The simulated Linux guest's line discipline (its getty-like login and its
// shell read lines through it): echo printable characters, DEL or BS erases,
// CR or LF ends a line (CR LF once), other control characters echo as ^X, ^C
// interrupts, ^\ quits (SIGQUIT). (The Windows guest's XENCONS helper has its own, different
// editor, in windows_guest.ts: it drops what follows a CR in the same read.)

export interface LineEditorEvents {
  /** Echo bytes (already formatted) back to the terminal. */
  echo(text: string): void;
  /** A complete line (without its terminator). */
  line(text: string): void;
  /** ^C was typed. */
  interrupt(): void;
  /** ^\ was typed (SIGQUIT). */
  quit(): void;
}

export class LineEditor {
  #buffer = "";
  #echo = true;
  #lastWasCr = false;
  #events: LineEditorEvents;

  constructor(events: LineEditorEvents) {
    this.#events = events;
  }

  /** Echo typed characters (off while a password is typed). */
  set echo(on: boolean) {
    this.#echo = on;
  }

  input(text: string): void {
    for (const ch of text) {
      const code = ch.codePointAt(0)!;
      if (ch === "\n" && this.#lastWasCr) {
        this.#lastWasCr = false; // CR LF counts once
        continue;
      }
      this.#lastWasCr = ch === "\r";
      if (ch === "\r" || ch === "\n") {
        const line = this.#buffer;
        this.#buffer = "";
        this.#events.echo("\r\n");
        this.#events.line(line);
      } else if (code === 0x7f || code === 0x08) {
        if (this.#buffer.length > 0) {
          this.#buffer = this.#buffer.slice(0, -1);
          if (this.#echo) this.#events.echo("\b \b");
        }
      } else if (code === 0x03) {
        this.#buffer = "";
        this.#events.echo("^C\r\n");
        this.#events.interrupt();
      } else if (code === 0x1c) {
        // ISIG: the line typed so far is flushed, the foreground job gets SIGQUIT
        this.#buffer = "";
        this.#events.echo("^\\");
        this.#events.quit();
      } else if (code < 0x20) {
        this.#buffer += ch;
        if (this.#echo) this.#events.echo(`^${String.fromCharCode(code + 0x40)}`);
      } else {
        this.#buffer += ch;
        if (this.#echo) this.#events.echo(ch);
      }
    }
  }
}
