import type { PortalDossier, ProgressItem } from '../domain/dossier.js';
import type { CallContext } from './call-context.js';

/**
 * The National Public Service Portal (DVCQG). Implementations raise only the core's errors
 * (src/domain/errors.ts): UpstreamRejected for a refusal that must not be retried, UpstreamUnavailable,
 * UpstreamTimeout or UpstreamBadResponse for anything worth trying again.
 */
export interface NationalPortal {
  /**
   * DongBoHoSoMC for one dossier. `knownToPortal` says whether the portal is believed to hold it
   * already, which picks `isUpdating`; the implementation switches once on "đã tồn tại" /
   * "không tồn tại". Resolves when the portal acknowledged the data.
   */
  syncDossier(dossier: PortalDossier, options: { knownToPortal: boolean }, context?: CallContext): Promise<void>;

  /** CapNhatTienDoHoSoMC with 1 to 10 items, in the order given. */
  updateProgress(items: ProgressItem[], context?: CallContext): Promise<void>;

  /** TraCuuHoSo: the dossier as the portal holds it, or null when unknown. */
  findDossier(maHoSo: string, context?: CallContext): Promise<PortalDossier | null>;
}
