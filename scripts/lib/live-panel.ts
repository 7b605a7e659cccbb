// A block of lines that refreshes: redrawn in place on a terminal (cursor up, clear to the end),
// appended as plain lines anywhere else (a log, CI, a pipe), where escape codes would be noise.

export interface PanelStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export class LivePanel {
  private readonly stream: PanelStream;
  private readonly inPlace: boolean;
  private drawnLines = 0;

  constructor(stream: PanelStream, inPlace = stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb') {
    this.stream = stream;
    this.inPlace = inPlace;
  }

  /** Shows `text` in place of the previous block (on a terminal), or after it. */
  show(text: string): void {
    const lines = text.split('\n');
    if (!this.inPlace) {
      // A blank line between blocks keeps a log readable.
      this.stream.write(`\n${text}\n`);
      return;
    }
    // CSI n F: up n lines to column 1; CSI J: clear from there to the end of the screen.
    const erase = this.drawnLines > 0 ? `\x1b[${this.drawnLines}F\x1b[J` : '';
    this.stream.write(`${erase}${text}\n`);
    this.drawnLines = lines.length;
  }

  /** Text written below the block from now on stays: the next show starts a new block. */
  release(): void {
    this.drawnLines = 0;
  }
}

/** "window filling (20s of 1m)" while less than a rate window of data exists, else undefined. */
export function windowFillingNote(elapsedMs: number, windowMs: number): string | undefined {
  if (elapsedMs >= windowMs) return undefined;
  const seconds = Math.floor(elapsedMs / 1000);
  const window = windowMs % 60_000 === 0 ? `${windowMs / 60_000}m` : `${windowMs / 1000}s`;
  return `window filling (${seconds}s of ${window}): rates read low until it is full`;
}
