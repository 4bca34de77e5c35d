/** A delivery the portal refused, or that ran out of attempts; kept for operators to read and replay. */
export interface DeadLetter {
  id: string;
  maHoSo: string;
  revision: number;
  kind: 'dossier' | 'progress';
  reason: { code: 'upstream_rejected' | 'attempts_exhausted'; message: string; upstreamCode: string | null };
  attempts: number;
  failedAt: string;
}
