/**
 * Progress on stderr while the suite runs (stdout carries the table or the JSON lines). On a
 * terminal one status line is rewritten in place; elsewhere (CI, pipes) a status prints at most
 * every 15 s, so a long phase still shows it is alive.
 */
export class Progress {
  private live = false;
  private lastPrinted = -Infinity;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly tty = process.stderr.isTTY === true,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A transient status (rewritten in place on a terminal, now and then elsewhere). */
  status(text: string): void {
    if (!this.tty) {
      if (this.now() - this.lastPrinted < 15_000) return;
      this.lastPrinted = this.now();
      this.out.write(`      ${text}\n`);
      return;
    }
    this.out.write(`\r\x1b[2K${text}`);
    this.live = true;
  }

  /** A line that stays. */
  line(text: string): void {
    this.lastPrinted = this.now();
    if (this.live) this.out.write('\r\x1b[2K');
    this.live = false;
    this.out.write(`${text}\n`);
  }
}
