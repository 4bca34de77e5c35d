/**
 * Request bodies for the sync benchmark: the realistic sample dossier of adapters/dvcqg/fixtures with one
 * progress item, built from a template so that 100,000 of them cost string replacements, not clones.
 */
import { sampleDossier, sampleProgress } from '../../adapters/dvcqg/index.js';

const MARK = '@@MAHOSO@@';

/** A realistic MaHoSo: agency code, a day (yymmdd) and a serial. */
export function maHoSo(day: string, serial: number): string {
  return `000.00.01.H26-${day}-${String(serial).padStart(6, '0')}`;
}

export class RevisionTemplate {
  private readonly text: string;

  constructor() {
    const body = { revision: 1, dossier: sampleDossier(MARK), progress: [sampleProgress(MARK, '20261129093000', 4)] };
    this.text = JSON.stringify(body);
  }

  /** The JSON of revision 1 of dossier `m` with its one progress item. */
  json(m: string): string {
    return this.text.replaceAll(MARK, m);
  }

  /** The JSON of a batch body holding revision 1 of each of `codes`. */
  batch(codes: string[]): string {
    return `{"items":[${codes.map((m) => this.json(m)).join(',')}]}`;
  }
}
