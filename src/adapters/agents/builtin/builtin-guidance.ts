/**
 * Live guidance for the built-in agent: the driver drops each message as `NNNNNN.txt` into a
 * directory the sleeve sees read-only (written to a temporary name, then renamed, so the program
 * never reads half a file); the program takes the new ones, in order, before every model call.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const NAME = /^(\d{6})\.txt$/;

/** The driver's side: numbered guidance files in `dir`. */
export class GuidanceOutbox {
  private next = 1;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  }

  /** Writes `text` as the next guidance file; returns its path. */
  write(text: string): string {
    const n = String(this.next++).padStart(6, '0');
    const tmp = join(this.dir, `.${n}.tmp`);
    const file = join(this.dir, `${n}.txt`);
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, file);
    return file;
  }
}

/** The program's side: guidance files it has not taken yet. */
export class GuidanceInbox {
  private last = 0;

  constructor(private readonly dir: string) {}

  /** Texts of the guidance files that appeared since the last call, oldest first. */
  take(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const fresh = names
      .map((n) => NAME.exec(n))
      .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) > this.last)
      .map((m) => ({ n: Number(m[1]), name: m[0] }))
      .sort((a, b) => a.n - b.n);
    const texts: string[] = [];
    for (const f of fresh) {
      try {
        texts.push(readFileSync(join(this.dir, f.name), 'utf8'));
        this.last = f.n;
      } catch {
        break;
      }
    }
    return texts.filter((t) => t.trim() !== '');
  }

  /** Whether unread guidance is waiting (without taking it). */
  pending(): boolean {
    try {
      return readdirSync(this.dir).some((n) => {
        const m = NAME.exec(n);
        return m !== null && Number(m[1]) > this.last;
      });
    } catch {
      return false;
    }
  }
}
